"""The "How did it go?" pages behind an outcome link: the won or lost form, the answer recorded, or a dead end.

Opening a link records nothing (mail scanners open links): only the form's POST does, through
``Outcomes.record`` as the owner the link names, and only while that owner holds the hand-over (accepted or
contacted). The same answer again changes nothing and says so; a different one is a correction. A form that
cannot be taken comes back with the problem named and what was typed kept. Every word is from the catalogue
(``messages/outcomes.json``), every date in the hand-over calendar's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, parse_iso
from chalicelib.rendering import language_of, text

if TYPE_CHECKING:
    from chalicelib.domain.handover import HandoverState
    from chalicelib.services.action_links import OutcomeLink
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.outcomes import OutcomeReport, Outcomes
    from chalicelib.services.ports import HandoverRepository, LeadRepository, TenantRegistry

# Why a deal was lost, as the page offers it; the reason recorded is the code, with the owner's words after it.
REASONS = ("competitor", "price", "no_budget", "timing", "no_response", "other")
MAX_NOTE = 400
THOUSANDS = re.compile(r"-?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
MAX_VALUE = Decimal("999999999999.99")
TAKEN = ("accepted", "contacted")
STATUS = {"ask": 200, "recorded": 200, "problem": 422, "not_yours": 409, "failed": 409, "missing": 404,
          "expired": 410, "invalid": 400}


@dataclass(frozen=True)
class OutcomePage:
    """One answer to an outcome link: which page, its language, and what the template needs."""

    kind: str
    language: str
    answer: str
    context: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # what a program asking for JSON gets when the answer was recorded

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    @property
    def template(self) -> str:
        if self.kind in ("ask", "problem"):
            return "outcome_form"
        return "outcome_done" if self.kind == "recorded" else "outcome_refused"

    def values(self) -> dict[str, Any]:
        return {"who": None, "company": None, "problem": None, "problem_field": None, "value": "", "currency": "",
                "date": "", "today": "", "reason": "", "note": "", "reasons": REASONS, "current": None,
                "already": False, "recorded": None, **self.context, "kind": self.kind, "answer": self.answer}


class FormProblem(Exception):
    """What was typed cannot be taken: the catalogue key that says why, and the field."""

    def __init__(self, key: str, field_name: str, **values: Any):
        super().__init__(key)
        self.key = key
        self.field = field_name
        self.values = values


def parse_amount(typed: str) -> Decimal:
    """An amount as people type it in Danish or English: ``25000``, ``25.000,50``, ``25,000.50``, ``25 000``,
    ``31.500``; never negative. With both marks the last is the decimal one; with one, groups of exactly three
    digits are thousands (money has two decimals), anything else is the decimal mark."""
    cleaned = "".join(typed.split())
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "").replace(".", "")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise FormProblem("outcome.problem.value_number", "value") from None
    if not amount.is_finite():
        raise FormProblem("outcome.problem.value_number", "value")
    if amount < 0:
        raise FormProblem("outcome.problem.value_negative", "value")
    if amount > MAX_VALUE:
        raise FormProblem("outcome.problem.value_too_large", "value")
    return amount


def read_form(answer: str, fields: dict[str, str], today: date, zone: str) -> OutcomeReport:
    """The report a submitted form makes, or ``FormProblem`` naming the first thing to change."""
    from chalicelib.services.outcomes import OutcomeReport

    if answer == "lost":
        reason = fields.get("reason", "").strip()
        note = " ".join(fields.get("note", "").split())
        if reason not in REASONS:
            raise FormProblem("outcome.problem.reason", "reason")
        if len(note) > MAX_NOTE:
            raise FormProblem("outcome.problem.note_too_long", "note", limit=MAX_NOTE)
        return OutcomeReport(outcome="lost", reason=f"{reason}: {note}" if note else reason)
    typed_value = fields.get("value", "").strip()
    value = parse_amount(typed_value) if typed_value else None
    typed_date = fields.get("date", "").strip()
    try:
        day = date.fromisoformat(typed_date) if typed_date else today
    except ValueError:
        raise FormProblem("outcome.problem.date", "date") from None
    if day > today:
        raise FormProblem("outcome.problem.date_future", "date")
    # Today is "now"; an earlier day is its midday in the calendar's zone, the same every time it is sent.
    at = None if day == today else datetime.combine(day, time(12, 0), ZoneInfo(zone))
    return OutcomeReport(outcome="won", value=value, at=at)


class OutcomePages:
    """Builds the outcome link pages and records what their forms send."""

    def __init__(self, handovers: HandoverRepository, leads: LeadRepository, journeys: Journeys,
                 contacts: TenantRegistry, outcomes: Outcomes, clock: Clock):
        self.handovers = handovers
        self.leads = leads
        self.journeys = journeys
        self.contacts = contacts
        self.outcomes = outcomes
        self.clock = clock

    def language(self, tenant_id: str | None, owner: str | None, browser: str | None = None) -> str:
        """The owner's language, else the journey's; for a link that names nobody, the browser's, else English."""
        if tenant_id is None:
            return browser or "en"
        contact = self.contacts.owner_contact(tenant_id, owner) if owner else None
        if contact and contact[1]:
            return language_of(contact[1])
        return language_of(self.journeys.definition(tenant_id).language)

    def refused(self, kind: str, tenant_id: str | None, owner: str | None, answer: str,
                browser: str | None = None) -> OutcomePage:
        """The page for a link that does not hold (``expired`` or ``invalid``)."""
        return OutcomePage(kind=kind, language=self.language(tenant_id, owner, browser), answer=answer)

    def page(self, link: OutcomeLink) -> OutcomePage:
        """What opening the link shows: the form while the hand-over is the owner's, else why not."""
        language = self.language(link.tenant_id, link.owner)
        dead_end = self._dead_end(link, language)
        if dead_end is not None:
            return dead_end
        return OutcomePage(kind="ask", language=language, answer=link.answer, context=self._form(link, language))

    def submit(self, link: OutcomeLink, fields: dict[str, str]) -> OutcomePage:
        """Record what the form sends, as the link's owner; the page of what happened."""
        from chalicelib.errors import Conflict, LeadtrailError, NotFound

        language = self.language(link.tenant_id, link.owner)
        dead_end = self._dead_end(link, language)
        if dead_end is not None:
            return dead_end
        zone = self._zone(link)
        typed = {name: fields.get(name, "") for name in ("value", "date", "reason", "note")}
        try:
            report = read_form(link.answer, fields, self._today(zone), zone)
        except FormProblem as problem:
            return OutcomePage(kind="problem", language=language, answer=link.answer, context={
                **self._form(link, language), **typed,
                "problem": text(language, problem.key, **problem.values), "problem_field": problem.field})
        try:
            answer = self.outcomes.record(link.tenant_id, link.lead_id, Actor(kind="link", owner=link.owner), report)
        except NotFound:
            return OutcomePage(kind="not_yours", language=language, answer=link.answer)
        except Conflict:
            return OutcomePage(kind="failed", language=language, answer=link.answer)
        except LeadtrailError as error:
            return OutcomePage(kind="problem", language=language, answer=link.answer, context={
                **self._form(link, language), **typed, "problem": text(language, "outcome.problem.other"),
                "problem_field": error.field})
        return OutcomePage(kind="recorded", language=language, answer=link.answer, body=answer, context={
            **self._lead_names(link), "already": not answer.get("changed", True),
            "recorded": self._summary(answer, zone, language)})

    # --- the parts of a page ----------------------------------------------------------------------

    def _dead_end(self, link: OutcomeLink, language: str) -> OutcomePage | None:
        """The page when the link no longer gives its owner a say: no such hand-over, or not theirs now."""
        state = self.handovers.handover(link.tenant_id, link.handover_id)
        if state is None or state.lead_id != link.lead_id or self.leads.lead(link.tenant_id, link.lead_id) is None:
            return OutcomePage(kind="missing", language=language, answer=link.answer)
        if not _holds(state, link.owner):
            return OutcomePage(kind="not_yours", language=language, answer=link.answer)
        return None

    def _form(self, link: OutcomeLink, language: str) -> dict[str, Any]:
        """The form's names and starting values: the lead, the journey's default deal value, today."""
        default_value, currency = self.outcomes.defaults(link.tenant_id)
        lead = self.leads.lead(link.tenant_id, link.lead_id)
        current = lead.outcome if lead is not None else None
        value = current.value if current is not None and current.outcome == "won" and current.value else None
        zone = self._zone(link)
        today = self._today(zone).isoformat()
        return {**self._lead_names(link), "value": value or default_value or "", "currency": currency,
                "date": today, "today": today,
                "current": self._summary({"outcome": current.outcome, "value": current.value,
                                          "currency": current.currency, "reason": current.reason, "at": current.at},
                                         zone, language)
                if current is not None else None}

    def _lead_names(self, link: OutcomeLink) -> dict[str, Any]:
        lead = self.leads.lead(link.tenant_id, link.lead_id)
        if lead is None:
            return {"who": link.lead_id, "company": None}
        who = lead.name or lead.company or lead.email
        return {"who": who, "company": lead.company if lead.company != who else None}

    def _summary(self, answer: dict[str, Any], zone: str, language: str) -> dict[str, Any]:
        """An outcome as the page says it: what, how much, which day (in the calendar's zone)."""
        at = answer.get("at")
        day = parse_iso(at).astimezone(ZoneInfo(zone)).date().isoformat() if at else None
        return {"outcome": text(language, f"outcome.word.{answer.get('outcome')}"), "value": answer.get("value"),
                "currency": answer.get("currency"), "day": day, "won": answer.get("outcome") == "won",
                "reason": _reason_words(answer.get("reason"), language)}

    def _zone(self, link: OutcomeLink) -> str:
        """The time zone of the hand-over's calendar (UTC when it has none, or the journey no longer reads)."""
        try:
            journey = self.journeys.definition(link.tenant_id)
            state = self.handovers.handover(link.tenant_id, link.handover_id)
            definition = journey.handover(state.name) if state is not None else None
            clock = journey.clock_for(definition) if definition is not None else None
        except Exception:  # noqa: BLE001 - a journey that no longer reads must not hide the form
            return "UTC"
        return str(getattr(clock, "timezone", None) or "UTC")

    def _today(self, zone: str) -> date:
        return self.clock().astimezone(ZoneInfo(zone)).date()


def _reason_words(reason: str | None, language: str) -> str | None:
    """A recorded reason in the page's words: the choice's label, then the owner's own words."""
    if not reason:
        return None
    code, _, note = reason.partition(": ")
    if code not in REASONS:
        return reason
    label = text(language, f"outcome.reason.{code}")
    return f"{label}: {note}" if note else label


def _holds(state: HandoverState, owner: str) -> bool:
    return state.status in TAKEN and state.owner == owner


def outcome_pages() -> OutcomePages:
    """The service, built from the container's parts (the wiring stays in bootstrap's hands)."""
    from chalicelib.bootstrap import container

    parts = container()
    repositories = parts.repositories
    return OutcomePages(repositories.handovers, repositories.leads, parts.journeys, repositories.tenancy,
                        parts.outcomes, parts.clock)
