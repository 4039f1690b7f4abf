"""The local stack as a process of its own, on free ports: for the end-to-end tests and ``make load``.

``python -m chalicelib.local.stack`` (what ``make run`` starts) with ``PORT`` and ``LOCAL_AWS_PORT`` set, waited
for until ``/health`` answers, stopped with Ctrl-C as a person would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
START_WITHIN = 60.0
STOP_WITHIN = 30.0


class StackFailed(RuntimeError):
    """The stack exited early, did not answer ``/health`` in time, or did not stop on Ctrl-C."""


@dataclass
class Launched:
    base_url: str
    aws_endpoint: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/health", timeout=5) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def launched_stack(output: IO[bytes]) -> Iterator[Launched]:
    """Start the stack printing into ``output``; raises ``StackFailed`` when it does not start or stop."""
    port, aws_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "chalicelib.local.stack"], cwd=ROOT, env=env,
                               stdout=output, stderr=subprocess.STDOUT)
    stack = Launched(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", process)
    deadline = time.monotonic() + START_WITHIN
    while not healthy(stack.base_url):
        if process.poll() is not None:
            raise StackFailed("the local stack exited early")
        if time.monotonic() > deadline:
            process.kill()
            raise StackFailed(f"the local stack did not answer /health within {START_WITHIN:.0f} s")
        time.sleep(0.2)
    try:
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise StackFailed(f"Ctrl-C did not stop the local stack within {STOP_WITHIN:.0f} s") from None
