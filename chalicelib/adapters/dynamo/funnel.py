"""The funnel/ROI projection's store: counter rows per dimension, day, lead type and group; each lead's state.

An event's additions, the lead's new state (on the version it was computed from) and the event's done mark
are one transaction: a redelivered event finds its mark and adds nothing; two events of one lead racing each
other find the state changed, and the loser computes again. See ``chalicelib.domain.funnel``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.processed import done_item
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.adapters.dynamo.transaction import MAX_ITEMS, Transaction, TransactionCancelled, TransactionInvalid
from chalicelib.domain.funnel import VISITORS, Deltas, FunnelLead, Row
from chalicelib.services.ports import FunnelStore, StaleFunnelState

CONSUMER = "funnel"
DONE_TAG = "done"
STATE_TAG = "state"
VISITORS_TAG = "visitors"
CONFLICT_ATTEMPTS = 5
# Distinct ``dimension|group`` counters in one update of a day's visitors item: DynamoDB takes about 280 ADD
# terms in its 4 KB expression; the emulator's parser gives up (RecursionError) past about 200.
MAX_COUNTERS = 100
ROWS_MAX = 2_000_000


class DynamoFunnel(FunnelStore):
    def __init__(self, table: Table, done_ttl: timedelta = timedelta(days=7)):
        self.table = table
        self.done_ttl = done_ttl

    def lead_state(self, tenant_id: str, lead_id: str) -> tuple[FunnelLead | None, int]:
        item = self.table.get(keys.funnel_lead(tenant_id, lead_id), consistent=True)
        if item is None:
            return None, 0
        return FunnelLead.from_dict(item["state"]), int(item["version"])

    def add_once(self, mark: str, tenant_id: str, deltas: Deltas,
                 state: tuple[str, FunnelLead, int] | None = None) -> bool:
        chunks = self._chunks(deltas, extra=2 if state else 1)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            # Beyond one transaction's items (a lead credited to very many campaigns), each part has its own
            # mark; the lead's state goes with the last part, so a retry finds the parts done and writes the rest.
            part_mark = mark if len(chunks) == 1 else f"{mark}#{index}"
            done = self._commit(part_mark, tenant_id, chunk, state if last else None)
            if not done and len(chunks) == 1:
                return False
        return True

    def add_landings_once(self, tenant_id: str, day: str, landings: Sequence[tuple[str, Deltas]]) -> int:
        """One transaction per up to 99 landings: each one's done mark and a single update of the day's visitors
        item with their sum (2 WRU a landing plus 2 per KB of the item, where a landing alone costs 4)."""
        first: dict[str, Deltas] = {}
        for mark, deltas in landings:
            first.setdefault(mark, deltas)  # the same visitor twice in one batch: the first landing counts
        chunks: list[dict[str, Deltas]] = [{}]
        for mark, deltas in first.items():
            # A transaction holds 100 items, an update MAX_COUNTERS counters.
            if len(chunks[-1]) == MAX_ITEMS - 1 or len(_visitor_counts([*chunks[-1].values(), deltas])) > MAX_COUNTERS:
                chunks.append({})
            chunks[-1][mark] = deltas
        return sum(self._commit_landings(tenant_id, day, chunk) for chunk in chunks if chunk)

    def _commit_landings(self, tenant_id: str, day: str, pending: dict[str, Deltas]) -> int:
        conflicts = 0
        while pending:
            tx = Transaction(self.table)
            tags = {f"{DONE_TAG}{index}": mark for index, mark in enumerate(pending)}
            for tag, mark in tags.items():
                tx.put(tag, done_item(CONSUMER, mark, self.done_ttl), condition="attribute_not_exists(pk)")
            tx.add_counts(VISITORS_TAG, keys.funnel_visitors_day(tenant_id, day), _visitor_counts(pending.values()),
                          "funnel_visitors")
            try:
                tx.commit()
                return len(pending)
            except TransactionCancelled as cancelled:
                done = {tags[tag] for tag in cancelled.failed if tag in tags}
                if done:  # counted before (a redelivered record): the others go again without them
                    pending = {mark: deltas for mark, deltas in pending.items() if mark not in done}
                    continue
                conflicts += 1
                if not cancelled.conflict or conflicts == CONFLICT_ATTEMPTS:
                    raise
                time.sleep(random.random() * 0.05 * 2**conflicts)
            except TransactionInvalid as refused:
                if VISITORS_TAG not in refused.invalid:
                    raise
                # The day's item would pass DynamoDB's 400 KB (very many landing pages): a row per group.
                return sum(self._commit(mark, tenant_id, deltas, None) for mark, deltas in pending.items())
        return 0

    def _commit(self, mark: str, tenant_id: str, deltas: Deltas, state: tuple[str, FunnelLead, int] | None) -> bool:
        tx = Transaction(self.table)
        tx.put(DONE_TAG, done_item(CONSUMER, mark, self.done_ttl), condition="attribute_not_exists(pk)")
        if state is not None:
            lead_id, lead, version = state
            item = keyed(keys.funnel_lead(tenant_id, lead_id), kind="funnel", state=lead.as_dict(),
                         version=version + 1)
            if version:
                tx.put(STATE_TAG, item, condition="version = :v", values={":v": version})
            else:
                tx.put(STATE_TAG, item, condition="attribute_not_exists(pk)")
        for index, (row, counters) in enumerate(sorted(deltas.items())):
            names = {f"#c{i}": name for i, name in enumerate(counters)}
            values: dict[str, Any] = {f":c{i}": value for i, value in enumerate(counters.values())}
            values[":kind"] = "funnel"
            additions = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
            tx.update(f"row{index}", keys.funnel_row(tenant_id, row.dim, row.day, row.lead_type, row.group),
                      f"ADD {additions} SET kind = :kind", values=values, names=names)
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                if DONE_TAG in cancelled.failed:
                    return False
                if STATE_TAG in cancelled.failed:
                    raise StaleFunnelState(mark) from None
                if not cancelled.conflict or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                time.sleep(random.random() * 0.05 * 2**attempt)
                continue
            return True
        return True

    @staticmethod
    def _chunks(deltas: Deltas, extra: int) -> list[Deltas]:
        rows = sorted(deltas.items())
        size = MAX_ITEMS - extra
        if not rows:
            return [{}]
        return [dict(rows[start:start + size]) for start in range(0, len(rows), size)]

    def rows(self, tenant_id: str, dim: str, from_day: str, to_day: str) -> list[tuple[Row, dict[str, int]]]:
        # Every row of the range: a report cut short would be wrong, not just slow.
        items = self.table.query(
            max_items=ROWS_MAX,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.funnel_partition(tenant_id)},
                                       ":from": {"S": f"{dim}#{from_day}"}, ":to": {"S": f"{dim}#{to_day}#~"}},
        )
        answer = []
        for item in items:
            dim_of, day, lead_type, group = keys.funnel_row_parts(item["sk"])
            counts = {key: int(value) for key, value in item.items() if key not in ("pk", "sk", "kind")}
            answer.append((Row(dim_of, day, lead_type, group), counts))
        # Visitors kept one item per day: the requested dimension's groups, as rows.
        days = self.table.query(
            max_items=ROWS_MAX, KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.funnel_partition(tenant_id)},
                                       ":from": {"S": f"VISITORS#{from_day}"}, ":to": {"S": f"VISITORS#{to_day}~"}})
        prefix = f"{dim}|"
        for item in days:
            day = str(item["sk"]).removeprefix("VISITORS#")
            for name, value in item.items():
                if name.startswith(prefix):
                    answer.append((Row(dim, day, VISITORS, name[len(prefix):]), {"visitors": int(value)}))
        return answer


def _visitor_counts(landings: Iterable[Deltas]) -> dict[str, int]:
    """The landings' visitors, summed per ``dimension|group``: the day's visitors item's attributes."""
    counts: dict[str, int] = {}
    for deltas in landings:
        for row, counters in deltas.items():
            if counters.get("visitors"):
                name = f"{row.dim}|{row.group}"
                counts[name] = counts.get(name, 0) + counters["visitors"]
    return counts
