"""``make load``'s run, short: locust's users against a local stack of its own, and the reconciliation holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_a_short_load_run_accepts_every_kind_of_request_and_the_table_holds_each_exactly_once(tmp_path: Path):
    figures_path = tmp_path / "load.json"

    run = subprocess.run([sys.executable, "-m", "benchmarks.load", "--seconds", "20", "--users", "6",
                          "--json", str(figures_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    figures = json.loads(figures_path.read_text())
    found = figures["reconciliation"]
    assert figures["failures"] == 0 and figures["exceptions"] == [] and found["problems"] == []
    assert found["page_views"] > 0 and found["forms"] > 0 and found["accepts"] > 0 and found["survey_answers"] > 0
    assert figures["stream_caught_up_after_s"] is not None and "change stream caught up" in run.stdout
    assert "exactly once" in run.stdout and f"{figures['requests']} requests" in run.stdout


def test_the_load_stays_bounded():
    refused = subprocess.run([sys.executable, "-m", "benchmarks.load", "--seconds", "5000"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)

    assert refused.returncode == 2 and "bounded" in refused.stderr
