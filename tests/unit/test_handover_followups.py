"""Hand-over rules from issue 8's loose ends, as pure functions and in-process timers: the contact breach of a
late accept, the accept's stage, the first start on every event, the timers a re-planned ladder needs, and the
journey's manager address."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.adapters.timers import LocalTimers, ManualTimers, execution_name
from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import iso
from chalicelib.domain.effects import effects_of
from chalicelib.domain.handover import (
    HandoverState,
    accept,
    contacted,
    decline,
    fire_next_step,
    handover_id_for,
    open_handover,
)
from chalicelib.domain.journey import Handover, JourneyDefinition
from chalicelib.domain.reports import event_counters
from chalicelib.domain.sla import ALWAYS

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEAD = "ld_" + "b" * 24
OWNER_A = Actor(kind="owner", owner="a")


def _ids():
    counter = itertools.count()
    return lambda: f"e{next(counter)}"


def _definition(*steps: dict[str, str], contact: str | None = "PT1H") -> Handover:
    sla = {"accept_within": "PT4H", **({"contact_within": contact} if contact else {})}
    return Handover.model_validate({"name": "to-sales", "on": "form_submit",
                                    "route": {"strategy": "round_robin", "owners": ["a", "b"]},
                                    "sla": sla, "escalation": list(steps)})


REMIND_AT_A_QUARTER = _definition({"at": "25%", "action": "remind"})


def _opened(definition: Handover = REMIND_AT_A_QUARTER) -> HandoverState:
    change = open_handover("t1", LEAD, handover_id_for(LEAD, definition.name), definition, ["a", "b"], ALWAYS, START,
                           _ids())
    assert change.timer == change.state.next_due_at == iso(START)  # a new hand-over's timer, for its notify
    return change.state


def _fired(state: HandoverState, until: datetime) -> HandoverState:
    while (change := fire_next_step(state, until, _ids())) is not None:
        state = change.state
    return state


# --- an accept at or after the contact deadline ---------------------------------------------------


@pytest.mark.parametrize("after", [timedelta(hours=1), timedelta(hours=2)])
def test_an_accept_at_or_after_the_contact_deadline_breaches_the_contact_sla_for_the_owner(after: timedelta):
    state = _fired(_opened(), START + timedelta(minutes=30))
    now = START + after

    change = accept(state, OWNER_A, now, _ids())

    assert change is not None
    accepted, breach = change.events
    assert (accepted.type, breach.type) == ("accepted", "sla_breached")
    assert breach.details == {"handover_id": state.handover_id, "handover": "to-sales", "started_at": iso(START),
                              "sla": "contact", "owner": "a", "step": "contact_breach",
                              "due_at": "2026-11-23T10:00:00.000Z"}
    assert accepted.seq < breach.seq
    assert change.state.steps == () and change.timer is None  # nothing left to fire, no second breach
    ticks, offer = event_counters(breach.type, breach.details, breach.at, iso(START))
    assert (ticks, offer) == ([("contact_breaches", 1, None), ("contact_breaches", 1, "a")], None)


def test_an_accept_before_the_contact_deadline_plans_the_breach_for_the_deadline_instead():
    state = _fired(_opened(), START + timedelta(minutes=30))  # the running timer wakes at 10:00 for the remind
    change = accept(state, OWNER_A, START + timedelta(minutes=45), _ids())
    assert change is not None and [event.type for event in change.events] == ["accepted"]
    assert [(step.action, step.due_at) for step in change.state.steps] == [
        ("contact_breach", "2026-11-23T10:00:00.000Z")]
    assert change.timer is None  # the running timer wakes at 10:00: in time
    breached = fire_next_step(change.state, START + timedelta(hours=1), _ids())
    assert breached is not None and [(event.type, event.details["sla"]) for event in breached.events] == [
        ("sla_breached", "contact")]


def test_an_accept_whose_contact_deadline_comes_before_the_running_timer_starts_one_for_it():
    definition = _definition({"at": "50%", "action": "remind"}, contact="PT3H")
    state = _fired(_opened(definition), START + timedelta(hours=2))  # reminded at 11:00; next wake-up 13:00
    change = accept(state, OWNER_A, START + timedelta(hours=2, minutes=30), _ids())
    assert change is not None and change.timer == "2026-11-23T12:00:00.000Z"
    assert effects_of(change) == {"timer": "2026-11-23T12:00:00.000Z"}


def test_an_accept_whose_contact_deadline_comes_after_the_running_timer_starts_none():
    definition = _definition({"at": "50%", "action": "remind"}, contact="PT24H")
    state = _fired(_opened(definition), START)  # the timer wakes at 11:00 for the remind
    change = accept(state, OWNER_A, START + timedelta(minutes=10), _ids())
    assert change is not None and change.timer is None and effects_of(change) == {}


def _accepted_stage(**stage: str | None) -> str | None:
    change = accept(_opened(_definition(contact=None)), OWNER_A, START, _ids(), **stage)
    assert change is not None
    return change.lead_stage


def test_an_accept_moves_the_lead_to_the_stage_the_journey_names_or_nowhere():
    assert _accepted_stage() == "decision"
    assert _accepted_stage(accepted_stage="offer") == "offer"
    assert _accepted_stage(accepted_stage=None) is None


# --- every event names the first start --------------------------------------------------------------


def test_every_event_of_a_handover_names_its_first_start_even_after_a_decline():
    notified = fire_next_step(_opened(), START, _ids())
    assert notified is not None
    events = list(notified.events)
    state = notified.state
    declined = decline(state, OWNER_A, "busy", START + timedelta(hours=3), _ids(), REMIND_AT_A_QUARTER, ALWAYS)
    events += declined.events
    state = declined.state
    state = _fired(state, START + timedelta(hours=4))
    taken = accept(state, Actor(kind="owner", owner="b"), START + timedelta(hours=5), _ids())
    assert taken is not None
    done = contacted(taken.state, Actor(kind="owner", owner="b"), START + timedelta(hours=6), _ids())
    assert done is not None
    events += [*taken.events, *done.events]
    assert {event.type for event in events} >= {"notified", "declined", "reassigned", "accepted", "sla_breached",
                                                 "contacted"}
    assert {event.details["started_at"] for event in events} == {"2026-11-23T09:00:00.000Z"}


# --- the timer a decline needs ------------------------------------------------------------------------


def test_a_decline_whose_new_ladder_comes_before_the_running_timer_starts_a_timer_for_it():
    state = _fired(_opened(), START + timedelta(hours=1))  # reminded; the running timer wakes at the 13:00 breach
    change = decline(state, OWNER_A, None, START + timedelta(hours=1, minutes=15), _ids(), REMIND_AT_A_QUARTER,
                     ALWAYS)
    assert change.timer == change.state.next_due_at == "2026-11-23T11:15:00.000Z"
    assert effects_of(change)["timer"] == "2026-11-23T11:15:00.000Z"


def test_a_decline_whose_new_ladder_comes_after_the_running_timer_starts_none():
    state = _fired(_opened(), START)  # notified; the running timer wakes at the 10:00 remind
    change = decline(state, OWNER_A, None, START + timedelta(minutes=5), _ids(), REMIND_AT_A_QUARTER, ALWAYS)
    assert change.state.next_due_at == "2026-11-23T10:05:00.000Z" and change.timer is None


def test_a_change_leaves_only_messages_and_a_timer_for_the_consumers():
    state = _fired(_opened(), START + timedelta(hours=1))
    change = decline(state, OWNER_A, None, START + timedelta(hours=1, minutes=15), _ids(), REMIND_AT_A_QUARTER,
                     ALWAYS)
    assert set(effects_of(change)) == {"notify", "timer"}
    assert not hasattr(change, "counters")


# --- the test timers and the local stack's timers ----------------------------------------------------


def test_an_execution_is_named_by_its_handover_and_due_time():
    first = execution_name("ho_abc_123", "2026-11-23T11:30:00.000Z")
    assert first == execution_name("ho_abc_123", "2026-11-23T11:30:00.000Z")
    assert first != execution_name("ho_abc_123", "2026-11-23T11:45:00.000Z")
    assert first.startswith("ho_abc_123-") and len(first) == len("ho_abc_123-") + 8


def test_manual_timers_wake_at_the_earlier_of_two_starts_of_one_handover():
    timers = ManualTimers()
    timers.start("t1", "ho_1", "2026-11-23T13:00:00.000Z")
    timers.start("t1", "ho_1", "2026-11-23T11:15:00.000Z")
    timers.start("t1", "ho_1", "2026-11-23T14:00:00.000Z")
    fired: list[str] = []

    def fire_due(tenant_id: str, handover_id: str) -> str | None:
        fired.append(handover_id)
        return None

    assert timers.run_due(datetime(2026, 11, 23, 11, 15, tzinfo=UTC), fire_due) == 1
    assert fired == ["ho_1"] and timers.pending == {}


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def test_local_timers_keep_a_second_start_at_another_time_and_merge_executions_that_meet():
    clock = _Clock()
    ladder = ["2026-11-23T10:15:00.000Z", "2026-11-23T13:00:00.000Z"]  # what the hand-over has next, in turn
    calls: list[datetime] = []

    def fire_due(tenant_id: str, handover_id: str) -> str | None:
        calls.append(clock.now)
        upcoming = [due for due in ladder if due > iso(clock.now)]
        return upcoming[0] if upcoming else None

    timers = LocalTimers(fire_due, clock)  # its thread is never begun: the test drives it
    timers.start("t1", "ho_1", "2026-11-23T11:00:00.000Z")  # the first ladder's next step
    timers.start("t1", "ho_1", "2026-11-23T10:15:00.000Z")  # after a decline: the new ladder's, earlier
    timers.start("t1", "ho_1", "2026-11-23T10:15:00.000Z")  # a redelivered start
    assert timers.fire_next() is None  # nothing due at 09:00

    clock.now = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    assert timers.fire_next() is True and timers.fire_next() is None  # once, at its own time, not at 11:00
    clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert timers.fire_next() is True  # the old execution wakes, finds nothing, joins the 13:00 wait
    clock.now = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert timers.fire_next() is True and timers.fire_next() is None  # the two met: one run at 13:00
    assert [moment.strftime("%H:%M") for moment in calls] == ["10:15", "11:00", "13:00"]


def test_local_timers_try_a_failed_run_again():
    clock = _Clock()
    outcomes: list[Exception | None] = [RuntimeError("store unavailable"), None]

    def fire_due(tenant_id: str, handover_id: str) -> str | None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return None

    timers = LocalTimers(fire_due, clock)
    timers.start("t1", "ho_1", iso(START))
    assert timers.fire_next() is False
    assert timers.fire_next() is True and timers.fire_next() is None and outcomes == []


# --- the journey's manager address --------------------------------------------------------------------


def test_a_journey_may_name_its_manager_and_keeps_it_when_read_back():
    journey = JourneyDefinition.model_validate({"manager_email": "chef@nordlys-solar.dk"})
    assert journey.manager_email == "chef@nordlys-solar.dk"
    assert JourneyDefinition.model_validate(journey.model_dump(mode="json", exclude_none=True)) == journey
    assert JourneyDefinition().manager_email is None


@pytest.mark.parametrize("address", ["chef", "chef@", "@demo.dk", "chef@demo", "chef @demo.dk", "chef@demo.dk.",
                                     "a@b.dk;c@d.dk", "x" * 250 + "@demo.dk"])
def test_a_manager_email_that_is_not_an_address_is_refused_at_its_path(address: str):
    with pytest.raises(ValidationError) as refused:
        JourneyDefinition.model_validate({"manager_email": address})
    (problem,) = refused.value.errors()
    assert problem["loc"] == ("manager_email",)
