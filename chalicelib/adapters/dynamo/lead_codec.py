"""Leads and their timeline events as items, and the transaction parts that write them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import keyed, plain
from chalicelib.adapters.dynamo.transaction import Transaction
from chalicelib.domain.attribution import Touch
from chalicelib.domain.leads import Lead, LeadOutcome, LeadTouch, TimelineEvent
from chalicelib.errors import InvalidInput
from chalicelib.services.ports import Receipt

LEAD_TAG = "lead"
RECEIPT_TAG = "receipt"
MAX_CURSOR_PART = 1024


def lead_item(lead: Lead, version: int) -> dict[str, Any]:
    gsi1pk, gsi1sk = keys.stage_index(lead.tenant_id, lead.stage, lead.stage_entered_at, lead.lead_id)
    # Leads written before the gsi2 index existed get its keys when they are next written.
    gsi2pk, gsi2sk = keys.leads_index(lead.tenant_id, lead.created_at, lead.lead_id)
    return keyed(
        keys.lead(lead.tenant_id, lead.lead_id),
        kind="lead", gsi1pk=gsi1pk, gsi1sk=gsi1sk, gsi2pk=gsi2pk, gsi2sk=gsi2sk,
        tenant_id=lead.tenant_id, lead_id=lead.lead_id, email=lead.email, stage=lead.stage,
        stage_entered_at=lead.stage_entered_at, lead_type=lead.lead_type,
        first_touch={k: v for k, v in lead.first_touch.as_dict().items() if v is not None},
        last_touch={k: v for k, v in lead.last_touch.as_dict().items() if v is not None},
        created_at=lead.created_at, updated_at=lead.updated_at, name=lead.name, phone=lead.phone,
        company=lead.company, referred_by=lead.referred_by, fields=dict(lead.fields),
        consent={purpose: {k: v for k, v in entry.items() if v is not None} for purpose, entry in lead.consent.items()},
        visitors=list(lead.visitors), submissions=lead.submissions, handovers=dict(lead.handovers), version=version,
        touches=[{k: v for k, v in touch.as_dict().items() if v is not None} for touch in lead.touches],
        **_outcome_attributes(lead.outcome),
    )


def _outcome_attributes(outcome: LeadOutcome | None) -> dict[str, Any]:
    if outcome is None:
        return {}
    return {"outcome": outcome.outcome, "outcome_value": outcome.value, "outcome_currency": outcome.currency,
            "outcome_reason": outcome.reason, "outcome_at": outcome.at, "outcome_event_id": outcome.event_id}


def _outcome_from(item: dict[str, Any]) -> LeadOutcome | None:
    if not item.get("outcome"):
        return None
    return LeadOutcome(outcome=item["outcome"], at=item["outcome_at"], event_id=item["outcome_event_id"],
                       value=item.get("outcome_value"), currency=item.get("outcome_currency"),
                       reason=item.get("outcome_reason"))


def lead_from(item: dict[str, Any]) -> Lead:
    return Lead(
        tenant_id=item["tenant_id"], lead_id=item["lead_id"], email=item["email"], stage=item["stage"],
        stage_entered_at=item["stage_entered_at"], lead_type=item["lead_type"],
        first_touch=Touch.from_dict(item.get("first_touch")), last_touch=Touch.from_dict(item.get("last_touch")),
        created_at=item["created_at"], updated_at=item["updated_at"], name=item.get("name"),
        phone=item.get("phone"), company=item.get("company"), referred_by=item.get("referred_by"),
        fields=item.get("fields", {}), consent=item.get("consent", {}), visitors=tuple(item.get("visitors", [])),
        submissions=item.get("submissions", 0), handovers=item.get("handovers", {}), outcome=_outcome_from(item),
        touches=tuple(LeadTouch.from_dict(touch) for touch in item.get("touches", [])),
        version=item.get("version", 0),
    )


def event_item(tenant_id: str, lead_id: str, event: TimelineEvent, effects: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    """A timeline event. ``fx`` holds what follows from it (counters, messages, a timer) for the stream's
    consumers; it is not part of the timeline people read."""
    return keyed(
        keys.event(tenant_id, lead_id, event.at, event.seq, event.event_id),
        kind="event", tenant_id=tenant_id, lead_id=lead_id, event_id=event.event_id, type=event.type, at=event.at,
        details={key: value for key, value in event.details.items() if value is not None},
        fx=effects or None,
    )


def event_from(item: dict[str, Any]) -> TimelineEvent:
    sort_key = item["sk"]
    parts = sort_key.split("#")
    seq = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0
    return TimelineEvent(event_id=keys.event_id_of(sort_key), type=item["type"], at=item["at"],
                         details=plain(item.get("details", {})), seq=seq)


def put_lead(tx: Transaction, lead: Lead, expected_version: int | None) -> None:
    """The lead, written only if it is still the version it was read at (or new)."""
    item = lead_item(lead, (expected_version or 0) + 1)
    if expected_version is None:
        tx.put(LEAD_TAG, item, condition="attribute_not_exists(pk)")
    else:
        tx.put(LEAD_TAG, item, condition="version = :version", values={":version": expected_version})


def put_events(tx: Transaction, tenant_id: str, lead_id: str, events: tuple[TimelineEvent, ...],
               effects: dict[str, Any] | None = None, carrier: int = 0) -> None:
    """The events of one change; the one at index ``carrier`` carries the change's effects."""
    carrier = carrier % len(events) if events else 0
    for index, event in enumerate(events):
        tx.put(f"event:{event.event_id}", event_item(tenant_id, lead_id, event, effects if index == carrier else None))


def put_receipt_note(tx: Transaction, lead: Lead, receipt: Receipt) -> None:
    """The lead's note of a receipt naming it (it expires with it), so erasing the lead finds the receipt."""
    tx.put("receipt_note", keyed((keys.lead_partition(lead.tenant_id, lead.lead_id), f"RCPT#{receipt.key_hash}"),
                                 kind="receipt_note", receipt_pk=keys.receipt(receipt.tenant_id, receipt.key_hash)[0],
                                 expires_at=receipt.expires_at))


def put_receipt(tx: Transaction, receipt: Receipt) -> None:
    # An expired receipt may linger until DynamoDB's TTL sweep removes it.
    tx.put(RECEIPT_TAG, keyed(keys.receipt(receipt.tenant_id, receipt.key_hash), kind="receipt",
                              payload_hash=receipt.payload_hash, response=json.dumps(receipt.response),
                              expires_at=receipt.expires_at),
           condition="attribute_not_exists(pk) OR expires_at < :now", values={":now": receipt.issued_at},
           return_old=True)


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, names: set[str], partition_name: str, partition: str, sort_name: str,
                  sort_from: str, sort_prefix: str = "") -> dict[str, Any]:
    """A cursor only continues the query it came from: every part is a short string, its partition is this
    query's (another tenant's, stage's or lead's cursor is refused), and its sort key lies inside the query's
    range, at or after ``sort_from`` and starting with ``sort_prefix`` (DynamoDB refuses a start key outside
    it)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        key = None
    well_formed = (
        isinstance(key, dict) and set(key) == names
        and all(isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)
                and 0 < len(value["S"]) <= MAX_CURSOR_PART for value in key.values())
    )
    if (not well_formed or key[partition_name]["S"] != partition or key[sort_name]["S"] < sort_from
            or not key[sort_name]["S"].startswith(sort_prefix)):
        raise InvalidInput("cursor is not one this query handed out", field="cursor")
    return dict(key)
