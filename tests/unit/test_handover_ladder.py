"""The hand-over ladder as pure functions, on an injected clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.handover import (
    Actor,
    HandoverRefused,
    accept,
    contacted,
    fire_next_step,
    handover_id_for,
    lead_id_of,
    open_handover,
)
from chalicelib.domain.journey import Handover
from chalicelib.domain.sla import ALWAYS

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEFINITION = Handover.model_validate({
    "name": "to-sales", "on": "form_submit",
    "route": {"strategy": "round_robin", "owners": ["a", "b"]},
    "sla": {"accept_within": "PT4H", "contact_within": "PT8H"},
    "escalation": [{"at": "100%", "action": "escalate", "to": "boss"}, {"at": "50%", "action": "remind"},
                   {"at": "PT5H", "action": "reassign"}, {"at": "200%", "action": "gap"}],
})
OWNER_A = Actor(kind="owner", owner="a")


def _ids():
    counter = itertools.count()
    return lambda: f"e{next(counter)}"


def _opened():
    return open_handover("t1", "ld_" + "a" * 24, handover_id_for("ld_" + "a" * 24, "to-sales"), DEFINITION,
                         ["a", "b"], ALWAYS, START, _ids()).state


def test_the_ladder_is_planned_in_time_order_with_the_breach_before_the_escalation():
    steps = [(step.action, step.due_at) for step in _opened().steps]
    assert steps == [
        ("notify", "2026-11-23T09:00:00.000Z"), ("remind", "2026-11-23T11:00:00.000Z"),
        ("breach", "2026-11-23T13:00:00.000Z"), ("escalate", "2026-11-23T13:00:00.000Z"),
        ("reassign", "2026-11-23T14:00:00.000Z"), ("gap", "2026-11-23T17:00:00.000Z"),
    ]


def test_steps_fire_one_at_a_time_only_when_due():
    state = _opened()
    new_id = _ids()
    fired = []
    for minutes in range(0, 9 * 60, 30):
        now = START + timedelta(minutes=minutes)
        while (change := fire_next_step(state, now, new_id)) is not None:
            state = change.state
            fired.append((minutes // 60, [event.type for event in change.events]))
    assert fired == [(0, ["notified"]), (2, ["reminded"]), (4, ["sla_breached"]), (4, ["escalated"]),
                     (5, ["reassigned", "notified"]), (8, ["gap"])]
    assert state.status == "gap" and state.owner == "b" and state.next_due_at is None


def test_accepting_replaces_the_ladder_with_the_contact_deadline():
    accepted = accept(_opened(), OWNER_A, START + timedelta(hours=1), _ids())
    assert accepted is not None
    assert accepted.state.accepted_late is False and accepted.lead_stage == "decision"
    assert [(step.action, step.due_at) for step in accepted.state.steps] == [
        ("contact_breach", "2026-11-23T17:00:00.000Z")]
    breach = fire_next_step(accepted.state, START + timedelta(hours=9), _ids())
    assert breach is not None and breach.events[0].details["sla"] == "contact"


def test_contact_in_time_ends_the_ladder_and_a_second_report_changes_nothing():
    accepted = accept(_opened(), OWNER_A, START + timedelta(hours=1), _ids())
    assert accepted is not None
    done = contacted(accepted.state, OWNER_A, START + timedelta(hours=2), _ids())
    assert done is not None and done.events[0].details["late"] is False and done.state.next_due_at is None
    assert contacted(done.state, OWNER_A, START + timedelta(hours=3), _ids()) is None


def test_only_the_current_owner_or_an_admin_may_accept():
    with pytest.raises(HandoverRefused):
        accept(_opened(), Actor(kind="owner", owner="b"), START, _ids())
    change = accept(_opened(), Actor(kind="admin"), START, _ids())
    assert change is not None and change.state.accepted_by == "admin"


def test_handover_ids_lead_back_to_their_lead():
    lead_id = "ld_" + "b" * 24
    assert lead_id_of(handover_id_for(lead_id, "to-sales")) == lead_id
    assert lead_id_of("ho_nonsense") is None
