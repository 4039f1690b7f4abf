"""A tenant's journey as data: stages, hand-overs, routing, SLAs and escalation ladders.

The document is validated once, when a tenant stores it (``PUT /admin/journey``); everything
downstream trusts it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.domain.sla import (
    ALWAYS,
    DK_BUSINESS_HOURS,
    Clock,
    calendar_from_spec,
    parse_duration,
    parse_step_at,
    step_due,
)
from chalicelib.domain.stages import DEFAULT_STAGES, STAGE_TRIGGERS, PageViewsRule, Rule, StageRules
from chalicelib.domain.webhooks import secret_key

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
OwnerId = Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=r"^[^\s]+$")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri")
BUILT_IN_CALENDARS = {"dk-business-hours": DK_BUSINESS_HOURS}
# An address Leadtrail writes to: one @, a dotted domain, nothing that could split a header.
_EMAIL_ADDRESS = re.compile(r"^[^\s@<>,;\"]+@[^\s@<>,;\"]+\.[^\s@<>,;\".]+$")
TRIGGERS = ("form_submit",)
StageTrigger = Literal["form_submit", "accepted"]
# Pydantic puts these before a validator's own message; a person reading the answer needs only the message.
_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")
# A journey is proven plannable when it is stored: every ladder is planned from this moment and from a year
# later (or from the "now" given in the validation context), so a form never meets a ladder it cannot plan.
PLANNING_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)
PLANNING_HORIZON = timedelta(days=366)


class _Strict(BaseModel):
    # Built on first use (a form, a journey change), not at import: the capture path never needs them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _duration(value: str) -> str:
    parse_duration(value)
    return value


class RoundRobinRoute(_Strict):
    strategy: Literal["round_robin"]
    owners: list[OwnerId] = Field(min_length=1, max_length=100)

    @field_validator("owners")
    @classmethod
    def _unique(cls, owners: list[str]) -> list[str]:
        if len(set(owners)) != len(owners):
            raise ValueError("each owner may appear once")
        return owners


class MatchRule(_Strict):
    """One rule of a ``match`` route: a value or a range of the lead's field, and who gets the lead."""

    field: Name | None = None
    equals: list[Annotated[str, StringConstraints(max_length=200)]] | None = None
    range: tuple[
        Annotated[str, StringConstraints(max_length=200)], Annotated[str, StringConstraints(max_length=200)]
    ] | None = None
    owner: OwnerId | None = None
    team: list[OwnerId] | None = Field(default=None, min_length=1)
    reseller: OwnerId | None = None

    @model_validator(mode="after")
    def _one_condition_one_target(self) -> MatchRule:
        if (self.equals is None) == (self.range is None):
            raise ValueError("give exactly one of equals or range")
        if sum(target is not None for target in (self.owner, self.team, self.reseller)) != 1:
            raise ValueError("give exactly one of owner, team or reseller")
        return self

    def candidates(self) -> list[str]:
        if self.team:
            return list(self.team)
        return [self.owner or self.reseller or ""]


class MatchRoute(_Strict):
    strategy: Literal["match"]
    field: Name
    rules: list[MatchRule] = Field(min_length=1, max_length=200)
    fallback: OwnerId


class ResellerRoute(_Strict):
    """Hand the lead to a reseller (``POST /admin/resellers``): the active ones whose postcode ranges hold the lead's
    postcode, or that sell its product, or all of them in turn; then to the reseller's inbox or one of its people
    in the reseller's own turn. A decline or a reassignment goes to the next reseller, never back. ``others`` says
    whether the resellers that do not match come after those that do (``next``: they are next after a decline,
    and a lead none matches goes to them in turn) or never get the lead (``never``: with no match it is a gap)."""

    strategy: Literal["resellers"]
    match: Literal["postcode", "product", "round_robin"] = "postcode"
    # The lead's field holding the postcode or product (the match's own name when left out).
    field: Name | None = None
    others: Literal["next", "never"] = "next"

    @property
    def lead_field(self) -> str:
        return self.field or self.match


Route = Annotated[RoundRobinRoute | MatchRoute | ResellerRoute, Field(discriminator="strategy")]
# Ladder targets that name a role instead of a person: the holder's reseller's manager, the producer's channel
# manager (the journey's ``channel_manager``, else its ``manager_email``).
RESELLER_MANAGER, CHANNEL_MANAGER = "reseller_manager", "channel_manager"


