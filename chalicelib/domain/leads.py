"""Leads, their timeline, and what a form submission does to them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.domain.attribution import (
    Attribution,
    Landing,
    Touch,
    attribute,
    campaign_fields,
    is_internal,
    merge,
    touch_of,
)
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.stages import DEFAULT_STAGE_RULES, STANDARD_FIELDS, StageRules, viewed

if TYPE_CHECKING:
    from chalicelib.domain.credit import Conversion

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
class LeadOutcome:
    """How the lead ended as last reported (won, lost, disqualified); ``event_id`` is the event that said so.

    ``value`` is money as text with two decimals, so it comes back exactly as it went in."""

    outcome: str
    at: str
    event_id: str
    value: str | None = None
    currency: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class LeadTouch:
    """One landing that counted for the lead's attribution: when, where from, and on which page (its path)."""

    at: str
    touch: Touch
    landing_page: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"at": self.at, **self.touch.as_dict(), "landing_page": self.landing_page}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeadTouch:
        return cls(at=str(data["at"]), touch=Touch.from_dict(data), landing_page=data.get("landing_page"))


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
    outcome: LeadOutcome | None = None
    # The most recent MAX_TOUCHES landings that counted for attribution, oldest first (see lead_touches).
    touches: tuple[LeadTouch, ...] = ()
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


# What one lead item may hold, whatever is posted: a person who posts again and again (or anyone who knows
# their e-mail) must not grow the item towards DynamoDB's 400 KB limit. The history of what was sent lives
# in the form_submit events, each bounded too.
MAX_EXTRA_FIELDS = 20
MAX_FIELD_NAME = 40
MAX_FIELD_VALUE = 500
MAX_CONSENT_PURPOSES = 20
MAX_VISITORS = 20
MAX_TOUCHES = 50
MAX_TEXT = {"name": 200, "phone": 40, "company": 200, "referred_by": 200}
MAX_MESSAGE = 5000
MAX_URL = 2048
CONTACT_DETAILS = ("name", "phone", "company")


def _storable(text: str | None, limit: int) -> str | None:
    """Cut to ``limit`` characters and make it valid UTF-8 (a lone surrogate cannot be stored)."""
    if not isinstance(text, str):
        return None
    cut = text[:limit].encode("utf-8", "replace").decode("utf-8")
    return cut or None


def _submitted_fields(fields: dict[str, str]) -> dict[str, str]:
    """The submission's extra fields, at most ``MAX_EXTRA_FIELDS``, each name and value bounded."""
    kept: dict[str, str] = {}
    for name, value in fields.items():
        text = _storable(value, MAX_FIELD_VALUE)
        if isinstance(name, str) and 0 < len(name) <= MAX_FIELD_NAME and name.isascii() and text:
            kept[name] = text
        if len(kept) == MAX_EXTRA_FIELDS:
            break
    return kept


def _merge_fields(held: dict[str, str], submitted: dict[str, str]) -> dict[str, str]:
    """The latest value of each field; beyond the limit the submission's fields win over older ones."""
    older = [(name, value) for name, value in held.items() if name not in submitted]
    room = max(0, MAX_EXTRA_FIELDS - len(submitted))
    return {**dict(older[len(older) - room:] if room else []), **submitted}


