"""How a lead ended: won, lost or disqualified, as reported by the owner who took it (or an admin).

The lead keeps the outcome last reported; the timeline keeps every report. A first report is an
``outcome_recorded`` event, a later different one an ``outcome_corrected`` event naming the event it
corrects, so nothing is overwritten silently. The same report again changes nothing. A won lead moves to
the journey's last stage; a lead is never moved back (a won lead reported lost keeps its stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.domain.clock import iso
from chalicelib.domain.leads import Lead, LeadOutcome, TimelineEvent
from chalicelib.domain.stages import DEFAULT_STAGE_RULES, StageRules

OUTCOMES = ("won", "lost", "disqualified")
WON = "won"
MAX_REASON = 500
MAX_VALUE = Decimal("999999999999.99")
CENT = Decimal("0.01")
DEFAULT_CURRENCY = "DKK"
RECORDED = "outcome_recorded"
CORRECTED = "outcome_corrected"


def money(amount: Decimal) -> str:
    """An amount as text with two decimals: exact, and the same however it was sent (1234.5, "1234.50")."""
    return f"{amount.quantize(CENT):f}"


@dataclass(frozen=True)
class Report:
    """One report of an outcome, its defaults filled in. ``at`` is when it happened, or None for "now"."""

    outcome: str
    value: str | None
    currency: str
    reason: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What a report did: the lead after it, the events it wrote (none when it changed nothing)."""

    lead: Lead
    events: tuple[TimelineEvent, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


def repeats(current: LeadOutcome | None, report: Report) -> bool:
    """Whether the report says what the lead already holds: a retry, or a second click on the same link.

    A report without a time repeats one with any time: only a time given on purpose is a correction.
    """
    if current is None:
        return False
    return (current.outcome, current.value, current.currency, current.reason) == (
        report.outcome, report.value, report.currency, report.reason
    ) and (report.at is None or report.at == current.at)


def record_outcome(lead: Lead, report: Report, by: str, owner: str | None, now: datetime,
                   new_id: Callable[[], str], stages: StageRules = DEFAULT_STAGE_RULES, **holder: str) -> Recorded:
    """The lead and the events after ``by`` reports ``report``; nothing when it repeats the current outcome.

    ``holder`` names the reseller holding the lead and when its hand-over started (a reseller's sale)."""
    if repeats(lead.outcome, report):
        return Recorded(lead=lead, events=())
    at = iso(now)
    event_id = new_id()
    previous = lead.outcome
    details: dict[str, Any] = {
        "outcome": report.outcome, "value": report.value, "currency": report.currency, "reason": report.reason,
        "by": by, "owner": owner, "outcome_at": report.at or at, **holder,
    }
    if previous is not None:
        details.update(corrects=previous.event_id, previous={
            "outcome": previous.outcome, "value": previous.value, "currency": previous.currency,
            "reason": previous.reason, "outcome_at": previous.at,
        })
    events = [TimelineEvent(event_id=event_id, type=CORRECTED if previous else RECORDED, at=at, details=details)]
    current = LeadOutcome(outcome=report.outcome, at=report.at or at, event_id=event_id, value=report.value,
                          currency=report.currency, reason=report.reason)
    moved = replace(lead, outcome=current, updated_at=at)
    move = stages.advance(lead.stage, "outcome_won") if report.outcome == WON else None
    if move is not None:
        events.append(TimelineEvent(event_id=new_id(), type="stage_change", at=at, seq=1, details={
            "from": lead.stage, "to": move.to, "cause": "outcome_won", **move.recorded(),
            "entered_from_at": lead.stage_entered_at, "outcome_event_id": event_id}))
        moved = replace(moved, stage=move.to, stage_entered_at=at)
    return Recorded(lead=moved, events=tuple(events))


def present_outcome(outcome: LeadOutcome | None) -> dict[str, Any] | None:
    """The lead's current outcome as the API shows it (``GET /leads/{id}``, the outcome's answer)."""
    if outcome is None:
        return None
    return {"outcome": outcome.outcome, "value": outcome.value, "currency": outcome.currency,
            "reason": outcome.reason, "at": outcome.at, "event_id": outcome.event_id}
