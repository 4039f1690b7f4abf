"""The table's change stream as the consumers see it: new timeline events (with their effects), new page views."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.capture import pageview_from
from chalicelib.adapters.dynamo.table import plain
from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.capture import PageView

_deserializer = TypeDeserializer()


def change_event(record: dict[str, Any]) -> ChangeEvent | None:
    """The timeline event a stream record inserted; None for any other record (state items, page views)."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if image.get("kind", {}).get("S") != "event" or "event_id" not in image:
        return None
    item = plain({key: _deserializer.deserialize(value) for key, value in image.items()})
    return ChangeEvent(
        tenant_id=item["tenant_id"], lead_id=item["lead_id"], event_id=item["event_id"], type=item["type"],
        at=item["at"], details=item.get("details", {}), effects=item.get("fx", {}),
    )


def page_view(record: dict[str, Any]) -> PageView | None:
    """The page view a stream record inserted; None for any other record."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if image.get("kind", {}).get("S") != "pv":
        return None
    item = plain({key: _deserializer.deserialize(value) for key, value in image.items()})
    visitor = keys.visitor_of(str(item["pk"]))
    if visitor is None:
        return None
    tenant_id, visitor_id = visitor
    return pageview_from(tenant_id, visitor_id, item)


def expired_mark(record: dict[str, Any]) -> tuple[str, str] | None:
    """The tenant and lead of a retention mark that a stream record removed (DynamoDB's TTL, or anyone)."""
    if record.get("eventName") != "REMOVE":
        return None
    key = (record.get("dynamodb") or {}).get("Keys") or {}
    if key.get("sk", {}).get("S") != keys.RETENTION_MARK:
        return None
    return keys.lead_of(str(key.get("pk", {}).get("S", "")))
