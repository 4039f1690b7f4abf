"""Offers, gaps and rescues as pure functions: who gets the lead, by when, and who hears of a gap."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.actors import Actor
from chalicelib.domain.effects import effects_of, notifications_from
from chalicelib.domain.handover import (
    HandoverRefused,
    HandoverState,
    accept,
    decline,
    escalation_target,
    fire_next_step,
    handover_id_for,
    lead_id_of,
    offer_deadline,
    open_handover,
    rescue,
    rescue_id_for,
)
from chalicelib.domain.journey import Handover
from chalicelib.domain.reports import event_counters
from chalicelib.domain.sla import ALWAYS, DK_BUSINESS_HOURS

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Copenhagen
LEAD = "ld_" + "a" * 24
ADMIN = Actor(kind="admin")


def _definition(*steps: dict[str, str], calendar: str | None = None) -> Handover:
    sla = {"accept_within": "PT4H", "contact_within": "PT8H", **({"calendar": calendar} if calendar else {})}
    return Handover.model_validate({"name": "to-sales", "on": "form_submit",
                                    "route": {"strategy": "round_robin", "owners": ["a", "b", "c"]},
                                    "sla": sla, "escalation": list(steps)})


LADDER = _definition({"at": "50%", "action": "remind"}, {"at": "100%", "action": "escalate", "to": "boss"},
                     {"at": "150%", "action": "reassign"}, {"at": "200%", "action": "gap"})


def _ids():
    counter = itertools.count()
    return lambda: f"e{next(counter)}"


def _opened(definition: Handover = LADDER, clock=ALWAYS) -> HandoverState:
    return open_handover("t1", LEAD, handover_id_for(LEAD, definition.name), definition, ["a", "b", "c"], clock,
                         START, _ids()).state


def _run(state: HandoverState, until: datetime) -> tuple[HandoverState, list]:
    changes = []
    while (change := fire_next_step(state, until, _ids())) is not None:
        state = change.state
        changes.append(change)
    return state, changes


# --- a decline is a new offer ----------------------------------------------------------------------


def test_a_decline_restarts_the_deadlines_and_the_ladder_from_the_decline():
    declined_at = START + timedelta(hours=3)
    change = decline(_opened(), ADMIN, "busy", declined_at, _ids(), LADDER, ALWAYS)
    state = change.state
    assert (state.owner, state.accept_due_at, state.contact_due_at) == (
        "b", "2026-11-23T16:00:00.000Z", "2026-11-23T20:00:00.000Z")
    assert [(step.action, step.due_at) for step in state.steps[state.next_step:]] == [
        ("remind", "2026-11-23T14:00:00.000Z"), ("breach", "2026-11-23T16:00:00.000Z"),
        ("escalate", "2026-11-23T16:00:00.000Z"), ("reassign", "2026-11-23T18:00:00.000Z"),
        ("gap", "2026-11-23T20:00:00.000Z")]
    assert state.started_at == "2026-11-23T09:00:00.000Z"  # time to accept still counts from the start


def test_a_decline_is_declined_reassigned_and_notified_with_the_offer_on_the_last_event():
    change = decline(_opened(), Actor(kind="owner", owner="a"), None, START + timedelta(hours=1), _ids(), LADDER,
                     ALWAYS)
    declined, reassigned, notified = change.events
    assert (declined.type, declined.details["owner"]) == ("declined", "a")
    assert (reassigned.type, reassigned.details["owner"], reassigned.details["to"]) == ("reassigned", "a", "b")
    assert notified.type == "notified" and notified.details == {
        "handover_id": change.state.handover_id, "handover": "to-sales", "owner": "b", "step": "decline",
        "due_at": "2026-11-23T14:00:00.000Z", "started_at": "2026-11-23T09:00:00.000Z"}  # the first start stays
    assert declined.seq < reassigned.seq < notified.seq
    (offer,) = change.notifications
    assert (offer.kind, offer.to, offer.due_at) == ("offer", "b", "2026-11-23T14:00:00.000Z")


def test_a_decline_restarts_the_clock_in_the_handovers_calendar():
    friday_afternoon = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 15:00 in Copenhagen, one business hour left
    definition = _definition(calendar="dk-business-hours")
    change = decline(_opened(definition, DK_BUSINESS_HOURS), ADMIN, None, friday_afternoon, _ids(), definition,
                     DK_BUSINESS_HOURS)
    assert change.state.accept_due_at == "2026-11-30T10:00:00.000Z"  # Monday 11:00 local: 1 h + 3 h


def test_without_its_definition_a_decline_moves_the_same_deadlines_on_by_the_time_passed():
    state = _opened()
    change = decline(state, ADMIN, None, START + timedelta(hours=1), _ids())
    assert change.state.accept_due_at == "2026-11-23T14:00:00.000Z"
    assert [step.due_at for step in change.state.steps] == [
        "2026-11-23T10:00:00.000Z", "2026-11-23T12:00:00.000Z", "2026-11-23T14:00:00.000Z",
        "2026-11-23T14:00:00.000Z", "2026-11-23T16:00:00.000Z", "2026-11-23T18:00:00.000Z"]
    again = decline(change.state, ADMIN, None, START + timedelta(hours=2), _ids())
    assert again.state.accept_due_at == "2026-11-23T15:00:00.000Z"  # from the last offer, not the start


def test_the_last_possible_owner_declining_ends_in_a_gap_announced_to_the_escalation_target():
    state = _opened()
    for owner in ("a", "b"):
        state = decline(state, ADMIN, None, START, _ids(), LADDER, ALWAYS).state
        assert state.owner != owner
    change = decline(state, ADMIN, None, START, _ids(), LADDER, ALWAYS)
    assert [event.type for event in change.events] == ["declined", "gap"]
    (announcement,) = change.notifications
    assert (announcement.kind, announcement.to, announcement.owner, announcement.cause) == (
        "gap", "boss", "c", "everyone declined")


def test_a_late_accept_after_a_decline_is_judged_by_the_new_clock():
    change = decline(_opened(), ADMIN, None, START + timedelta(hours=3), _ids(), LADDER, ALWAYS)
    accepted = accept(change.state, Actor(kind="owner", owner="b"), START + timedelta(hours=6), _ids())
    assert accepted is not None and accepted.state.accepted_late is False


# --- a ladder reassignment keeps the clock ---------------------------------------------------------


def test_a_ladder_reassignment_offers_the_time_left_until_the_gap():
    state, changes = _run(_opened(), START + timedelta(hours=6))
    reassigned = changes[-1]
    assert [event.type for event in reassigned.events] == ["reassigned", "notified"]
    assert state.accept_due_at == "2026-11-23T13:00:00.000Z"  # kept
    notified = reassigned.events[1]
    assert (notified.details["owner"], notified.details["step"], notified.details["due_at"]) == (
        "b", "reassign", "2026-11-23T17:00:00.000Z")
    assert reassigned.events[0].details["due_at"] == "2026-11-23T17:00:00.000Z"
    assert reassigned.notifications[0].due_at == "2026-11-23T17:00:00.000Z"


def test_the_offer_deadline_is_the_slas_while_it_lies_ahead_then_the_next_step_that_takes_the_lead_away():
    state = _opened()
    assert offer_deadline(state, START) == "2026-11-23T13:00:00.000Z"
    state, _ = _run(state, START + timedelta(hours=4))
    assert offer_deadline(state, START + timedelta(hours=4)) == "2026-11-23T15:00:00.000Z"  # the reassign
    no_ladder = replace(state, steps=state.steps[: state.next_step])
    assert offer_deadline(no_ladder, START + timedelta(hours=4)) is None


def test_an_offer_without_a_deadline_left_is_stored_as_empty_and_read_back_as_empty():
    definition = _definition({"at": "150%", "action": "reassign"})
    state, changes = _run(_opened(definition), START + timedelta(hours=6))
    offer = changes[-1].notifications[0]
    assert offer.due_at == "" and changes[-1].events[1].details["due_at"] is None
    assert notifications_from(effects_of(changes[-1])) == [offer]


# --- gaps and rescues ------------------------------------------------------------------------------


def test_a_gap_from_the_ladder_is_announced_to_the_last_escalation_target_or_the_manager():
    two_levels = _definition({"at": "100%", "action": "escalate", "to": "lead"},
                             {"at": "150%", "action": "escalate", "to": "director"}, {"at": "200%", "action": "gap"})
    _, changes = _run(_opened(two_levels), START + timedelta(hours=9))
    assert changes[-1].notifications[0].to == "director" and changes[-1].notifications[0].cause == "sla"
    assert escalation_target(_opened(_definition({"at": "200%", "action": "gap"}))) == ""


def test_a_rescue_is_a_new_handover_of_the_same_lead_offered_with_a_full_clock():
    gapped, _ = _run(_opened(), START + timedelta(hours=9))
    assert gapped.status == "gap"
    now = START + timedelta(hours=10)
    change = rescue(gapped, "d", LADDER, ALWAYS, now, _ids())
    state = change.state
    assert state.handover_id == rescue_id_for(gapped) != gapped.handover_id
    assert lead_id_of(state.handover_id) == LEAD and state.rescue_of == gapped.handover_id
    assert (state.owner, state.status, state.candidates) == ("d", "offered", ("d",))
    assert state.accept_due_at == "2026-11-23T23:00:00.000Z"
    (started,) = change.events
    assert started.details["rescue_of"] == gapped.handover_id and started.details["owner"] == "d"
    ticks, offer = event_counters(started.type, started.details, started.at, now.isoformat())
    assert set(ticks) >= {("handovers", 1, None), ("rescues", 1, None), ("rescues", 1, "d"), ("open", 1, None)}
    assert offer is not None and offer[0] == "d"
    assert change.timer == state.next_due_at  # the rescue's ladder gets its own timer


@pytest.mark.parametrize("hours", [0, 1])
def test_only_a_gapped_handover_can_be_rescued(hours: int):
    state = _opened()
    if hours:
        accepted = accept(state, ADMIN, START + timedelta(hours=hours), _ids())
        assert accepted is not None
        state = accepted.state
    with pytest.raises(HandoverRefused, match=state.status):
        rescue(state, "d", LADDER, ALWAYS, START, _ids())


def test_every_event_names_the_owner_who_held_the_handover_when_it_happened():
    state = _opened()
    state = decline(state, ADMIN, None, START, _ids(), LADDER, ALWAYS).state  # a -> b
    _, changes = _run(state, START + timedelta(hours=9))
    holders = [(event.type, event.details["owner"]) for change in changes for event in change.events]
    assert holders == [("reminded", "b"), ("sla_breached", "b"), ("escalated", "b"), ("reassigned", "b"),
                       ("notified", "c"), ("gap", "c")]
