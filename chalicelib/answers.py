"""What the API's most used routes answer, as pydantic models: for the OpenAPI document, never built at run time.

The handlers answer plain dicts (``chalicelib.services``); these models say which fields a client can rely on and
their types. Each is open (``extra="allow"``): an answer may carry more, a client may ignore it. The schemathesis
run checks every answer against them, and ``tests/integration/test_openapi.py`` validates real answers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(_Answer):
    status: Literal["ok"]
    stage: str


class Collected(_Answer):
    """``POST /collect``: how many of the batch's events were kept, and how many refused (each kept with its
    reason)."""

    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)


class FormAccepted(_Answer):
    """A form as JSON: its lead (the same lead for the same e-mail), and the optional fields that were flagged."""

    lead_id: str
    fields_flagged: list[str]


class TouchView(_Answer):
    channel: str
    source: str | None
    medium: str | None
    campaign: str | None


class LeadView(_Answer):
    """A lead as the tenant's API shows it (``withheld``: a reseller's customer who did not agree to share)."""

    lead_id: str
    email: str | None
    name: str | None
    company: str | None
    phone: str | None
    stage: str
    stage_entered_at: str | None
    lead_type: str | None
    referred_by: str | None
    first_touch: TouchView
    last_touch: TouchView
    touches: list[TouchView]
    consent: dict[str, Any]
    fields: dict[str, Any]
    visitors: list[str]
    created_at: str
    updated_at: str | None
    outcome: dict[str, Any] | None
    withheld: bool = False


class TimelineEntry(_Answer):
    """One event of a lead's journey (a page view, a form, a stage change, a hand-over step, ...), oldest first."""

    type: str
    at: str


class HandoverView(_Answer):
    handover_id: str
    name: str
    lead_id: str
    owner: str | None
    status: str
    started_at: str
    due_at: str | None
    contact_due_at: str | None
    next_step_at: str | None
    accepted_at: str | None
    declined_by: list[str]
    reseller: str | None


class LeadPage(_Answer):
    """``GET /leads``: the leads found, newest first, and the cursor of the next page (``null`` at the end)."""

    leads: list[LeadView]
    next_cursor: str | None


class LeadWithHandovers(LeadView):
    handovers: list[HandoverView]


class LeadDetail(LeadWithHandovers):
    """A lead, its hand-overs and the first page of its timeline (``timeline_next_cursor`` for more)."""

    timeline: list[TimelineEntry]
    timeline_next_cursor: str | None


class Timeline(_Answer):
    lead_id: str
    timeline: list[TimelineEntry]
    next_cursor: str | None


class SurveyHeld(_Answer):
    survey_id: str
    survey: str
    status: str
    sent_at: str | None
    answers: dict[str, Any]
    completed_at: str | None


class PersonExport(_Answer):
    """``GET /admin/people``: everything held about one person (404 when nothing is), the whole timeline."""

    email: str
    exported_at: str
    lead: LeadWithHandovers
    timeline: list[TimelineEntry]
    consent_history: list[TimelineEntry]
    surveys: list[SurveyHeld]


class Erasure(_Answer):
    """``DELETE /admin/people``: the erasure, recorded by the e-mail's hash only; ``changed`` false on a repeat."""

    email_hash: str
    erased: bool
    changed: bool
    erased_at: str | None
    items: dict[str, int]


class ApiDocument(_Answer):
    openapi: Literal["3.1.0"]
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
