"""Done marks: a consumer claims an event before acting on it, so a redelivery does nothing twice."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.services.ports import ProcessedEvents

DONE_TTL = timedelta(days=7)  # longer than a stream record lives (24 h), so every redelivery finds its mark


def done_item(consumer: str, event_id: str, ttl: timedelta = DONE_TTL) -> dict[str, Any]:
    return keyed(keys.processed(consumer, event_id), kind="done", expires_at=int(time.time() + ttl.total_seconds()))


class DynamoProcessedEvents(ProcessedEvents):
    def __init__(self, table: Table):
        self.table = table

    def claim(self, consumer: str, event_id: str) -> bool:
        return self.table.put_new(done_item(consumer, event_id))

    def release(self, consumer: str, event_id: str) -> None:
        self.table.delete(keys.processed(consumer, event_id))
