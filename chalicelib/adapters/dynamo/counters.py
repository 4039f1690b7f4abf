"""The report's projection: hand-over counters per tenant, day and owner, each event counted once.

A row is one item per day and scope (``{day}#ALL``, ``{day}#O#{owner}``): plain counters by name, and the
kept times as one counter per value (``tta_t{tenths}``, ``ttc_t{tenths}``; see ``domain.reports``), so a
report over a range is one query of the tenant's stats partition.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.processed import done_item
from chalicelib.adapters.dynamo.table import Table
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.handover import Counter
from chalicelib.services.ports import HandoverCounters

CONSUMER = "counters"
CONFLICT_ATTEMPTS = 5
DONE_TAG = "done"
ROWS_MAX = 1_000_000  # 400 days of 2,500 owners


class DynamoCounters(HandoverCounters):
    def __init__(self, table: Table, done_ttl: timedelta = timedelta(days=7)):
        self.table = table
        self.done_ttl = done_ttl

    def add_once(self, event_id: str, tenant_id: str, day: str, counters: Sequence[Counter]) -> bool:
        rows: dict[str | None, dict[str, int]] = {}
        for counter in counters:
            row = rows.setdefault(counter.owner, {})
            row[counter.name] = row.get(counter.name, 0) + counter.delta
        tx = Transaction(self.table)
        # The mark and the additions are one transaction: a redelivered event finds the mark and adds nothing.
        tx.put(DONE_TAG, done_item(CONSUMER, event_id, self.done_ttl), condition="attribute_not_exists(pk)")
        for owner, counts in rows.items():
            names = {f"#c{index}": name for index, name in enumerate(counts)}
            values: dict[str, Any] = {f":c{index}": value for index, value in enumerate(counts.values())}
            values[":kind"] = "counters"
            additions = ", ".join(f"#c{index} :c{index}" for index in range(len(counts)))
            tx.update(f"row:{owner}", keys.stats_row(tenant_id, day, owner), f"ADD {additions} SET kind = :kind",
                      values=values, names=names)
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if DONE_TAG in cancelled.failed:
                    return False
                if not cancelled.conflict or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                # Another shard's event counts into the same day's row right now: wait a moment, add again.
                time.sleep(random.random() * 0.05 * 2**attempt)
                continue
            return True
        return True

    def counter_rows(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str | None, dict[str, int]]]:
        # Every row of the range, however many owners: a report cut short would be wrong, not just slow.
        items = self.table.query(
            max_items=ROWS_MAX,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.stats_partition(tenant_id)}, ":from": {"S": from_day},
                                       ":to": {"S": f"{to_day}#~"}},
        )
        rows: list[tuple[str | None, dict[str, int]]] = []
        for item in items:
            _, scope = item["sk"].split("#", 1)
            counts = {key: int(value) for key, value in item.items() if key not in ("pk", "sk", "kind")}
            rows.append((None if scope == "ALL" else scope.removeprefix("O#"), counts))
        return rows

    def handover_started_at(self, tenant_id: str, lead_id: str, handover_id: str) -> str | None:
        # Consistent: the event that asks was written in the same transaction as the hand-over.
        item = self.table.get(keys.handover(tenant_id, lead_id, handover_id), consistent=True)
        return str(item["started_at"]) if item and item.get("started_at") else None
