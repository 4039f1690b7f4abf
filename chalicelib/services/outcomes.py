"""Recording how a lead ended: by an admin, or by the owner who accepted its hand-over."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.handover import ACCEPTED, CONTACTED, HandoverState
from chalicelib.domain.leads import Lead
from chalicelib.domain.outcomes import DEFAULT_CURRENCY, WON, Report, money, present_outcome, record_outcome
from chalicelib.errors import (
    ConcurrentUpdate,
    Conflict,
    DuplicateRequest,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
)
from chalicelib.observability import count, traced
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import HandoverRepository, LeadRepository, Receipt

MAX_ATTEMPTS = 5
RECEIPT_TTL = timedelta(hours=24)
TAKEN = (ACCEPTED, CONTACTED)


TRUSTED = ("admin", "crm")  # actors that may report on any lead of their tenant


@dataclass(frozen=True)
class OutcomeReport:
    """A report as sent, checked for shape at the edge; what was left out is None."""

    outcome: str
    value: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    at: datetime | None = None


def holder(handovers: list[HandoverState]) -> str | None:
    """The owner who holds the lead now: the one of its latest accepted hand-over, if any."""
    state = holding(handovers)
    return state.owner if state else None


def holding(handovers: list[HandoverState]) -> HandoverState | None:
    """The lead's latest accepted hand-over, if any."""
    taken = [state for state in handovers if state.status in TAKEN]
    return taken[-1] if taken else None


def _held_by(handovers: list[HandoverState], actor: Actor) -> HandoverState | None:
    """The accepted hand-over through which ``actor`` (an owner, or a reseller's key) holds the lead."""
    taken = [state for state in handovers if state.status in TAKEN and (
        state.reseller == actor.reseller if actor.kind == "reseller" else state.owner == actor.owner)]
    return taken[-1] if taken else None


class Outcomes:
    def __init__(self, leads: LeadRepository, handovers: HandoverRepository, journeys: Journeys, clock: Clock,
                 currency_of: Callable[[str], str | None] = lambda tenant_id: None,
                 new_id: Callable[[], str] | None = None):
        self.leads = leads
        self.handovers = handovers
        self.journeys = journeys
        self.clock = clock
        self.currency_of = currency_of
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    @traced
    def record(self, tenant_id: str, lead_id: str, actor: Actor, sent: OutcomeReport,
               idempotency_key: str | None = None) -> dict[str, Any]:
        """Record (or correct) the lead's outcome; the same report again answers the same with changed false."""
        key = _check_idempotency_key(idempotency_key)
        lead = self._visible_lead(tenant_id, lead_id, actor)
        # The admin and the tenant's CRM report for whoever holds the lead; an owner for themself, a reseller's key
        # for its person who holds it.
        handovers = self.handovers.lead_handovers(tenant_id, lead_id)
        held = holding(handovers) if actor.kind in TRUSTED else _held_by(handovers, actor)
        owner = held.owner if held is not None else (None if actor.kind in TRUSTED else actor.owner)
        by = _reporter(actor)
        # A lead a reseller holds: the report is the reseller's sale (its scorecard, the producer's feed).
        reseller = {"reseller": held.reseller, "handover_started_at": held.started_at} \
            if held is not None and held.reseller else {}
        report = self._report(tenant_id, sent)
        receipt_key = hashlib.sha256(f"outcome\n{lead_id}\n{key}".encode()).hexdigest() if key else None
        payload_hash = _fingerprint(report)
        stages = self.journeys.definition(tenant_id).stage_rules()
        for _ in range(MAX_ATTEMPTS):
            now = self.clock()
            recorded = record_outcome(lead, report, by, owner, now, self.new_id, stages, **reseller)
            answer = _answer(recorded.lead)
            if not recorded.changed:
                return {**answer, "changed": False}
            receipt = None
            if receipt_key is not None:
                receipt = Receipt(tenant_id=tenant_id, key_hash=receipt_key, payload_hash=payload_hash,
                                  response=answer, issued_at=int(now.timestamp()),
                                  expires_at=int((now + RECEIPT_TTL).timestamp()))
            try:
                self.leads.save_lead_change(recorded.lead, lead.version, recorded.events, receipt)
            except DuplicateRequest as duplicate:
                recorded_answer = dict(duplicate.response)
                if recorded_answer.pop("payload_hash", None) != payload_hash:
                    raise IdempotencyKeyReused("this Idempotency-Key was used for a different outcome",
                                               field="Idempotency-Key") from None
                return {**recorded_answer, "changed": False}
            except ConcurrentUpdate:
                lead = self._visible_lead(tenant_id, lead_id, actor)
                continue
            count("OutcomesRecorded", outcome=report.outcome)
            return {**answer, "changed": True}
        raise Conflict("the lead kept changing; send the outcome again", field="lead_id")

    def _visible_lead(self, tenant_id: str, lead_id: str, actor: Actor) -> Lead:
        """The lead, for an admin, the tenant's CRM or the owner holding its accepted hand-over; to anyone else it
        does not exist."""
        lead = self.leads.lead(tenant_id, lead_id)
        if lead is not None and actor.kind not in TRUSTED:
            if _held_by(self.handovers.lead_handovers(tenant_id, lead_id), actor) is None:
                lead = None
        if lead is None:
            raise NotFound(f"no lead {lead_id!r}", field="lead_id")
        return lead

    def defaults(self, tenant_id: str) -> tuple[str | None, str]:
        """What a won report left without value and currency gets: the journey's default deal value (as money
        text, or None) and the tenant's currency (the "How did it go?" page prefills them)."""
        value = self._default_value(tenant_id)
        return (money(value) if value is not None else None,
                self.currency_of(tenant_id) or DEFAULT_CURRENCY)

    def _report(self, tenant_id: str, sent: OutcomeReport) -> Report:
        """The report with its defaults: a won deal's value from the journey, the currency of the tenant's costs."""
        if sent.at is not None and sent.at > self.clock():
            raise InvalidInput("at must not be in the future", field="at")
        value = sent.value
        if value is None and sent.outcome == WON:
            value = self._default_value(tenant_id)
        currency = sent.currency or self.currency_of(tenant_id) or DEFAULT_CURRENCY
        return Report(outcome=sent.outcome, value=money(value) if value is not None else None, currency=currency,
                      reason=sent.reason or None, at=iso(sent.at) if sent.at is not None else None)

    def _default_value(self, tenant_id: str) -> Decimal | None:
        # Journeys that do not name a default deal value (the field arrives with the "How did it go?" e-mail).
        default = getattr(self.journeys.definition(tenant_id), "default_deal_value", None)
        return Decimal(str(default)) if default is not None else None


def _reporter(actor: Actor) -> str:
    """Who a report names as its author: ``admin``, ``crm``, ``reseller:{id}`` or the owner."""
    if actor.kind == "crm":
        return "crm"
    if actor.kind == "reseller":
        return f"reseller:{actor.reseller}"
    return actor.owner if actor.kind != "admin" and actor.owner else "admin"


def _answer(lead: Lead) -> dict[str, Any]:
    return {"lead_id": lead.lead_id, "stage": lead.stage, **(present_outcome(lead.outcome) or {})}


def _fingerprint(report: Report) -> str:
    sent = {"outcome": report.outcome, "value": report.value, "currency": report.currency, "reason": report.reason,
            "at": report.at}
    return hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()


def _check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be 1-255 printable characters", field="Idempotency-Key")
    return key
