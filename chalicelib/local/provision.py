"""Creates the tables of ``infra/template.json`` on an AWS endpoint (moto, locally and in tests).

The CloudFormation template is the one source of truth: the local stack and the tests build their
tables from the same resource definitions that production deploys.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.json"
# CloudFormation properties that CreateTable does not take; they are applied by their own calls.
_SEPARATE = {"TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification", "Tags"}


def template() -> dict[str, Any]:
    return dict(json.loads(TEMPLATE.read_text()))


def table_definitions() -> dict[str, dict[str, Any]]:
    """Logical id → properties of every DynamoDB table in the template."""
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template()["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }


CHANGE_EVENTS_SOURCE = "ChangeStreamDynamodbEventSource"  # timeline events' inserts, retention marks' removals
PAGE_VIEWS_SOURCE = "PageViewStreamDynamodbEventSource"  # page views' inserts, in larger, slower batches


@functools.cache
def stream_sources() -> dict[str, dict[str, Any]]:
    """The change stream consumer's event source mappings in the template: name → properties (read once)."""
    return {name: event["Properties"] for resource in template()["Resources"].values()
            for name, event in resource.get("Properties", {}).get("Events", {}).items()
            if event.get("Type") == "DynamoDB"}


def stream_mapping_of(record: dict[str, Any]) -> str | None:
    """The event source mapping whose filters take this stream record, matched as Lambda matches them (moto's
    event pattern matcher); None when no mapping takes it (Lambda drops it, unbilled). For the local stack, the
    tests and the cost model: moto is not in the Lambda package."""
    plain = json.loads(json.dumps(record, default=str))
    for name, patterns in _stream_filters().items():
        if any(pattern.matches_event(plain) for pattern in patterns):
            return name
    return None


def mapped_batches(records: list[dict[str, Any]], sizes: dict[str, int] | None = None
                   ) -> list[tuple[str, list[dict[str, Any]]]]:
    """The records as the two mappings would hand them to the consumer, as (mapping, batch): only those a filter
    takes, each mapping's in stream order and in batches of its size (or of ``sizes[mapping]``); change events
    first (page views wait longer for their batch)."""
    taken: dict[str, list[dict[str, Any]]] = {CHANGE_EVENTS_SOURCE: [], PAGE_VIEWS_SOURCE: []}
    for record in records:
        mapping = stream_mapping_of(record)
        if mapping is not None:
            taken.setdefault(mapping, []).append(record)
    batches = []
    for mapping, part in taken.items():
        size = (sizes or {}).get(mapping) or stream_batch_size(mapping)
        batches += [(mapping, part[start:start + size]) for start in range(0, len(part), size)]
    return batches


@functools.cache
def _stream_filters() -> dict[str, list[Any]]:
    from moto.events.models import EventPattern

    return {name: [EventPattern.load(item["Pattern"]) for item in source["FilterCriteria"]["Filters"]]
            for name, source in stream_sources().items()}


def stream_batch_size(source: str = CHANGE_EVENTS_SOURCE) -> int:
    """One event source mapping's batch size, as the template sets it (by default the change events')."""
    return int(stream_sources()[source]["BatchSize"])


def create_tables(client: Any, names: dict[str, str]) -> None:
    """Create each template table under the given physical name (logical id → name); existing ones stay."""
    existing = set(client.list_tables().get("TableNames", []))
    for logical_id, properties in table_definitions().items():
        name = names[logical_id]
        if name in existing:
            continue
        request = {key: value for key, value in properties.items() if key not in _SEPARATE}
        if "StreamSpecification" in request:
            # CloudFormation enables a stream by naming its view type; CreateTable wants it said.
            request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
        client.create_table(TableName=name, **request)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        pitr = properties.get("PointInTimeRecoverySpecification")
        if pitr:
            client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
