"""The cost model: DynamoDB and Lambda requests per page view and per lead, measured, priced at list prices.

Measured (moto in-process, counting every DynamoDB call the code makes, the change-stream consumers included):
visitors browse (each lands from a campaign and views ``PAGES_PER_VISIT`` pages in all), some send the form.
Priced with the list prices below (us-east-1, on-demand, as published by AWS; check them for your region):
capacity units are derived from the calls (a standard write of an item up to 1 KB is 1 WRU, a transactional one
2 per item; a consistent read of up to 4 KB 1 RRU, an eventually consistent one 0.5; a query's items are counted
at 0.5 RRU each, which over-counts small items). Lambda duration is the capture handler's measured median plus
the stream consumers' measured time per page view, on this machine at 512 MB: only an estimate of Lambda's,
which runs on other CPUs and bills at least 1 ms a call.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from typing import Any

from chalicelib.local.provision import PAGE_VIEWS_SOURCE, mapped_batches, stream_batch_size

PRICES = {  # USD, us-east-1, list prices as published (DynamoDB on-demand since November 2024)
    "api_gateway_rest_per_million": 3.50,
    "lambda_request_per_million": 0.20,
    "lambda_gb_second": 0.0000166667,
    "dynamodb_wru_per_million": 0.625,
    "dynamodb_rru_per_million": 0.125,
}
MEMORY_GB = 0.5
STREAM_BATCH = stream_batch_size()  # the change stream consumer's change events, from infra/template.json
VIEW_BATCH = stream_batch_size(PAGE_VIEWS_SOURCE)  # and its page views' (their own event source mapping)
VISITORS = 400
LEAD_EVERY = 20
PAGES_PER_VISIT = 4  # a landing and three pages inside the site
TENANT_SHARES = (2, 3, 5, 10, 25, 100)  # a tenant's page views in one batch of the page views' mapping


INDEXES = ("gsi1", "gsi2")


class Meter:
    """DynamoDB calls and the capacity units they cost, from the request parameters.

    A write also costs 1 WRU in each index the item is in, before or after it (``stored`` answers the item as
    the emulator holds it, by key): a put by the index keys it carries, an update or delete by the stored item's
    and by the index keys an update sets. Changing an item's index key costs 2 there; counted as 1."""

    def __init__(self, stored: Any = None) -> None:
        self.calls: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self.stored = stored or (lambda key: None)

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = model.name
        self.calls[name] += 1
        if name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.wru += 1 + self.index_writes(name.removesuffix("Item"), params)
        elif name == "BatchWriteItem":
            for requests in params.get("RequestItems", {}).values():
                for request in requests:
                    self.wru += 1 + sum(self.index_writes(kind, body) for kind, body in request.items()
                                        if kind in ("PutRequest", "DeleteRequest"))
        elif name == "TransactWriteItems":
            for item in params.get("TransactItems", []):
                self.wru += 2 + sum(self.index_writes(kind, body) for kind, body in item.items())
        elif name == "GetItem":
            self.rru += 1 if params.get("ConsistentRead") else 0.5
        elif name == "BatchGetItem":
            self.rru += 0.5 * sum(len(table["Keys"]) for table in params.get("RequestItems", {}).values())

    def index_writes(self, kind: str, request: dict[str, Any]) -> int:
        """Index writes of one write request (``Put``/``Update``/``Delete``, or a batch's ``PutRequest``)."""
        if kind.startswith("Put"):
            return sum(f"{index}pk" in request.get("Item", {}) for index in INDEXES)
        if kind.startswith(("Update", "Delete")):
            old = self.stored(request.get("Key", {})) or {}
            names = request.get("ExpressionAttributeNames", {}).values()
            sets = " ".join([request.get("UpdateExpression", ""), *names])
            return sum(f"{index}pk" in old or f"{index}pk" in sets for index in INDEXES)
        return 0  # a condition check writes nothing

    def after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "Query":
            self.rru += max(0.5, 0.5 * len(parsed.get("Items", [])))

    def take(self) -> tuple[dict[str, int], float, float]:
        taken = (dict(self.calls), self.wru, self.rru)
        self.calls.clear()
        self.wru = self.rru = 0.0
        return taken


