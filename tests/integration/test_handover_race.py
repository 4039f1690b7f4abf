"""A deadline racing an accept ends in exactly one outcome, on DynamoDB (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from chalicelib.adapters.dynamo import Repositories
from chalicelib.domain.handover import Actor, HandoverState, handover_id_for
from chalicelib.domain.leads import Submission, apply_submission
from chalicelib.services.handovers import Handovers, WrongState
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import HandoverRepository, Receipt

JOURNEY = {
    "handovers": [{
        "name": "to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": ["a@firma.dk", "b@firma.dk"]},
        "sla": {"accept_within": "PT1H"},
        "escalation": [{"at": "100%", "action": "gap"}],
    }],
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Interleaved:
    """Wraps the hand-over repository: the first read lets a rival action run before the reader writes."""

    def __init__(self, inner: HandoverRepository):
        self.inner = inner
        self.rival: Any = None

    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None:
        seen = self.inner.handover(tenant_id, handover_id)
        rival, self.rival = self.rival, None
        if rival is not None:
            rival()
        return seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _setup(repos: Repositories) -> tuple[Handovers, Interleaved, Clock, str]:
    clock = Clock()
    racing = Interleaved(repos.handovers)
    journeys = Journeys(repos.journeys, clock)
    journeys.replace("t1", JOURNEY)
    service = Handovers(repos.leads, cast(HandoverRepository, racing), journeys, clock)
    outcome = apply_submission("t1", None, Submission(email="race@kunde.dk"), [], clock(), lambda: "e1")
    plan = service.plan("form_submit", outcome.lead, "contact", clock())
    repos.leads.save_submission(
        type(outcome)(lead=plan.lead, events=outcome.events, created=True),
        None,
        Receipt("t1", "k", "p", {"lead_id": plan.lead.lead_id}, 0, 10**10),
        plan.changes,
    )
    return service, racing, clock, handover_id_for(plan.lead.lead_id, "to-sales")


def _timeline(repos: Repositories, lead_id: str) -> list[str]:
    return [event.type for event in repos.leads.lead_events("t1", lead_id).events]


def test_accept_landing_between_the_deadlines_read_and_write_wins_and_no_gap_is_recorded(repos: Repositories):
    service, racing, clock, handover_id = _setup(repos)
    clock.now += timedelta(hours=1, seconds=1)  # the gap step is due
    racing.rival = lambda: service.act("t1", handover_id, "accept", Actor(kind="owner", owner="a@firma.dk"))

    next_due = service.fire_due("t1", handover_id)

    state = repos.handovers.handover("t1", handover_id)
    assert state is not None and state.status == "accepted" and state.accepted_late is True
    types = _timeline(repos, state.lead_id)
    assert types.count("accepted") == 1 and "gap" not in types
    # Nothing of the offer's ladder is left: the next step is the "How did it go?" ask, 14 days after the accept.
    assert next_due == state.next_due_at and [step.action for step in state.steps] == ["outcome_ask",
                                                                                       "outcome_reminder"]


def test_deadline_landing_between_the_accepts_read_and_write_wins_and_the_accept_is_refused(repos: Repositories):
    service, racing, clock, handover_id = _setup(repos)
    clock.now += timedelta(hours=1, seconds=1)
    racing.rival = lambda: service.fire_due("t1", handover_id)

    with pytest.raises(WrongState):
        service.act("t1", handover_id, "accept", Actor(kind="owner", owner="a@firma.dk"))

    state = repos.handovers.handover("t1", handover_id)
    assert state is not None and state.status == "gap"
    types = _timeline(repos, state.lead_id)
    assert types.count("gap") == 1 and "accepted" not in types