class Sla(_Strict):
    accept_within: str
    contact_within: str | None = None
    calendar: Name | None = None

    @field_validator("accept_within", "contact_within")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        return _duration(value) if value is not None else None

    @property
    def accept(self) -> timedelta:
        return parse_duration(self.accept_within)

    @property
    def contact(self) -> timedelta | None:
        return parse_duration(self.contact_within) if self.contact_within else None


class EscalationStep(_Strict):
    at: str
    action: Literal["remind", "escalate", "reassign", "gap"]
    to: OwnerId | None = None

    @field_validator("at")
    @classmethod
    def _check_at(cls, value: str) -> str:
        parse_step_at(value)
        return value

    @model_validator(mode="after")
    def _escalate_needs_someone(self) -> EscalationStep:
        if self.action == "escalate" and not self.to:
            raise ValueError("an escalate step needs 'to'")
        return self


class Handover(_Strict):
    name: Name
    on: Literal["form_submit"]
    route: Route
    sla: Sla
    escalation: list[EscalationStep] = Field(default_factory=list, max_length=20)

    @field_validator("escalation")
    @classmethod
    def _one_gap_at_most(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        if sum(step.action == "gap" for step in steps) > 1:
            raise ValueError("a ladder has at most one gap step")
        return steps

    @model_validator(mode="after")
    def _steps_within_the_ladder(self) -> Handover:
        # The gap ends a hand-over: a step due after it would never fire, so it is refused, naming the step.
        gap = next((step for step in self.escalation if step.action == "gap"), None)
        if gap is None:
            return self
        ends = _step_offset(gap.at, self.sla.accept)
        problems = [
            _problem(("escalation", index, "at"), step.at,
                     f"{step.at} comes after the gap step at {gap.at}, where the ladder ends; it would never fire")
            for index, step in enumerate(self.escalation)
            if step is not gap and _step_offset(step.at, self.sla.accept) > ends
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


class CalendarDefinition(_Strict):
    timezone: str = "Europe/Copenhagen"
    days: list[Day] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    opens: Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")] = "08:00"
    closes: Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}$")] = "16:00"
    holidays: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = "DK"
    closed_dates: list[date] = Field(default_factory=list, max_length=400)


class Webhook(_Strict):
    # http is accepted here so one document works on every stage; the transport refuses it outside local.
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2048)]
    secret: Annotated[str, StringConstraints(max_length=256)]

    @field_validator("secret")
    @classmethod
    def _standard_webhooks_secret(cls, secret: str) -> str:
        secret_key(secret)
        return secret


class PageViews(_Strict):
    """Page views that move a lead: at least ``at_least`` views of pages matching ``url_matches`` (a shell-style
    pattern on the page's path, ``*`` for any text), within ``within`` of each other when given."""

    url_matches: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    at_least: int = Field(default=1, ge=1, le=1000)
    within: str | None = None

    @field_validator("within")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        return _duration(value) if value is not None else None


CriterionEvent = Literal["form_submit", "handover_accepted", "contacted", "outcome_won"]
CRITERION_EVENTS: tuple[str, ...] = ("form_submit", "handover_accepted", "contacted", "outcome_won")


class Criterion(_Strict):
    """One rule that moves a lead out of a stage: an event, page views, or a field value of the lead.

    The lead moves to the next stage of the journey, or to ``to`` (a later stage) when given; ``name`` labels
    the rule in the timeline and the reports (left out: the rule is named by what it checks).
    """

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    event: CriterionEvent | None = None
    page_views: PageViews | None = None
    field: Name | None = None
    equals: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(default=None, min_length=1,
                                                                                     max_length=50)
    to: Name | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        if sum(part is not None for part in (self.event, self.page_views, self.field)) != 1:
            raise ValueError("give exactly one of event, page_views or field")
        if self.equals is not None and self.field is None:
            raise ValueError("equals goes with field")
        return self


class CrmInbound(_Strict):
    """The secret a CRM signs its calls to ``POST /inbound/{tenant}/crm`` with (Standard Webhooks, whsec_)."""

    secret: Annotated[str, StringConstraints(max_length=256)]

    @field_validator("secret")
    @classmethod
    def _standard_webhooks_secret(cls, secret: str) -> str:
        secret_key(secret)
        return secret


