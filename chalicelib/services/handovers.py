"""Hand-overs: started by a trigger, acted on by owners, driven forward by deadline timers."""

from __future__ import annotations

import abc
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.handover import (
    Actor,
    Change,
    HandoverRefused,
    HandoverState,
    accept,
    contacted,
    decline,
    fire_next_step,
    handover_id_for,
    open_handover,
)
from chalicelib.domain.leads import Lead, TimelineEvent
from chalicelib.domain.routing import candidates
from chalicelib.domain.stages import moves_forward
from chalicelib.errors import ConcurrentUpdate, Conflict, Forbidden, NotFound, WrongState
from chalicelib.observability import count, logger, seconds, traced
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import (
    HandoverRepository,
    LeadRepository,
    LeadUpdate,
)

MAX_ATTEMPTS = 5
MAX_STEPS_PER_RUN = 50
SWEEP_GRACE = timedelta(seconds=60)


class Timers(abc.ABC):
    """Starts the timer that drives one hand-over's ladder (Step Functions, or the local runner)."""

    @abc.abstractmethod
    def start(self, tenant_id: str, handover_id: str, due_at: str) -> None: ...


def lead_fields(lead: Lead, form: str | None) -> dict[str, str | None]:
    """What a ``match`` route can look at: the form's extra fields and a few facts about the lead."""
    return {
        **lead.fields,
        "form": form,
        "company": lead.company,
        "lead_type": lead.lead_type,
        "channel": lead.last_touch.channel,
        "campaign": lead.last_touch.campaign,
        "email_domain": lead.email.rpartition("@")[2],
    }


def present(state: HandoverState) -> dict[str, Any]:
    return {
        "handover_id": state.handover_id,
        "name": state.name,
        "lead_id": state.lead_id,
        "owner": state.owner,
        "status": state.status,
        "started_at": state.started_at,
        "due_at": state.accept_due_at,
        "contact_due_at": state.contact_due_at,
        "next_step_at": state.next_due_at,
        "accepted_at": state.accepted_at,
        "accepted_late": state.accepted_late,
        "accepted_by": state.accepted_by,
        "contacted_at": state.contacted_at,
        "declined_by": list(state.declined_by),
    }


@dataclass(frozen=True)
class Plan:
    """What a trigger starts: the lead (knowing its hand-overs) and the new hand-overs."""

    lead: Lead
    changes: list[Change]


