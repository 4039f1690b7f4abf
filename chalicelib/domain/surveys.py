"""End-customer surveys: when one is due, whether it may be sent, what an answer means, and the scores.

A survey belongs to one lead and one hand-over: the journey's ``surveys`` say after which event (an accept, a
reported contact, a won or lost outcome, a gap) and how long after it, on the hand-over's calendar. Its state
moves ``scheduled`` → ``sent`` (or ``skipped``: no consent, unsubscribed, or surveyed within the interval) →
``answered`` (every question answered, or sent with the last one); a sent survey not finished by ``expires_at``
stops taking answers. One reminder goes out ``reminder`` after sending while nothing has been answered.

Answers are kept one question at a time, so the first answer counts even if the person leaves; reopening the
link resumes at the first unanswered question. "Were you contacted?" answered *no* on a hand-over that was
accepted or reported contacted is a ``contact_disputed`` event: a customer-verified gap.

Scores (``Scores``): NPS is the share of promoters (9-10) minus the share of detractors (0-6), in points from
-100 to 100; CSAT is the share of 4 and 5 among the 1-5 answers; both None without answers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.leads import TimelineEvent

SCHEDULED, SENT, ANSWERED, SKIPPED = "scheduled", "sent", "answered", "skipped"
TRIGGERS = {"handover_accepted": "accepted", "contacted": "contacted", "outcome_won": "won", "outcome_lost": "lost",
            "gap": "gap"}
QUESTION_TYPES = ("nps", "csat", "yes_no", "choice", "text")
MAX_TEXT_ANSWER = 2000
CONTACTED = "contacted"  # the id of the built-in "were you contacted?" question
TAKEN = ("accepted", "contacted")
_PLACEHOLDER = re.compile(r"\{(owner|company)\}")


@dataclass(frozen=True)
class Choice:
    choice_id: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    question_id: str
    type: str
    text: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    # "Were you contacted?": a no on a taken hand-over disputes it.
    checks_contact: bool = False

    def wording(self, language: str, values: Mapping[str, str | None]) -> str:
        """The question in ``language`` (else English, else any), with ``{owner}`` and ``{company}`` filled in."""
        template = self.text.get(language) or self.text.get("en") or next(iter(self.text.values()), "")
        return _PLACEHOLDER.sub(lambda match: values.get(match.group(1)) or "", template).strip()

    def read(self, raw: str | None) -> str | int | None:
        """The answer a form sent, as stored (a score as int, a choice id, yes/no, text); None when it is not one."""
        text = (raw or "").strip()
        if not text:
            return None
        if self.type in ("nps", "csat"):
            low, high = (0, 10) if self.type == "nps" else (1, 5)
            return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else None
        if self.type == "yes_no":
            return text if text in ("yes", "no") else None
        if self.type == "choice":
            return text if text in {choice.choice_id for choice in self.choices} else None
        return text[:MAX_TEXT_ANSWER]


DEFAULT_QUESTIONS = (
    Question(CONTACTED, "yes_no", {"en": "Did {owner} contact you?", "da": "Har {owner} kontaktet dig?"},
             checks_contact=True),
    Question("how_quickly", "choice", {"en": "How quickly did you hear from us?",
                                       "da": "Hvor hurtigt hørte du fra os?"},
             (Choice("same_day", {"en": "The same day", "da": "Samme dag"}),
              Choice("few_days", {"en": "Within a few days", "da": "Inden for et par dage"}),
              Choice("week", {"en": "Within a week", "da": "Inden for en uge"}),
              Choice("later", {"en": "Later than that", "da": "Senere end det"}))),
    Question("recommend", "nps", {
        "en": "How likely are you to recommend {company} to a friend or colleague?",
        "da": "Hvor sandsynligt er det, at du vil anbefale {company} til en ven eller kollega?"}),
    Question("anything_else", "text", {"en": "Anything you would like to add?", "da": "Er der andet, du vil sige?"}),
)


@dataclass(frozen=True)
class SurveyState:
    tenant_id: str
    survey_id: str
    lead_id: str
    handover_id: str
    name: str
    status: str
    due_at: str
    expires_at: str
    owner: str = ""
    reseller: str | None = None
    # Report groups, fixed when the survey is scheduled: the lead's channel and campaign.
    channel: str | None = None
    campaign: str | None = None
    handover_started_at: str | None = None
    reminder_at: str | None = None
    sent_at: str | None = None
    reminded: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)
    completed_at: str | None = None
    skipped_because: str | None = None
    # Whether a "no" to the contact question has disputed the hand-over already (it does so once).
    disputed: bool = False
    version: int = 0

    @property
    def next_due_at(self) -> str | None:
        """When the survey's timer must wake: to send it, or to remind."""
        if self.status == SCHEDULED:
            return self.due_at
        if self.status == SENT and self.reminder_at and not self.reminded and not self.answers:
            return self.reminder_at
        return None

    def open_at(self, now: datetime) -> bool:
        """Whether it still takes answers: sent, not finished, not expired."""
        return self.status == SENT and now < parse_iso(self.expires_at)


