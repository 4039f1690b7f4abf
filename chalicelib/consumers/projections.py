"""The report's counters, projected from the events: each event's counters are added exactly once."""

from __future__ import annotations

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.effects import counters_from
from chalicelib.services.ports import HandoverCounters


class CounterProjection:
    def __init__(self, counters: HandoverCounters):
        self.counters = counters

    def __call__(self, event: ChangeEvent) -> None:
        counters = counters_from(event.effects)
        if counters:
            self.counters.add_once(event.event_id, event.tenant_id, str(event.effects["day"]), counters)
