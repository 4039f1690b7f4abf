"""``make run`` on a developer's machine: busy ports, printed e-mails, a quiet log."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.local.mail import PrintingMailer, email_block
from chalicelib.observability import count

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_stack(**env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "chalicelib.local.stack"], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, env={**os.environ, **env})
    return done, time.monotonic() - began


@pytest.mark.parametrize("variable", ["PORT", "LOCAL_AWS_PORT"])
def test_a_busy_port_ends_the_stack_at_once_with_one_line_naming_it(busy_port: int, variable: str):
    other = "LOCAL_AWS_PORT" if variable == "PORT" else "PORT"
    done, took = _run_stack(**{variable: str(busy_port), other: str(_free_port())})

    assert done.returncode == 1
    assert took < 10
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"port {busy_port}" in lines[0] and "already in use" in lines[0]
    assert f"set {variable} to another port" in lines[0]


def test_a_port_that_is_not_a_number_is_named_too():
    done, _ = _run_stack(PORT="eighty", LOCAL_AWS_PORT=str(_free_port()))

    assert done.returncode == 1
    assert done.stderr.strip() == ("Leadtrail local stack: PORT='eighty' is not a port number (1-65535); "
                                   "set PORT to a free port")


def test_each_email_prints_as_one_block_with_its_links_listed():
    out = io.StringIO()
    PrintingMailer(out).send(
        "sales-a@demo.dk", "Nyt lead til dig: Mette",
        "Acceptér: http://127.0.0.1:8000/handovers/ho_1/accept?token=abc\n"
        "Afvis: http://127.0.0.1:8000/handovers/ho_1/decline?token=def\n",
        "<p>html part</p>",
    )

    block = out.getvalue()
    assert "  E-MAIL   to sales-a@demo.dk\n  Subject  Nyt lead til dig: Mette\n" in block
    assert "  [1] http://127.0.0.1:8000/handovers/ho_1/accept?token=abc\n" in block
    assert "  [2] http://127.0.0.1:8000/handovers/ho_1/decline?token=def\n" in block
    assert "html part" not in block  # the plain-text part is what a terminal can show
    assert block == email_block("sales-a@demo.dk", "Nyt lead til dig: Mette",
                                "Acceptér: http://127.0.0.1:8000/handovers/ho_1/accept?token=abc\n"
                                "Afvis: http://127.0.0.1:8000/handovers/ho_1/decline?token=def\n")


def test_a_link_repeated_in_the_text_is_listed_once():
    block = email_block("a@b.dk", "Hej", "http://x.test/a and again http://x.test/a\n")

    assert block.count("[1] http://x.test/a") == 1 and "[2]" not in block


def _emf_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_metrics_with_their_own_dimensions_are_silent_where_metrics_are_off(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    count("RejectedInput", reason="too_large")
    assert _emf_lines(capsys.readouterr().out), "on: the metric is printed as EMF"

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as the local stack sets it
    count("RejectedInput", reason="too_large")
    assert _emf_lines(capsys.readouterr().out) == []
