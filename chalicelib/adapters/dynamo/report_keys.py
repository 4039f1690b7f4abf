"""Report access in the journey table: agencies' report keys (stored hashed), managers' sign-in requests and used
sign-in links, and the hand-over counters read with their day for the report page's chart over time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, expiry, keyed
from chalicelib.services.ports import ReportAccessStore, ReportKey

SIGN_IN_TTL = timedelta(days=1)  # far longer than a link lives (15 minutes) and than a stream record waits
ROWS_MAX = 50_000


class DynamoReportAccess(ReportAccessStore):
    def __init__(self, table: Table):
        self.table = table

    # --- report keys ---------------------------------------------------------------------------------------

    def save_report_key(self, key: ReportKey) -> None:
        # The listing first: a key that exists can always be found to revoke it.
        fields = {"kind": "report_key", "tenant_id": key.tenant_id, "key_id": key.key_id, "key_hash": key.key_hash,
                  "name": key.name, "campaigns": list(key.campaigns), "issued_at": key.issued_at}
        self.table.put(keyed(keys.report_key_listing(key.tenant_id, key.key_id), **fields))
        self.table.put(keyed(keys.report_key(key.key_hash), **fields))

    def report_key(self, key_hash: str) -> ReportKey | None:
        item = self.table.get(keys.report_key(key_hash))
        return None if item is None else _report_key(item)

    def report_keys(self, tenant_id: str) -> list[ReportKey]:
        items = self.table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={
            ":pk": {"S": keys.report_keys_partition(tenant_id)}})
        return sorted((_report_key(item) for item in items), key=lambda key: (key.issued_at, key.key_id))

    def delete_report_key(self, tenant_id: str, key_id: str) -> bool:
        listing = self.table.get(keys.report_key_listing(tenant_id, key_id), consistent=True)
        if listing is None:
            return False
        # The lookup goes first: from then on the key opens nothing, even if the listing's delete is retried.
        self.table.delete(keys.report_key(str(listing["key_hash"])))
        self.table.delete(keys.report_key_listing(tenant_id, key_id))
        return True

    # --- managers' sign-in ---------------------------------------------------------------------------------

    def record_sign_in_request(self, tenant_id: str, request_id: str, email: str, at: str) -> bool:
        # Shaped as a timeline event (kind "event") so the change stream hands it to the consumers; no lead's.
        item = keyed(keys.sign_in_request(tenant_id, request_id), kind="event", tenant_id=tenant_id, lead_id="",
                     event_id=request_id, type="manager_sign_in", at=at, details={"email": email},
                     expires_at=expiry(at, SIGN_IN_TTL))
        return self.table.put_new(item)

    def mark_link_used(self, tenant_id: str, nonce: str, at: str) -> bool:
        return self.table.put_new(keyed(keys.sign_in_used(tenant_id, nonce), kind="sign_in_used", at=at,
                                   expires_at=expiry(at, SIGN_IN_TTL)))

    def link_used(self, tenant_id: str, nonce: str) -> bool:
        return self.table.get(keys.sign_in_used(tenant_id, nonce), consistent=True) is not None

    # --- hand-over counters with their day -----------------------------------------------------------------

    def handover_days(self, tenant_id: str, from_day: str, to_day: str
                      ) -> list[tuple[str, str | None, dict[str, int]]]:
        items = self.table.query(
            max_items=ROWS_MAX,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={":pk": {"S": keys.stats_partition(tenant_id)}, ":from": {"S": from_day},
                                       ":to": {"S": f"{to_day}#~"}},
        )
        rows: list[tuple[str, str | None, dict[str, int]]] = []
        for item in items:
            day, scope = str(item["sk"]).split("#", 1)
            counts = {name: int(value) for name, value in item.items() if isinstance(value, int | float)
                      and name != "expires_at"}
            rows.append((day, None if scope == "ALL" else scope.removeprefix("O#"), counts))
        return rows


def _report_key(item: dict[str, Any]) -> ReportKey:
    return ReportKey(tenant_id=str(item["tenant_id"]), key_id=str(item["key_id"]), key_hash=str(item["key_hash"]),
                     name=str(item.get("name") or ""), campaigns=tuple(str(c) for c in item.get("campaigns") or ()),
                     issued_at=str(item.get("issued_at") or ""))
