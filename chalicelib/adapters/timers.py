"""Timers that drive a hand-over's ladder: Step Functions in AWS, an in-process runner locally."""

from __future__ import annotations

import hashlib
import heapq
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain.clock import Clock, parse_iso
from chalicelib.observability import logger
from chalicelib.services.handovers import Timers

FireDue = Callable[[str, str], "str | None"]
"""Runs the deadline handler for (tenant, hand-over) and answers the next due time, if any."""


def execution_name(handover_id: str, due_at: str) -> str:
    """A hand-over's execution for one first due time: a repeated start of it is harmless, and a ladder
    planned again (after a decline) gets an execution of its own, awake at the new ladder's first step."""
    return f"{handover_id}-{hashlib.sha256(due_at.encode()).hexdigest()[:8]}"


class StepFunctionsTimers(Timers):
    """One Standard execution per hand-over and first due time (see ``execution_name``).

    A hand-over can have two running after a decline: each wakes at the steps due and runs the deadline
    handler, which fires a step once however many executions ask.
    """

    def __init__(self, client: Any, state_machine_arn: str):
        self.client = client
        self.state_machine_arn = state_machine_arn

    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None:
        try:
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=execution_name(handover_id, due_at),
                input=json.dumps({"tenant_id": tenant_id, "handover_id": handover_id, "due_at": due_at}),
            )
        except self.client.exceptions.ExecutionAlreadyExists:
            logger.info("timer already running", extra={"handover_id": handover_id, "due_at": due_at})


class NoTimers(Timers):
    """No state machine configured: hand-overs still start, and the sweep drives their ladders."""

    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None:
        return None


class ManualTimers(Timers):
    """Timers that fire only when a test says what time it is: no threads, no sleeping."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], str] = {}
        self.started: list[tuple[str, str, str]] = []

    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None:
        self.started.append((tenant_id, handover_id, due_at))
        # Two executions of one hand-over wake at the earlier one's time, and run on the ladder's own times.
        key = (tenant_id, handover_id)
        self.pending[key] = min(self.pending.get(key, due_at), due_at)

    def run_due(self, now: datetime, fire_due: FireDue) -> int:
        """Fire every timer due at ``now``, as Step Functions would, and keep looping executions alive."""
        fired = 0
        for key, due_at in sorted(self.pending.items(), key=lambda item: item[1]):
            if parse_iso(due_at) > now:
                continue
            next_due = fire_due(*key)
            fired += 1
            if next_due is None:
                del self.pending[key]
            else:
                self.pending[key] = next_due
        return fired


class LocalTimers(Timers):
    """The local stack's stand-in for Step Functions: a thread that waits for each due time.

    It runs the same deadline handler as the state machine does, within a tick of the due time. A start for
    a hand-over already waiting is kept when it is due at another time (a ladder planned again after a
    decline); executions that come to wait for the same time merge into one.
    """

    def __init__(self, fire_due: FireDue, clock: Clock, tick: float = 0.2,
                 sweep: Callable[[], int] | None = None, sweep_every: float = 60.0):
        self.fire_due = fire_due
        self.clock = clock
        self.tick = tick
        self.sweep = sweep
        self.sweep_every = sweep_every
        self._heap: list[tuple[str, str, str]] = []
        self._waiting: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-timers", daemon=True)

    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None:
        with self._lock:
            self._wait(due_at, tenant_id, handover_id)

    def _wait(self, due_at: str, tenant_id: str, handover_id: str) -> None:
        if (due_at, tenant_id, handover_id) not in self._waiting:
            self._waiting.add((due_at, tenant_id, handover_id))
            heapq.heappush(self._heap, (due_at, tenant_id, handover_id))

    def begin(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _next_due(self) -> tuple[str, str, str] | None:
        with self._lock:
            if self._heap and parse_iso(self._heap[0][0]) <= self.clock():
                due = heapq.heappop(self._heap)
                self._waiting.discard(due)
                return due
        return None

    def fire_next(self) -> bool | None:
        """Run the deadline handler for the earliest hand-over due by now: True when it ran, False when it
        failed (it is tried again), None when nothing is due yet."""
        due = self._next_due()
        if due is None:
            return None
        due_at, tenant_id, handover_id = due
        try:
            next_due = self.fire_due(tenant_id, handover_id)
        except Exception:  # noqa: BLE001 - Step Functions would retry; so does the next tick
            logger.exception("local timer failed", extra={"handover_id": handover_id})
            next_due, ran = due_at, False
        else:
            ran = True
        if next_due is not None:
            with self._lock:
                self._wait(next_due, tenant_id, handover_id)
        return ran

    def _run(self) -> None:
        last_sweep = time.monotonic()
        while not self._stop.is_set():
            if self.sweep is not None and time.monotonic() - last_sweep >= self.sweep_every:
                last_sweep = time.monotonic()
                try:
                    self.sweep()
                except Exception:  # noqa: BLE001 - the next sweep tries again
                    logger.exception("local sweep failed")
            ran = self.fire_next()
            if ran is None:
                self._stop.wait(self.tick)
            elif not ran:
                self._stop.wait(1.0)