Wording = dict[Literal["da", "en"], Annotated[str, StringConstraints(min_length=1, max_length=300)]]
SurveyTrigger = Literal["handover_accepted", "contacted", "outcome_won", "outcome_lost", "gap"]


class SurveyChoice(_Strict):
    id: Name
    text: Wording = Field(min_length=1)


class SurveyQuestion(_Strict):
    """One question: ``nps`` (0-10), ``csat`` (1-5), ``yes_no``, ``choice`` (one of ``choices``) or ``text``, worded
    in Danish and/or English; ``{owner}`` and ``{company}`` are filled in. ``checks_contact`` marks the yes/no
    question whose "no" on a taken hand-over disputes it."""

    id: Name
    type: Literal["nps", "csat", "yes_no", "choice", "text"]
    text: Wording = Field(min_length=1)
    choices: list[SurveyChoice] | None = Field(default=None, min_length=2, max_length=20)
    checks_contact: bool = False

    @model_validator(mode="after")
    def _choices_fit(self) -> SurveyQuestion:
        if (self.type == "choice") != (self.choices is not None):
            raise ValueError("a choice question needs choices, and only a choice question has them")
        if self.checks_contact and self.type != "yes_no":
            raise ValueError("checks_contact goes with a yes_no question")
        return self


class SurveyDefinition(_Strict):
    """When to ask the end customer what: ``delay`` after the ``after`` event on the hand-over's calendar, one
    ``reminder`` that long after sending if nothing was answered, ``expires`` after sending. Without
    ``questions`` it asks the built-in ones: contacted (yes/no), how quickly, NPS, anything to add."""

    name: Name
    after: SurveyTrigger
    delay: str = "PT0S"
    questions: list[SurveyQuestion] | None = Field(default=None, min_length=1, max_length=20)
    reminder: str | None = None
    expires: str = "P30D"
    language: Literal["da", "en"] | None = None

    @field_validator("reminder", "expires")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return _duration(value) if value is not None else None

    @field_validator("delay")
    @classmethod
    def _a_delay(cls, value: str) -> str:
        from chalicelib.domain.sla import parse_delay

        parse_delay(value)  # zero is allowed: at once
        return value

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, questions: list[SurveyQuestion] | None) -> list[SurveyQuestion] | None:
        if questions is not None and len({question.id for question in questions}) != len(questions):
            raise ValueError("each question id may appear once")
        return questions

    def asked(self) -> tuple[Any, ...]:
        """The questions as the survey domain uses them (``domain.surveys.Question``)."""
        from chalicelib.domain.surveys import DEFAULT_QUESTIONS, Choice, Question

        if self.questions is None:
            return DEFAULT_QUESTIONS
        def words(text: Mapping[Any, str]) -> dict[str, str]:
            return {str(language): wording for language, wording in text.items()}

        return tuple(Question(question.id, question.type, words(question.text),
                              tuple(Choice(choice.id, words(choice.text)) for choice in question.choices or ()),
                              question.checks_contact) for question in self.questions)


Department = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)]
DEFAULT_OUTCOME_AFTER = "P14D"
DEFAULT_CYCLE_AFTER = "P90D"


