"""What follows for surveys from the change stream: planning them after the journey's events, e-mailing them once
per send (and reminder), and the survey report's counters.

Report. Every figure belongs to the day the survey was sent, in the groups fixed when it was planned: ``all``, the
``owner``, the ``reseller`` (when one held the hand-over), the lead's ``channel`` and ``campaign``, and the
``survey``. ``sent`` counts sendings, ``answered`` surveys with at least one answer, ``completed`` finished ones;
each answer adds to its scores (a changed answer takes the earlier back), each disputed contact to ``disputes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.credit import NO_GROUP
from chalicelib.domain.surveys import answer_counters
from chalicelib.observability import count, logger
from chalicelib.services.notify import Mailer, MailRejected
from chalicelib.services.ports import ProcessedEvents
from chalicelib.services.survey_ports import SurveyRow, SurveyStore
from chalicelib.services.surveys import Surveys

MAIL_CONSUMER = "survey-mail"
REPORT_DIMENSIONS = ("all", "owner", "reseller", "channel", "campaign", "survey")
TRIGGERS = {"accepted": "handover_accepted", "contacted": "contacted", "gap": "gap"}


class SurveyScheduler:
    """Plans the journey's surveys after an accept, a reported contact, a won or lost outcome, or a gap."""

    def __init__(self, surveys: Callable[[], Surveys]):
        self.surveys = surveys

    def __call__(self, event: ChangeEvent) -> None:
        trigger = TRIGGERS.get(event.type)
        handover_id = event.details.get("handover_id")
        if event.type in ("outcome_recorded", "outcome_corrected"):
            outcome = event.details.get("outcome")
            trigger = {"won": "outcome_won", "lost": "outcome_lost"}.get(str(outcome))
            handover_id = None  # the hand-over that holds the lead
        if trigger is None or (trigger in TRIGGERS.values() and not handover_id):
            return
        self.surveys().schedule(event.tenant_id, event.lead_id, trigger, str(handover_id) if handover_id else None,
                                event.at)


class SurveyMail:
    """The survey e-mail (and its one reminder) to the end customer, claimed per event so it goes once."""

    def __init__(self, surveys: Callable[[], Surveys], mailer: Callable[[], Mailer], store: SurveyStore,
                 leads: Any, processed: ProcessedEvents,
                 withdraw_url: Callable[[str, str], str] = lambda tenant_id, lead_id: ""):
        self.surveys = surveys
        # Every e-mail to an end customer lets them withdraw their consent (services.consent).
        self.withdraw_url = withdraw_url
        self.mailer = mailer
        self.store = store
        self.leads = leads
        self.processed = processed

    def __call__(self, event: ChangeEvent) -> None:
        if event.type not in ("survey_sent", "survey_reminded"):
            return
        state = self.store.survey(event.tenant_id, str(event.details.get("survey_id")))
        lead = self.leads.lead(event.tenant_id, event.lead_id)
        if state is None or lead is None or not self.processed.claim(MAIL_CONSUMER, event.event_id):
            return
        from chalicelib.rendering import render_email

        surveys = self.surveys()
        language = surveys.language(event.tenant_id, state)
        _, questions = surveys.definition(event.tenant_id, state)
        first = questions[0]
        values = surveys.placeholders(event.tenant_id, state)
        answers = _inline_answers(first, language)
        unsubscribe = surveys.unsubscribe_url(state)
        email = render_email(
            "survey", language, company=values.get("company") or "", tenant=values.get("tenant") or "",
            question=first.wording(language, values), question_type=first.type,
            answers=[(label, surveys.survey_url(state, step="0", answer=value)) for value, label in answers],
            survey_url=surveys.survey_url(state), unsubscribe=unsubscribe, reminder=event.type == "survey_reminded",
            withdraw=self.withdraw_url(event.tenant_id, event.lead_id),
            person=lead.name or "")
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        try:
            self.mailer().send(lead.email, email.subject, email.text, email.html, headers=headers)
        except MailRejected:
            logger.warning("survey e-mail rejected", extra={"survey_id": state.survey_id})
            count("SurveyMailRejected")
        except Exception:
            self.processed.release(MAIL_CONSUMER, event.event_id)
            raise
        count("SurveyMailSent")


def _inline_answers(question: Any, language: str) -> list[tuple[str, str]]:
    """The first question's answers as links in the e-mail: 0-10 for NPS, 1-5 for CSAT, yes/no, the choices;
    a text question gets none (the e-mail links to the page)."""
    from chalicelib.rendering import text

    if question.type == "nps":
        return [(str(score), str(score)) for score in range(11)]
    if question.type == "csat":
        return [(str(score), str(score)) for score in range(1, 6)]
    if question.type == "yes_no":
        return [("yes", text(language, "survey.yes")), ("no", text(language, "survey.no"))]
    if question.type == "choice":
        return [(choice.choice_id, choice.text.get(language) or choice.text.get("en") or choice.choice_id)
                for choice in question.choices]
    return []


class SurveyReport:
    def __init__(self, store: SurveyStore):
        self.store = store

    def __call__(self, event: ChangeEvent) -> None:
        details = event.details
        counters: dict[str, int] = {}
        if event.type == "survey_sent":
            counters = {"sent": 1}
        elif event.type == "survey_answered":
            counters = answer_counters(str(details.get("question_type")), details.get("answer"),
                                       bool(details.get("checks_contact")), details.get("previous"))
            if details.get("first_answer"):
                counters["answered"] = 1
        elif event.type == "survey_completed":
            counters = {"completed": 1}
        elif event.type == "contact_disputed":
            counters = {"disputes": 1}
        if not counters or not details.get("sent_at"):
            return
        day = str(details["sent_at"])[:10]
        groups = {"all": "all", "owner": details.get("owner") or NO_GROUP, "reseller": details.get("reseller"),
                  "channel": details.get("channel") or NO_GROUP, "campaign": details.get("campaign") or NO_GROUP,
                  "survey": details.get("survey") or NO_GROUP}
        rows: dict[SurveyRow, dict[str, int]] = {
            (dim, day, str(group)): counters for dim, group in groups.items() if group}
        self.store.add_report_once(event.event_id, event.tenant_id, rows)
