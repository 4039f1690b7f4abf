"""The funnel/ROI projection's store: counter rows per dimension, day, lead type and group; each lead's state.

An event's additions, the lead's new state (on the version it was computed from) and the event's done mark
are one transaction: a redelivered event finds its mark and adds nothing; two events of one lead racing each
other find the state changed, and the loser computes again. See ``chalicelib.domain.funnel``.

Landings (a visitor's first page view of a day) count the day's distinct visitors, once per visitor and day
through a done mark ``visit:{t}:{day}:{vid}``, in one of two ways with the same mark, so either finds the other:

* many of a tenant's landings in one stream batch: one transaction of their marks and a single update of the
  day's visitors item (2 WRU a landing plus 2 per KB of the item);
* up to ``ROW_LANDINGS`` (a small site, whose landings come one a batch): each landing's mark is its row, put
  with its counts and indexed by day (2 WRU with the index, where a transaction of one costs 4 or more). A report
  adds a day's rows until the day is folded: ``fold_landings`` (run by the sweep) writes each tenant's sum of a
  finished day once, as ``VISITORS#{day}#ROWS``; from then on the report reads that sum and the rows only
  expire (TTL deletes are free). Rows are written for today and yesterday only and a day is folded when it is
  ``FOLD_AFTER`` days old, so no row comes after its day's fold.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.processed import done_item
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.adapters.dynamo.transaction import MAX_ITEMS, Transaction, TransactionCancelled, TransactionInvalid
from chalicelib.domain.clock import Clock, system_clock
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
LANDING_KIND = "landing"
# Up to this many of a tenant's landings of a day in one batch are put as rows: a transaction of n costs 2n + 2
# WRU (more when the day's item passes 1 KB), n rows 2n; beyond it a report would read too many rows.
ROW_LANDINGS = 3
ROW_DAYS = 1  # rows for landings of today and yesterday; older ones (a late record) go to the day's item
FOLD_AFTER = 3  # days: every row of a day is in by then, with a day to spare
FOLD_BACK = 35  # days a fold can still catch up (a sweep that failed for weeks)
ROW_TTL = timedelta(days=40)  # past the last fold that can need a row
MARK_TTL = timedelta(days=60)  # a day's fold marks: read by reports while rows can exist, by the fold for FOLD_BACK


class DynamoFunnel(FunnelStore):
    def __init__(self, table: Table, done_ttl: timedelta = timedelta(days=7), clock: Clock = system_clock):
        self.table = table
        self.done_ttl = done_ttl
        self.clock = clock

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
        """Up to ``ROW_LANDINGS`` of today or yesterday: a row each (see the module). More: one transaction per up
        to 99 landings, each one's done mark and a single update of the day's visitors item with their sum."""
        first: dict[str, Deltas] = {}
        for mark, deltas in landings:
            first.setdefault(mark, deltas)  # the same visitor twice in one batch: the first landing counts
        if len(first) <= ROW_LANDINGS and day >= (self._today() - timedelta(days=ROW_DAYS)).isoformat():
            return sum(self._put_row(tenant_id, day, mark, deltas) for mark, deltas in first.items())
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

    def _put_row(self, tenant_id: str, day: str, mark: str, deltas: Deltas) -> int:
        return int(self.table.put_new(landing_row(tenant_id, day, mark, _visitor_counts([deltas]))))  # 0: counted

    def _today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def fold_landings(self) -> int:
        """Write each tenant's sum of the landing rows of every finished day not folded yet (a few queries when
        there is nothing to do). Answers how many tenant-days it folded; a failure leaves the rest for next time."""
        today = self._today()
        newest = (today - timedelta(days=FOLD_AFTER)).isoformat()
        oldest = (today - timedelta(days=FOLD_BACK)).isoformat()
        done = self._folded(oldest, newest)
        folded = 0
        for back in range(FOLD_BACK, FOLD_AFTER - 1, -1):
            day = (today - timedelta(days=back)).isoformat()
            for shard in range(keys.LANDING_SHARDS):
                if (day, shard) in done:
                    continue
                sums: dict[str, dict[str, int]] = {}
                for row in self._landing_rows(keys.landing_shard(day, shard)):
                    _add(sums.setdefault(str(row["tenant_id"]), {}), row.get("counts") or {})
                for tenant_id, counts in sums.items():  # 0: folded before, by a sweep that stopped half-way
                    folded += self.table.put_new(keyed(keys.funnel_rows_folded(tenant_id, day),
                                                       kind="funnel_visitors", **counts))
                self.table.put(keyed(keys.landings_folded(day, shard), kind="landings_folded", tenants=len(sums),
                                     expires_at=int(time.time() + MARK_TTL.total_seconds())))
        return folded

    def _folded(self, from_day: str, to_day: str) -> set[tuple[str, int]]:
        items = self.table.query(
            max_items=ROWS_MAX, KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.LANDINGS_FOLDED}, ":from": {"S": from_day},
                                       ":to": {"S": f"{to_day}~"}})
        answer = set()
        for item in items:
            day, _, shard = str(item["sk"]).partition("#")
            answer.add((day, int(shard)))
        return answer

    def _landing_rows(self, shard: str, tenant_id: str | None = None) -> list[dict[str, Any]]:
        condition, values = "gsi1pk = :pk", {":pk": {"S": shard}}
        if tenant_id is not None:
            condition += " AND begins_with(gsi1sk, :tenant)"
            values[":tenant"] = {"S": f"{tenant_id}#"}
        return self.table.query(max_items=ROWS_MAX, IndexName="gsi1", KeyConditionExpression=condition,
                                ExpressionAttributeValues=values)

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
        # Landing rows of days not folded yet: which days are folded is read first, so a fold in between is
        # seen in the day items read after it (its sum is written before its mark).
        row_days = self._row_days(from_day, to_day)
        done = self._folded(row_days[0], row_days[-1]) if row_days else set()
        # Visitors kept one item per day: the requested dimension's groups, as rows.
        days = self.table.query(
            max_items=ROWS_MAX, KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.funnel_partition(tenant_id)},
                                       ":from": {"S": f"VISITORS#{from_day}"}, ":to": {"S": f"VISITORS#{to_day}~"}})
        folded = set()
        for item in days:
            day = str(item["sk"]).removeprefix("VISITORS#")
            if day.endswith(keys.FOLDED_SUFFIX):
                day = day.removesuffix(keys.FOLDED_SUFFIX)
                folded.add(day)
            answer += _visitor_rows(dim, day, item)
        shard = keys.tenant_shard(tenant_id)
        for day in row_days:
            if day in folded or (day, shard) in done:  # summed in the day's items, or the tenant had no rows
                continue
            for row in self._landing_rows(keys.landing_shard(day, shard), tenant_id):
                answer += _visitor_rows(dim, day, row.get("counts") or {})
        return answer

    def _row_days(self, from_day: str, to_day: str) -> list[str]:
        """The days in range whose landing rows can still exist (written today or yesterday, kept ``ROW_TTL``)."""
        today = self._today()
        first = max(date.fromisoformat(from_day), today - timedelta(days=ROW_DAYS) - ROW_TTL)
        last = min(date.fromisoformat(to_day), today)
        return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


def landing_row(tenant_id: str, day: str, mark: str, counts: dict[str, int]) -> dict[str, Any]:
    """A landing counted as its own row: its done mark, with its counts, indexed by day for the fold."""
    return {**done_item(CONSUMER, mark, ROW_TTL), "kind": LANDING_KIND, "tenant_id": tenant_id, "day": day,
            "counts": counts, **keys.landing_index(tenant_id, day, mark)}


def anonymous_landing(row: dict[str, Any]) -> dict[str, Any]:
    """The same counts under a mark that names no visitor: erasure replaces a row with it, so the day's sum stays
    right whether the fold comes before or after."""
    tenant_id, day = str(row["tenant_id"]), str(row["day"])
    mark = f"visit:{tenant_id}:{day}:erased.{uuid.uuid4().hex}"
    item = landing_row(tenant_id, day, mark, {name: int(value) for name, value in (row.get("counts") or {}).items()})
    item["expires_at"] = row.get("expires_at", item["expires_at"])
    return item


def _visitor_rows(dim: str, day: str, counts: dict[str, Any]) -> list[tuple[Row, dict[str, int]]]:
    prefix = f"{dim}|"
    return [(Row(dim, day, VISITORS, name[len(prefix):]), {"visitors": int(value)})
            for name, value in counts.items() if name.startswith(prefix)]


def _add(into: dict[str, int], counts: dict[str, Any]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + int(value)


def _visitor_counts(landings: Iterable[Deltas]) -> dict[str, int]:
    """The landings' visitors, summed per ``dimension|group``: the day's visitors item's attributes."""
    counts: dict[str, int] = {}
    for deltas in landings:
        for row, counters in deltas.items():
            if counters.get("visitors"):
                name = f"{row.dim}|{row.group}"
                counts[name] = counts.get(name, 0) + counters["visitors"]
    return counts
