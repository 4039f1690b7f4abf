"""Planning "How did it go?": when the ask and its one reminder are due (on the hand-over's calendar), what they
write, when they stay silent, and how the outcome form's answers are read."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import iso
from chalicelib.domain.effects import effects_of
from chalicelib.domain.handover import (
    Change,
    HandoverState,
    accept,
    asking_outcome,
    contacted,
    fire_next_step,
    handover_id_for,
    open_handover,
    outcome_due,
)
from chalicelib.domain.journey import Handover
from chalicelib.domain.sla import ALWAYS, DK_BUSINESS_HOURS, BusinessCalendar, Clock
from chalicelib.services.outcome_pages import FormProblem, parse_amount, read_form

# Monday 23 November 2026, 11:00 in Copenhagen.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LEAD = "ld_" + "c" * 24
OWNER = Actor(kind="owner", owner="a")
FORTNIGHT = timedelta(days=14)


def _ids():
    counter = itertools.count()
    return lambda: f"e{next(counter)}"


def _definition(contact: str | None = None) -> Handover:
    sla = {"accept_within": "PT4H", **({"contact_within": contact} if contact else {})}
    return Handover.model_validate({"name": "to-sales", "on": "form_submit",
                                    "route": {"strategy": "round_robin", "owners": ["a", "b"]}, "sla": sla})


def _accepted(after: timedelta | None = FORTNIGHT, clock: Clock = ALWAYS,
              at: datetime = MONDAY, contact: str | None = None) -> HandoverState:
    definition = _definition(contact)
    opened = open_handover("t1", LEAD, handover_id_for(LEAD, definition.name), definition, ["a", "b"], clock, at,
                           _ids()).state
    change = accept(opened, OWNER, at, _ids())
    assert change is not None
    return asking_outcome(change, opened, at, after, clock).state


def _fire_all(state: HandoverState, until: datetime, outcome_known: bool = False
              ) -> tuple[HandoverState, list[Change]]:
    changes = []
    while (change := fire_next_step(state, until, _ids(), outcome_known=outcome_known)) is not None:
        changes.append(change)
        state = change.state
    return state, changes


# --- when ----------------------------------------------------------------------------------------------------


def test_on_the_247_clock_the_ask_is_outcome_after_the_accept_and_the_reminder_as_long_after_that():
    state = _accepted()
    assert [(step.action, step.due_at) for step in state.steps] == [
        ("outcome_ask", "2026-12-07T10:00:00.000Z"), ("outcome_reminder", "2026-12-21T10:00:00.000Z")]


def test_on_a_business_calendar_whole_days_are_working_days_at_the_same_time_of_day():
    state = _accepted(clock=DK_BUSINESS_HOURS)
    # Fourteen working days after Monday 23 November: Friday 11 December, 11:00 in Copenhagen. Fourteen more
    # skip the weekends and Christmas Day, Boxing Day and New Year's Day: Monday 4 January 2027.
    assert [step.due_at for step in state.steps] == ["2026-12-11T10:00:00.000Z", "2027-01-04T10:00:00.000Z"]


def test_an_ask_due_when_the_calendar_is_closed_waits_for_the_next_opening():
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Copenhagen
    # The next working day at 18:00 is Monday after closing: the ask waits for Tuesday's 08:00.
    assert outcome_due(friday_evening, timedelta(days=1), DK_BUSINESS_HOURS) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_a_duration_below_a_day_on_a_business_calendar_is_open_time():
    friday_afternoon = datetime(2026, 11, 27, 14, 59, tzinfo=UTC)  # 15:59 in Copenhagen, a minute before closing
    assert outcome_due(friday_afternoon, timedelta(minutes=2), DK_BUSINESS_HOURS) == datetime(
        2026, 11, 30, 7, 1, tzinfo=UTC)


def test_a_calendar_without_working_days_ahead_cannot_plan_an_ask():
    closed = BusinessCalendar(name="closed", weekdays=(0,), holidays_country=None,
                              closed_dates=tuple(date(2026, 11, 23) + timedelta(weeks=week) for week in range(1, 600)))
    with pytest.raises(ValueError, match="no 1 working days"):
        outcome_due(MONDAY, timedelta(days=1), closed)


def test_a_journey_that_never_asks_plans_nothing():
    assert _accepted(after=None).steps == ()


def test_the_asks_follow_the_contact_deadline_on_the_same_ladder():
    state = _accepted(contact="PT24H")
    assert [step.action for step in state.steps] == ["contact_breach", "outcome_ask", "outcome_reminder"]


def test_an_accept_after_the_ladder_ran_out_starts_a_timer_for_the_ask():
    definition = _definition()
    opened = open_handover("t1", LEAD, handover_id_for(LEAD, definition.name), definition, ["a", "b"], ALWAYS, MONDAY,
                           _ids()).state
    late = MONDAY + timedelta(hours=5)
    ran_out, _ = _fire_all(opened, late)
    assert ran_out.next_due_at is None
    change = accept(ran_out, OWNER, late, _ids())
    assert change is not None
    asked = asking_outcome(change, ran_out, late, FORTNIGHT, ALWAYS)
    assert asked.timer == iso(late + FORTNIGHT) == effects_of(asked)["timer"]


def test_an_accept_while_the_ladder_runs_needs_no_timer_of_its_own():
    definition = _definition()
    opened = open_handover("t1", LEAD, handover_id_for(LEAD, definition.name), definition, ["a", "b"], ALWAYS, MONDAY,
                           _ids()).state
    change = accept(opened, OWNER, MONDAY, _ids())
    assert change is not None
    assert asking_outcome(change, opened, MONDAY, FORTNIGHT, ALWAYS).timer is None


# --- what fires ----------------------------------------------------------------------------------------------


def test_nothing_is_asked_before_it_is_due():
    state = _accepted()
    assert fire_next_step(state, MONDAY + FORTNIGHT - timedelta(seconds=1), _ids()) is None


def test_the_ask_writes_an_event_and_an_email_to_the_owner_then_the_reminder_says_it_is_one():
    state, changes = _fire_all(_accepted(), MONDAY + 2 * FORTNIGHT)
    events = [event for change in changes for event in change.events]
    assert [(event.type, event.details["reminder"], event.details["owner"]) for event in events] == [
        ("outcome_asked", False, "a"), ("outcome_asked", True, "a")]
    notifications = [note for change in changes for note in change.notifications]
    assert [(note.kind, note.to, note.cause, note.lead_id) for note in notifications] == [
        ("outcome_ask", "a", "", LEAD), ("outcome_ask", "a", "reminder", LEAD)]
    assert state.next_due_at is None


def test_no_ask_or_reminder_once_the_outcome_is_known():
    state, changes = _fire_all(_accepted(), MONDAY + 2 * FORTNIGHT, outcome_known=True)
    assert [change.events for change in changes] == [(), ()] and state.next_due_at is None


def test_reporting_contact_keeps_the_asks_and_they_still_fire():
    state = _accepted(contact="PT24H")
    change = contacted(state, OWNER, MONDAY + timedelta(hours=1), _ids())
    assert change is not None
    assert [step.action for step in change.state.steps] == ["outcome_ask", "outcome_reminder"]
    _, fired = _fire_all(change.state, MONDAY + FORTNIGHT)
    assert [event.type for change in fired for event in change.events] == ["outcome_asked"]


def test_an_owner_who_no_longer_holds_the_hand_over_is_not_asked():
    from dataclasses import replace

    state = replace(_accepted(), status="gap")
    _, fired = _fire_all(state, MONDAY + 2 * FORTNIGHT)
    assert [change.events for change in fired] == [(), ()]


# --- the form ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "amount"), [
    ("25000", "25000"), ("25.000,50", "25000.50"), ("25,000.50", "25000.50"), ("25 000", "25000"),
    ("1234,5", "1234.5"), ("0", "0"), ("31.500", "31500"), ("25,000", "25000"), ("1.234.567,89", "1234567.89"),
    ("12.50", "12.50"), ("12,5", "12.5"), ("25000.00", "25000.00"),
])
def test_amounts_are_read_as_people_type_them(typed: str, amount: str):
    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize(("typed", "key"), [
    ("abc", "outcome.problem.value_number"), ("-5", "outcome.problem.value_negative"),
    ("NaN", "outcome.problem.value_number"), ("Infinity", "outcome.problem.value_number"),
    ("1e20", "outcome.problem.value_too_large"), ("1,2,3", "outcome.problem.value_number"),
    ("-1.000", "outcome.problem.value_negative"),
])
def test_amounts_that_cannot_be_taken_name_the_problem(typed: str, key: str):
    with pytest.raises(FormProblem) as problem:
        parse_amount(typed)
    assert (problem.value.key, problem.value.field) == (key, "value")


def test_a_won_form_for_today_is_now_and_an_earlier_day_is_its_midday_in_the_calendars_zone():
    today = date(2026, 12, 7)
    assert read_form("won", {"value": "10", "date": "2026-12-07"}, today, "UTC").at is None
    earlier = read_form("won", {"value": "", "date": "2026-12-01"}, today, "Europe/Copenhagen")
    assert earlier.value is None and earlier.at == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(("fields", "key", "field"), [
    ({"answer": "won", "date": "2026-12-08"}, "outcome.problem.date_future", "date"),
    ({"answer": "won", "date": "yesterday"}, "outcome.problem.date", "date"),
    ({"answer": "lost", "reason": "bored"}, "outcome.problem.reason", "reason"),
    ({"answer": "lost", "reason": "price", "note": "x" * 401}, "outcome.problem.note_too_long", "note"),
])
def test_forms_that_cannot_be_taken_name_the_field(fields: dict[str, str], key: str, field: str):
    with pytest.raises(FormProblem) as problem:
        read_form(fields.pop("answer"), fields, date(2026, 12, 7), "UTC")
    assert (problem.value.key, problem.value.field) == (key, field)


def test_a_lost_reason_is_the_choice_then_the_owners_words_on_one_line():
    report = read_form("lost", {"reason": "price", "note": " too\n expensive "}, date(2026, 12, 7), "UTC")
    assert (report.outcome, report.reason, report.value) == ("lost", "price: too expensive", None)
