"""Resellers in the journey table: the directory (one partition per producer, keys by hash, what each holds via
gsi2) and the ledger (customers by keyed e-mail hash, unmatched sales, the scorecard rows, the producer's feed)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.handover_codec import handover_from
from chalicelib.adapters.dynamo.processed import done_item
from chalicelib.adapters.dynamo.table import Table, keyed, to_item
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.handover import HandoverState
from chalicelib.domain.resellers import EndCustomerReport, PostcodeRange, Reseller
from chalicelib.errors import ConcurrentUpdate, Conflict, InvalidInput
from chalicelib.services.reseller_ports import ResellerDirectory, ResellerLedger, UnmatchedSale

CONSUMER = "reseller-stats"
CONFLICT_ATTEMPTS = 5
STATS_MAX = 1_000_000
FEED_PAGE_MAX = 500


def reseller_item(reseller: Reseller, version: int) -> dict[str, Any]:
    return keyed(
        keys.reseller(reseller.tenant_id, reseller.reseller_id), kind="reseller", tenant_id=reseller.tenant_id,
        reseller_id=reseller.reseller_id, name=reseller.name, language=reseller.language,
        contacts=list(reseller.contacts) or None, inbox=reseller.inbox, manager=reseller.manager,
        regions=[str(region) for region in reseller.regions] or None, products=list(reseller.products) or None,
        calendar=reseller.calendar, active=reseller.active, match_secret=reseller.match_secret,
        created_at=reseller.created_at, updated_at=reseller.updated_at, key_id=reseller.key_id,
        key_hash=reseller.key_hash, version=version,
    )


def reseller_from(item: dict[str, Any]) -> Reseller:
    return Reseller(
        tenant_id=item["tenant_id"], reseller_id=item["reseller_id"], name=item["name"],
        language=item.get("language", "da"), contacts=tuple(item.get("contacts", [])), inbox=item.get("inbox"),
        manager=item.get("manager"), regions=tuple(PostcodeRange.parse(text) for text in item.get("regions", [])),
        products=tuple(item.get("products", [])), calendar=item.get("calendar"), active=item.get("active", True),
        match_secret=item.get("match_secret", ""), created_at=item.get("created_at", ""),
        updated_at=item.get("updated_at", ""), key_id=item.get("key_id"), key_hash=item.get("key_hash"),
        version=item.get("version", 0),
    )


def _report_item(tenant_id: str, report: EndCustomerReport) -> dict[str, Any]:
    return keyed(keys.end_customer_report(tenant_id, report.reported_at, report.event_id), kind="end_customer",
                 lead_id=report.lead_id, reseller_id=report.reseller_id, reported_at=report.reported_at,
                 event_id=report.event_id, outcome=report.outcome, value=report.value, currency=report.currency,
                 outcome_at=report.outcome_at)


def _report_from(item: dict[str, Any]) -> EndCustomerReport:
    return EndCustomerReport(lead_id=item["lead_id"], reseller_id=item["reseller_id"],
                             reported_at=item["reported_at"], event_id=item["event_id"], outcome=item["outcome"],
                             value=item.get("value"), currency=item.get("currency"), outcome_at=item.get("outcome_at"))


def _cursor(sort_key: str) -> str:
    """An opaque, URL-safe cursor for a position in the feed."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this feed handed out", field="cursor") from None