def survey_id_for(lead_id: str, handover_id: str, name: str) -> str:
    """One survey of each kind per hand-over; the id names the lead's partition, as a hand-over's does."""
    digest = hashlib.sha256(f"{handover_id}\n{name}".encode()).hexdigest()[:12]
    return f"sv_{lead_id.removeprefix('ld_')}_{digest}"


def lead_id_of(survey_id: str) -> str | None:
    match = re.fullmatch(r"sv_([a-z2-7]{24})_[0-9a-f]{12}", survey_id)
    return f"ld_{match.group(1)}" if match else None


@dataclass(frozen=True)
class SurveyChange:
    state: SurveyState
    events: tuple[TimelineEvent, ...] = ()
    # Notifications for people other than the customer (a disputed contact's escalation).
    notify: tuple[dict[str, str], ...] = ()


NewId = Callable[[], str]


def _event(new_id: NewId, kind: str, at: str, state: SurveyState, seq: int = 0, **details: Any) -> TimelineEvent:
    carried = {"survey_id": state.survey_id, "survey": state.name, "handover_id": state.handover_id,
               "owner": state.owner, "reseller": state.reseller, "channel": state.channel,
               "campaign": state.campaign, "sent_at": state.sent_at}
    if state.handover_started_at:
        # Read by the hand-over report's projection: the day the hand-over's counts belong to.
        carried["started_at"] = state.handover_started_at
    return TimelineEvent(event_id=new_id(), type=kind, at=at, seq=100 + 10 * state.version + seq,
                         details={**carried, **details})


@dataclass(frozen=True)
class Eligibility:
    """What decides whether a due survey may go out, read by the service at that moment."""

    consent: bool
    unsubscribed: bool
    surveyed_recently: bool

    @property
    def refusal(self) -> str | None:
        if self.unsubscribed:
            return "unsubscribed"
        if not self.consent:
            return "no_consent"
        if self.surveyed_recently:
            return "surveyed_recently"
        return None


def fire(state: SurveyState, now: datetime, eligibility: Callable[[], Eligibility], new_id: NewId
         ) -> SurveyChange | None:
    """The step due now: send it (or skip it, saying why), or send the one reminder; None when nothing is due."""
    due = state.next_due_at
    if due is None or parse_iso(due) > now:
        return None
    at = iso(now)
    if state.status == SCHEDULED:
        if now >= parse_iso(state.expires_at):
            skipped = replace(state, status=SKIPPED, skipped_because="expired")
            return SurveyChange(skipped, (_event(new_id, "survey_skipped", at, state, reason="expired"),))
        refusal = eligibility().refusal
        if refusal is not None:
            skipped = replace(state, status=SKIPPED, skipped_because=refusal)
            return SurveyChange(skipped, (_event(new_id, "survey_skipped", at, state, reason=refusal),))
        sent = replace(state, status=SENT, sent_at=at)
        return SurveyChange(sent, (_event(new_id, "survey_sent", at, sent),))
    if not state.open_at(now):
        return SurveyChange(replace(state, reminded=True))
    reminded = replace(state, reminded=True)
    return SurveyChange(reminded, (_event(new_id, "survey_reminded", at, reminded),))