class JourneyDefinition(_Strict):
    stages: list[Name] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=2, max_length=20)
    # Calendars come before hand-overs so that the hand-overs' references can be checked against them.
    calendars: dict[Name, CalendarDefinition] = Field(default_factory=dict)
    handovers: list[Handover] = Field(default_factory=list, max_length=20)
    language: Literal["da", "en"] = "en"
    webhook: Webhook | None = None
    # Which stage a form submit and an accepted hand-over lead to; left out, the stage at the trigger's
    # position (the second and the third), which for the default stages is consideration and decision.
    stage_on: dict[StageTrigger, Name] | None = None
    # Who hears of a gap when the hand-over's ladder escalates to no one.
    manager_email: Annotated[str, StringConstraints(max_length=254)] | None = None
    # Who looks after the resellers: a ladder step's ``channel_manager`` target.
    channel_manager: Annotated[str, StringConstraints(max_length=254)] | None = None
    # The department that owns each stage (the transition out of it), and the rules that move a lead on.
    departments: dict[Name, Department] | None = None
    criteria: dict[Name, list[Criterion]] | None = None
    # A won deal's value when the report gives none (the "How did it go?" page prefills it).
    default_deal_value: Money | None = None
    # How long after an accept the owner is asked "How did it go?" (on the hand-over's calendar); null: never.
    outcome_after: str | None = DEFAULT_OUTCOME_AFTER
    # A lead whose last hand-over was accepted longer ago than this starts a new cycle when it comes back.
    cycle_after: str = DEFAULT_CYCLE_AFTER
    # Addresses that may sign in to the report page (a magic link is e-mailed to them).
    managers: list[Annotated[str, StringConstraints(max_length=254)]] = Field(default_factory=list, max_length=50)
    crm: CrmInbound | None = None
    # End-customer surveys; sent to leads that consented to the purpose "survey", or to every lead when the
    # tenant documents a legitimate interest; at most one per person per ``survey_interval``.
    surveys: list[SurveyDefinition] = Field(default_factory=list, max_length=10)
    survey_basis: Literal["consent", "legitimate_interest"] = "consent"
    survey_interval: str = "P30D"
    # Count this tenant's gaps under its own id too, for an alarm of its own (the template's GapAlarmTenant).
    alarm_gaps: bool = False
    # How long personal data is kept (``chalicelib.domain.retention``): a lead with no event for ``retention`` is
    # erased (left out: kept until erased by hand); a page view of a visitor who never became a lead expires
    # ``page_view_retention`` after it was seen.
    retention: str | None = None
    page_view_retention: str = "P13M"

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> JourneyDefinition:
        """Every problem of the document in one answer, each at its path, in the validators' own words.

        References between parts (a hand-over's calendar, a stage of ``stage_on``) are checked on the document
        as sent, so they are reported even when another part of it is broken too.
        """
        problems = _reference_problems(data)
        try:
            definition: JourneyDefinition = handler(data)
        except ValidationError as error:
            named = {tuple(problem["loc"]) for problem in problems}
            problems += [_problem(tuple(item["loc"]), item.get("input"), _plain(item["msg"]))
                         for item in error.errors() if tuple(item["loc"]) not in named]
            raise ValidationError.from_exception_data(cls.__name__, problems) from None
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return definition

    @field_validator("manager_email", "channel_manager")
    @classmethod
    def _an_email_address(cls, address: str | None) -> str | None:
        if address is not None and not _EMAIL_ADDRESS.fullmatch(address):
            raise ValueError("give an e-mail address, such as manager@example.dk")
        return address

    @field_validator("managers")
    @classmethod
    def _email_addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            if not _EMAIL_ADDRESS.fullmatch(address):
                raise ValueError(f"{address!r} is not an e-mail address; give addresses such as manager@example.dk")
        return [address.lower() for address in addresses]

    @field_validator("surveys")
    @classmethod
    def _unique_surveys(cls, surveys: list[SurveyDefinition]) -> list[SurveyDefinition]:
        if len({survey.name for survey in surveys}) != len(surveys):
            raise ValueError("survey names must be unique")
        return surveys

    def surveys_after(self, trigger: str) -> list[SurveyDefinition]:
        return [survey for survey in self.surveys if survey.after == trigger]

    def survey(self, name: str) -> SurveyDefinition | None:
        return next((survey for survey in self.surveys if survey.name == name), None)

    @field_validator("retention", "page_view_retention")
    @classmethod
    def _a_period(cls, value: str | None) -> str | None:
        from chalicelib.domain.retention import parse_period

        if value is not None:
            parse_period(value)
        return value.strip().upper() if value is not None else None

    @field_validator("outcome_after", "cycle_after", "survey_interval")
    @classmethod
    def _a_duration(cls, value: str | None) -> str | None:
        return _duration(value) if value is not None else None

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: list[str]) -> list[str]:
        if len(set(stages)) != len(stages):
            raise ValueError("each stage may appear once")
        return stages

    @field_validator("calendars")
    @classmethod
    def _calendars_build(cls, calendars: dict[str, CalendarDefinition]) -> dict[str, CalendarDefinition]:
        for name, spec in calendars.items():
            if name in BUILT_IN_CALENDARS:
                raise ValueError(f"calendar {name!r} is built in and cannot be redefined")
            try:
                _build_calendar(name, spec)
            except ValueError as error:
                raise ValueError(f"calendar {name!r}: {error}") from None
        return calendars

    @field_validator("handovers")
    @classmethod
    def _unique_names(cls, handovers: list[Handover]) -> list[Handover]:
        names = [handover.name for handover in handovers]
        if len(set(names)) != len(names):
            raise ValueError("hand-over names must be unique")
        return handovers

    @model_validator(mode="after")
    def _ladders_can_be_planned(self, info: ValidationInfo) -> JourneyDefinition:
        # A ladder that cannot be planned would fail every form that starts it, so it is refused here,
        # naming the field: a duration a calendar cannot give within its search horizon, for instance.
        context = info.context if isinstance(info.context, dict) else {}
        now = context.get("now")
        start = now if isinstance(now, datetime) and now.tzinfo is not None else PLANNING_REFERENCE
        problems: list[InitErrorDetails] = []
        for index, handover in enumerate(self.handovers):
            calendar = handover.sla.calendar
            if calendar and calendar not in BUILT_IN_CALENDARS and calendar not in self.calendars:
                continue  # reported by _reference_problems; there is no clock to plan with
            clock = self.clock_for(handover)
            for loc, value, message in _planning_problems(handover, clock, (start, start + PLANNING_HORIZON)):
                problems.append(InitErrorDetails(
                    type=PydanticCustomError("unplannable", "{message}", {"message": message}),
                    loc=("handovers", index, *loc), input=value,
                ))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def clock_for(self, handover: Handover, calendar: str | None = None) -> Clock:
        """The SLA clock of a hand-over: ``calendar`` when the journey knows it (a reseller's own), else the
        hand-over's calendar, or 24/7 when it names none."""
        named = self.calendar_named(calendar) if calendar else None
        if named is not None:
            return named
        name = handover.sla.calendar
        if name is None:
            return ALWAYS
        if name in BUILT_IN_CALENDARS:
            return BUILT_IN_CALENDARS[name]
        return _build_calendar(name, self.calendars[name])

    def calendar_named(self, name: str) -> Clock | None:
        """A built-in calendar or one the journey defines; None when there is none of that name."""
        if name in BUILT_IN_CALENDARS:
            return BUILT_IN_CALENDARS[name]
        spec = self.calendars.get(name)
        return _build_calendar(name, spec) if spec is not None else None

    def stage_rules(self) -> StageRules:
        """The stages in order and the rules that move a lead: the criteria, or the built-in ones without them."""
        stage_on = {str(trigger): stage for trigger, stage in (self.stage_on or {}).items()}
        if self.criteria is None:
            return StageRules.of(tuple(self.stages), stage_on)
        # Rules in the journey's order of stages, so the earlier stage's rule names a tie.
        rules = [rule for stage in self.stages for criterion in self.criteria.get(stage, [])
                 if (rule := _rule(stage, criterion, self.stages)) is not None]
        return StageRules.of(tuple(self.stages), stage_on, rules)

    def department_of(self, stage: str) -> str | None:
        """The department that owns a stage and the transition out of it, if the journey names one."""
        return (self.departments or {}).get(stage)

    def handovers_on(self, trigger: str) -> list[Handover]:
        return [handover for handover in self.handovers if handover.on == trigger]

    def handover(self, name: str) -> Handover | None:
        return next((handover for handover in self.handovers if handover.name == name), None)


