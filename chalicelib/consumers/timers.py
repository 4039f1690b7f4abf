"""A ladder timer is started from the event that carries it: a new hand-over's ``handover_started``, and the
last event of a change that planned a step before the running timer wakes (a decline, an accept)."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.consumers.events import ChangeEvent
from chalicelib.observability import count
from chalicelib.services.handovers import Timers


class TimerStarter:
    """Starting twice is harmless: a Step Functions execution is named by its hand-over and due time."""

    def __init__(self, timers: Callable[[], Timers]):
        self.timers = timers

    def __call__(self, event: ChangeEvent) -> None:
        due = event.effects.get("timer")
        # A survey's timer names itself; a hand-over's is its hand-over's.
        handover_id = event.effects.get("timer_id") or event.details.get("handover_id")
        if not due or not handover_id:
            return
        try:
            self.timers().start(event.tenant_id, str(handover_id), str(due))
        except Exception:
            # The stream retries the event; the sweep fires the steps of a timer that never started.
            count("TimerStartFailed")
            raise
