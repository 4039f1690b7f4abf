"""A CRM moving a lead to a stage of the journey: forward only, recorded as a ``stage_change`` by the CRM.

Pure: the service hands in the lead, the journey's stages, the time and the new event's id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.clock import iso
from chalicelib.domain.leads import Lead, TimelineEvent
from chalicelib.domain.stages import moves_forward

CRM = "crm"


@dataclass(frozen=True)
class StageReported:
    """The lead after the CRM named a stage; no events, and why, when it did not move."""

    lead: Lead
    events: tuple[TimelineEvent, ...]
    reason: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.events)


def report_stage(lead: Lead, stage: str, stages: tuple[str, ...], now: datetime, event_id: str) -> StageReported:
    """Move ``lead`` to ``stage`` (one of ``stages``) if that is forward; a lead never moves back.

    The event carries the fields every ``stage_change`` has, so the ``lead.stage_changed`` webhook keeps its
    documented shape (``cause`` and ``rule`` are ``crm``)."""
    if stage == lead.stage:
        return StageReported(lead, (), f"the lead is already in {stage}")
    if not moves_forward(lead.stage, stage, stages):
        return StageReported(lead, (), f"the lead is in {lead.stage}, past {stage}; a lead never moves back")
    at = iso(now)
    event = TimelineEvent(event_id=event_id, type="stage_change", at=at, details={
        "from": lead.stage, "to": stage, "cause": CRM, "rule": CRM,
        "entered_from_at": lead.stage_entered_at})
    return StageReported(replace(lead, stage=stage, stage_entered_at=at, updated_at=at), (event,))