def _rule(stage: str, criterion: Criterion, stages: list[str]) -> Rule | None:
    """A criterion of ``stage`` as the stage rules use it: it moves to the next stage unless it names one (the
    last stage has no next one, so a rule there without ``to`` moves nobody)."""
    views = criterion.page_views
    position = stages.index(stage)
    target = criterion.to or (stages[position + 1] if position + 1 < len(stages) else None)
    if target is None:
        return None
    return Rule(
        stage=stage, to=target, event=criterion.event, field=criterion.field,
        equals=tuple(criterion.equals) if criterion.equals is not None else None, name=criterion.name,
        page_views=PageViewsRule(
            url_matches=views.url_matches, at_least=views.at_least, within_text=views.within,
            within=parse_duration(views.within) if views.within else None,
        ) if views is not None else None,
    )


def _problem(loc: tuple[str | int, ...], value: Any, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("journey", "{message}", {"message": message}), loc=loc,
                            input=value)


def _plain(message: str) -> str:
    for prefix in _LIBRARY_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _reference_problems(data: Any) -> list[InitErrorDetails]:
    """Names the document uses that it does not define: a hand-over's calendar, a stage of ``stage_on``.

    Read from the document as sent, whatever else is wrong with it; parts that are not the expected shape
    are left to the field validation, which reports them.
    """
    if not isinstance(data, dict):
        return []
    problems = []
    calendars = data.get("calendars")
    defined = set(calendars) if isinstance(calendars, dict) else set()
    handovers = data.get("handovers")
    for index, handover in enumerate(handovers if isinstance(handovers, list) else []):
        sla = handover.get("sla") if isinstance(handover, dict) else None
        calendar = sla.get("calendar") if isinstance(sla, dict) else None
        if isinstance(calendar, str) and calendar not in BUILT_IN_CALENDARS and calendar not in defined:
            known = sorted({*BUILT_IN_CALENDARS, *defined})
            problems.append(_problem(("handovers", index, "sla", "calendar"), calendar,
                                     f"unknown calendar {calendar!r}; use one of {', '.join(known)} or define it "
                                     f"under calendars"))
    stages = data.get("stages", list(DEFAULT_STAGES))
    stage_on = data.get("stage_on")
    if isinstance(stage_on, dict) and isinstance(stages, list):
        for trigger, stage in stage_on.items():
            if trigger in STAGE_TRIGGERS and isinstance(stage, str) and stage not in stages:
                named = ", ".join(map(str, stages))
                problems.append(_problem(("stage_on", trigger), stage,
                                         f"{stage!r} is not one of the journey's stages ({named})"))
    for part in ("departments", "criteria"):
        named_stages = data.get(part)
        if isinstance(named_stages, dict) and isinstance(stages, list):
            for stage in named_stages:
                if isinstance(stage, str) and stage not in stages:
                    problems.append(_problem((part, stage), stage, f"{stage!r} is not one of the journey's stages "
                                                                   f"({', '.join(map(str, stages))})"))
    criteria = data.get("criteria")
    if isinstance(criteria, dict) and isinstance(stages, list):
        for stage, rules in criteria.items():
            for index, rule in enumerate(rules if isinstance(rules, list) else []):
                target = rule.get("to") if isinstance(rule, dict) else None
                if not isinstance(target, str) or stage not in stages:
                    continue
                if target not in stages:
                    problems.append(_problem(("criteria", stage, index, "to"), target,
                                             f"{target!r} is not one of the journey's stages"))
                elif stages.index(target) <= stages.index(stage):
                    problems.append(_problem(("criteria", stage, index, "to"), target,
                                             f"a rule moves a lead forward: {target!r} does not come after {stage!r}"))
    return problems


