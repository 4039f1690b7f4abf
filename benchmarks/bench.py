"""``make bench``: measured figures for the capture hot path, DynamoDB request counts and cold import.

Everything runs in-process against moto, so absolute numbers describe this machine and moto, not
AWS; the ratios against a bare ``put_item`` and a bare ``import boto3`` in the same run are the
figures to compare across machines.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1", POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING", TABLE_NAME="bench-journey",
)
os.environ.pop("AWS_ENDPOINT_URL", None)

PAGEVIEWS = int(os.environ.get("BENCH_PAGEVIEWS", "2000"))
IMPORT_RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "9"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers roughly)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        kind, inner = next(iter(value.items()))
        if kind == "S":
            size += len(inner.encode())
        elif kind == "N":
            size += len(inner) // 2 + 1
        else:
            size += len(json.dumps(inner).encode())
    return size


def event(method: str, resource: str, path: str, headers: dict[str, str], body: str | None = None,
          path_params: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": path_params, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path, "stage": "api",
                           "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "198.51.100.23"}},
        "body": body, "isBase64Encoded": False,
    }


def collect_event(vid: str, count: int = 1) -> dict[str, Any]:
    events = [{"type": "pageview", "title": "Priser", "ref": "https://www.google.com/",
               "url": f"https://www.nordlys-solar.dk/priser?utm_source=google&utm_medium=cpc&utm_campaign=q4&n={i}"}
              for i in range(count)]
    body = json.dumps({"site": "demo", "vid": vid, "events": events})
    return event("POST", "/collect", "/collect",
                 {"Content-Type": "text/plain", "Origin": "https://www.nordlys-solar.dk"}, body)


def form_event(email: str, vid: str) -> dict[str, Any]:
    body = json.dumps({"email": email, "name": "Mette", "et_vid": vid, "message": "Tilbud, tak"})
    return event("POST", "/forms/{site}", "/forms/demo",
                 {"Content-Type": "application/json", "Origin": "https://www.nordlys-solar.dk"}, body,
                 {"site": "demo"})


def in_process() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))

        from chalicelib import bootstrap
        from chalicelib.adapters.dynamo_store import DynamoJourneyStore
        from chalicelib.domain.capture import Site
        from chalicelib.local.provision import create_tables
        from chalicelib.services.ports import Tenant
        from chalicelib.services.tenancy import register_tenant
        from chalicelib.settings import Settings

        create_tables(client, {"JourneyTable": "bench-journey"})
        store = DynamoJourneyStore("bench-journey", client)
        register_tenant(store, Tenant("demo", "Demo"), [Site("demo", "demo", ("https://www.nordlys-solar.dk",))],
                        ["bench-key"])
        bootstrap.use(bootstrap.Container(settings=Settings(table_name="bench-journey"), store_override=store))
        from app import app
        from chalicelib.observability import logger

        logger.setLevel("WARNING")

        # Warm up: the site lookup is cached after the first page view, as in a warm Lambda.
        app(collect_event("warmup000000"), None)

        handler_ms: list[float] = []
        put_ms: list[float] = []
        calls.clear()
        started = time.perf_counter()
        for index in range(PAGEVIEWS):
            request = collect_event(f"visitor{index:08d}")
            began = time.perf_counter()
            answer = app(request, None)
            handler_ms.append((time.perf_counter() - began) * 1000)
            assert answer["statusCode"] == 202, answer
        elapsed = time.perf_counter() - started
        pageview_calls = dict(calls)

        for index in range(PAGEVIEWS):
            item = {"pk": {"S": f"BARE#{index}"}, "sk": {"S": "X"}, "u": {"S": "https://www.nordlys-solar.dk/"}}
            began = time.perf_counter()
            client.put_item(TableName="bench-journey", Item=item)
            put_ms.append((time.perf_counter() - began) * 1000)

        calls.clear()
        app(collect_event("batchvisitor01", 25), None)
        batch_calls = dict(calls)

        sample = client.query(TableName="bench-journey", KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": {"S": "T#demo#V#visitor00000001"}})["Items"][0]

        # The demo journey: every form submission also starts a hand-over (round-robin turn + same write).
        from chalicelib.domain.journey import JourneyDefinition
        from chalicelib.local.seed import DEMO_JOURNEY

        store.save_journey("demo", JourneyDefinition.model_validate(DEMO_JOURNEY).model_dump(mode="json"),
                           "2026-01-01T00:00:00.000Z")
        app(form_event("warmup@firma.dk", "warmupvisitor01"), None)  # a warm Lambda has the journey cached
        vid = "formvisitor0001"
        app(collect_event(vid, 3), None)
        calls.clear()
        answer = app(form_event("mette@hansen-aps.dk", vid), None)
        assert answer["statusCode"] == 201, answer
        new_form_calls = dict(calls)
        calls.clear()
        app(form_event("Mette@Hansen-ApS.dk", vid), None)
        returning_form_calls = dict(calls)
        bootstrap.use(None)

    return {
        "pageviews": PAGEVIEWS,
        "events_per_s": PAGEVIEWS / elapsed,
        "handler_p50": statistics.median(handler_ms),
        "handler_p99": percentile(handler_ms, 0.99),
        "put_p50": statistics.median(put_ms),
        "put_p99": percentile(put_ms, 0.99),
        "pageview_calls": pageview_calls,
        "batch_calls": batch_calls,
        "new_form_calls": new_form_calls,
        "returning_form_calls": returning_form_calls,
        "item_bytes": item_size(sample),
    }


def cold_import(code: str) -> float:
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "false"}
    times = []
    for _ in range(IMPORT_RUNS):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    with contextlib.redirect_stdout(io.StringIO()):  # EMF metric lines are printed to stdout
        figures = in_process()
    floor = cold_import("import boto3; boto3.client('dynamodb', region_name='eu-west-1')")
    app_import = cold_import("import app")
    with_tracer = cold_import("import app; from chalicelib.observability import tracer; tracer()")
    bare = cold_import("pass")

    def total(calls: dict[str, int]) -> int:
        return sum(calls.values())

    print(f"Leadtrail benchmark ({sys.version.split()[0]}, moto in-process, {figures['pageviews']} page views)")
    print(f"  page views/s through the handler          {figures['events_per_s']:8.0f}")
    print(f"  handler latency p50 / p99 (ms)            {figures['handler_p50']:8.2f} / {figures['handler_p99']:.2f}")
    print(f"  bare put_item p50 / p99 (ms)              {figures['put_p50']:8.2f} / {figures['put_p99']:.2f}")
    print(f"  handler / put_item, p50                   {figures['handler_p50'] / figures['put_p50']:8.2f}x")
    print(f"  DynamoDB requests per page view           {total(figures['pageview_calls']) / figures['pageviews']:8.2f}"
          f"   {figures['pageview_calls']}")
    print(f"  page view item size (bytes)               {figures['item_bytes']:8d}")
    print(f"  DynamoDB requests per collect batch (25)  {total(figures['batch_calls']):8d}   {figures['batch_calls']}")
    print(f"  DynamoDB requests per form (new lead + hand-over)  {total(figures['new_form_calls']):3d}"
          f"   {figures['new_form_calls']}")
    print(f"  DynamoDB requests per form (returning)    {total(figures['returning_form_calls']):8d}"
          f"   {figures['returning_form_calls']}")
    print(f"  cold import, median of {IMPORT_RUNS} fresh processes (ms):")
    print(f"    python alone                            {bare:8.0f}")
    print(f"    import boto3 + one client (floor)       {floor:8.0f}")
    print(f"    import app                              {app_import:8.0f}   ratio {app_import / floor:.2f}x")
    print(f"    import app + build the X-Ray tracer     {with_tracer:8.0f}   ratio {with_tracer / floor:.2f}x")


if __name__ == "__main__":
    main()