class DynamoResellers(ResellerDirectory, ResellerLedger):
    def __init__(self, table: Table):
        self.table = table

    # --- directory ------------------------------------------------------------------------------------

    def save_reseller(self, reseller: Reseller, expected_version: int | None) -> None:
        client = self.table.client
        item = to_item(reseller_item(reseller, (expected_version or 0) + 1))
        try:
            if expected_version is None:
                client.put_item(TableName=self.table.name, Item=item, ConditionExpression="attribute_not_exists(pk)")
            else:
                client.put_item(TableName=self.table.name, Item=item, ConditionExpression="version = :version",
                                ExpressionAttributeValues={":version": {"N": str(expected_version)}})
        except client.exceptions.ConditionalCheckFailedException:
            if expected_version is None:
                raise Conflict(f"a reseller {reseller.reseller_id!r} exists already; change it with PATCH "
                               f"/admin/resellers/{reseller.reseller_id}", field="reseller_id") from None
            raise ConcurrentUpdate(reseller.reseller_id) from None

    def resellers(self, tenant_id: str) -> list[Reseller]:
        items = self.table.query(KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": keys.resellers_partition(tenant_id)}})
        return [reseller_from(item) for item in items]

    def reseller(self, tenant_id: str, reseller_id: str) -> Reseller | None:
        item = self.table.get(keys.reseller(tenant_id, reseller_id), consistent=True)
        return None if item is None else reseller_from(item)

    def replace_key(self, reseller: Reseller, key_hash: str, key_id: str) -> None:
        tx = Transaction(self.table)
        old_hash = reseller.key_hash
        if old_hash and old_hash != key_hash:
            tx.delete("old-key", keys.reseller_key(old_hash))
        tx.put("key", keyed(keys.reseller_key(key_hash), kind="reseller_key", tenant_id=reseller.tenant_id,
                            reseller_id=reseller.reseller_id, key_id=key_id))
        tx.update("reseller", keys.reseller(reseller.tenant_id, reseller.reseller_id),
                  "SET key_hash = :hash, key_id = :id, version = version + :one",
                  values={":hash": key_hash, ":id": key_id, ":one": 1, ":version": reseller.version},
                  condition="version = :version")
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise ConcurrentUpdate(reseller.reseller_id) from cancelled

    def reseller_for_key(self, key_hash: str) -> tuple[str, str] | None:
        item = self.table.get(keys.reseller_key(key_hash), consistent=True)
        return (str(item["tenant_id"]), str(item["reseller_id"])) if item else None

    def held_handovers(self, tenant_id: str, reseller_id: str) -> list[HandoverState]:
        items = self.table.query(
            IndexName="gsi2", KeyConditionExpression="gsi2pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.reseller_handovers_partition(tenant_id, reseller_id)}})
        return [handover_from(item) for item in items]

    # --- ledger ---------------------------------------------------------------------------------------

    def link_customer(self, tenant_id: str, reseller_id: str, email_hash: str, lead_id: str) -> None:
        self.table.put(keyed(keys.reseller_customer(tenant_id, reseller_id, email_hash), kind="reseller_customer",
                             lead_id=lead_id))

    def customer(self, tenant_id: str, reseller_id: str, email_hash: str) -> str | None:
        item = self.table.get(keys.reseller_customer(tenant_id, reseller_id, email_hash))
        return str(item["lead_id"]) if item else None

    def record_unmatched(self, sale: UnmatchedSale, day: str) -> bool:
        tx = Transaction(self.table)
        tx.put("sale", keyed(keys.unmatched_sale(sale.tenant_id, sale.reseller_id, sale.row),
                             kind="unmatched_sale", row=sale.row, reported_at=sale.reported_at,
                             email_hash=sale.email_hash, outcome=sale.outcome, value=sale.value,
                             currency=sale.currency, outcome_at=sale.outcome_at, reason=sale.reason),
               condition="attribute_not_exists(pk)")
        self._add(tx, sale.tenant_id, day, sale.reseller_id, {"unmatched": 1})
        return self._commit(tx, "sale")

    def unmatched(self, tenant_id: str, reseller_id: str) -> list[UnmatchedSale]:
        items = self.table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={
            ":pk": {"S": keys.unmatched_sales_partition(tenant_id, reseller_id)}})
        return [UnmatchedSale(tenant_id=tenant_id, reseller_id=reseller_id, row=item["row"],
                              reported_at=item["reported_at"], email_hash=item["email_hash"],
                              outcome=item["outcome"], value=item.get("value"), currency=item.get("currency"),
                              outcome_at=item.get("outcome_at"), reason=item.get("reason", "no_match"))
                for item in items]

    def add_stats_once(self, mark: str, tenant_id: str, day: str, reseller_id: str,
                       counters: Mapping[str, int]) -> bool:
        counts = {name: value for name, value in counters.items() if value}
        if not counts:
            return False
        tx = Transaction(self.table)
        # The mark and the additions are one transaction: a redelivered event finds the mark and adds nothing.
        tx.put("done", done_item(CONSUMER, mark), condition="attribute_not_exists(pk)")
        self._add(tx, tenant_id, day, reseller_id, counts)
        return self._commit(tx, "done")

    def stats_rows(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str, dict[str, int]]]:
        items = self.table.query(
            max_items=STATS_MAX, KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.reseller_stats_partition(tenant_id)},
                                       ":from": {"S": from_day}, ":to": {"S": f"{to_day}#~"}})
        return [(str(item["sk"]).split("#", 1)[1],
                 {name: int(value) for name, value in item.items() if name not in ("pk", "sk", "kind")})
                for item in items]

    def record_end_customer(self, tenant_id: str, report: EndCustomerReport) -> bool:
        return self.table.put_new(_report_item(tenant_id, report))

    def end_customers(self, tenant_id: str, since: str, after: str | None, limit: int
                      ) -> tuple[list[EndCustomerReport], str | None]:
        limit = max(1, min(limit, FEED_PAGE_MAX))
        position = _uncursor(after) if after else None
        start = position if position and position >= since else since
        operator = ">" if position and position >= since else ">="
        answer = self.table.client.query(
            TableName=self.table.name, Limit=limit,
            KeyConditionExpression=f"pk = :pk AND sk {operator} :start",
            ExpressionAttributeValues={":pk": {"S": keys.end_customers_partition(tenant_id)}, ":start": {"S": start}})
        from chalicelib.adapters.dynamo.table import from_item

        items = [from_item(dict(item)) for item in answer.get("Items", [])]
        cursor = _cursor(str(items[-1]["sk"])) if items and answer.get("LastEvaluatedKey") else None
        return [_report_from(item) for item in items], cursor

    # --- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def _add(tx: Transaction, tenant_id: str, day: str, reseller_id: str, counts: Mapping[str, int]) -> None:
        tx.add_counts("row", keys.reseller_stats_row(tenant_id, day, reseller_id), dict(counts), "reseller_stats")

    @staticmethod
    def _commit(tx: Transaction, once_tag: str) -> bool:
        return tx.commit_once(once_tag, CONFLICT_ATTEMPTS)
