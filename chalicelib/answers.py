"""What the API's routes answer, as pydantic models: for the OpenAPI document, never built at run time.

The handlers answer plain dicts (``chalicelib.services``); these models say which fields a client can rely on and
their types. Each is open (``extra="allow"``): an answer may carry more, a client may ignore it. The schemathesis
run checks every answer against them, and so does every integration test (``tests/contract.py``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


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


# --- a lead's outcome, the hand-over steps ---------------------------------------------------------------------


class OutcomeAnswer(_Answer):
    """A lead's outcome as reported (``POST /leads/{id}/outcome``, a CRM, a reseller, an outcome link):
    ``changed`` false when the same report came again. A CRM's report that only moved the stage has no outcome."""

    lead_id: str
    stage: str
    changed: bool
    outcome: str | None = None
    value: str | None = None
    currency: str | None = None
    reason: str | None = None
    at: str | None = None
    event_id: str | None = None


class CrmAnswer(OutcomeAnswer):
    matched_by: str


class HandoverStep(HandoverView):
    """A hand-over after an accept, decline, contact or rescue; ``changed`` false when nothing had to change."""

    accepted_late: bool | None
    accepted_by: str | None
    contacted_at: str | None
    rescue_of: str | None
    changed: bool


class HandoverPage(HandoverView):
    """A hand-over's link page, as JSON: the hand-over and which page the link shows (``page``)."""

    page: str


class ConsentAnswer(_Answer):
    lead_id: str
    consent: dict[str, Any]
    changed: bool


# --- the tenant's set-up ---------------------------------------------------------------------------------------


class Journey(_Answer):
    """The journey as ``PUT /admin/journey`` takes it (secrets masked), its version and when it was stored."""

    definition: dict[str, Any]
    version: int = Field(ge=0)
    updated_at: str | None


class OwnerKeyHeld(_Answer):
    key_id: str
    issued_at: str


class Owner(_Answer):
    owner: str
    email: str
    language: str | None
    active: bool
    away_until: str | None
    keys: list[OwnerKeyHeld] | None  # null: an owner registered before keys had ids
    last_activity_at: str | None = None
    last_activity_kind: str | None = None


class OwnerList(_Answer):
    owners: list[Owner]


class OwnerMade(_Answer):
    """A new owner and its user key (shown once)."""

    owner: str
    email: str
    user_key: str


class OwnerKeyIssued(_Answer):
    """A new user key (shown once) and the keys it replaced."""

    owner: str
    key_id: str
    user_key: str
    issued_at: str
    revoked: list[str]


class OwnerKeyRevoked(Owner):
    key_id: str
    changed: bool


class DeadLetters(_Answer):
    dead_letters: list[dict[str, Any]]


class Replayed(_Answer):
    letter_id: str
    delivered: bool


class CostRow(_Answer):
    campaign: str
    source: str | None
    medium: str | None
    from_: str = Field(alias="from")
    to: str
    amount: str
    updated_at: str | None


class Costs(_Answer):
    currency: str
    rows: list[CostRow]


class CostsStored(_Answer):
    currency: str
    rows: int = Field(ge=0)
    created: int = Field(ge=0)
    replaced: int = Field(ge=0)
    unchanged: int = Field(ge=0)
    removed: int = Field(ge=0)


class ReportKeyHeld(_Answer):
    key_id: str
    name: str
    campaigns: list[str]
    issued_at: str


class ReportKeyIssued(ReportKeyHeld):
    """A new report key (shown once)."""

    report_key: str


class ReportKeys(_Answer):
    report_keys: list[ReportKeyHeld]


class ReportKeyRevoked(_Answer):
    key_id: str
    revoked: bool


# --- resellers -------------------------------------------------------------------------------------------------


class Reseller(_Answer):
    reseller_id: str
    name: str
    language: str | None
    contacts: list[str]
    inbox: str | None
    manager: str | None
    regions: list[str]
    products: list[str]
    calendar: str | None
    active: bool
    created_at: str
    updated_at: str | None


class ResellerHeld(Reseller):
    """A reseller as the producer sees it (``key_id`` names its key; the key itself is shown once)."""

    key_id: str | None


class ResellerChanged(ResellerHeld):
    changed: bool


class ResellerKeyIssued(ResellerHeld):
    """A reseller and its new API key (shown once), the keys it replaced; on registration its match secret."""

    api_key: str
    revoked: list[str]


class ResellerList(_Answer):
    resellers: list[ResellerHeld]


class ResellerSelf(Reseller):
    """``GET /reseller/me``: the reseller's own record and what it needs to match sales by e-mail hash."""

    match_secret: str
    email_hash: str


class ResellerLead(_Answer):
    """A lead offered to or taken by the reseller (contact details once taken)."""

    lead_id: str
    handover_id: str
    status: str
    handover_status: str
    owner: str | None
    offered_at: str
    due_at: str | None
    accepted_at: str | None
    contacted_at: str | None
    registered: bool
    name: str | None
    company: str | None
    postcode: str | None
    product: str | None


class ResellerLeads(_Answer):
    reseller_id: str
    leads: list[ResellerLead]


class ResellerRegistration(ResellerLead):
    """Contact details once the hand-over is taken (a registration of a lead still offered has none)."""

    email: str | None = None
    phone: str | None = None
    changed: bool


