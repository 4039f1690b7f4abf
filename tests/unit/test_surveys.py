"""End-customer surveys as pure rules: reading answers, when a survey goes out, what an answer means, the scores."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.journey import JourneyDefinition, SurveyDefinition
from chalicelib.domain.leads import lead_id_for
from chalicelib.domain.reports import COUNTED_EVENTS, Tally, event_counters, summarise
from chalicelib.domain.surveys import (
    ANSWERED,
    DEFAULT_QUESTIONS,
    SCHEDULED,
    SENT,
    SKIPPED,
    AnswerRefused,
    Choice,
    Eligibility,
    Question,
    Scores,
    SurveyState,
    answer,
    answer_counters,
    fire,
    lead_id_of,
    resume_at,
    survey_id_for,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-23T09:00:00.000Z"
LEAD = "ld_" + "abcdefghijklmnopqrstuv27"
HANDOVER = "ho_abcdefghijklmnopqrstuv27_1a2b3c4d"
CONTACTED, HOW_QUICKLY, RECOMMEND, ANYTHING_ELSE = DEFAULT_QUESTIONS

CHOICES = [{"id": "phone", "text": {"en": "By phone"}}, {"id": "mail", "text": {"en": "By e-mail"}}]


def _ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"ev{next(numbers)}"


def _state(**changes: Any) -> SurveyState:
    """A survey sent at NOW, expiring 30 days later, with a reminder after three days; ``changes`` override."""
    fields: dict[str, Any] = {
        "tenant_id": "demo", "survey_id": survey_id_for(LEAD, HANDOVER, "after-accept"), "lead_id": LEAD,
        "handover_id": HANDOVER, "name": "after-accept", "status": SENT, "due_at": NOW_TEXT,
        "expires_at": "2026-12-23T09:00:00.000Z", "owner": "sales-a", "sent_at": NOW_TEXT,
        "reminder_at": "2026-11-26T09:00:00.000Z",
    }
    return SurveyState(**{**fields, **changes})


def _scheduled(**changes: Any) -> SurveyState:
    return _state(status=SCHEDULED, sent_at=None, due_at="2026-11-24T09:00:00.000Z", **changes)


def _eligible(consent: bool = True, unsubscribed: bool = False,
              surveyed_recently: bool = False) -> Callable[[], Eligibility]:
    return lambda: Eligibility(consent=consent, unsubscribed=unsubscribed, surveyed_recently=surveyed_recently)


def _not_asked() -> Eligibility:
    raise AssertionError("eligibility must not be read here")


def _answer(state: SurveyState, given: dict[str, str], handover_status: str | None = "accepted",
            finish: bool = False, now: datetime = NOW):
    return answer(state, DEFAULT_QUESTIONS, given, now, _ids(), handover_status, finish)


def _journey_refusal(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        JourneyDefinition.model_validate(document)
    return [(".".join(str(part) for part in error["loc"]), error["msg"]) for error in raised.value.errors()]


# --- reading an answer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "read"), [
    ("0", 0), ("10", 10), (" 7 ", 7), ("11", None), ("-1", None), ("3.5", None), ("seven", None),
    ("\u0663", None),  # an Arabic-Indic three is a digit to Python, not a score
])
def test_an_nps_answer_is_a_whole_score_from_0_to_10(raw, read):
    assert RECOMMEND.read(raw) == read


@pytest.mark.parametrize(("raw", "read"), [("1", 1), ("5", 5), ("0", None), ("6", None)])
def test_a_csat_answer_is_a_whole_score_from_1_to_5(raw, read):
    assert Question("satisfied", "csat", {"en": "How satisfied are you?"}).read(raw) == read


@pytest.mark.parametrize(("raw", "read"), [("yes", "yes"), ("no", "no"), (" no ", "no"), ("Yes", None),
                                           ("maybe", None)])
def test_a_yes_no_answer_is_yes_or_no(raw, read):
    assert CONTACTED.read(raw) == read


def test_a_choice_answer_is_one_of_the_choice_ids():
    assert HOW_QUICKLY.read("few_days") == "few_days"
    assert HOW_QUICKLY.read("Within a few days") is None
    assert HOW_QUICKLY.read("never") is None


def test_a_text_answer_is_trimmed_and_cut_at_two_thousand_characters():
    assert ANYTHING_ELSE.read("  Thanks, all good.  ") == "Thanks, all good."
    assert ANYTHING_ELSE.read("x" * 2001) == "x" * 2000


@pytest.mark.parametrize("question", DEFAULT_QUESTIONS + (Question("s", "csat", {"en": "?"}),),
                         ids=lambda question: question.type)
@pytest.mark.parametrize("raw", ["", "   ", None])
def test_an_empty_answer_is_no_answer_for_every_type(question, raw):
    assert question.read(raw) is None


# --- wording -------------------------------------------------------------------------------------------------


def test_the_wording_names_the_owner_and_the_company_in_the_language_asked():
    values = {"owner": "Mette", "company": "Acme ApS"}
    assert CONTACTED.wording("da", values) == "Har Mette kontaktet dig?"
    assert RECOMMEND.wording("en", values) == "How likely are you to recommend Acme ApS to a friend or colleague?"


def test_the_wording_falls_back_to_english_then_to_any_language():
    both = Question("q", "text", {"da": "Hej fra {company}", "en": "Hello from {company}"})
    danish_only = Question("q", "text", {"da": "Hej fra {company}"})
    assert both.wording("de", {"company": "Acme"}) == "Hello from Acme"
    assert danish_only.wording("en", {"company": "Acme"}) == "Hej fra Acme"
    assert Question("q", "text", {}).wording("en", {}) == ""


def test_a_missing_name_leaves_its_place_empty_and_the_wording_trimmed():
    assert Question("q", "text", {"en": "{company} thanks you"}).wording("en", {"company": None}) == "thanks you"


# --- ids ------------------------------------------------------------------------------------------------------


def test_a_survey_id_names_its_lead():
    lead_id = lead_id_for("demo-surveys", "kunde@example.dk")
    survey_id = survey_id_for(lead_id, "ho_x", "after-accept")
    assert survey_id.startswith("sv_" + lead_id.removeprefix("ld_") + "_") and len(survey_id) == 3 + 24 + 1 + 12
    assert lead_id_of(survey_id) == lead_id


def test_one_survey_of_each_kind_per_hand_over():
    assert survey_id_for(LEAD, HANDOVER, "after-accept") == survey_id_for(LEAD, HANDOVER, "after-accept")
    assert survey_id_for(LEAD, HANDOVER, "after-accept") != survey_id_for(LEAD, HANDOVER, "after-won")
    assert survey_id_for(LEAD, HANDOVER, "after-accept") != survey_id_for(LEAD, HANDOVER + "x", "after-accept")


@pytest.mark.parametrize("survey_id", [HANDOVER, "sv_short_0123456789ab", "sv_ABCDEFGHIJKLMNOPQRSTUV27_0123456789ab",
                                       "sv_abcdefghijklmnopqrstuv27_0123456789ab_extra", ""])
def test_an_id_that_is_not_a_survey_id_names_no_lead(survey_id):
    assert lead_id_of(survey_id) is None


# --- sending --------------------------------------------------------------------------------------------------


def test_a_scheduled_survey_is_not_sent_before_it_is_due():
    state = _scheduled()
    assert state.next_due_at == "2026-11-24T09:00:00.000Z"
    assert fire(state, datetime(2026, 11, 24, 8, 59, 59, tzinfo=UTC), _not_asked, _ids()) is None


def test_a_due_survey_to_an_eligible_customer_is_sent():
    # Given a survey due at 09:00 on the 24th, for a hand-over started on the 23rd
    state = _scheduled(handover_started_at="2026-11-23T08:00:00.000Z", channel="email", campaign="winter")
    # When its timer wakes exactly then
    change = fire(state, datetime(2026, 11, 24, 9, 0, tzinfo=UTC), _eligible(), _ids())
    # Then it is sent, and the event carries what the reports group by
    assert change is not None
    assert change.state.status == SENT and change.state.sent_at == "2026-11-24T09:00:00.000Z"
    (event,) = change.events
    assert (event.event_id, event.type, event.at, event.seq) == ("ev1", "survey_sent", "2026-11-24T09:00:00.000Z", 100)
    assert event.details == {
        "survey_id": state.survey_id, "survey": "after-accept", "handover_id": HANDOVER, "owner": "sales-a",
        "reseller": None, "channel": "email", "campaign": "winter", "sent_at": "2026-11-24T09:00:00.000Z",
        "started_at": "2026-11-23T08:00:00.000Z"}


@pytest.mark.parametrize(("consent", "unsubscribed", "surveyed_recently", "reason"), [
    (False, True, True, "unsubscribed"),
    (True, True, False, "unsubscribed"),
    (False, False, True, "no_consent"),
    (True, False, True, "surveyed_recently"),
])
def test_a_due_survey_that_may_not_go_out_is_skipped_saying_why(consent, unsubscribed, surveyed_recently, reason):
    change = fire(_scheduled(), datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
                  _eligible(consent, unsubscribed, surveyed_recently), _ids())
    assert change is not None
    assert change.state.status == SKIPPED and change.state.skipped_because == reason
    assert change.state.sent_at is None
    assert [(event.type, event.details["reason"]) for event in change.events] == [("survey_skipped", reason)]


def test_a_customer_who_may_be_asked_has_no_refusal():
    assert Eligibility(consent=True, unsubscribed=False, surveyed_recently=False).refusal is None


def test_a_survey_that_wakes_after_it_expired_is_skipped_as_expired_without_asking_about_consent():
    state = _scheduled(expires_at="2026-11-30T09:00:00.000Z")
    for now in (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), datetime(2026, 12, 2, 9, 0, tzinfo=UTC)):
        change = fire(state, now, _not_asked, _ids())
        assert change is not None
        assert change.state.status == SKIPPED and change.state.skipped_because == "expired"
        assert [(event.type, event.details["reason"]) for event in change.events] == [("survey_skipped", "expired")]


# --- the reminder ---------------------------------------------------------------------------------------------


def test_the_one_reminder_goes_out_when_due_and_never_again():
    # Given a sent survey nobody answered, with a reminder due on the 26th
    state = _state()
    assert state.next_due_at == "2026-11-26T09:00:00.000Z"
    assert fire(state, datetime(2026, 11, 26, 8, 0, tzinfo=UTC), _not_asked, _ids()) is None
    # When the timer wakes on the 26th
    change = fire(state, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), _not_asked, _ids())
    # Then the reminder goes out once, and the timer has nothing more to wake for
    assert change is not None
    assert [event.type for event in change.events] == ["survey_reminded"]
    assert change.state.reminded is True and change.state.status == SENT
    assert change.state.next_due_at is None
    assert fire(change.state, datetime(2026, 11, 27, 9, 0, tzinfo=UTC), _not_asked, _ids()) is None


def test_no_reminder_once_something_was_answered():
    state = _state(answers={"contacted": "yes"})
    assert state.next_due_at is None
    assert fire(state, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), _not_asked, _ids()) is None


def test_a_reminder_due_after_the_survey_expired_is_not_sent_but_stops_the_timer():
    state = _state(reminder_at="2026-11-26T09:00:00.000Z", expires_at="2026-11-25T09:00:00.000Z")
    change = fire(state, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), _not_asked, _ids())
    assert change is not None
    assert change.events == () and change.state.reminded is True and change.state.next_due_at is None


@pytest.mark.parametrize("state", [
    _state(reminder_at=None), _state(status=ANSWERED), _state(status=SKIPPED, skipped_because="no_consent"),
    _state(reminded=True),
], ids=["sent-without-reminder", "answered", "skipped", "already-reminded"])
def test_a_survey_with_nothing_left_to_send_has_no_next_wake_up(state):
    assert state.next_due_at is None
    assert fire(state, datetime(2027, 1, 1, tzinfo=UTC), _not_asked, _ids()) is None


# --- answering ------------------------------------------------------------------------------------------------


def test_the_first_answer_is_kept_even_if_the_customer_leaves():
    change = _answer(_state(), {"contacted": "yes"})
    assert change.state.answers == {"contacted": "yes"}
    assert change.state.status == SENT and change.state.completed_at is None
    (event,) = change.events
    assert event.type == "survey_answered" and event.at == NOW_TEXT
    assert {key: event.details[key] for key in ("question", "question_type", "answer", "previous", "first_answer",
                                                "checks_contact")} == {
        "question": "contacted", "question_type": "yes_no", "answer": "yes", "previous": None, "first_answer": True,
        "checks_contact": True}


def test_a_later_page_adds_its_answers_to_those_already_given():
    change = _answer(_state(answers={"contacted": "yes"}), {"how_quickly": "same_day", "recommend": "8"})
    assert change.state.answers == {"contacted": "yes", "how_quickly": "same_day", "recommend": 8}
    assert [(event.details["question"], event.details["first_answer"]) for event in change.events] == [
        ("how_quickly", False), ("recommend", False)]
    assert [event.seq for event in change.events] == [100, 101]


def test_a_changed_answer_names_the_one_it_replaces():
    change = _answer(_state(answers={"recommend": 3}), {"recommend": "9"})
    (event,) = change.events
    assert (event.details["answer"], event.details["previous"]) == (9, 3)
    assert change.state.answers == {"recommend": 9}


def test_the_same_answer_again_makes_no_event():
    state = _state(answers={"contacted": "yes", "recommend": 9})
    change = _answer(state, {"contacted": "yes", "recommend": "9"})
    assert change.events == () and change.notify == ()
    assert change.state.answers == {"contacted": "yes", "recommend": 9}


def test_an_empty_field_or_an_unknown_question_changes_nothing():
    change = _answer(_state(answers={"recommend": 9}), {"recommend": "  ", "favourite_colour": "blue"})
    assert change.events == () and change.state.answers == {"recommend": 9}


@pytest.mark.parametrize(("question_id", "raw"), [("recommend", "11"), ("contacted", "maybe"),
                                                  ("how_quickly", "yesterday")])
def test_a_value_that_is_not_an_answer_is_refused_naming_the_question(question_id, raw):
    with pytest.raises(AnswerRefused) as refused:
        _answer(_state(), {"contacted": "yes", question_id: raw})
    assert (refused.value.reason, refused.value.question_id) == ("invalid", question_id)


@pytest.mark.parametrize(("state", "now"), [
    (_state(status=ANSWERED, answers={"contacted": "yes"}), NOW),
    (_state(), datetime(2026, 12, 23, 9, 0, tzinfo=UTC)),
    (_state(), datetime(2027, 1, 5, 9, 0, tzinfo=UTC)),
    (_scheduled(), NOW),
    (_state(status=SKIPPED, skipped_because="unsubscribed"), NOW),
], ids=["answered", "at-expiry", "after-expiry", "not-sent-yet", "skipped"])
def test_a_survey_that_no_longer_takes_answers_refuses_them_as_closed(state, now):
    with pytest.raises(AnswerRefused) as refused:
        _answer(state, {"contacted": "yes"}, now=now)
    assert (refused.value.reason, refused.value.question_id) == ("closed", None)
    assert state.open_at(now) is False


@pytest.mark.parametrize("handover_status", ["accepted", "contacted"])
def test_no_to_were_you_contacted_on_a_taken_hand_over_disputes_it_once(handover_status):
    # Given a sent survey of a hand-over the owner took
    state = _state(reseller="rs_nord")
    # When the customer says nobody contacted them
    change = _answer(state, {"contacted": "no"}, handover_status=handover_status)
    # Then the answer is kept and the contact is disputed, and the reseller is told
    assert [event.type for event in change.events] == ["survey_answered", "contact_disputed"]
    assert change.events[1].details["handover_status"] == handover_status
    assert change.notify == ({"kind": "contact_disputed", "handover_id": HANDOVER, "lead_id": LEAD,
                              "owner": "sales-a", "reseller": "rs_nord"},)
    # And the same "no" again disputes nothing more
    again = _answer(change.state, {"contacted": "no"}, handover_status=handover_status)
    assert again.events == () and again.notify == ()


@pytest.mark.parametrize("handover_status", ["offered", "gap", None])
def test_no_to_were_you_contacted_on_a_hand_over_nobody_took_disputes_nothing(handover_status):
    change = _answer(_state(), {"contacted": "no"}, handover_status=handover_status)
    assert [event.type for event in change.events] == ["survey_answered"]
    assert change.notify == ()


def test_yes_to_were_you_contacted_disputes_nothing():
    change = _answer(_state(), {"contacted": "yes"}, handover_status="contacted")
    assert [event.type for event in change.events] == ["survey_answered"] and change.notify == ()


def test_a_customer_who_changes_their_mind_back_to_no_disputes_the_hand_over_only_once():
    disputed = _answer(_state(), {"contacted": "no"})
    withdrawn = _answer(disputed.state, {"contacted": "yes"})
    again = _answer(withdrawn.state, {"contacted": "no"})
    assert [event.type for event in again.events] == ["survey_answered"]


def test_send_on_the_last_page_finishes_the_survey_with_what_was_answered():
    change = _answer(_state(answers={"contacted": "yes"}), {"recommend": "10"}, finish=True)
    assert change.state.status == ANSWERED and change.state.completed_at == NOW_TEXT
    assert [event.type for event in change.events] == ["survey_answered", "survey_completed"]
    completed = change.events[-1]
    assert (completed.details["answered"], completed.details["questions"]) == (2, 4)
    assert change.state.open_at(NOW) is False


def test_answering_the_last_open_question_finishes_the_survey():
    state = _state(answers={"contacted": "yes", "how_quickly": "week", "recommend": 6})
    change = _answer(state, {"anything_else": "Slow, but friendly."})
    assert change.state.status == ANSWERED
    assert [event.type for event in change.events] == ["survey_answered", "survey_completed"]


def test_one_page_with_a_dispute_and_send_orders_its_events():
    change = _answer(_state(version=2), {"contacted": "no"}, finish=True)
    assert [(event.event_id, event.type, event.seq) for event in change.events] == [
        ("ev1", "survey_answered", 120), ("ev2", "contact_disputed", 121), ("ev3", "survey_completed", 122)]


# --- resuming -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answers", "index"), [
    ({}, 0),
    ({"contacted": "yes", "how_quickly": "week"}, 2),
    ({"contacted": "yes", "recommend": 9}, 1),
    ({"contacted": "yes", "how_quickly": "week", "recommend": 9, "anything_else": "no"}, 3),
])
def test_a_reopened_link_resumes_at_the_first_unanswered_question(answers, index):
    assert resume_at(_state(answers=answers), DEFAULT_QUESTIONS) == index


def test_a_survey_without_questions_resumes_at_the_start():
    assert resume_at(_state(), ()) == 0


# --- counting answers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "counters"), [
    (0, {"nps_detractors": 1}), (6, {"nps_detractors": 1}), (7, {"nps_passives": 1}), (8, {"nps_passives": 1}),
    (9, {"nps_promoters": 1}), (10, {"nps_promoters": 1}),
])
def test_an_nps_score_counts_in_its_group(score, counters):
    assert answer_counters("nps", score, False) == counters


def test_a_changed_nps_answer_takes_the_old_group_back():
    assert answer_counters("nps", 9, False, previous=3) == {"nps_detractors": -1, "nps_promoters": 1}
    assert answer_counters("nps", 8, False, previous=7) == {}


def test_a_csat_answer_counts_and_four_or_five_is_satisfied():
    assert answer_counters("csat", 4, False) == {"csat_answers": 1, "csat_satisfied": 1}
    assert answer_counters("csat", 3, False) == {"csat_answers": 1}
    assert answer_counters("csat", 2, False, previous=5) == {"csat_satisfied": -1}


def test_only_the_contact_question_counts_yes_and_no():
    assert answer_counters("yes_no", "yes", True) == {"contacted_yes": 1}
    assert answer_counters("yes_no", "yes", True, previous="no") == {"contacted_no": -1, "contacted_yes": 1}
    assert answer_counters("yes_no", "yes", False) == {}


def test_choices_and_texts_count_nothing():
    assert answer_counters("choice", "same_day", False) == {}
    assert answer_counters("text", "fine", False) == {}


# --- scores ---------------------------------------------------------------------------------------------------


def test_the_scores_from_the_counters():
    # Given 20 sent, 10 answered; 5 promoters, 2 passives, 3 detractors; 6 of 8 satisfied; 9 of 10 say contacted
    scores = Scores.of({"sent": 20, "answered": 10, "completed": 8, "nps_promoters": 5, "nps_passives": 2,
                        "nps_detractors": 3, "csat_answers": 8, "csat_satisfied": 6, "contacted_yes": 9,
                        "contacted_no": 1, "disputes": 1})
    # Then NPS is 50 % - 30 % = 20 points and every share is over its own denominator
    assert scores.as_dict() == {
        "sent": 20, "answered": 10, "completed": 8, "response_rate": 0.5, "nps": 20.0, "nps_answers": 10,
        "promoters": 5, "passives": 2, "detractors": 3, "csat": 0.75, "csat_answers": 8,
        "contacted_yes_rate": 0.9, "contact_disputes": 1}


def test_the_shares_are_rounded():
    scores = Scores.of({"sent": 3, "answered": 1, "nps_promoters": 1, "nps_passives": 2, "csat_answers": 3,
                        "csat_satisfied": 2, "contacted_yes": 2, "contacted_no": 1})
    shown = scores.as_dict()
    assert (shown["response_rate"], shown["nps"], shown["csat"], shown["contacted_yes_rate"]) == (
        0.3333, 33.3, 0.6667, 0.6667)


def test_all_detractors_is_minus_a_hundred():
    assert Scores(detractors=4).nps == -100.0


def test_scores_without_denominators_are_none():
    shown = Scores.of({}).as_dict()
    assert (shown["response_rate"], shown["nps"], shown["csat"], shown["contacted_yes_rate"]) == (
        None, None, None, None)
    assert (shown["sent"], shown["nps_answers"], shown["contact_disputes"]) == (0, 0, 0)


# --- the journey's surveys ------------------------------------------------------------------------------------


def test_a_journey_without_surveys_asks_by_consent_at_most_every_thirty_days():
    journey = JourneyDefinition.model_validate({})
    assert (journey.surveys, journey.survey_basis, journey.survey_interval) == ([], "consent", "P30D")
    assert journey.surveys_after("handover_accepted") == [] and journey.survey("after-accept") is None


def test_a_journey_finds_its_surveys_by_trigger_and_by_name():
    journey = JourneyDefinition.model_validate({
        "survey_basis": "legitimate_interest", "survey_interval": "P60D",
        "surveys": [{"name": "after-accept", "after": "handover_accepted", "delay": "P2D", "reminder": "P3D"},
                    {"name": "after-won", "after": "outcome_won", "language": "da"},
                    {"name": "after-gap", "after": "gap", "expires": "P7D"},
                    {"name": "accept-two", "after": "handover_accepted", "delay": "P7D"}],
    })
    assert (journey.survey_basis, journey.survey_interval) == ("legitimate_interest", "P60D")
    assert [survey.name for survey in journey.surveys_after("handover_accepted")] == ["after-accept", "accept-two"]
    assert journey.surveys_after("contacted") == []
    won = journey.survey("after-won")
    assert won is not None and (won.after, won.language, won.delay, won.expires) == ("outcome_won", "da", "PT0S",
                                                                                   "P30D")
    gap = journey.survey("after-gap")
    assert gap is not None and (gap.expires, gap.reminder) == ("P7D", None)
    assert journey.survey("after-lost") is None


def test_a_survey_without_questions_asks_the_built_in_ones():
    assert SurveyDefinition.model_validate({"name": "after-accept", "after": "contacted"}).asked() is DEFAULT_QUESTIONS


def test_a_surveys_own_questions_are_asked_as_the_survey_rules_read_them():
    definition = SurveyDefinition.model_validate({"name": "own", "after": "contacted", "questions": [
        {"id": "called", "type": "yes_no", "text": {"da": "Ringede {owner}?"}, "checks_contact": True},
        {"id": "how", "type": "choice", "text": {"en": "How?", "da": "Hvordan?"}, "choices": CHOICES},
        {"id": "happy", "type": "csat", "text": {"en": "Happy?"}},
    ]})
    assert definition.asked() == (
        Question("called", "yes_no", {"da": "Ringede {owner}?"}, (), True),
        Question("how", "choice", {"en": "How?", "da": "Hvordan?"},
                 (Choice("phone", {"en": "By phone"}), Choice("mail", {"en": "By e-mail"}))),
        Question("happy", "csat", {"en": "Happy?"}),
    )


def _question(**changes: Any) -> dict[str, Any]:
    return {"id": "called", "type": "yes_no", "text": {"en": "Did we call?"}, **changes}


@pytest.mark.parametrize(("surveys", "location", "message"), [
    ([{"name": "s", "after": "gap", "questions": [_question(type="choice")]}],
     "surveys.0.questions.0", "a choice question needs choices, and only a choice question has them"),
    ([{"name": "s", "after": "gap", "questions": [_question(type="nps", choices=CHOICES)]}],
     "surveys.0.questions.0", "a choice question needs choices, and only a choice question has them"),
    ([{"name": "s", "after": "gap", "questions": [_question(type="text", checks_contact=True)]}],
     "surveys.0.questions.0", "checks_contact goes with a yes_no question"),
    ([{"name": "s", "after": "gap", "questions": [_question(), _question(type="nps")]}],
     "surveys.0.questions", "each question id may appear once"),
    ([{"name": "s", "after": "gap"}, {"name": "s", "after": "contacted"}],
     "surveys", "survey names must be unique"),
    ([{"name": "s", "after": "gap", "reminder": "P1M"}],
     "surveys.0.reminder", "'P1M': years and months have no fixed length; use weeks, days or hours"),
    ([{"name": "s", "after": "gap", "expires": "soon"}],
     "surveys.0.expires", "'soon' is not an ISO-8601 duration such as PT4H or P1DT2H"),
], ids=["choice-without-choices", "choices-on-nps", "checks-contact-on-text", "duplicate-question",
        "duplicate-survey", "month-reminder", "word-expiry"])
def test_a_survey_that_does_not_fit_is_refused_naming_where(surveys, location, message):
    assert _journey_refusal({"surveys": surveys}) == [(location, message)]


def test_a_survey_interval_that_is_not_a_duration_is_refused():
    assert _journey_refusal({"survey_interval": "P1M"}) == [
        ("survey_interval", "'P1M': years and months have no fixed length; use weeks, days or hours")]


def test_a_survey_may_say_its_default_delay_out_loud():
    journey = JourneyDefinition.model_validate({"surveys": [{"name": "now", "after": "gap", "delay": "PT0S"}]})
    assert journey.surveys[0].delay == "PT0S"


# --- the hand-over report ------------------------------------------------------------------------------------


def _ticks(kind: str, details: dict[str, Any]) -> list[tuple[str, int, str | None]]:
    ticks, offer = event_counters(kind, details, "2026-11-25T10:00:00.000Z", "2026-11-23T09:00:00.000Z")
    assert offer is None
    return ticks


def test_survey_events_are_counted_by_the_hand_over_report():
    assert {"contact_disputed", "survey_answered"} <= COUNTED_EVENTS


def test_a_disputed_contact_counts_for_the_owner_and_in_total():
    assert _ticks("contact_disputed", {"owner": "sales-b", "handover_status": "accepted"}) == [
        ("contact_disputes", 1, None), ("contact_disputes", 1, "sales-b")]
    assert _ticks("contact_disputed", {"owner": None}) == [("contact_disputes", 1, None)]


def test_an_nps_answer_counts_its_group_for_the_owner_and_in_total():
    assert _ticks("survey_answered", {"owner": "sales-c", "question_type": "nps", "answer": 6, "previous": None}) == [
        ("nps_detractors", 1, None), ("nps_detractors", 1, "sales-c")]


def test_a_changed_nps_answer_takes_the_old_one_back_in_the_hand_over_report():
    assert _ticks("survey_answered", {"owner": "sales-d", "question_type": "nps", "answer": 9, "previous": 3}) == [
        ("nps_detractors", -1, None), ("nps_detractors", -1, "sales-d"),
        ("nps_promoters", 1, None), ("nps_promoters", 1, "sales-d")]


@pytest.mark.parametrize(("question_type", "value"), [("yes_no", "no"), ("csat", 5), ("choice", "week"),
                                                      ("text", "ok")])
def test_other_answers_count_nothing_in_the_hand_over_report(question_type, value):
    assert _ticks("survey_answered", {"owner": "sales-e", "question_type": question_type, "answer": value,
                                      "checks_contact": True}) == []


def test_the_report_shows_nps_in_points():
    tally = Tally()
    tally.add({"nps_promoters": 5, "nps_passives": 2, "nps_detractors": 3})
    assert tally.as_dict()["nps"] == 20.0
    assert Tally().as_dict()["nps"] is None


def test_a_score_changed_from_3_to_9_ends_as_one_promoter_in_the_report():
    # Given one customer of sales-f who first scored 3 and then changed it to 9
    first = _ticks("survey_answered", {"owner": "sales-f", "question_type": "nps", "answer": 3, "previous": None})
    changed = _ticks("survey_answered", {"owner": "sales-f", "question_type": "nps", "answer": 9, "previous": 3})
    # When the report adds up the counters
    report = summarise([(owner, {name: delta}) for name, delta, owner in first + changed])
    # Then the customer is a promoter only, for the owner and in total
    for figures in (report, report["owners"]["sales-f"]):
        assert (figures["nps_promoters"], figures["nps_detractors"], figures["nps"]) == (1, 0, 100.0)