def inside_event(vid: str, page: int) -> dict[str, Any]:
    """A page view inside the site (its referrer is the site): navigation, not a landing."""
    import json

    from benchmarks.bench import event

    body = json.dumps({"site": "demo", "vid": vid, "events": [{
        "type": "pageview", "title": "Produkter", "ref": "https://www.nordlys-solar.dk/priser",
        "url": f"https://www.nordlys-solar.dk/produkter/{page}"}]})
    return event("POST", "/collect", "/collect", {"Content-Type": "text/plain",
                                                  "Origin": "https://www.nordlys-solar.dk"}, body)


def overlapping_visits(records: list[dict[str, Any]], seed: int = 7) -> list[dict[str, Any]]:
    """The page views' records in the order of a stream where visits overlap: each visit starts at a random
    second of one hour and its pages follow a minute apart (a visitor's pages stay in order, as in a shard)."""
    import random

    chance = random.Random(seed)
    starts: dict[str, float] = {}
    seen: Counter[str] = Counter()
    timed: list[tuple[float, int, dict[str, Any]]] = []
    for record in records:
        visitor = record["dynamodb"]["Keys"]["pk"]["S"]
        start = starts.setdefault(visitor, chance.uniform(0, 3600))
        timed.append((start + 60 * seen[visitor], len(timed), record))
        seen[visitor] += 1
    return [record for _, _, record in sorted(timed)]