class AnswerRefused(Exception):
    """An answer that cannot be taken: the link no longer takes answers (``closed``) or the value is not one."""

    def __init__(self, reason: str, question_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.question_id = question_id


def answer(state: SurveyState, questions: Sequence[Question], given: Mapping[str, str], now: datetime,
           new_id: NewId, handover_status: str | None, finish: bool) -> SurveyChange:
    """Keep the answers given (one page's, or the whole form's); ``finish`` closes the survey (the last page's
    Send). Each new or changed answer is a ``survey_answered`` event; a "no" to the contact question on a taken
    hand-over is also a ``contact_disputed`` event, once."""
    if not state.open_at(now):
        raise AnswerRefused("closed")
    by_id = {question.question_id: question for question in questions}
    read: dict[str, Any] = {}
    for question_id, raw in given.items():
        question = by_id.get(question_id)
        if question is None:
            continue
        value = question.read(raw)
        if value is None and (raw or "").strip():
            raise AnswerRefused("invalid", question_id)
        if value is not None:
            read[question_id] = value
    at = iso(now)
    answers = dict(state.answers)
    events: list[TimelineEvent] = []
    notify: list[dict[str, str]] = []
    for question_id, value in read.items():
        if answers.get(question_id) == value:
            continue
        question = by_id[question_id]
        first = not answers
        previous = answers.get(question_id)
        answers[question_id] = value
        # A changed answer names the one it replaces, so the counts take that one back.
        events.append(_event(new_id, "survey_answered", at, state, len(events), question=question_id,
                             question_type=question.type, answer=value, previous=previous, first_answer=first,
                             checks_contact=question.checks_contact))
        if question.checks_contact and value == "no" and handover_status in TAKEN and not state.disputed \
                and not notify:
            events.append(_event(new_id, "contact_disputed", at, state, len(events), handover_status=handover_status))
            notify.append({"kind": "contact_disputed", "handover_id": state.handover_id, "lead_id": state.lead_id,
                           "owner": state.owner, "reseller": state.reseller or ""})
    done = finish or all(question.question_id in answers for question in questions)
    changed = replace(state, answers=answers, status=ANSWERED if done else state.status,
                      completed_at=at if done else None, disputed=state.disputed or bool(notify))
    if done:
        events.append(_event(new_id, "survey_completed", at, changed, len(events), answered=len(answers),
                             questions=len(questions)))
    return SurveyChange(changed, tuple(events), tuple(notify))


def resume_at(state: SurveyState, questions: Sequence[Question]) -> int:
    """The index of the first question without an answer (the page a reopened link shows)."""
    for index, question in enumerate(questions):
        if question.question_id not in state.answers:
            return index
    return max(len(questions) - 1, 0)


# --- scores -----------------------------------------------------------------------------------------------


def nps_group(score: int) -> str:
    return "nps_promoters" if score >= 9 else "nps_passives" if score >= 7 else "nps_detractors"


def _one_answer(question_type: str, value: Any, checks_contact: bool) -> dict[str, int]:
    if question_type == "nps" and isinstance(value, int):
        return {nps_group(value): 1}
    if question_type == "csat" and isinstance(value, int):
        return {"csat_answers": 1, **({"csat_satisfied": 1} if value >= 4 else {})}
    if question_type == "yes_no" and checks_contact and value in ("yes", "no"):
        return {"contacted_yes" if value == "yes" else "contacted_no": 1}
    return {}


def answer_counters(question_type: str, value: Any, checks_contact: bool, previous: Any = None) -> dict[str, int]:
    """What one answer adds to the survey report's counters; a changed answer first takes back the one it replaces."""
    counts = {name: -delta for name, delta in _one_answer(question_type, previous, checks_contact).items()}
    for name, delta in _one_answer(question_type, value, checks_contact).items():
        counts[name] = counts.get(name, 0) + delta
    return {name: delta for name, delta in counts.items() if delta}


@dataclass(frozen=True)
class Scores:
    sent: int = 0
    answered: int = 0
    completed: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    csat_answers: int = 0
    csat_satisfied: int = 0
    contacted_yes: int = 0
    contacted_no: int = 0
    disputes: int = 0

    @classmethod
    def of(cls, counters: Mapping[str, int]) -> Scores:
        get = counters.get
        return cls(sent=get("sent", 0), answered=get("answered", 0), completed=get("completed", 0),
                   promoters=get("nps_promoters", 0), passives=get("nps_passives", 0),
                   detractors=get("nps_detractors", 0), csat_answers=get("csat_answers", 0),
                   csat_satisfied=get("csat_satisfied", 0), contacted_yes=get("contacted_yes", 0),
                   contacted_no=get("contacted_no", 0), disputes=get("disputes", 0))

    @property
    def nps(self) -> float | None:
        total = self.promoters + self.passives + self.detractors
        return round((self.promoters - self.detractors) / total * 100, 1) if total else None

    def as_dict(self) -> dict[str, Any]:
        contact_answers = self.contacted_yes + self.contacted_no
        return {
            "sent": self.sent, "answered": self.answered, "completed": self.completed,
            "response_rate": round(self.answered / self.sent, 4) if self.sent else None,
            "nps": self.nps, "nps_answers": self.promoters + self.passives + self.detractors,
            "promoters": self.promoters, "passives": self.passives, "detractors": self.detractors,
            "csat": round(self.csat_satisfied / self.csat_answers, 4) if self.csat_answers else None,
            "csat_answers": self.csat_answers,
            "contacted_yes_rate": round(self.contacted_yes / contact_answers, 4) if contact_answers else None,
            "contact_disputes": self.disputes,
        }
