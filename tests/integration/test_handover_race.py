"""A deadline racing an accept ends in exactly one outcome, on the fake and the real store alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from chalicelib.adapters.notify import MemoryMailer, MemoryWebhookTransport
from chalicelib.adapters.timers import ManualTimers
from chalicelib.domain.handover import Actor, HandoverState, handover_id_for
from chalicelib.domain.leads import Submission, apply_submission
from chalicelib.domain.tokens import Keyring
from chalicelib.services.action_links import ActionLinks
from chalicelib.services.handovers import Handovers, WrongState
from chalicelib.services.journeys import Journeys
from chalicelib.services.notify import Notifier
from chalicelib.services.ports import JourneyStore, Receipt

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
    """Wraps a store: the first read of the hand-over lets a rival action run before the reader writes."""

    def __init__(self, inner: JourneyStore):
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


def _setup(store: JourneyStore) -> tuple[Handovers, Interleaved, Clock, str]:
    clock = Clock()
    racing = Interleaved(store)
    typed = cast(JourneyStore, racing)
    journeys = Journeys(typed, clock)
    journeys.replace("t1", JOURNEY)
    links = ActionLinks(Keyring.from_secrets("secret"), "https://api.test", clock)
    notifier = Notifier(typed, MemoryMailer(), MemoryWebhookTransport(), links, clock)
    timers = ManualTimers()
    service = Handovers(typed, journeys, lambda: timers, lambda: notifier, clock)
    outcome = apply_submission("t1", None, Submission(email="race@kunde.dk"), [], clock(), lambda: "e1")
    lead, changes = service.plan("form_submit", outcome.lead, "contact", clock())
    store.save_submission(
        type(outcome)(lead=lead, events=outcome.events, created=True),
        None,
        Receipt("t1", "k", "p", {"lead_id": lead.lead_id}, 0, 10**10),
        changes,
    )
    return service, racing, clock, handover_id_for(lead.lead_id, "to-sales")


def test_accept_landing_between_the_deadlines_read_and_write_wins_and_no_gap_is_recorded(any_store: JourneyStore):
    service, racing, clock, handover_id = _setup(any_store)
    clock.now += timedelta(hours=1, seconds=1)  # the gap step is due
    racing.rival = lambda: service.act("t1", handover_id, "accept", Actor(kind="owner", owner="a@firma.dk"))

    next_due = service.fire_due("t1", handover_id)

    state = any_store.handover("t1", handover_id)
    assert state is not None and state.status == "accepted" and state.accepted_late is True
    types = [event.type for event in any_store.lead_events("t1", state.lead_id)]
    assert types.count("accepted") == 1 and "gap" not in types
    assert next_due is None


def test_deadline_landing_between_the_accepts_read_and_write_wins_and_the_accept_is_refused(any_store: JourneyStore):
    service, racing, clock, handover_id = _setup(any_store)
    clock.now += timedelta(hours=1, seconds=1)
    racing.rival = lambda: service.fire_due("t1", handover_id)

    with pytest.raises(WrongState):
        service.act("t1", handover_id, "accept", Actor(kind="owner", owner="a@firma.dk"))

    state = any_store.handover("t1", handover_id)
    assert state is not None and state.status == "gap"
    types = [event.type for event in any_store.lead_events("t1", state.lead_id)]
    assert types.count("gap") == 1 and "accepted" not in types
