"""End-customer surveys: scheduled from the change stream after the journey's events, sent by the timers (the same
deadline handler as the hand-over ladders), answered on a hosted page behind a signed link, reported per owner,
reseller, channel, campaign and survey.

Links. The survey link's token (purpose ``survey``) names the survey, its lead, hand-over, owner and reseller and
expires with the survey; the unsubscribe link's token (purpose ``survey_unsubscribe``) names the survey and lasts a
year. Opening either records nothing: a page shows the question (a score from the e-mail preselected) or the
"unsubscribe" button; only the person's submit records.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from chalicelib.domain.clock import Clock, epoch_seconds, iso, parse_iso
from chalicelib.domain.leads import Lead, TimelineEvent, normalise_email
from chalicelib.domain.surveys import (
    ANSWERED,
    SENT,
    AnswerRefused,
    Eligibility,
    Question,
    SurveyChange,
    SurveyState,
    answer,
    fire,
    resume_at,
    survey_id_for,
)
from chalicelib.domain.tokens import Keyring, TokenClaims, TokenRefused, issue, read
from chalicelib.errors import ConcurrentUpdate
from chalicelib.observability import count, traced
from chalicelib.services.ports import HandoverRepository, LeadRepository, TenantRegistry
from chalicelib.services.survey_ports import SurveyStore

if TYPE_CHECKING:
    from chalicelib.domain.journey import JourneyDefinition, SurveyDefinition
    from chalicelib.domain.resellers import Reseller
    from chalicelib.services.journeys import Journeys

SURVEY = "survey"
UNSUBSCRIBE = "survey_unsubscribe"
UNSUBSCRIBE_LIFETIME = timedelta(days=366)
MAX_ATTEMPTS = 5
TAKEN = ("accepted", "contacted")


def person_of(email: str) -> str:
    """How the person-level rules name someone: a hash of the normalised e-mail, never the address."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


@dataclass(frozen=True)
class SurveyLink:
    tenant_id: str
    survey_id: str


@dataclass(frozen=True)
class SurveyPage:
    """One answer to a survey link: which page, its status, its language, and what the template needs."""

    kind: str  # question, done, already, closed, expired, invalid, unsubscribe, unsubscribed
    language: str
    status: int = 200
    context: dict[str, Any] = field(default_factory=dict)
    redirect: str | None = None


