"""The local stack (exactly what ``make run`` starts) and a headless Chromium to drive it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.local.launch import StackFailed, free_port, launched_stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class LocalStack:
    base_url: str
    process: subprocess.Popen[str]
    aws_endpoint: str = ""
    lines: list[str] = field(default_factory=list)

    def dynamodb(self) -> Any:
        """The emulator's DynamoDB, to see what the API does not show (such as a page view's expiry)."""
        return boto3.client("dynamodb", endpoint_url=self.aws_endpoint, region_name="eu-west-1",
                            aws_access_key_id="local", aws_secret_access_key="local")

    def output(self) -> str:
        """Everything the stack printed so far (request log, e-mails), read continuously so it never blocks."""
        return "".join(self.lines)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def get(self, path: str, key: str | None = "demo-admin-key") -> tuple[int, Any]:
        request = urllib.request.Request(self.base_url + path)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    port, aws_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.stack"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    stack = LocalStack(base_url=f"http://127.0.0.1:{port}", process=process,
                       aws_endpoint=f"http://127.0.0.1:{aws_port}")
    reader = threading.Thread(target=stack._read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            reader.join(timeout=5)
            pytest.fail(f"the local stack exited early:\n{stack.output()}")
        try:
            if stack.get("/health", key=None)[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the local stack did not answer /health within 60 s")
    yield stack
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("Ctrl-C did not stop the local stack within 15 s")
    reader.join(timeout=15)
    output = stack.output()
    assert code == 0, output
    assert "Local stack stopped." in output


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("LEADTRAIL_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (LEADTRAIL_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS[1:], headless=True)
        yield launched
        launched.close()


@pytest.fixture(params=["phone", "desktop"])
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    """A fresh browser page at a phone viewport and at a desktop one (each test runs at both)."""
    context = browser.new_context(viewport=PHONE if request.param == "phone" else DESKTOP)
    opened = context.new_page()
    opened.viewport_name = request.param
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot as a test artefact: test-artifacts/screenshots/<name>-<viewport>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{getattr(page, 'viewport_name', 'page')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class OwnStack:
    """A stack process of a test module's own: its table holds only the seed and what that module sent."""

    base_url: str
    aws_endpoint: str
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS in /proc/<pid>/status")

    def dynamodb(self) -> Any:
        return boto3.client("dynamodb", endpoint_url=self.aws_endpoint, region_name="eu-west-1",
                            aws_access_key_id="local", aws_secret_access_key="local")

    def streams(self) -> Any:
        return boto3.client("dynamodbstreams", endpoint_url=self.aws_endpoint, region_name="eu-west-1",
                            aws_access_key_id="local", aws_secret_access_key="local")



@contextmanager
def started_stack() -> Iterator[OwnStack]:
    """Start ``python -m chalicelib.local.stack`` on free ports, wait for /health, stop it with Ctrl-C after."""
    with tempfile.TemporaryFile() as output:
        def printed() -> str:
            output.seek(0)
            return output.read().decode(errors="replace")[-4000:]

        try:
            with launched_stack(output) as launched:
                yield OwnStack(launched.base_url, launched.aws_endpoint, launched.process)
        except StackFailed as failure:
            pytest.fail(f"{failure}:\n{printed()}")
