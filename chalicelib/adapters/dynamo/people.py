"""Everything the table holds of one person, found by the keys that name them, and deleted.

Where a person's data lives (and how erasure finds it):

* the lead's partition ``T#{t}#L#{lead}``: the lead, its timeline events, hand-overs, surveys, funnel state, and
  the notes of its CRM ids and request receipts (each naming the item it stands for) — one query;
* each of its visitors' partitions ``T#{t}#V#{vid}``: page views and visitor → lead links — one query each, and
  the funnel's done marks of the visitor's days (``DONE#funnel#visit:{t}:{day}:{vid}``); a mark that is a
  landing's row (its counts) is put again under a key naming nobody, so the day's visitors stay counted;
* CRM ids ``T#{t}#EXT#{h}`` (from the reverse links), reseller customer hashes ``T#{t}#RS#{r}#EH#{h}`` and their
  unmatched sales (the hash under each reseller's secret), the producer's feed ``T#{t}#ENDCUST`` (items naming
  the lead), the interval rule's ``T#{t}#SURVEYED#{h}``;
* what was refused or could not be delivered, which may hold the address in its body: spam and rejected input
  of the last ``REFUSED_DAYS`` days (they expire after 30 and 14 days anyway) and webhook dead letters.

Counters and report rows hold no person and stay as they are. The unsubscribe record (a hash) is kept, so the
person is still never surveyed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.funnel import LANDING_KIND, anonymous_landing
from chalicelib.adapters.dynamo.keys import Key
from chalicelib.adapters.dynamo.table import Table, keyed, to_item
from chalicelib.adapters.dynamo.transaction import Transaction
from chalicelib.services.people import PersonalData

REFUSED_DAYS = 31
BATCH = 25


class DynamoPersonalData(PersonalData):
    def __init__(self, table: Table):
        self.table = table

    def erase(self, tenant_id: str, lead_id: str, email: str, visitors: Sequence[str], reseller_hashes:
              Sequence[tuple[str, str]], person: str, today: date) -> dict[str, int]:
        """Delete every item of the person; answers how many of each kind went."""
        erased: dict[str, int] = {}
        partition = self._items(keys.lead_partition(tenant_id, lead_id))
        forward = [keys.external_id_from_hash(tenant_id, str(item["external_hash"])) for item in partition
                   if str(item.get("sk", "")).startswith(keys.EXTERNAL_LINK_PREFIX)]
        # Request receipts (kept 24 hours so a retry gets the same answer) name the lead in their answer.
        forward += [(str(item["receipt_pk"]), "RCPT") for item in partition if item.get("kind") == "receipt_note"]
        self._delete(erased, "lead", [(str(item["pk"]), str(item["sk"])) for item in partition])
        self._delete(erased, "links", self._existing(forward))
        for visitor_id in visitors:
            items = self._items(keys.visitor(tenant_id, visitor_id))
            days = {str(item.get("at", ""))[:10] for item in items if item.get("at")}
            self._delete(erased, "visitor", [(str(item["pk"]), str(item["sk"])) for item in items])
            marks = self.table.batch_get([
                keys.processed("funnel", f"visit:{tenant_id}:{day}:{visitor_id}") for day in sorted(days)])
            self._delete(erased, "marks", [(str(item["pk"]), str(item["sk"])) for item in marks
                                           if item.get("kind") != LANDING_KIND])
            for row in (item for item in marks if item.get("kind") == LANDING_KIND):
                self._replace_landing(row)
                erased["marks"] = erased.get("marks", 0) + 1
        for reseller_id, customer_hash in reseller_hashes:
            self._delete(erased, "reseller_links", self._existing(
                [keys.reseller_customer(tenant_id, reseller_id, customer_hash)]))
            unmatched = self._items(keys.unmatched_sales_partition(tenant_id, reseller_id))
            self._delete(erased, "unmatched_sales", [(str(item["pk"]), str(item["sk"])) for item in unmatched
                                                     if item.get("email_hash") == customer_hash])
        feed = self._items(keys.end_customers_partition(tenant_id))
        self._delete(erased, "feed", [(str(item["pk"]), str(item["sk"])) for item in feed
                                      if item.get("lead_id") == lead_id])
        self._delete(erased, "survey_rule", self._existing([keys.last_surveyed(tenant_id, person)]))
        needles = [email.lower(), lead_id, *visitors]
        self._delete(erased, "refused", self._holding(self._refused(tenant_id, today), needles))
        self._delete(erased, "dead_letters", self._holding(
            self._items(keys.dead_letters(tenant_id)), needles))
        return {kind: count for kind, count in erased.items() if count}

    def record_erasure(self, tenant_id: str, person: str, at: str, counts: dict[str, int]) -> bool:
        """Keep that the person was erased, and when last (by hash only)."""
        self.table.client.put_item(TableName=self.table.name, Item=to_item(keyed(
            keys.erasure(tenant_id, person), kind="erasure", at=at, counts=counts or None)))
        return True

    def erasure(self, tenant_id: str, person: str) -> dict[str, Any] | None:
        return self.table.get(keys.erasure(tenant_id, person), consistent=True)

    # --- the parts ----------------------------------------------------------------------------------------

    def _items(self, partition: str) -> list[dict[str, Any]]:
        return self.table.query(max_items=100_000, KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": {"S": partition}})

    def _refused(self, tenant_id: str, today: date) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for back in range(REFUSED_DAYS):
            day = (today - timedelta(days=back)).isoformat()
            partitions = [keys.spam(tenant_id, day, "")[0], *keys.rejected_partitions(tenant_id, day),
                          *keys.rejected_partitions(None, day)]
            for pk in partitions:
                items += self._items(pk)
        return items

    @staticmethod
    def _holding(items: Iterable[dict[str, Any]], needles: Sequence[str]) -> list[Key]:
        found = []
        for item in items:
            text = repr(item).lower()
            if any(needle and needle.lower() in text for needle in needles):
                found.append((str(item["pk"]), str(item["sk"])))
        return found

    def _replace_landing(self, row: dict[str, Any]) -> None:
        """A landing counted as its own row holds the visitor in its key: the same counts go under a key that
        names nobody, in one transaction, so the day's visitors stay right."""
        tx = Transaction(self.table)
        tx.put("anonymous", anonymous_landing(row))
        tx.delete("row", (str(row["pk"]), str(row["sk"])))
        tx.commit()

    def _existing(self, wanted: Sequence[Key]) -> list[Key]:
        return [(str(item["pk"]), str(item["sk"])) for item in self.table.batch_get(list(wanted))] if wanted else []

    def _delete(self, erased: dict[str, int], kind: str, found: Sequence[Key]) -> None:
        unique = list(dict.fromkeys(found))
        for start in range(0, len(unique), BATCH):
            requests: Any = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                             for pk, sk in unique[start:start + BATCH]]
            pending = {self.table.name: requests}
            while pending:
                answer = self.table.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
        erased[kind] = erased.get(kind, 0) + len(unique)
