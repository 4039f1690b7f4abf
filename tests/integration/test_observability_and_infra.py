"""Ops: metrics in EMF, correlated logs, and the deploy template's promises."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from chalicelib.local.provision import template
from tests.conftest import DEMO_ORIGIN, Api, load_event


def _emf(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]
    return lines


def _metric_values(output: str, name: str, **dimensions: str) -> float:
    total = 0.0
    for line in _emf(output):
        if name in line and all(line.get(key) == value for key, value in dimensions.items()):
            values = line[name]
            total += sum(values) if isinstance(values, list) else values
    return total


def test_page_views_rejections_leads_and_spam_are_counted(api: Api, capsys: pytest.CaptureFixture[str]):
    body = {"site": "demo", "vid": "vMetrics0000001", "events": [
        {"type": "pageview", "url": "https://www.nordlys-solar.dk/"},
        {"type": "pageview", "url": "ftp://nope"},
    ]}
    headers = {"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}
    api.client.http.post("/collect", headers=headers, body=json.dumps(body))
    api.client.http.post("/collect", headers=headers, body="not json")
    form_headers = {"Content-Type": "application/json", "Origin": DEMO_ORIGIN}
    api.client.http.post("/forms/demo", headers=form_headers, body=json.dumps({"email": "metric@firma.dk"}))
    api.client.http.post("/forms/demo", headers=form_headers,
                         body=json.dumps({"email": "bot@spam.example", "_gotcha": "x"}))

    output = capsys.readouterr().out
    assert _metric_values(output, "PageViews") == 1
    assert _metric_values(output, "RejectedInput", reason="invalid_event") == 1
    assert _metric_values(output, "RejectedInput", reason="malformed_json") == 1
    assert _metric_values(output, "LeadsCreated") == 1
    assert _metric_values(output, "Spam") == 1
    assert all(line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Leadtrail" for line in _emf(output))


def test_every_log_line_of_a_request_carries_its_correlation_id(api: Api):
    from app import app
    from chalicelib.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    try:
        app(load_event("health"), None)
    finally:
        logger._logger.removeHandler(handler)
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert logs, "the request wrote no structured log line"
    assert {line.get("correlation_id") for line in logs} == {"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}


def test_the_journey_table_is_on_demand_recoverable_and_expires_old_items():
    table = template()["Resources"]["JourneyTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # gsi1: leads by stage, hand-overs due; gsi2: a tenant's leads newest first (keys.py has the table)
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]


def test_the_api_role_is_least_privilege():
    statements = template()["Resources"]["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = [action for statement in statements for action in statement["Action"]]
    assert not [action for action in actions if action.endswith(":*") or action == "*"]
    table_statement = next(statement for statement in statements if statement["Sid"] == "JourneyTable")
    assert table_statement["Resource"][0] == {"Fn::GetAtt": ["JourneyTable", "Arn"]}
    assert "dynamodb:Scan" not in actions and "dynamodb:DeleteTable" not in actions


ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "out" / "deployment.zip"
RUNTIME_OWNED = {"boto3", "botocore", "s3transfer"}


def _runtime_requirements() -> set[str]:
    """Every distribution ``chalice package`` vendors: requirements.txt and what they require in turn."""
    pending = [Requirement(line.split("#")[0].strip()) for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.split("#")[0].strip()]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        pending.extend(Requirement(text) for text in metadata.requires(name) or [])
    return seen


def test_the_package_leaves_boto3_and_botocore_to_the_lambda_runtime():
    vendored = _runtime_requirements()
    assert "aws-lambda-powertools" in vendored, "the dependency walk found nothing"
    assert not vendored & (RUNTIME_OWNED | {"aws-xray-sdk"})


@pytest.mark.skipif(not PACKAGE.exists(), reason="out/deployment.zip is built by `make package` (run by `make test`)")
def test_the_built_package_is_small_vendors_no_botocore_and_its_template_validates():
    with zipfile.ZipFile(PACKAGE) as package:
        top_level = {name.split("/")[0] for name in package.namelist()}
    assert "app.py" in top_level and "chalicelib" in top_level
    assert not top_level & (RUNTIME_OWNED | {"aws_xray_sdk"})
    assert PACKAGE.stat().st_size < 10_000_000
    packaged = json.loads((PACKAGE.parent / "sam.json").read_text())["Resources"]
    functions = [resource for resource in packaged.values() if resource["Type"] == "AWS::Serverless::Function"]
    assert functions and all(function["Properties"]["Tracing"] == "Active" for function in functions)
    # The merge keeps both of the stream consumer's mappings, each with its filter.
    stream_events = packaged["ChangeStream"]["Properties"]["Events"]
    assert sorted(stream_events) == ["ChangeStreamDynamodbEventSource", "PageViewStreamDynamodbEventSource"]
    assert all(event["Properties"]["FilterCriteria"]["Filters"] for event in stream_events.values())
    lint = subprocess.run([Path(sys.executable).parent / "cfn-lint", PACKAGE.parent / "sam.json"],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_traced_request_is_answered_without_the_xray_sdk():
    # As in a deployed function with tracing on, but with the SDK impossible to import.
    script = """
import sys
sys.modules["aws_xray_sdk"] = None
import json
from app import app
from chalicelib.observability import traced
answer = app(json.load(open("events/health.json")), None)
assert answer["statusCode"] == 200, answer
assert traced(lambda: 42)() == 42
assert sys.modules["aws_xray_sdk"] is None
"""
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "false", "LAMBDA_TASK_ROOT": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
