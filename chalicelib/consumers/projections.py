"""The report's counters, projected from the hand-over events: each event's counters are added exactly once.

What an event counts is decided in ``chalicelib.domain.reports`` from the event's type and details (who
held the hand-over, the outcome), not from what the change computed, so each outcome is charged to the
owner it happened to. An offer is counted once per hand-over, owner and moment, however many events of
one change announce it (a reassignment and its ``notified``).
"""

from __future__ import annotations

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.handover import Counter
from chalicelib.domain.reports import COUNTED_EVENTS, Tick, event_counters
from chalicelib.observability import logger
from chalicelib.services.ports import HandoverCounters


class CounterProjection:
    def __init__(self, counters: HandoverCounters):
        self.counters = counters

    def __call__(self, event: ChangeEvent) -> None:
        handover_id = event.details.get("handover_id")
        if event.type not in COUNTED_EVENTS or not handover_id:
            return
        started_at = self._started_at(event, str(handover_id))
        if started_at is None:
            # The hand-over is gone (the lead was erased): there is nothing left to charge it to.
            logger.warning("hand-over event without its hand-over", extra={"handover_id": handover_id})
            return
        ticks, offer = event_counters(event.type, event.details, event.at, started_at)
        day = started_at[:10]
        # The event's own counters first: a retry after a failed offer finds them done and adds the offer.
        if ticks:
            self.counters.add_once(event.event_id, event.tenant_id, day, _counters(ticks))
        if offer:
            owner, offered = offer
            self.counters.add_once(f"offer:{handover_id}:{owner}:{event.at}", event.tenant_id, day,
                                   _counters(offered))

    def _started_at(self, event: ChangeEvent, handover_id: str) -> str | None:
        if event.type == "handover_started":
            return event.at
        carried = event.details.get("started_at")
        if carried:
            return str(carried)
        # Written before every hand-over event named the first start: read the hand-over once for it.
        return self.counters.handover_started_at(event.tenant_id, event.lead_id, handover_id)


def _counters(ticks: list[Tick]) -> list[Counter]:
    return [Counter(name=name, delta=delta, owner=owner) for name, delta, owner in ticks]
