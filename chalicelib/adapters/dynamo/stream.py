"""The table's change stream as the consumers see it: new timeline events, with the effects they carry."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.adapters.dynamo.table import plain
from chalicelib.consumers.events import ChangeEvent

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