class Handovers:
    def __init__(
        self,
        leads: LeadRepository,
        handovers: HandoverRepository,
        journeys: Journeys,
        clock: Clock,
        new_id: Callable[[], str] | None = None,
    ):
        self.leads = leads
        self.repository = handovers
        self.journeys = journeys
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    # --- starting ----------------------------------------------------------------------------

    def plan(self, trigger: str, lead: Lead, form: str | None, now: datetime,
             turns: dict[str, int] | None = None) -> Plan:
        """The hand-overs a trigger starts for this lead (at most one of each kind, ever).

        A round-robin turn is taken (an atomic counter, so concurrent leads never share one) once per
        request: ``turns`` keeps it across the request's retries, so a retry never takes another.
        """
        journey = self.journeys.definition(lead.tenant_id)
        changes = []
        taken = turns if turns is not None else {}
        started = dict(lead.handovers)

        def next_turn(rotation: str) -> int:
            if rotation not in taken:
                taken[rotation] = self.repository.take_turn(lead.tenant_id, rotation)
            return taken[rotation]

        for definition in journey.handovers_on(trigger):
            if definition.name in started:
                continue
            owners = candidates(definition.route, lead_fields(lead, form), next_turn, rotation=definition.name)
            handover_id = handover_id_for(lead.lead_id, definition.name)
            change = open_handover(lead.tenant_id, lead.lead_id, handover_id, definition, owners,
                                   journey.clock_for(definition), now, self.new_id)
            started[definition.name] = handover_id
            changes.append(change)
        return Plan(replace(lead, handovers=started), changes)

    # --- acting ------------------------------------------------------------------------------

    @traced
    def act(self, tenant_id: str, handover_id: str, action: str, actor: Actor, reason: str | None = None
            ) -> dict[str, Any]:
        """Accept, decline or report contact; repeating an action that already happened changes nothing.

        The request writes the change and its events and answers: e-mails, webhooks and counters follow
        from the table's stream.
        """
        for _ in range(MAX_ATTEMPTS):
            state = self.repository.handover(tenant_id, handover_id)
            if state is None:
                raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
            now = self.clock()
            try:
                if action == "accept":
                    change = accept(state, actor, now, self.new_id)
                elif action == "decline":
                    change = decline(state, actor, reason, now, self.new_id)
                else:
                    change = contacted(state, actor, now, self.new_id)
            except HandoverRefused as refused:
                error_class = Forbidden if refused.code == "not_owner" else WrongState
                raise error_class(str(refused), field="handover_id") from None
            if change is None:
                return {**present(state), "changed": False}
            try:
                self._save(change, state, now)
            except ConcurrentUpdate:
                continue
            self._measure(change)
            return {**present(change.state), "changed": True}
        raise Conflict("the hand-over kept changing; try again", field="handover_id")

    def state(self, tenant_id: str, handover_id: str, actor: Actor) -> dict[str, Any]:
        """One hand-over, for an admin or its current owner (to anyone else it does not exist)."""
        state = self.repository.handover(tenant_id, handover_id)
        if state is None or (actor.kind == "owner" and actor.owner != state.owner):
            raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
        return present(state)

    def _save(self, change: Change, state: HandoverState, now: datetime) -> None:
        lead_update = None
        if change.lead_stage:
            lead = self.leads.lead(state.tenant_id, state.lead_id)
            stages = tuple(self.journeys.definition(state.tenant_id).stages)
            if lead is not None and change.lead_stage in stages and moves_forward(lead.stage, change.lead_stage,
                                                                                    stages):
                at = iso(now)
                moved = replace(lead, stage=change.lead_stage, stage_entered_at=at, updated_at=at)
                seq = max((event.seq for event in change.events), default=0) + 1
                event = TimelineEvent(event_id=self.new_id(), type="stage_change", at=at, seq=seq,
                                      details={"from": lead.stage, "to": change.lead_stage,
                                               "cause": "handover_accepted", "handover_id": state.handover_id})
                lead_update = LeadUpdate(lead=moved, expected_version=lead.version, events=(event,))
        self.repository.save_handover_change(change, state.version, lead_update)

    @staticmethod
    def _measure(change: Change) -> None:
        for event in change.events:
            count({"accepted": "HandoversAccepted", "declined": "HandoversDeclined", "gap": "Gaps",
                   "sla_breached": "SlaBreaches", "reassigned": "Reassignments"}.get(event.type, "HandoverEvents"))
        if change.time_to_accept is not None:
            seconds("TimeToAccept", change.time_to_accept)

    # --- deadlines ---------------------------------------------------------------------------

    @traced
    def fire_due(self, tenant_id: str, handover_id: str) -> str | None:
        """The deadline handler: fire every step that is due, once, and say when the next one is due.

        Safe to run twice or concurrently with an accept: each step is a conditional write on the
        version it was computed from; the loser reloads and finds the step done (or the lead taken).
        """
        fired = 0
        attempts = 0
        while fired < MAX_STEPS_PER_RUN:
            state = self.repository.handover(tenant_id, handover_id)
            if state is None:
                logger.warning("deadline for an unknown hand-over", extra={"handover_id": handover_id})
                return None
            change = fire_next_step(state, self.clock(), self.new_id)
            if change is None:
                return state.next_due_at
            try:
                self.repository.save_handover_change(change, state.version)
            except ConcurrentUpdate:
                attempts += 1
                if attempts > MAX_ATTEMPTS:
                    raise
                continue
            fired += 1
            self._measure(change)
        latest = self.repository.handover(tenant_id, handover_id)
        return latest.next_due_at if latest else None

    @traced
    def sweep(self) -> int:
        """Fire hand-overs whose step is overdue (a failed timer start, a lost execution): nothing is lost."""
        until = iso(self.clock() - SWEEP_GRACE)
        overdue = self.repository.due_handovers(until)
        for tenant_id, handover_id in overdue:
            try:
                self.fire_due(tenant_id, handover_id)
            except Exception:  # noqa: BLE001 - one broken hand-over must not stop the sweep
                logger.exception("sweep could not fire a hand-over", extra={"handover_id": handover_id})
        count("SweepFired", len(overdue))
        return len(overdue)