class SaleResult(_Answer):
    row: int = Field(ge=0)
    result: str


class SalesReported(_Answer):
    reseller_id: str
    received: int = Field(ge=0)
    matched: int = Field(ge=0)
    recorded: int = Field(ge=0)
    unchanged: int = Field(ge=0)
    unmatched: int = Field(ge=0)
    results: list[SaleResult]


class UnmatchedSale(_Answer):
    email_hash: str
    outcome: str
    reported_at: str
    reason: str


class UnmatchedSales(_Answer):
    unmatched: list[UnmatchedSale]


class EndCustomer(_Answer):
    """One end customer a reseller reported on; the contact fields are null unless the customer agreed to share."""

    lead_id: str
    reseller: str
    reseller_name: str | None
    reported_at: str
    event_id: str
    outcome: str
    value: str | None
    currency: str | None
    outcome_at: str | None
    shared: bool
    email: str | None
    name: str | None
    phone: str | None
    company: str | None
    postcode: str | None
    current_outcome: dict[str, Any] | None


class EndCustomers(_Answer):
    since: str | None
    end_customers: list[EndCustomer]
    next_cursor: str | None


# --- reports ---------------------------------------------------------------------------------------------------


class _Period(_Answer):
    from_: str = Field(alias="from")
    to: str


class HandoverFigures(_Answer):
    """The hand-over figures of one owner, one reseller or in total (seconds; null when nothing was measured)."""

    open: int = Field(ge=0)
    accepted_in_sla: int = Field(ge=0)
    accepted_late: int = Field(ge=0)
    declined: int = Field(ge=0)
    reassigned: int = Field(ge=0)
    gaps: int = Field(ge=0)
    breaches: int = Field(ge=0)
    contacted: int = Field(ge=0)
    nps: float | None
    time_to_accept_p50: float | None
    time_to_accept_p90: float | None
    time_to_contact_p50: float | None
    time_to_contact_p90: float | None


class OwnerFigures(HandoverFigures):
    handovers: int = Field(ge=0)


class HandoverReport(_Period, OwnerFigures):
    percentile_method: str
    owners: dict[str, OwnerFigures]


class ResellerFigures(HandoverFigures):
    leads_received: int = Field(ge=0)
    won: int = Field(ge=0)
    lost: int = Field(ge=0)
    revenue: str
    win_rate: float | None
    unmatched_sales: int = Field(ge=0)


class ResellerRow(ResellerFigures):
    reseller_id: str
    name: str | None


class ResellerReport(_Period):
    percentile_method: str
    total: ResellerFigures
    resellers: list[ResellerRow]


class Transition(_Answer):
    from_: str = Field(alias="from")
    to: str
    department: str | None


class TransitionFigures(Transition):
    entered: int = Field(ge=0)
    moved: int = Field(ge=0)
    conversion: float | None
    median_seconds: float | None


class FunnelFigures(_Answer):
    """``visitors`` is null for a grouping visitors do not have (such as the owner)."""

    visitors: int | None = Field(ge=0)
    leads: int = Field(ge=0)
    reached: dict[str, int]
    transitions: list[TransitionFigures]


class FunnelGroup(FunnelFigures):
    group: str


class FunnelReport(_Period):
    """Visitors, leads and each stage-to-stage transition, in total and per ``by`` group."""

    by: str
    stages: list[str]
    transitions: list[Transition]
    total: FunnelFigures
    groups: list[FunnelGroup]
    dead_ends: dict[str, list[dict[str, Any]]]


class RoiFigures(_Answer):
    """Money as decimal strings in the report's currency; leads and wins may be fractions (attribution)."""

    cost: str
    visitors: int | None
    leads: str
    won: str
    revenue: str
    cost_per_lead: str | None
    cost_per_won: str | None
    roi: float | None


class RoiGroup(RoiFigures):
    group: str


class RoiPart(_Answer):
    total: RoiFigures
    groups: list[RoiGroup]


class RoiReport(_Period):
    """Marketing's leads and the referrals apart (``referral`` absent when there were none)."""

    currency: str
    by: str
    model: str
    marketing: RoiPart
    referral: RoiPart | None = None


class SurveyFigures(_Answer):
    sent: int = Field(ge=0)
    answered: int = Field(ge=0)
    completed: int = Field(ge=0)
    response_rate: float | None
    nps: float | None
    nps_answers: int = Field(ge=0)
    csat: float | None
    csat_answers: int = Field(ge=0)


class SurveyGroup(SurveyFigures):
    group: str


class SurveyReport(_Period):
    by: str
    total: SurveyFigures
    groups: list[SurveyGroup]


class ResellerAction(RootModel[HandoverStep | OutcomeAnswer | ConsentAnswer]):
    """A reseller's step on a lead: the hand-over after accept, decline or contacted; the outcome after
    ``outcome``; the consent after ``consent``."""


class LinkPage(_Answer):
    """A link's page, as JSON: which page it shows (such as ``confirm``)."""

    page: str


class OutcomeLink(RootModel[OutcomeAnswer | LinkPage]):
    """An outcome link: the page that asks to confirm, or the outcome once it is recorded."""


class HandoverAction(RootModel[HandoverStep | HandoverPage]):
    """A hand-over step by link or key: the hand-over after it, or, when the step could not be taken (such as a
    second decline), the hand-over and the page that says why."""