def measure(view_batch: int = VIEW_BATCH, overlapping: bool = False) -> dict[str, Any]:
    """The figures, with the page views' stream records handed to the consumers ``view_batch`` at a time (1: every
    page view on its own, as when a full batch holds no other page view of its tenant; Lambda requests are still
    priced at full batches, of other tenants' page views). With ``overlapping`` the visits' page views come in
    the order of ``overlapping_visits``, so ``view_batch`` is the tenant's share of a batch: the pages of a visit
    mostly fall in different batches, and the landings of one batch are counted together."""
    import boto3
    from moto import mock_aws

    from benchmarks.bench import collect_event, demo_wiring, form_event

    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]

        def stored(key: dict[str, Any]) -> dict[str, Any] | None:
            item = backend.get_item("cost-journey", key) if key else None
            return None if item is None else dict(item.attrs)

        meter = Meter(stored)
        client.meta.events.register("before-parameter-build.dynamodb.*", meter.before)
        client.meta.events.register("after-call.dynamodb.*", meter.after)
        from chalicelib import bootstrap

        wiring = demo_wiring(client, "cost-journey")
        bootstrap.use(wiring)
        from app import app
        from chalicelib.local import emulator
        from chalicelib.observability import logger

        emulator.snapshot_touched_items()
        emulator.query_one_partition()
        logger.setLevel("WARNING")
        shard = backend.get_table("cost-journey").stream_shard
        assert shard is not None, "the journey table has no stream"
        position = len(shard.items)

        consumer_seconds = [0.0]

        def drain(batch: int = VIEW_BATCH, overlapping: bool = False) -> tuple[int, int]:
            """Every stream record until none is left (the consumers' own writes are records too), as the two
            event source mappings' filters take them: page views' inserts ``batch`` at a time, change events 25 at
            a time (the other records no mapping takes). Answers (page view records, change event records)."""
            nonlocal position
            handled = [0, 0]
            while records := [record.to_json() for record in shard.items[position:]]:
                position += len(records)
                if overlapping:  # the page views of the visits, as they come (the consumers' writes after them)
                    records, overlapping = overlapping_visits(records), False
                for mapping, part in mapped_batches(records, {PAGE_VIEWS_SOURCE: batch}):
                    began = time.perf_counter()  # the consumer's time only: Lambda does the filtering
                    wiring.change_stream.handle_batch({"Records": part})
                    consumer_seconds[0] += time.perf_counter() - began
                    handled[0 if mapping == PAGE_VIEWS_SOURCE else 1] += len(part)
            return handled[0], handled[1]

        app(collect_event("warmupcost000001"), None)  # warm: the site lookup is cached, as in a warm Lambda
        app(form_event("warmup@cost.dk", "warmupcost000001"), None)
        drain()
        meter.take()
        views_made = PAGES_PER_VISIT * VISITORS
        capture_ms: list[float] = []
        for visitor in range(VISITORS):
            vid = f"costvisitor{visitor:06d}"
            for page in range(PAGES_PER_VISIT):
                request = collect_event(vid) if page == 0 else inside_event(vid, page)
                began = time.perf_counter()
                app(request, None)
                capture_ms.append((time.perf_counter() - began) * 1000)
        capture = meter.take()
        consumer_seconds[0] = 0.0
        view_records, other_records = drain(view_batch, overlapping)
        stream_seconds = consumer_seconds[0]
        consumed = meter.take()
        folded = fold_the_day(wiring.repositories.table, meter)  # the sweep's sum of the day's landing rows
        leads = 0
        form_ms: list[float] = []
        for visitor in range(0, VISITORS, LEAD_EVERY):
            began = time.perf_counter()
            answer = app(form_event(f"kunde{visitor}@cost.dk", f"costvisitor{visitor:06d}"), None)
            form_ms.append((time.perf_counter() - began) * 1000)
            assert answer["statusCode"] == 201, answer
            leads += 1
        form = meter.take()
        records = sum(drain())
        form_consumed = meter.take()
        bootstrap.use(None)
    views = views_made
    return {
        "views": views, "leads": leads,
        "view_calls": {name: count / views for name, count in capture[0].items()},
        "view_wru": capture[1] / views, "view_rru": capture[2] / views,
        "view_stream_wru": (consumed[1] + folded[1]) / views, "view_stream_rru": (consumed[2] + folded[2]) / views,
        "fold_wru": folded[1], "fold_rru": folded[2],
        "view_records_per_view": view_records / views_made, "other_records_per_view": other_records / views_made,
        "capture_ms": statistics.median(capture_ms),
        "stream_ms_per_view": stream_seconds * 1000 / views,
        "lead_wru": (form[1] + form_consumed[1]) / leads, "lead_rru": (form[2] + form_consumed[2]) / leads,
        "lead_stream_records": records / leads, "form_ms": statistics.median(form_ms),
    }


