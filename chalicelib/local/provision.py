"""Creates the tables of ``infra/template.json`` on an AWS endpoint (moto, locally and in tests).

The CloudFormation template is the one source of truth: the local stack and the tests build their
tables from the same resource definitions that production deploys.
"""

from __future__ import annotations

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


def stream_batch_size() -> int:
    """The change stream consumer's batch size, as its event source mapping in the template sets it."""
    for resource in template()["Resources"].values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "DynamoDB":
                return int(event["Properties"]["BatchSize"])
    raise LookupError("the template has no DynamoDB stream event source")


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