def _merge_consent(
    held: dict[str, dict[str, Any]], submitted: dict[str, bool], at: str, source: str
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The lead's consent after an unauthenticated submission, and the purposes whose answer was not applied.

    A withdrawal is always honoured. A grant is recorded for a purpose the lead has not answered yet, but
    it never overturns an earlier refusal: anyone who knows the e-mail can post a form.
    """
    consent = dict(held)
    not_applied = []
    for purpose, granted in submitted.items():
        record = {"granted": granted, "at": at, "source": source}
        current = consent.get(purpose)
        if current is None:
            if len(consent) < MAX_CONSENT_PURPOSES:
                consent[purpose] = record
            elif granted:
                not_applied.append(purpose)
        elif not granted and current.get("granted") is not False:
            consent[purpose] = record
        elif granted and current.get("granted") is False:
            not_applied.append(purpose)
    return consent, not_applied


def _submitted_consent(held: dict[str, dict[str, Any]], consent: dict[str, bool]) -> dict[str, bool]:
    """The answers to keep in the event: every purpose the lead holds, and a bounded number of others."""
    known = {purpose: granted for purpose, granted in consent.items() if purpose in held}
    others = [(purpose, granted) for purpose, granted in consent.items()
              if purpose not in held and isinstance(purpose, str) and len(purpose) <= MAX_FIELD_NAME]
    return {**known, **dict(others[:MAX_CONSENT_PURPOSES])}


def landing_page(url: str) -> str | None:
    """The page a landing arrived on: the URL's path, without query (campaign fields) or fragment."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    return _storable(path or "/", MAX_URL)


def lead_touches(held: Sequence[LeadTouch], landings: Sequence[Landing], at: str) -> tuple[LeadTouch, ...]:
    """The lead's touches after a submission: ``held`` plus each new landing, in time order, at most MAX_TOUCHES.

    A landing counts when it is a new arrival with campaign fields or an external referrer (not navigation
    inside the site, and not a direct visit: those only decide first/last touch when nothing else does). A
    landing without a time is the form's page, at the submission time ``at``, unless the snippet already saw
    that page view (then the view's time is the touch). The same landing (same time and
    landing page) seen again, e.g. in a retried or a later submission, is kept once. Beyond MAX_TOUCHES the
    oldest are dropped first, so the item stays bounded; ``first_touch`` keeps how the person first came.
    """
    touches = {(touch.at, touch.landing_page): touch for touch in held}
    viewed = {landing.url for landing in landings if landing.at}
    for landing in landings:
        if is_internal(landing) or (landing.at is None and landing.url in viewed):
            continue
        touch = touch_of(landing)
        if touch.channel == "direct":
            continue
        entry = LeadTouch(at=landing.at or at, touch=touch, landing_page=landing_page(landing.url))
        touches.setdefault((entry.at, entry.landing_page), entry)
    ordered = sorted(touches.values(), key=lambda touch: touch.at)
    return tuple(ordered[-MAX_TOUCHES:])


def conversion_of(lead: Lead) -> Conversion:
    """The lead as the attribution models credit it (chalicelib.domain.credit).

    Touchpoints are its touches; a lead without any (older leads, or only direct visits) falls back to its
    first and last touch at its creation. It converted at its outcome's time, or at its creation; a won
    outcome brings its value.
    """
    from decimal import Decimal

    from chalicelib.domain.credit import Conversion, Touchpoint

    created = parse_iso(lead.created_at)
    if lead.touches:
        points = [Touchpoint(parse_iso(t.at), t.touch, t.landing_page) for t in lead.touches]
    elif lead.first_touch == lead.last_touch:
        points = [Touchpoint(created, lead.first_touch)]
    else:
        points = [Touchpoint(created, lead.first_touch), Touchpoint(created, lead.last_touch)]
    outcome = lead.outcome
    converted_at = parse_iso(outcome.at) if outcome else created
    value = Decimal(outcome.value) if outcome and outcome.outcome == "won" and outcome.value else Decimal(0)
    return Conversion(touchpoints=points, converted_at=converted_at, value=value)


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
    stages: StageRules = DEFAULT_STAGE_RULES,
) -> SubmissionOutcome:
    """What a form submission does: create or update the lead, attribute it, move it forward.

    ``landings`` are the visitor's earlier page views, oldest first, plus the page the form was on.
    The lead type is decided when the lead is created and never flips afterwards, so marketing and
    referral figures stay apart. A form is unauthenticated, so it may add to a lead (empty contact
    details, consent for new purposes, a withdrawal) but never replaces what the lead holds: differing
    values stay in the submission's own form_submit event. Everything the lead item holds is bounded.
    A new lead starts in the tenant's first stage and moves to the stage its journey gives ``form_submit``.
    """
    at = iso(now)
    source = f"form:{submission.form}"
    evidence = attribute(landings)
    previous = Attribution(existing.first_touch, existing.last_touch) if existing else None
    touches = merge(previous, evidence)
    held_consent = dict(existing.consent) if existing else {}
    submitted_consent = _submitted_consent(held_consent, dict(submission.consent))
    consent, consent_not_applied = _merge_consent(held_consent, submitted_consent, at, source)
    visitors = list(existing.visitors) if existing else []
    if submission.visitor_id and submission.visitor_id not in visitors:
        visitors.append(submission.visitor_id)
    if len(visitors) > MAX_VISITORS:
        # The first browser shows how the person found us; the newest ones what they do now.
        visitors = visitors[:1] + visitors[len(visitors) - MAX_VISITORS + 1:]

    submitted: dict[str, Any] = {
        name: text for name in (*CONTACT_DETAILS, "referred_by")
        if (text := _storable(getattr(submission, name), MAX_TEXT[name])) is not None
    }
    extra = _submitted_fields(dict(submission.fields))
    if extra:
        submitted["fields"] = extra

    if existing is None:
        lead = Lead(
            tenant_id=tenant_id,
            lead_id=lead_id_for(tenant_id, submission.email),
            email=normalise_email(submission.email),
            stage=stages.initial,
            stage_entered_at=at,
            lead_type=_lead_type(submission, landings),
            first_touch=touches.first_touch,
            last_touch=touches.last_touch,
            created_at=at,
            updated_at=at,
            referred_by=submitted.get("referred_by"),
        )
    else:
        lead = existing
    details_not_applied = [
        name for name in CONTACT_DETAILS
        if name in submitted and getattr(lead, name) and getattr(lead, name) != submitted[name]
    ]
    lead = replace(
        lead,
        name=lead.name or submitted.get("name"),
        phone=lead.phone or submitted.get("phone"),
        company=lead.company or submitted.get("company"),
        referred_by=lead.referred_by or submitted.get("referred_by"),
        fields=_merge_fields(dict(lead.fields), extra),
        first_touch=touches.first_touch,
        last_touch=touches.last_touch,
        touches=lead_touches(lead.touches, landings, at),
        consent=consent,
        visitors=tuple(visitors),
        submissions=lead.submissions + 1,
        updated_at=at,
    )

    details: dict[str, Any] = {
        "form": submission.form,
        "message": _storable(submission.message, MAX_MESSAGE),
        "visitor_id": submission.visitor_id,
        "page_url": _storable(submission.page_url, MAX_URL),
        "consent": submitted_consent or None,
        "ip": submission.ip,
        "channel": touches.last_touch.channel,
        "campaign": touches.last_touch.campaign,
    }
    if submitted:
        details["submitted"] = submitted
    if submitted_consent:
        details["consent_source"] = source
    if details_not_applied:
        details["details_not_applied"] = details_not_applied
    if consent_not_applied:
        details["consent_not_applied"] = consent_not_applied
    events = [TimelineEvent(event_id=new_id(), type="form_submit", at=at, details=details)]
    # Field rules read what the lead holds after this form; page-view rules the browser's views up to now.
    held = {**lead.fields, **{name: value for name in STANDARD_FIELDS if (value := getattr(lead, name))}}
    views = [viewed(landing.url, landing.at) for landing in landings if landing.at]
    move = stages.advance(lead.stage, "form_submit", fields=held, views=views, at=now)
    if move is not None:
        events.append(
            TimelineEvent(
                event_id=new_id(),
                type="stage_change",
                at=at,
                seq=len(events),
                details={"from": lead.stage, "to": move.to, "cause": "form_submit", **move.recorded(),
                         "entered_from_at": lead.stage_entered_at},
            )
        )
        lead = replace(lead, stage=move.to, stage_entered_at=at)
    return SubmissionOutcome(
        lead=lead, events=tuple(events), created=existing is None, visitor_id=submission.visitor_id
    )
