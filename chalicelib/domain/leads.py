"""Leads, their timeline, and what a form submission does to them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.attribution import Attribution, Landing, Touch, attribute, campaign_fields, merge
from chalicelib.domain.clock import iso
from chalicelib.domain.stages import INITIAL_STAGE, STAGE_AFTER_FORM, moves_forward

MARKETING = "marketing"
REFERRAL = "referral"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def lead_id_for(tenant_id: str, email: str) -> str:
    """One person is one lead per tenant: the id follows from the e-mail in any letter case.

    Deriving it (instead of looking it up) keeps a form submission within a few requests and makes
    two concurrent first submissions of the same person collide on one item instead of making two
    leads.
    """
    digest = hashlib.sha256(f"{tenant_id}\n{normalise_email(email)}".encode()).digest()
    return "ld_" + base64.b32encode(digest[:15]).decode().lower()


@dataclass(frozen=True)
class TimelineEvent:
    event_id: str
    type: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)
    # Orders events that happen in the same millisecond (a form submission and the stage change it causes).
    seq: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "at": self.at, "event_id": self.event_id, **self.details}


@dataclass(frozen=True)
class Lead:
    tenant_id: str
    lead_id: str
    email: str
    stage: str
    stage_entered_at: str
    lead_type: str
    first_touch: Touch
    last_touch: Touch
    created_at: str
    updated_at: str
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    referred_by: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    consent: dict[str, dict[str, Any]] = field(default_factory=dict)
    visitors: tuple[str, ...] = ()
    submissions: int = 0
    # Hand-over name → id: a lead has at most one hand-over of each kind of the tenant's journey.
    handovers: dict[str, str] = field(default_factory=dict)
    version: int = 0


@dataclass(frozen=True)
class Submission:
    """A validated form submission, as the domain sees it."""

    email: str
    form: str = "contact"
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    message: str | None = None
    visitor_id: str | None = None
    referred_by: str | None = None
    consent: dict[str, bool] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    page_url: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class SubmissionOutcome:
    lead: Lead
    events: tuple[TimelineEvent, ...]
    created: bool
    visitor_id: str | None = None


def _lead_type(submission: Submission, landings: Sequence[Landing]) -> str:
    if submission.referred_by:
        return REFERRAL
    if any(campaign_fields(landing.url).get("utm_medium") == "referral" for landing in landings):
        return REFERRAL
    return MARKETING


def apply_submission(
    tenant_id: str,
    existing: Lead | None,
    submission: Submission,
    landings: Sequence[Landing],
    now: datetime,
    new_id: Callable[[], str],
) -> SubmissionOutcome:
    """What a form submission does: create or update the lead, attribute it, move it forward.

    ``landings`` are the visitor's earlier page views, oldest first, plus the page the form was on.
    The lead type is decided when the lead is created and never flips afterwards, so marketing and
    referral figures stay apart.
    """
    at = iso(now)
    evidence = attribute(landings)
    previous = Attribution(existing.first_touch, existing.last_touch) if existing else None
    touches = merge(previous, evidence)
    consent = dict(existing.consent) if existing else {}
    for purpose, granted in submission.consent.items():
        consent[purpose] = {"granted": granted, "at": at, "source": f"form:{submission.form}"}
    visitors = list(existing.visitors) if existing else []
    if submission.visitor_id and submission.visitor_id not in visitors:
        visitors.append(submission.visitor_id)

    if existing is None:
        lead = Lead(
            tenant_id=tenant_id,
            lead_id=lead_id_for(tenant_id, submission.email),
            email=normalise_email(submission.email),
            stage=INITIAL_STAGE,
            stage_entered_at=at,
            lead_type=_lead_type(submission, landings),
            first_touch=touches.first_touch,
            last_touch=touches.last_touch,
            created_at=at,
            updated_at=at,
            referred_by=submission.referred_by,
        )
    else:
        lead = existing
    lead = replace(
        lead,
        name=submission.name or lead.name,
        phone=submission.phone or lead.phone,
        company=submission.company or lead.company,
        referred_by=lead.referred_by or submission.referred_by,
        fields={**lead.fields, **submission.fields},
        first_touch=touches.first_touch,
        last_touch=touches.last_touch,
        consent=consent,
        visitors=tuple(visitors),
        submissions=lead.submissions + 1,
        updated_at=at,
    )

    submitted = TimelineEvent(
        event_id=new_id(),
        type="form_submit",
        at=at,
        details={
            "form": submission.form,
            "message": submission.message,
            "visitor_id": submission.visitor_id,
            "page_url": submission.page_url,
            "consent": submission.consent or None,
            "ip": submission.ip,
            "channel": touches.last_touch.channel,
            "campaign": touches.last_touch.campaign,
        },
    )
    events = [submitted]
    if moves_forward(lead.stage, STAGE_AFTER_FORM):
        events.append(
            TimelineEvent(
                event_id=new_id(),
                type="stage_change",
                at=at,
                seq=len(events),
                details={"from": lead.stage, "to": STAGE_AFTER_FORM, "cause": "form_submit"},
            )
        )
        lead = replace(lead, stage=STAGE_AFTER_FORM, stage_entered_at=at)
    return SubmissionOutcome(
        lead=lead, events=tuple(events), created=existing is None, visitor_id=submission.visitor_id
    )
