"""A cold start of the capture path leaves pydantic's model layer unloaded (pydantic-core validates).

Each test is a fresh Python process, as a new Lambda is: it imports the app and answers one page view
against a moto server, then reports which modules it loaded.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.dynamo import Repositories
from chalicelib.domain.capture import Site
from chalicelib.local.provision import create_tables
from chalicelib.services.ports import Tenant
from chalicelib.services.tenancy import register_tenant
from tests.conftest import DEMO_ORIGIN, load_event

ROOT = Path(__file__).resolve().parents[2]

FIRST_REQUEST = """
import json, sys
from app import app
answer = app(json.loads(sys.argv[1]), None)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("pydantic", "pydantic_core", "jinja2"))
print("COLD " + json.dumps({"status": answer["statusCode"], "body": answer["body"], "loaded": loaded}))
"""


@pytest.fixture(scope="module")
def moto_server() -> Iterator[tuple[str, str]]:
    """A moto server with the demo site in a fresh table: the endpoint and the table name."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint, table_name = f"http://{host}:{port}", f"cold-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint)
    create_tables(client, {"JourneyTable": table_name})
    register_tenant(Repositories(table_name, client).tenancy, Tenant("demo", "Nordlys Solar ApS", "da"),
                    [Site("demo", "demo", (DEMO_ORIGIN,), "da")], ["cold-admin-key"])
    try:
        yield endpoint, table_name
    finally:
        server.stop()


def first_request(moto_server: tuple[str, str], request: dict[str, Any]) -> dict[str, Any]:
    """One fresh process, set up as a deployed prod function: import the app, answer ``request``."""
    endpoint, table_name = moto_server
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("POWERTOOLS_")}
    env = {**inherited, "STAGE": "prod", "AWS_LAMBDA_FUNCTION_NAME": "leadtrail-prod", "LINK_SECRET": "cold-secret",
           "DEMO_SITE": "", "TABLE_NAME": table_name, "AWS_ENDPOINT_URL": endpoint,
           "POWERTOOLS_SERVICE_NAME": "leadtrail", "POWERTOOLS_METRICS_NAMESPACE": "Leadtrail"}
    done = subprocess.run([sys.executable, "-c", FIRST_REQUEST, json.dumps(request)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    report = [line for line in done.stdout.splitlines() if line.startswith("COLD ")]
    assert report, done.stdout[-2000:]
    return dict(json.loads(report[-1][len("COLD "):]))


def stored_pageviews(moto_server: tuple[str, str], visitor_id: str) -> int:
    endpoint, table_name = moto_server
    client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=endpoint)
    items = client.scan(TableName=table_name)["Items"]
    return sum(1 for item in items if visitor_id in json.dumps(item) and "pageview" in json.dumps(item))


def test_a_cold_start_answering_one_collect_never_loads_pydantic(moto_server: tuple[str, str]):
    # Given the sample POST /collect from a visitor this table has never seen
    request = load_event("collect")
    visitor_id = f"vCold{uuid.uuid4().hex[:12]}"
    request["body"] = request["body"].replace("vSampleVisitor0001", visitor_id)

    # When a fresh process imports the app and answers it
    cold = first_request(moto_server, request)

    # Then the page view is stored, checked by pydantic-core alone: no pydantic, no Jinja2
    assert (cold["status"], json.loads(cold["body"])) == (202, {"accepted": 1, "rejected": 0})
    assert stored_pageviews(moto_server, visitor_id) == 1
    assert "pydantic_core" in cold["loaded"]
    assert [name for name in cold["loaded"] if not name.startswith("pydantic_core")] == []


def test_a_cold_start_refusing_a_bad_collect_never_loads_pydantic(moto_server: tuple[str, str]):
    # Given a batch whose only event has no web address
    request = load_event("collect")
    request["body"] = json.dumps({"site": "demo", "vid": f"vCold{uuid.uuid4().hex[:12]}",
                                  "events": [{"type": "pageview", "url": "javascript:alert(1)"}]})

    # When a fresh process answers it
    cold = first_request(moto_server, request)

    # Then the event is rejected on its own, still without pydantic
    assert (cold["status"], json.loads(cold["body"])) == (202, {"accepted": 0, "rejected": 1})
    assert [name for name in cold["loaded"] if not name.startswith("pydantic_core")] == []


def test_a_cold_start_answering_one_pixel_never_loads_pydantic(moto_server: tuple[str, str]):
    # Given the sample GET /t.gif
    request = load_event("pixel")
    visitor_id = f"vCold{uuid.uuid4().hex[:12]}"
    request["queryStringParameters"] = {**request["queryStringParameters"], "vid": visitor_id}
    request["multiValueQueryStringParameters"] = {name: [value]
                                                  for name, value in request["queryStringParameters"].items()}

    # When a fresh process answers it
    cold = first_request(moto_server, request)

    # Then the GIF is served and the page view stored, without pydantic
    assert cold["status"] == 200
    assert stored_pageviews(moto_server, visitor_id) == 1
    assert [name for name in cold["loaded"] if not name.startswith("pydantic_core")] == []
