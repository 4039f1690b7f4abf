"""Hand-overs: started by a trigger, acted on by owners, driven forward by deadline timers."""

from __future__ import annotations

import abc
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.handover import (
    Actor,
    Change,
    HandoverRefused,
    HandoverState,
    accept,
    asking_outcome,
    contacted,
    cycle_id_for,
    cycle_over,
    decline,
    fire_next_step,
    handover_id_for,
    new_cycle,
    next_step_asks_outcome,
    open_handover,
    rescue,
    rescue_id_for,
)
from chalicelib.domain.leads import Lead, TimelineEvent
from chalicelib.domain.routing import candidates
from chalicelib.domain.sla import ALWAYS, parse_duration
from chalicelib.errors import ConcurrentUpdate, Conflict, Forbidden, InvalidInput, NotFound, WrongState
from chalicelib.observability import count, logger, seconds, traced
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import (
    HandoverRepository,
    LeadRepository,
    LeadUpdate,
    TenantRegistry,
)

if TYPE_CHECKING:
    from chalicelib.domain.journey import Handover as HandoverDefinition
    from chalicelib.domain.journey import JourneyDefinition, ResellerRoute
    from chalicelib.domain.resellers import Reseller
    from chalicelib.domain.sla import Clock as SlaClock

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


def route_owners(journey: JourneyDefinition) -> set[str]:
    """Everyone the journey's routes can hand a lead to."""
    from chalicelib.domain.routing import route_owners as named_by

    owners: set[str] = set()
    for handover in journey.handovers:
        owners.update(named_by(handover.route))
    return owners


def _outcome_after(journey: JourneyDefinition) -> timedelta | None:
    """How long after an accept the owner is asked how it went; None when the journey never asks."""
    from chalicelib.domain.sla import parse_duration

    after = journey.outcome_after
    return parse_duration(after) if after else None


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
        "rescue_of": state.rescue_of,
        "reseller": state.reseller,
    }