def _step_offset(at: str, sla: timedelta) -> timedelta:
    kind, value = parse_step_at(at)
    if isinstance(value, timedelta):
        return value
    try:
        return sla * value
    except OverflowError:
        return timedelta.max


def _planning_problems(
    handover: Handover, clock: Clock, starts: tuple[datetime, ...]
) -> list[tuple[tuple[str | int, ...], Any, str]]:
    """Each part of a hand-over's deadlines that cannot be planned from one of ``starts``: (loc, value, why).

    It plans what ``open_handover`` plans: the accept and contact deadlines and every ladder step.
    """
    sla = handover.sla
    parts: list[tuple[tuple[str | int, ...], str, Any]] = [(("sla", "accept_within"), sla.accept_within, None)]
    if sla.contact_within is not None:
        parts.append((("sla", "contact_within"), sla.contact_within, None))
    parts += [(("escalation", index, "at"), step.at, step) for index, step in enumerate(handover.escalation)]
    problems = []
    for loc, value, step in parts:
        for start in starts:
            try:
                if step is None:
                    clock.add(start, parse_duration(value))
                else:
                    step_due(start, sla.accept, value, clock)
            except (ValueError, OverflowError) as error:
                problems.append((loc, value, f"cannot be planned from {start.date().isoformat()}: {error}"))
                break
    return problems


def _build_calendar(name: str, spec: CalendarDefinition) -> Clock:
    return calendar_from_spec(
        name=name, timezone=spec.timezone, days=list(spec.days), opens=spec.opens, closes=spec.closes,
        holidays_country=spec.holidays, closed_dates=list(spec.closed_dates),
    )


EMPTY_JOURNEY = JourneyDefinition()
