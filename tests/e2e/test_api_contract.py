"""The running API keeps to its own OpenAPI document: schemathesis over every operation of ``GET /openapi.json``.

A local stack of its own (``make run``'s, on free ports) is fuzzed by schemathesis's command line: its examples,
coverage, fuzzing and stateful phases, a bounded number of examples per operation and a fixed seed, so a run is
repeatable. It fails on any 5xx, any status code, content type or body the document does not name, and any refusal
(4xx) that changed the table (``tests/e2e/contract_hooks.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import contract_hooks
from tests.e2e.conftest import ROOT, started_stack

pytestmark = pytest.mark.e2e

EXAMPLES = 10  # per operation and phase; a run over all of them takes a few minutes on this machine
SEED = 20261206
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "refusal_changes_nothing")
KEY = "demo-admin-key"
RESELLER = "contract-reseller-7q2x"


def test_the_running_api_keeps_to_its_openapi_document_and_no_refusal_changes_data(tmp_path: Path):
    with started_stack() as stack:
        with urllib.request.urlopen(stack.base_url + "/openapi.json", timeout=10) as answer:
            document = json.load(answer)
        operations = sum(len(methods) for methods in document["paths"].values())
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.contract_hooks", "PYTHONPATH": str(ROOT),
               "CONTRACT_BASE_URL": stack.base_url, "CONTRACT_AWS_ENDPOINT": stack.aws_endpoint,
               "CONTRACT_TABLE": "leadtrail-local", "CONTRACT_KEY": KEY, "NO_COLOR": "1",
               "CONTRACT_RESELLER_KEY": _reseller_key(stack.base_url)}
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", stack.base_url + "/openapi.json",
             "--header", f"Authorization: Bearer {KEY}", "--checks", ",".join(CHECKS),
             "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--continue-on-failure",
             "--report", "junit", "--report-dir", str(tmp_path)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed[-8000:]
    tested = re.search(r"Tested:\s+(\d+)", printed)
    assert tested is not None, printed[-3000:]
    # Every operation of the document was sent (the OPTIONS preflights count as their own operations).
    assert int(tested.group(1)) >= operations - 1, printed[-3000:]
    assert re.search(r"(\d+) generated, \1 passed", printed), printed[-3000:]


def _reseller_key(base_url: str) -> str:
    """A reseller of the demo tenant, with leads of its own to answer for, and its key."""
    def call(method: str, path: str, body: Any, key: str = KEY) -> Any:
        request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method=method, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    call("POST", "/admin/resellers", {"reseller_id": RESELLER, "name": "Kontrakt ApS",
                                      "contacts": ["kontrakt@forhandler.dk"], "language": "da"})
    key = str(call("POST", f"/admin/resellers/{RESELLER}/keys", {})["api_key"])
    call("POST", "/reseller/leads", {"email": "kunde@kontrakt-kunde.dk", "name": "Kurt Kunde"}, key=key)
    return key


def test_a_refusal_that_leaves_an_item_behind_is_named(monkeypatch: pytest.MonkeyPatch):
    before = {("T#demo#LEAD#1", "META"): "{}", ("REJECTED#2026-12-06#3", "x"): "{}"}
    after = {**before, ("T#demo#LEAD#2", "META"): "{}", ("T#demo#REJECTCAP#2026-12-06", "h"): "{}"}
    after[("T#demo#LEAD#1", "META")] = '{"changed": true}'

    assert contract_hooks.changes(before, after) == ["T#demo#LEAD#1 / META (changed)", "T#demo#LEAD#2 / META (added)"]
    assert contract_hooks.changes(after, before) == ["T#demo#LEAD#1 / META (changed)",
                                                     "T#demo#LEAD#2 / META (removed)"]
    assert contract_hooks.changes(before, dict(before)) == []


def test_the_reseller_routes_are_sent_with_the_resellers_key_and_the_others_with_the_admin_key(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTRACT_RESELLER_KEY", "reseller-key")
    monkeypatch.setattr(contract_hooks, "snapshot", dict)

    class Case:
        def __init__(self, path: str):
            self.path = path
            self.headers: dict[str, str] | None = {"Authorization": f"Bearer {KEY}"}

    sent = {}
    for path in ("/reseller/leads/{lead_id}", "/leads/{lead_id}", "/admin/resellers"):
        case, kwargs = Case(path), {"headers": {"Authorization": f"Bearer {KEY}"}}
        contract_hooks.before_call(None, case, kwargs)
        sent[path] = (case.headers or {}).get("Authorization"), kwargs["headers"]["Authorization"]

    assert sent == {"/reseller/leads/{lead_id}": ("Bearer reseller-key", "Bearer reseller-key"),
                    "/leads/{lead_id}": (f"Bearer {KEY}", f"Bearer {KEY}"),
                    "/admin/resellers": (f"Bearer {KEY}", f"Bearer {KEY}")}