def _visible(state: HandoverState | None, actor: Actor) -> HandoverState | None:
    """An owner's key sees only the hand-overs the owner holds, a reseller's key those the reseller holds; to
    anyone else's they do not exist."""
    if state is None or (actor.kind == "owner" and actor.owner != state.owner):
        return None
    if actor.kind == "reseller" and (not actor.reseller or actor.reseller != state.reseller):
        return None
    return state


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
        contacts: TenantRegistry | None = None,
        resellers: Callable[[str], list[Reseller]] | None = None,
    ):
        self.leads = leads
        self.repository = handovers
        self.journeys = journeys
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))
        self.contacts = contacts
        # The producer's resellers, for routes that hand leads to them.
        self.resellers = resellers

    # --- starting ----------------------------------------------------------------------------

    def plan(self, trigger: str, lead: Lead, form: str | None, now: datetime,
             turns: dict[str, int] | None = None) -> Plan:
        """The hand-overs a trigger starts for this lead: one of each kind per cycle (see ``cycle_over``).

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

        from chalicelib.domain.journey import ResellerRoute

        for definition in journey.handovers_on(trigger):
            previous = started.get(definition.name)
            cycle = None
            if previous is not None:
                # A lead comes back: a new cycle when the last one is over, else the form is part of it.
                cycle = cycle_over(self.repository.handover(lead.tenant_id, previous), lead.outcome, now,
                                   parse_duration(journey.cycle_after))
                if cycle is None:
                    continue
            sellers: list[str] = []
            calendar = None
            if isinstance(definition.route, ResellerRoute):
                chosen = self._reseller_candidates(definition.route, lead, form, next_turn, definition.name)
                owners, sellers = [person for _, person in chosen], [reseller for reseller, _ in chosen]
                note = None if chosen else "no active reseller matches the lead"
                calendar = self._calendar_of(lead.tenant_id, sellers[0]) if sellers else None
            else:
                owners = candidates(definition.route, lead_fields(lead, form), next_turn, rotation=definition.name)
                owners, note = self._available(lead.tenant_id, owners, now)
            handover_id = handover_id_for(lead.lead_id, definition.name) if previous is None else \
                cycle_id_for(lead.lead_id, definition.name, iso(now))
            change = open_handover(lead.tenant_id, lead.lead_id, handover_id, definition, owners,
                                   journey.clock_for(definition, calendar), now, self.new_id, note=note,
                                   resellers=sellers)
            if previous is not None and cycle is not None:
                change = new_cycle(change, previous, cycle)
            started[definition.name] = handover_id
            changes.append(change)
        return Plan(replace(lead, handovers=started), changes)

    def _reseller_candidates(self, route: ResellerRoute, lead: Lead, form: str | None,
                             turns: Callable[[str], int], rotation: str) -> list[tuple[str, str]]:
        from chalicelib.domain.resellers import reseller_candidates

        sellers = self.resellers(lead.tenant_id) if self.resellers is not None else []
        return reseller_candidates(route, lead_fields(lead, form), sellers, turns, rotation, lead.lead_id)

    def _calendar_of(self, tenant_id: str, reseller_id: str | None) -> str | None:
        """The calendar a reseller works by, if it names one (its SLA clock runs on it)."""
        if not reseller_id or self.resellers is None:
            return None
        found = next((r for r in self.resellers(tenant_id) if r.reseller_id == reseller_id), None)
        return found.calendar if found is not None else None

    def _clock(self, journey: JourneyDefinition, definition: HandoverDefinition | None, tenant_id: str,
               reseller: str | None) -> SlaClock | None:
        """The SLA clock of a hand-over while ``reseller`` (None: the producer's own sales) holds it."""
        calendar = self._calendar_of(tenant_id, reseller)
        if definition is not None:
            return journey.clock_for(definition, calendar)
        return journey.calendar_named(calendar) if calendar else None

    def _available(self, tenant_id: str, owners: list[str], now: datetime) -> tuple[list[str], str | None]:
        """The candidates who take leads now (not inactive, not away), and a note when that is no one."""
        if self.contacts is None:
            return owners, None
        from chalicelib.domain.routing import available_first
        from chalicelib.services.tenancy import availability_of

        return available_first(owners, availability_of(self.contacts, tenant_id, owners), iso(now))

    def _passed_over(self, state: HandoverState, definition: HandoverDefinition | None, now: datetime) -> list[str]:
        """Owners the route names who never got this hand-over because they are away or inactive now."""
        if self.contacts is None or definition is None or state.status != "offered":
            return []
        from chalicelib.domain.routing import route_owners
        from chalicelib.services.tenancy import availability_of

        others = [owner for owner in route_owners(definition.route) if owner not in state.candidates]
        if not others or state.successor((*state.declined_by, state.owner)):
            return []  # someone is left to offer it to: the decline does not end in a gap
        availability = availability_of(self.contacts, state.tenant_id, others)
        return [owner for owner in others if owner in availability and not availability[owner].available_at(iso(now))]

    # --- acting ------------------------------------------------------------------------------

    @traced
    def act(self, tenant_id: str, handover_id: str, action: str, actor: Actor, reason: str | None = None
            ) -> dict[str, Any]:
        """Accept, decline or report contact; repeating an action that already happened changes nothing.

        The request writes the change and its events and answers: e-mails, webhooks and counters follow
        from the table's stream.
        """
        for _ in range(MAX_ATTEMPTS):
            state = _visible(self.repository.handover(tenant_id, handover_id), actor)
            if state is None:
                raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
            now = self.clock()
            journey = self.journeys.definition(tenant_id)
            try:
                if action == "accept":
                    change = accept(state, actor, now, self.new_id,
                                    accepted_stage=journey.stage_rules().after("accepted"))
                    if change is not None:
                        definition = journey.handover(state.name)
                        change = asking_outcome(change, state, now, _outcome_after(journey),
                                                self._clock(journey, definition, tenant_id, state.reseller) or ALWAYS)
                elif action == "decline":
                    definition = journey.handover(state.name)
                    change = decline(state, actor, reason, now, self.new_id, definition,
                                     self._clock(journey, definition, tenant_id, state.reseller),
                                     passed_over=self._passed_over(state, definition, now),
                                     clock_for=functools.partial(self._clock, journey, definition, tenant_id))
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
            self._tenant_gaps(tenant_id, change)
            return {**present(change.state), "changed": True}
        raise Conflict("the hand-over kept changing; try again", field="handover_id")

    def state(self, tenant_id: str, handover_id: str, actor: Actor) -> dict[str, Any]:
        """One hand-over, for an admin or its current owner (to anyone else it does not exist)."""
        state = _visible(self.repository.handover(tenant_id, handover_id), actor)
        if state is None:
            raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
        return present(state)

    @traced
    def rescue(self, tenant_id: str, handover_id: str, owner: str) -> tuple[dict[str, Any], bool]:
        """Offer a gapped lead to ``owner`` as a new hand-over (the gap stands); True when it was made now.

        A repeated rescue to the same owner answers the rescue already made; to another owner it is refused.
        """
        gapped = self.repository.handover(tenant_id, handover_id)
        if gapped is None:
            raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
        if gapped.status != "gap":
            raise WrongState(f"only a hand-over that ended in a gap can be rescued; this one is {gapped.status}",
                             field="handover_id")
        earlier = self._rescue_of(gapped, owner)
        if earlier is not None:
            return earlier, False
        journey = self.journeys.definition(tenant_id)
        if not self._known_owner(tenant_id, owner, journey):
            raise InvalidInput(f"{owner!r} is not an owner of this tenant: register them first (POST /admin/owners)",
                               field="owner")
        definition = journey.handover(gapped.name)
        if definition is None:
            raise Conflict(f"the journey no longer has the hand-over {gapped.name!r} to plan a rescue with",
                           field="handover_id")
        change = rescue(gapped, owner, definition, journey.clock_for(definition), self.clock(), self.new_id)
        try:
            self.repository.save_handover_change(change, None)
        except ConcurrentUpdate:
            # A concurrent rescue got there first: the same answer as a retry.
            earlier = self._rescue_of(gapped, owner)
            if earlier is None:
                raise Conflict("the hand-over kept changing; try again", field="handover_id") from None
            return earlier, False
        count("HandoversRescued")
        return present(change.state), True

    def _rescue_of(self, gapped: HandoverState, owner: str) -> dict[str, Any] | None:
        """The rescue already made of ``gapped`` (for this owner), or None; another owner's is a conflict."""
        earlier = self.repository.handover(gapped.tenant_id, rescue_id_for(gapped))
        if earlier is None:
            return None
        first_owner = earlier.candidates[0] if earlier.candidates else earlier.owner
        if first_owner != owner:
            raise Conflict(f"the hand-over was already rescued: offered to {first_owner!r}", field="owner")
        return present(earlier)

    def _known_owner(self, tenant_id: str, owner: str, journey: JourneyDefinition) -> bool:
        """A registered owner, or one the journey's routes name."""
        if self.contacts is not None and self.contacts.owner_contact(tenant_id, owner) is not None:
            return True
        return owner in route_owners(journey)

    def _save(self, change: Change, state: HandoverState, now: datetime) -> None:
        lead_update = None
        if change.lead_stage is not None:
            lead = self.leads.lead(state.tenant_id, state.lead_id)
            move = self.journeys.definition(state.tenant_id).stage_rules().advance(
                lead.stage, "accepted") if lead is not None else None
            if lead is not None and move is not None:
                at = iso(now)
                moved = replace(lead, stage=move.to, stage_entered_at=at, updated_at=at)
                seq = max((event.seq for event in change.events), default=0) + 1
                event = TimelineEvent(event_id=self.new_id(), type="stage_change", at=at, seq=seq,
                                      details={"from": lead.stage, "to": move.to, "cause": "handover_accepted",
                                               "rule": move.rule, "entered_from_at": lead.stage_entered_at,
                                               "handover_id": state.handover_id})
                lead_update = LeadUpdate(lead=moved, expected_version=lead.version, events=(event,))
        self.repository.save_handover_change(change, state.version, lead_update)

    def _tenant_gaps(self, tenant_id: str, change: Change) -> None:
        """A tenant that asked for its own gap alarm (``alarm_gaps``) gets its gaps counted with its id."""
        gaps = sum(event.type == "gap" for event in change.events)
        if gaps and getattr(self.journeys.definition(tenant_id), "alarm_gaps", False):
            count("TenantGaps", gaps, tenant=tenant_id)

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
            known = next_step_asks_outcome(state) and self._outcome_known(state)
            change = fire_next_step(state, self.clock(), self.new_id, outcome_known=known)
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
            self._tenant_gaps(tenant_id, change)
        latest = self.repository.handover(tenant_id, handover_id)
        return latest.next_due_at if latest else None

    def _outcome_known(self, state: HandoverState) -> bool:
        """Whether the lead has an outcome reported since this hand-over started (by any path), or is gone."""
        lead = self.leads.lead(state.tenant_id, state.lead_id)
        if lead is None:
            return True
        return lead.outcome is not None and lead.outcome.at >= state.started_at

    @traced
    def sweep(self, fire: Callable[[str, str], str | None] | None = None) -> int:
        """Fire hand-overs whose step is overdue (a failed timer start, a lost execution): nothing is lost.

        ``fire`` runs what the due index names (a survey shares the index); by default a hand-over's step."""
        until = iso(self.clock() - SWEEP_GRACE)
        overdue = self.repository.due_handovers(until)
        for tenant_id, handover_id in overdue:
            try:
                (fire or self.fire_due)(tenant_id, handover_id)
            except Exception:  # noqa: BLE001 - one broken hand-over must not stop the sweep
                logger.exception("sweep could not fire a hand-over", extra={"handover_id": handover_id})
        count("SweepFired", len(overdue))
        return len(overdue)