class Surveys:
    def __init__(self, store: SurveyStore, leads: LeadRepository, handovers: HandoverRepository, journeys: Journeys,
                 tenants: TenantRegistry, resellers: Callable[[str], list[Reseller]], keyring: Keyring,
                 public_url: str, clock: Clock, new_id: Callable[[], str] | None = None):
        self.store = store
        self.leads = leads
        self.handovers = handovers
        self.journeys = journeys
        self.tenants = tenants
        self.resellers = resellers
        self.keyring = keyring
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    # --- scheduling ---------------------------------------------------------------------------------------

    @traced
    def schedule(self, tenant_id: str, lead_id: str, trigger: str, handover_id: str | None, at: str) -> list[str]:
        """Plan the journey's surveys ``after`` this event, once per hand-over and survey (a redelivered event
        plans nothing more); each starts its timer from the change stream."""
        from chalicelib.domain.sla import ALWAYS, parse_delay, parse_duration

        journey = self.journeys.definition(tenant_id)
        definitions = journey.surveys_after(trigger)
        lead = self.leads.lead(tenant_id, lead_id) if definitions else None
        if lead is None:
            return []
        handovers = self.handovers.lead_handovers(tenant_id, lead_id)
        held = next((state for state in handovers if state.handover_id == handover_id), None) if handover_id else \
            next((state for state in reversed(handovers) if state.status in TAKEN), None)
        if held is None:
            return []
        planned = []
        definition = journey.handover(held.name)
        calendar = self._reseller(tenant_id, held.reseller)
        clock = journey.clock_for(definition, calendar.calendar if calendar else None) if definition else ALWAYS
        for survey in definitions:
            survey_id = survey_id_for(lead_id, held.handover_id, survey.name)
            if self.store.survey(tenant_id, survey_id) is not None:
                continue
            delay = parse_delay(survey.delay)
            due = clock.add(parse_iso(at), delay) if delay else parse_iso(at)
            state = SurveyState(
                tenant_id=tenant_id, survey_id=survey_id, lead_id=lead_id, handover_id=held.handover_id,
                name=survey.name, status="scheduled", due_at=iso(due),
                expires_at=iso(due + parse_duration(survey.expires)), owner=held.owner, reseller=held.reseller,
                channel=lead.last_touch.channel, campaign=lead.last_touch.campaign,
                handover_started_at=held.started_at,
                reminder_at=iso(due + parse_duration(survey.reminder)) if survey.reminder else None)
            event = TimelineEvent(event_id=self.new_id(), type="survey_scheduled", at=iso(self.clock()), details={
                "survey_id": survey_id, "survey": survey.name, "handover_id": held.handover_id, "after": trigger,
                "due_at": state.due_at})
            try:
                self.store.save_survey_change(SurveyChange(state, (event,)), None,
                                              {"timer": state.due_at, "timer_id": survey_id})
            except ConcurrentUpdate:
                continue  # planned by a concurrent delivery of the same event
            planned.append(survey_id)
            count("SurveysScheduled")
        return planned

    # --- sending ------------------------------------------------------------------------------------------

    @traced
    def fire_due(self, tenant_id: str, survey_id: str) -> str | None:
        """The deadline handler for a survey: send it (or skip it), or remind; answers its next due time."""
        for _ in range(MAX_ATTEMPTS):
            state = self.store.survey(tenant_id, survey_id)
            if state is None:
                return None
            lead = self.leads.lead(tenant_id, state.lead_id)
            now = self.clock()
            journey = self.journeys.definition(tenant_id)
            check = functools.partial(self._eligibility, tenant_id, lead, journey, now)
            change = fire(state, now, check, self.new_id)
            if change is None:
                return state.next_due_at
            sending = change.state.status == SENT and state.status != SENT
            person = person_of(lead.email) if sending and lead is not None else None
            since = iso(now - self._interval(journey))
            try:
                self.store.save_survey_change(change, state.version, sent_to=person, not_since=since)
            except ConcurrentUpdate:
                continue  # another delivery fired it, or the person was surveyed a moment ago: read again
            count({"survey_sent": "SurveysSent", "survey_skipped": "SurveysSkipped",
                   "survey_reminded": "SurveyRemindersSent"}.get(change.events[0].type, "SurveyEvents")
                  if change.events else "SurveyEvents")
            return change.state.next_due_at
        return None

    def _eligibility(self, tenant_id: str, lead: Lead | None, journey: JourneyDefinition, now: datetime
                     ) -> Eligibility:
        if lead is None:
            return Eligibility(consent=False, unsubscribed=False, surveyed_recently=False)
        person = person_of(lead.email)
        record = lead.consent.get("survey") or {}
        refused = record.get("granted") is False
        consent = not refused and (record.get("granted") is True or journey.survey_basis == "legitimate_interest")
        last = self.store.last_surveyed(tenant_id, person)
        return Eligibility(consent=consent, unsubscribed=self.store.unsubscribed(tenant_id, person),
                           surveyed_recently=bool(last and parse_iso(last) > now - self._interval(journey)))

    @staticmethod
    def _interval(journey: JourneyDefinition) -> timedelta:
        from chalicelib.domain.sla import parse_duration

        return parse_duration(journey.survey_interval)

    def _reseller(self, tenant_id: str, reseller_id: str | None) -> Reseller | None:
        if not reseller_id:
            return None
        return next((r for r in self.resellers(tenant_id) if r.reseller_id == reseller_id), None)

    # --- what the e-mail and the page say -----------------------------------------------------------------

    def definition(self, tenant_id: str, state: SurveyState) -> tuple[SurveyDefinition | None, tuple[Question, ...]]:
        journey = self.journeys.definition(tenant_id)
        survey = journey.survey(state.name)
        if survey is None:
            from chalicelib.domain.surveys import DEFAULT_QUESTIONS

            return None, DEFAULT_QUESTIONS
        return survey, survey.asked()

    def language(self, tenant_id: str, state: SurveyState | None) -> str:
        """The survey's language, else the journey's."""
        journey = self.journeys.definition(tenant_id)
        survey = journey.survey(state.name) if state is not None else None
        return (survey.language if survey and survey.language else None) or journey.language

    def placeholders(self, tenant_id: str, state: SurveyState) -> dict[str, str | None]:
        """``{company}``: who sold, as the customer knows them: the reseller, else the tenant; ``{owner}`` the
        same (owners are known by their e-mail, which a question should not show)."""
        reseller = self._reseller(tenant_id, state.reseller)
        tenant = self.tenants.tenant(tenant_id)
        company = reseller.name if reseller else (tenant.name if tenant else None)
        return {"company": company, "owner": company, "tenant": tenant.name if tenant else None}

    def survey_url(self, state: SurveyState, **query: str) -> str:
        claims = TokenClaims(purpose=SURVEY, tenant_id=state.tenant_id, subject=state.survey_id,
                             expires=epoch_seconds(parse_iso(state.expires_at)),
                             data={"lead": state.lead_id, "handover": state.handover_id, "owner": state.owner,
                                   "reseller": state.reseller or ""})
        return f"{self.public_url}/s/{quote(issue(self.keyring, claims), safe='')}" + (
            f"?{urlencode(query)}" if query else "")

    def unsubscribe_url(self, state: SurveyState) -> str:
        claims = TokenClaims(purpose=UNSUBSCRIBE, tenant_id=state.tenant_id, subject=state.survey_id,
                             expires=epoch_seconds(self.clock() + UNSUBSCRIBE_LIFETIME), data={"lead": state.lead_id})
        return f"{self.public_url}/u/{quote(issue(self.keyring, claims), safe='')}"

    def read_link(self, token: str, purpose: str = SURVEY) -> SurveyLink:
        """The survey a genuine, unexpired link names; ``TokenRefused`` otherwise (expired ones keep their
        claims, so the page can speak the tenant's language)."""
        claims = read(self.keyring, token, purpose, self.clock())
        return SurveyLink(tenant_id=claims.tenant_id, survey_id=claims.subject)

    # --- the hosted page ----------------------------------------------------------------------------------

    def page(self, token: str, step: str | None, preset: str | None) -> SurveyPage:
        """What a survey link shows: the question to answer (resuming at the first unanswered one), with a
        score from the e-mail chosen but not recorded; or why there is nothing to answer."""
        link, state, refused = self._open(token, SURVEY)
        if refused is not None:
            return refused
        assert link is not None and state is not None
        return self._question_page(link.tenant_id, state, _index(step), preset)

    @traced
    def submit(self, token: str, fields: dict[str, str]) -> SurveyPage:
        """Keep this page's answer and go on (``next``), back, or finish (``send``); recorded once, and a finished
        survey records nothing more."""
        link, state, refused = self._open(token, SURVEY)
        if refused is not None:
            return refused
        assert link is not None and state is not None
        _, questions = self.definition(link.tenant_id, state)
        index = min(_index(fields.get("step")) or 0, len(questions) - 1)
        question = questions[index]
        given = {question.question_id: fields.get("answer", "")}
        action = fields.get("action", "next")
        finish = action == "send" or index == len(questions) - 1 and action != "back"
        for _ in range(MAX_ATTEMPTS):
            handover = self.handovers.handover(link.tenant_id, state.handover_id)
            try:
                change = answer(state, questions, given, self.clock(), self.new_id,
                                handover.status if handover else None, finish=finish)
            except AnswerRefused as refused_answer:
                if refused_answer.reason == "invalid":
                    return self._question_page(link.tenant_id, state, index, None, problem=True)
                return self._ended(link.tenant_id, state)
            effects = self._dispute_effects(change)
            try:
                if change.events or change.state != state:
                    self.store.save_survey_change(change, state.version, effects)
            except ConcurrentUpdate:
                state = self.store.survey(link.tenant_id, state.survey_id) or state
                continue
            for event in change.events:
                if event.type == "survey_answered":
                    count("SurveyAnswers")
                elif event.type == "contact_disputed":
                    count("ContactDisputes")
            if change.state.status == ANSWERED:
                return self._ended(link.tenant_id, change.state, just_now=True)
            following = max(index - 1, 0) if action == "back" else min(index + 1, len(questions) - 1)
            return SurveyPage(kind="redirect", language=self.language(link.tenant_id, state), status=303,
                              redirect=f"/s/{quote(token, safe='')}?step={following}")
        return self._question_page(link.tenant_id, state, index, None, problem=True)

    def _dispute_effects(self, change: SurveyChange) -> dict[str, Any] | None:
        """A disputed contact tells whoever the hand-over's ladder escalates to (else the journey's manager)."""
        if not change.notify:
            return None
        from dataclasses import asdict

        from chalicelib.domain.handover import Notification, escalation_target

        notes = []
        for note in change.notify:
            handover = self.handovers.handover(change.state.tenant_id, note["handover_id"])
            notes.append(asdict(Notification(
                kind="contact_disputed", to=escalation_target(handover) if handover else "",
                name=handover.name if handover else "", handover_id=note["handover_id"], lead_id=note["lead_id"],
                owner=note["owner"], due_at="", reseller=note["reseller"])))
        return {"notify": notes}

    def unsubscribe_page(self, token: str) -> SurveyPage:
        """The unsubscribe link opens a page with one button (a mail scanner's visit changes nothing)."""
        link, state, refused = self._open(token, UNSUBSCRIBE, any_status=True)
        if refused is not None:
            return refused
        assert link is not None
        return SurveyPage(kind="unsubscribe", language=self.language(link.tenant_id, state),
                          context=self._company(link.tenant_id, state))

    @traced
    def unsubscribe(self, token: str) -> SurveyPage:
        """One click (RFC 8058's POST, or the page's button): no survey of this tenant goes to this person again."""
        link, state, refused = self._open(token, UNSUBSCRIBE, any_status=True)
        if refused is not None:
            return refused
        assert link is not None and state is not None
        lead = self.leads.lead(link.tenant_id, state.lead_id)
        if lead is not None and self.store.unsubscribe(link.tenant_id, person_of(lead.email), iso(self.clock()),
                                                       state.survey_id):
            count("SurveyUnsubscribes")
        return SurveyPage(kind="unsubscribed", language=self.language(link.tenant_id, state),
                          context=self._company(link.tenant_id, state))

    # --- the parts ----------------------------------------------------------------------------------------

    def _open(self, token: str, purpose: str, any_status: bool = False
              ) -> tuple[SurveyLink | None, SurveyState | None, SurveyPage | None]:
        try:
            link = self.read_link(token, purpose)
        except TokenRefused as refused:
            claims = refused.claims
            if refused.reason == "expired" and claims is not None:
                state = self.store.survey(claims.tenant_id, claims.subject)
                return None, None, SurveyPage(kind="expired", status=410,
                                              language=self.language(claims.tenant_id, state) if state else "",
                                              context=self._company(claims.tenant_id, state) if state else {})
            return None, None, SurveyPage(kind="invalid", status=400, language="")
        state = self.store.survey(link.tenant_id, link.survey_id)
        if state is None:
            return None, None, SurveyPage(kind="invalid", status=404, language=self.language(link.tenant_id, None))
        if not any_status and state.status != SENT:
            return link, state, self._ended(link.tenant_id, state)
        return link, state, None

    def _ended(self, tenant_id: str, state: SurveyState, just_now: bool = False) -> SurveyPage:
        language = self.language(tenant_id, state)
        context = self._company(tenant_id, state)
        if state.status == ANSWERED:
            return SurveyPage(kind="done" if just_now else "already", language=language, context=context)
        status = 410 if state.status == SENT else 409
        return SurveyPage(kind="closed", language=language, status=status, context=context)

    def _company(self, tenant_id: str, state: SurveyState | None) -> dict[str, Any]:
        tenant = self.tenants.tenant(tenant_id)
        values = self.placeholders(tenant_id, state) if state is not None else {}
        return {"tenant": tenant.name if tenant else "", "company": values.get("company")}

    def _question_page(self, tenant_id: str, state: SurveyState, index: int | None, preset: str | None,
                       problem: bool = False) -> SurveyPage:
        if not state.open_at(self.clock()):
            return self._ended(tenant_id, state)
        _, questions = self.definition(tenant_id, state)
        language = self.language(tenant_id, state)
        at = resume_at(state, questions) if index is None else min(max(index, 0), len(questions) - 1)
        question = questions[at]
        values = self.placeholders(tenant_id, state)
        chosen = preset if preset is not None and question.read(preset) is not None else state.answers.get(
            question.question_id)
        return SurveyPage(kind="question", language=language, status=422 if problem else 200, context={
            **self._company(tenant_id, state), "question": question, "wording": question.wording(language, values),
            "choices": [(choice.choice_id, choice.text.get(language) or choice.text.get("en") or choice.choice_id)
                        for choice in question.choices],
            "chosen": "" if chosen is None else str(chosen), "step": at, "steps": len(questions),
            "last": at == len(questions) - 1, "problem": problem})


def _index(text: str | None) -> int | None:
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) < 4 else None