def fold_the_day(table: Any, meter: Meter) -> tuple[dict[str, int], float, float]:
    """The sweep folding today's landing rows as it will once the day is old enough, in its steady state (the
    other days it looks at are done), metered: (calls, WRU, RRU). Every page view of the model is one tenant's
    day, so its sum is one put; the day's marks (one a shard) are shared by every tenant and counted whole."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.dynamo.funnel import FOLD_AFTER, FOLD_BACK, DynamoFunnel
    from chalicelib.adapters.dynamo.table import keyed

    now = datetime.now(UTC)
    for back in range(1, FOLD_BACK - FOLD_AFTER + 1):
        for shard in range(keys.LANDING_SHARDS):
            table.put(keyed(keys.landings_folded((now - timedelta(days=back)).date().isoformat(), shard)))
    meter.take()
    DynamoFunnel(table, clock=lambda: now + timedelta(days=FOLD_AFTER)).fold_landings()
    return meter.take()


def per_million_views(figures: dict[str, Any], through_api_gateway: bool) -> dict[str, float]:
    million = 1_000_000
    invocations = million * (1 + figures["view_records_per_view"] / VIEW_BATCH
                             + figures["other_records_per_view"] / STREAM_BATCH)
    cost = {
        "api_gateway": PRICES["api_gateway_rest_per_million"] if through_api_gateway else 0.0,
        "lambda_requests": invocations / million * PRICES["lambda_request_per_million"],
        "lambda_duration": million * (figures["capture_ms"] + figures["stream_ms_per_view"]) / 1000 * MEMORY_GB
        * PRICES["lambda_gb_second"],
        "dynamodb": (figures["view_wru"] + figures["view_stream_wru"]) * PRICES["dynamodb_wru_per_million"]
        + (figures["view_rru"] + figures["view_stream_rru"]) * PRICES["dynamodb_rru_per_million"],
    }
    cost["total"] = sum(cost.values())
    return cost


def per_thousand_leads(figures: dict[str, Any]) -> float:
    thousand = 1000
    return (thousand * PRICES["api_gateway_rest_per_million"] / 1e6
            + thousand * (1 + math.ceil(figures["lead_stream_records"]) / STREAM_BATCH) * PRICES[
                "lambda_request_per_million"] / 1e6
            + thousand * figures["form_ms"] / 1000 * MEMORY_GB * PRICES["lambda_gb_second"]
            + thousand * figures["lead_wru"] * PRICES["dynamodb_wru_per_million"] / 1e6
            + thousand * figures["lead_rru"] * PRICES["dynamodb_rru_per_million"] / 1e6)


def report() -> list[str]:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        figures = measure()
        alone = measure(view_batch=1)
        shares = {share: per_million_views(measure(view_batch=share, overlapping=True), False)
                  for share in TENANT_SHARES}
    before, after = per_million_views(figures, True), per_million_views(figures, False)
    worst = per_million_views(alone, False)
    return [
        f"  cost model ({figures['views']} page views of {VISITORS} visitors, {figures['leads']} leads; "
        "list prices us-east-1)",
        f"    per page view: capture {figures['view_wru']:.2f} WRU {figures['view_rru']:.2f} RRU, "
        f"stream consumers {figures['view_stream_wru']:.2f} WRU {figures['view_stream_rru']:.2f} RRU, "
        f"{figures['view_records_per_view'] + figures['other_records_per_view']:.2f} stream records "
        f"({VIEW_BATCH} page views or {STREAM_BATCH} others an invocation); handler {figures['capture_ms']:.2f} ms, "
        f"consumers {figures['stream_ms_per_view']:.2f} ms "
        f"{ {name: round(value, 2) for name, value in figures['view_calls'].items()} }",
        f"    per 1M page views through API Gateway   ${before['total']:7.2f}  "
        + "  ".join(f"{name} {value:.2f}" for name, value in before.items() if name != "total"),
        f"    per 1M page views through the capture URL ${after['total']:5.2f}  "
        + "  ".join(f"{name} {value:.2f}" for name, value in after.items() if name != "total"),
        f"    with every page view alone among its tenant's in a full batch: consumers "
        f"{alone['view_stream_wru']:.2f} WRU {alone['view_stream_rru']:.2f} RRU, "
        f"{alone['stream_ms_per_view']:.2f} ms per page view",
        f"    per 1M page views through the capture URL, so alone ${worst['total']:5.2f}  "
        + "  ".join(f"{name} {value:.2f}" for name, value in worst.items() if name != "total"),
        "    per 1M page views through the capture URL, visits overlapping, by the tenant's page views per batch: "
        + "  ".join(f"{share}: ${cost['total']:.2f} (DynamoDB {cost['dynamodb']:.2f})"
                    for share, cost in shares.items()),
        f"    per lead: {figures['lead_wru']:.1f} WRU {figures['lead_rru']:.1f} RRU, "
        f"{figures['lead_stream_records']:.1f} stream records, form {figures['form_ms']:.1f} ms; "
        f"per 1,000 leads ${per_thousand_leads(figures):.4f}",
    ]


if __name__ == "__main__":
    print("\n".join(report()))
