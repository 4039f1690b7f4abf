"""Leads, their timelines, visitor links and request receipts; a form submission is one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.handover_codec import put_handover_change
from chalicelib.adapters.dynamo.lead_codec import (
    RECEIPT_TAG,
    decode_cursor,
    encode_cursor,
    event_from,
    lead_from,
    put_events,
    put_lead,
    put_receipt,
    put_receipt_note,
)
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.handover import Change
from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest
from chalicelib.services.ports import EventPage, LeadPage, LeadRepository, Receipt


class DynamoLeads(LeadRepository):
    def __init__(self, table: Table):
        self.table = table

    def lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        item = self.table.get(keys.lead(tenant_id, lead_id), consistent=True)
        return None if item is None else lead_from(item)

    def leads(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        items = self.table.batch_get([keys.lead(tenant_id, lead_id) for lead_id in lead_ids], consistent=True)
        return {lead.lead_id: lead for lead in map(lead_from, items)}

    def save_submission(
        self,
        outcome: SubmissionOutcome,
        expected_version: int | None,
        receipt: Receipt,
        handovers: Sequence[Change] = (),
    ) -> None:
        lead = outcome.lead
        tx = Transaction(self.table)
        put_receipt(tx, receipt)
        put_receipt_note(tx, lead, receipt)
        put_lead(tx, lead, expected_version)
        created = {"lead_created": True} if outcome.created else None
        put_events(tx, lead.tenant_id, lead.lead_id, outcome.events, created)
        if outcome.visitor_id:
            tx.put("visitor_link", keyed(keys.visitor_link(lead.tenant_id, outcome.visitor_id, lead.lead_id),
                                         kind="visitor_link", lead_id=lead.lead_id, at=lead.updated_at))
        for change in handovers:
            put_handover_change(tx, change, None)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if RECEIPT_TAG in cancelled.failed:
                raise DuplicateRequest(self._receipt_answer(cancelled, receipt)) from cancelled
            raise ConcurrentUpdate(lead.lead_id) from cancelled

    def save_lead_change(self, lead: Lead, expected_version: int, events: Sequence[TimelineEvent],
                         receipt: Receipt | None = None) -> None:
        tx = Transaction(self.table)
        if receipt is not None:
            put_receipt(tx, receipt)
            put_receipt_note(tx, lead, receipt)
        put_lead(tx, lead, expected_version)
        put_events(tx, lead.tenant_id, lead.lead_id, tuple(events))
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            if receipt is not None and RECEIPT_TAG in cancelled.failed:
                raise DuplicateRequest(self._receipt_answer(cancelled, receipt)) from cancelled
            raise ConcurrentUpdate(lead.lead_id) from cancelled

    def recorded_answer(self, tenant_id: str, key_hash: str, now: int) -> dict[str, Any] | None:
        item = self.table.get(keys.receipt(tenant_id, key_hash), consistent=True)
        if item is None or int(item.get("expires_at", 0)) < now:
            return None
        return _answer_of(item)

    def _receipt_answer(self, cancelled: TransactionCancelled, receipt: Receipt) -> dict[str, Any]:
        """The answer recorded with the receipt a retry ran into, and the payload it answered."""
        return _answer_of(cancelled.old.get(RECEIPT_TAG) or self.table.get(
            keys.receipt(receipt.tenant_id, receipt.key_hash), consistent=True) or {})

    def lead_events(self, tenant_id: str, lead_id: str, limit: int = 1000, cursor: str | None = None
                    ) -> EventPage:
        partition = keys.lead_partition(tenant_id, lead_id)
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": keys.EVENT_PREFIX}},
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, {"pk", "sk"}, "pk", partition, "sk", "",
                                                         sort_prefix=keys.EVENT_PREFIX)
        page, last = next(self.table.query_pages(**request))
        return EventPage(events=[event_from(item) for item in page],
                         next_cursor=encode_cursor(last) if last else None)

    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        return self._newest_first("gsi1", keys.stage_partition(tenant_id, stage), since, limit, cursor)

    def recent_leads(self, tenant_id: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        return self._newest_first("gsi2", keys.leads_partition(tenant_id), since, limit, cursor)

    def _newest_first(self, index: str, partition: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        """One page of an index partition of leads, latest sort key first, down to ``since``."""
        pk, sk = f"{index}pk", f"{index}sk"
        request: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": f"{pk} = :pk AND {sk} >= :since",
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":since": {"S": since}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, {pk, sk, "pk", "sk"}, pk, partition, sk, since)
        page, last = next(self.table.query_pages(**request))
        return LeadPage(leads=[lead_from(item) for item in page], next_cursor=encode_cursor(last) if last else None)


def _answer_of(receipt_item: dict[str, Any]) -> dict[str, Any]:
    """A receipt's recorded answer, with the payload it answered (``payload_hash``)."""
    return {"payload_hash": receipt_item.get("payload_hash"), **json.loads(receipt_item.get("response", "{}"))}
