"""A hand-over: one lead, one owner at a time, a deadline and a ladder of steps that fire on time.

Every function here is pure: it takes the current state and "now" and returns a ``Change`` (the
new state, the timeline events, the notifications to send and a timer to start). The store
writes a change conditionally on the version it was computed from, so a deadline racing an
accept ends in exactly one outcome. What a change counts in the reports follows from its events
(``chalicelib.domain.reports``); every event names the hand-over's first start (``started_at``,
never moved by a decline), the day its counts belong to.

Every offer is a ``notified`` event naming the owner it went to and the deadline they have: the first
one (the ladder's ``notify`` step), the one after a decline (a new offer: the SLA clock and the ladder
start again, in the hand-over's calendar) and the one after a ladder ``reassign`` (the hand-over keeps
its clock: the deadline is the SLA's while it lies ahead, else the step that next takes the lead away).
The ``owner`` in an event's details is who held the hand-over when it happened.

Resellers. A hand-over routed to resellers names, beside each candidate person, the reseller that person works
for (``candidate_resellers``, one per candidate: the reseller's inbox or the person its own round robin chose).
The holder's reseller is kept on the state (``reseller``) and in every event (``reseller``; a reassignment also
names ``to_reseller``), so every count can be charged to the reseller, not only to a person. A decline or a
reassignment moves to the next reseller's person, never back to one that had it. A reseller's key acts for
whichever of its people holds the hand-over.

An accept plans the "How did it go?" asks as steps of the same ladder: ``outcome_ask`` the journey's
``outcome_after`` after the accept and one ``outcome_reminder`` as long again, both on the hand-over's calendar
(whole days are the owner's working days there). Each writes an ``outcome_asked`` event (``reminder`` says
which) whose e-mail the mail consumer sends; neither fires once the lead has an outcome, or for an owner who no
longer holds the hand-over.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.leads import LeadOutcome, TimelineEvent
from chalicelib.domain.routing import NO_ACTIVE_OWNER, next_owner
from chalicelib.domain.sla import BusinessCalendar, Clock, step_due

if TYPE_CHECKING:
    from chalicelib.domain.journey import Handover as HandoverDefinition

OFFERED, ACCEPTED, CONTACTED, GAP = "offered", "accepted", "contacted", "gap"
OPEN_STATUSES = (OFFERED,)
# Why a hand-over ended in a gap after a decline: everyone it could go to said no, or those who did not
# were away or inactive (never offered it). Both close the last holder's offer with the decline.
EVERYONE_DECLINED, NOBODY_LEFT = "everyone declined", "nobody left"
# Steps due at the same moment fire in this order: the owner hears first, the breach is noted
# before anyone is escalated to, and the gap comes last.
_ORDER = {"notify": 0, "remind": 1, "breach": 2, "escalate": 3, "reassign": 4, "gap": 5, "contact_breach": 6,
          "outcome_ask": 7, "outcome_reminder": 8}
# Steps that still fire once the owner has the lead (accepted or contacted).
TAKEN_STEPS = ("contact_breach", "outcome_ask", "outcome_reminder")
OUTCOME_ASKS = ("outcome_ask", "outcome_reminder")
# A calendar with no working day in this many days cannot say when the ask is due.
MAX_CALENDAR_DAYS = 5 * 366


_HANDOVER_ID = re.compile(r"^ho_([a-z2-7]{24})_([0-9a-f]{8})$")


def handover_id_for(lead_id: str, name: str) -> str:
    """Derived from lead and hand-over name, so the lead's partition is found from the id alone."""
    return f"ho_{lead_id.removeprefix('ld_')}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def cycle_id_for(lead_id: str, name: str, at: str) -> str:
    """A later cycle's hand-over of the same kind: its own id, still naming the lead's partition."""
    return handover_id_for(lead_id, f"{name}@{at}")


def cycle_over(state: HandoverState | None, outcome: LeadOutcome | None, now: datetime,
               cycle_after: timedelta) -> str | None:
    """Why a returning lead's last hand-over of a kind is over, so that its new form starts a new cycle; None
    while it runs.

    Over: it ended in a gap; the lead was reported lost or disqualified since it started; or it was accepted
    ``cycle_after`` or longer ago (a customer coming back after the journey's ``cycle_after``, P90D by default).
    A hand-over still offered, or accepted recently, goes on: the form is part of the same cycle.
    """
    if state is None:
        return "ended"
    if state.status == GAP:
        return "gap"
    if outcome is not None and outcome.outcome in ("lost", "disqualified") and outcome.at >= state.started_at:
        return outcome.outcome
    if state.status in (ACCEPTED, CONTACTED) and state.accepted_at and \
            now - parse_iso(state.accepted_at) >= cycle_after:
        return "accepted long ago"
    return None


def new_cycle(change: Change, previous: str, reason: str) -> Change:
    """A new cycle's start names the hand-over it follows and why that one was over."""
    events = tuple(replace(event, details={**event.details, "previous_handover_id": previous, "new_cycle": reason})
                   if event.type == "handover_started" else event for event in change.events)
    return replace(change, events=events)


def lead_id_of(handover_id: str) -> str | None:
    match = _HANDOVER_ID.match(handover_id)
    return f"ld_{match.group(1)}" if match else None


class HandoverRefused(Exception):
    """The action does not fit the hand-over's state or the actor (mapped to 403/409 at the edge)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LadderStep:
    due_at: str
    action: str
    to: str | None = None


@dataclass(frozen=True)
class HandoverState:
    tenant_id: str
    handover_id: str
    lead_id: str
    name: str
    owner: str
    status: str
    started_at: str
    accept_due_at: str
    contact_due_at: str | None
    steps: tuple[LadderStep, ...]
    next_step: int = 0
    candidates: tuple[str, ...] = ()
    declined_by: tuple[str, ...] = ()
    accepted_at: str | None = None
    accepted_late: bool | None = None
    accepted_by: str | None = None
    contacted_at: str | None = None
    # A rescue is a new hand-over of a lead whose hand-over ``rescue_of`` ended in a gap.
    rescue_of: str | None = None
    # The reseller of the holder, and of each candidate (same order as ``candidates``); empty for own sales.
    reseller: str | None = None
    candidate_resellers: tuple[str, ...] = ()
    version: int = 0

    def reseller_of(self, owner: str) -> str | None:
        """The reseller a candidate works for (None for the producer's own people)."""
        if owner in self.candidates and len(self.candidate_resellers) == len(self.candidates):
            return self.candidate_resellers[self.candidates.index(owner)]
        return None

    def successor(self, declined: Sequence[str]) -> str | None:
        """Who would get it next: never one who declined; on a reseller route never back to one that had it."""
        return next_owner(self.candidates, self.owner, declined, wrap=not self.candidate_resellers)

    def held_by(self, owner: str) -> HandoverState:
        """The state with ``owner`` holding it, and their reseller with them."""
        return replace(self, owner=owner, reseller=self.reseller_of(owner))

    @property
    def next_due_at(self) -> str | None:
        if self.next_step < len(self.steps):
            return self.steps[self.next_step].due_at
        return None

    @property
    def start_day(self) -> str:
        return self.started_at[:10]


@dataclass(frozen=True)
class Counter:
    """Add ``delta`` to counter ``name`` of the hand-over's start day, for everyone or one owner (the report's
    projection derives them from the events)."""

    name: str
    delta: int = 1
    owner: str | None = None


@dataclass(frozen=True)
class Notification:
    """A message to a person. ``to`` is empty for a gap with no escalation target: the tenant's manager gets it."""

    kind: str  # offer, reminder, escalation, gap
    to: str
    name: str
    handover_id: str
    lead_id: str
    owner: str
    due_at: str  # the deadline the message states; empty when there is none left
    cause: str = ""
    # The reseller of the holder ("" for own sales): its manager is a ladder's ``reseller_manager``.
    reseller: str = ""


@dataclass(frozen=True)
class Change:
    state: HandoverState
    events: tuple[TimelineEvent, ...] = ()
    notifications: tuple[Notification, ...] = ()
    lead_stage: str | None = None
    time_to_accept: float | None = None
    # A ladder timer to start, due then: a new hand-over's, and one for steps planned again (a decline, an
    # accept's contact deadline) that come before the running timer wakes up.
    timer: str | None = None


NewId = Callable[[], str]


def _event(new_id: NewId, kind: str, at: str, state: HandoverState, offset: int, **details: object) -> TimelineEvent:
    # Each change of a hand-over writes a new version; ordering its events by version keeps the timeline in
    # the order things happened even when two changes share a millisecond.
    held = {"reseller": state.reseller} if state.reseller else {}
    return TimelineEvent(
        event_id=new_id(), type=kind, at=at, seq=10 * (state.version + 1) + offset,
        details={"handover_id": state.handover_id, "handover": state.name, "started_at": state.started_at,
                 **held, **details},
    )


def plan_ladder(start: datetime, definition: HandoverDefinition, clock: Clock) -> tuple[LadderStep, ...]:
    """Every step with its absolute due time: notify now, the ladder, and the breach at the deadline."""
    accept = definition.sla.accept
    steps = [LadderStep(due_at=iso(start), action="notify")]
    steps.append(LadderStep(due_at=iso(clock.add(start, accept)), action="breach"))
    for step in definition.escalation:
        steps.append(LadderStep(due_at=iso(step_due(start, accept, step.at, clock)), action=step.action, to=step.to))
    return tuple(sorted(steps, key=lambda step: (step.due_at, _ORDER[step.action])))


def outcome_due(start: datetime, after: timedelta, clock: Clock) -> datetime:
    """When an ask ``after`` a moment is due: on a business calendar its whole days are working days (the same
    time of day, or the next opening when that is closed) and the rest is open time; on the 24/7 clock, the
    duration itself."""
    if not isinstance(clock, BusinessCalendar):
        return clock.add(start, after)
    whole = timedelta(days=after.days)
    local = start.astimezone(clock.zone)
    day = local.date()
    counted = 0
    for _ in range(MAX_CALENDAR_DAYS):
        if counted == after.days:
            break
        day += timedelta(days=1)
        counted += clock.is_business_day(day)
    else:
        raise ValueError(f"calendar {clock.name!r} has no {after.days} working days ahead of {iso(start)}")
    same_time = datetime.combine(day, local.time(), clock.zone)
    # Open time from the moment the calendar opens again: a zero duration lands on the next opening.
    return clock.add(same_time, after - whole)


def plan_outcome_asks(accepted_at: datetime, after: timedelta | None, clock: Clock) -> tuple[LadderStep, ...]:
    """The ask ``after`` the accept and the one reminder as long after the ask; none when ``after`` is None."""
    if after is None:
        return ()
    ask = outcome_due(accepted_at, after, clock)
    reminder = outcome_due(ask, after, clock)
    return (LadderStep(due_at=iso(ask), action="outcome_ask"),
            LadderStep(due_at=iso(reminder), action="outcome_reminder"))


def open_handover(
    tenant_id: str,
    lead_id: str,
    handover_id: str,
    definition: HandoverDefinition,
    candidates: Sequence[str],
    clock: Clock,
    now: datetime,
    new_id: NewId,
    rescue_of: str | None = None,
    note: str | None = None,
    resellers: Sequence[str] = (),
) -> Change:
    """A hand-over starts: the first candidate owns it, and its deadlines are fixed from now.

    ``resellers`` names the reseller of each candidate when the route hands leads to resellers.
    ``note`` says something about the routing worth keeping on the timeline (every candidate was away).
    With no candidate at all (every owner the route names is inactive) it starts as a gap, with no owner,
    announced like any gap so the lead is not lost quietly.
    """
    contact = definition.sla.contact
    state = HandoverState(
        tenant_id=tenant_id,
        handover_id=handover_id,
        lead_id=lead_id,
        name=definition.name,
        owner=candidates[0] if candidates else "",
        status=OFFERED,
        started_at=iso(now),
        accept_due_at=iso(clock.add(now, definition.sla.accept)),
        contact_due_at=iso(clock.add(now, contact)) if contact else None,
        steps=plan_ladder(now, definition, clock),
        candidates=tuple(candidates),
        rescue_of=rescue_of,
        reseller=resellers[0] if candidates and resellers else None,
        candidate_resellers=tuple(resellers),
    )
    extra = {"rescue_of": rescue_of} if rescue_of else {}
    if note:
        extra["note"] = note
    started = _event(new_id, "handover_started", state.started_at, state, 0, owner=state.owner,
                     due_at=state.accept_due_at, contact_due_at=state.contact_due_at, **extra)
    if not candidates:
        gap = _gap(replace(state, next_step=0), state.started_at, new_id, 1, cause=NO_ACTIVE_OWNER)
        return Change(state=gap.state, events=(started, *gap.events), notifications=gap.notifications)
    return Change(state=state, events=(started,), timer=state.next_due_at)


REGISTRATION = "deal-registration"


def registered_handover(tenant_id: str, lead_id: str, handover_id: str, reseller: str, person: str, now: datetime,
                        new_id: NewId, **details: object) -> Change:
    """A deal a reseller found itself (deal registration): its hand-over starts taken by that reseller, with no
    offer and no accept deadline to meet, so it counts for the reseller's sales but never in its SLA figures."""
    at = iso(now)
    state = HandoverState(
        tenant_id=tenant_id, handover_id=handover_id, lead_id=lead_id, name=REGISTRATION, owner=person,
        status=ACCEPTED, started_at=at, accept_due_at=at, contact_due_at=None, steps=(), candidates=(person,),
        accepted_at=at, accepted_late=False, accepted_by="reseller", reseller=reseller,
        candidate_resellers=(reseller,),
    )
    return Change(state=state, events=(_event(new_id, "deal_registered", at, state, 0, owner=person, **details),))


def rescue_id_for(gapped: HandoverState) -> str:
    """A gapped hand-over has at most one rescue: its id follows from the gapped one's (a retry finds it)."""
    return handover_id_for(gapped.lead_id, f"rescue-of:{gapped.handover_id}")


def rescue(gapped: HandoverState, owner: str, definition: HandoverDefinition, clock: Clock, now: datetime,
           new_id: NewId) -> Change:
    """A new hand-over of a gapped lead, offered to ``owner`` with a full SLA clock; the gap itself stands."""
    if gapped.status != GAP:
        raise HandoverRefused(f"only a hand-over that ended in a gap can be rescued; this one is {gapped.status}",
                              "wrong_status")
    return open_handover(gapped.tenant_id, gapped.lead_id, rescue_id_for(gapped), definition, (owner,), clock,
                         now, new_id, rescue_of=gapped.handover_id)


def offer_deadline(state: HandoverState, now: datetime) -> str | None:
    """The deadline the current owner has: the SLA's while it lies ahead, else the next step that takes the
    lead away (a reassignment or the gap); ``None`` when nothing on the ladder does."""
    if parse_iso(state.accept_due_at) > now:
        return state.accept_due_at
    for step in state.steps[state.next_step:]:
        if step.action in ("reassign", "gap") and parse_iso(step.due_at) > now:
            return step.due_at
    return None


def _offered(state: HandoverState, at: str, now: datetime, new_id: NewId, seq: int, step: str
             ) -> tuple[TimelineEvent, Notification]:
    """The ``notified`` event of an offer to the current owner, and the e-mail that makes it."""
    due = offer_deadline(state, now)
    event = _event(new_id, "notified", at, state, seq, owner=state.owner, step=step, due_at=due)
    return event, _notification("offer", state.owner, state, due or "")


def next_step_asks_outcome(state: HandoverState) -> bool:
    """Whether the step due next is a "How did it go?" ask (its firing needs to know if the lead has an outcome)."""
    return state.next_step < len(state.steps) and state.steps[state.next_step].action in OUTCOME_ASKS


def fire_next_step(state: HandoverState, now: datetime, new_id: NewId, outcome_known: bool = False
                   ) -> Change | None:
    """Fire the next ladder step if it is due; ``None`` when nothing is due (or the hand-over is done).

    ``outcome_known``: the lead has an outcome for this hand-over already, so a due ask passes without asking.
    """
    due = state.next_due_at
    if due is None or parse_iso(due) > now:
        return None
    step = state.steps[state.next_step]
    at = iso(now)
    moved = replace(state, next_step=state.next_step + 1)
    if state.status not in OPEN_STATUSES and step.action not in TAKEN_STEPS:
        return Change(state=moved)
    details = {"step": step.action, "due_at": step.due_at}
    if step.action in OUTCOME_ASKS:
        if state.status not in (ACCEPTED, CONTACTED) or outcome_known:
            return Change(state=moved)
        again = step.action == "outcome_reminder"
        event = _event(new_id, "outcome_asked", at, state, 0, owner=state.owner, reminder=again, **details)
        ask = replace(_notification("outcome_ask", state.owner, state, ""), cause="reminder" if again else "")
        return Change(state=moved, events=(event,), notifications=(ask,))
    if step.action == "notify":
        notified, offer = _offered(moved, at, now, new_id, 0, "notify")
        return Change(state=moved, events=(notified,), notifications=(offer,))
    if step.action == "remind":
        reminder = _notification("reminder", state.owner, state, offer_deadline(moved, now) or "")
        return Change(state=moved, events=(_event(new_id, "reminded", at, state, 0, owner=state.owner, **details),),
                      notifications=(reminder,))
    if step.action == "breach":
        event = _event(new_id, "sla_breached", at, state, 0, sla="accept", owner=state.owner, **details)
        return Change(state=moved, events=(event,))
    if step.action == "contact_breach":
        if state.status != ACCEPTED:
            return Change(state=moved)
        event = _event(new_id, "sla_breached", at, state, 0, sla="contact", owner=state.owner, **details)
        return Change(state=moved, events=(event,))
    if step.action == "escalate":
        assert step.to is not None
        event = _event(new_id, "escalated", at, state, 0, to=step.to, owner=state.owner, **details)
        return Change(state=moved, events=(event,),
                      notifications=(_notification("escalation", step.to, state, state.accept_due_at),))
    if step.action == "reassign":
        successor = state.successor(state.declined_by)
        if successor is None:
            event = _event(new_id, "reassign_skipped", at, state, 0, owner=state.owner,
                           reason="no other eligible owner", **details)
            return Change(state=moved, events=(event,))
        # The hand-over keeps its clock: the new owner has what is left of it, never a deadline gone by.
        reassigned = moved.held_by(successor)
        notified, offer = _offered(reassigned, at, now, new_id, 1, "reassign")
        event = _event(new_id, "reassigned", at, state, 0, owner=state.owner, **{"from": state.owner, "to": successor},
                       cause="sla", step=step.action, due_at=notified.details["due_at"],
                       **_to_reseller(reassigned))
        return Change(state=reassigned, events=(event, notified), notifications=(offer,))
    assert step.action == "gap"
    return _gap(moved, at, new_id, 0, cause="sla", **details)


def escalation_target(state: HandoverState) -> str:
    """Who hears of a gap: the ladder's last escalation target; empty for the tenant's manager."""
    targets = [step.to for step in state.steps if step.action == "escalate" and step.to]
    return targets[-1] if targets else ""


def _gap(state: HandoverState, at: str, new_id: NewId, seq: int, cause: str, **details: object) -> Change:
    closed = replace(state, status=GAP, steps=state.steps[: state.next_step], next_step=state.next_step)
    event = _event(new_id, "gap", at, state, seq, owner=state.owner, cause=cause, **details)
    announcement = replace(_notification("gap", escalation_target(state), state, state.accept_due_at), cause=cause)
    return Change(state=closed, events=(event,), notifications=(announcement,))


def _notification(kind: str, to: str, state: HandoverState, due_at: str) -> Notification:
    return Notification(kind=kind, to=to, name=state.name, handover_id=state.handover_id, lead_id=state.lead_id,
                        owner=state.owner, due_at=due_at, reseller=state.reseller or "")


def _to_reseller(successor: HandoverState) -> dict[str, str]:
    """A reassignment names the reseller it goes to (its ``reseller`` is the one it was taken from)."""
    return {"to_reseller": successor.reseller} if successor.reseller else {}


def _timer_for(before: HandoverState, after: HandoverState) -> str | None:
    """The due time of a timer to start when a change plans steps again, or None when the running one will do.

    A running timer wakes no later than the hand-over's next step (``before.next_due_at``) and then follows
    the ladder as it is by then; only a step planned before that wake-up, or a ladder whose timer has ended,
    needs a timer of its own (named by its due time, so a retried start makes no second one).
    """
    due = after.next_due_at
    if due is None or (before.next_due_at is not None and before.next_due_at <= due):
        return None
    return due


def _check_actor(state: HandoverState, actor: Actor) -> str:
    if actor.kind == "admin":
        return "admin"
    if actor.kind == "reseller":
        if not actor.reseller or actor.reseller != state.reseller:
            raise HandoverRefused("only the reseller holding this hand-over (or an admin) may act on it", "not_owner")
        return "reseller"
    if actor.owner != state.owner:
        raise HandoverRefused("only the current owner (or an admin) may act on this hand-over", "not_owner")
    return actor.kind


def accept(state: HandoverState, actor: Actor, now: datetime, new_id: NewId,
           accepted_stage: str | None = "decision") -> Change | None:
    """The owner takes the lead. Late is allowed and recorded; a second accept changes nothing (``None``).

    ``accepted_stage`` is where the journey moves the lead (``None``: it stays). An accept at or after the
    contact deadline breaches the contact SLA there and then: there is no later moment to notice it.
    """
    if state.status in (ACCEPTED, CONTACTED):
        return None
    if state.status == GAP:
        # The ladder ran out first: that outcome stands, so a race ends in exactly one of the two.
        raise HandoverRefused("the hand-over already ended in a gap", "wrong_status")
    by = _check_actor(state, actor)
    at = iso(now)
    late = now > parse_iso(state.accept_due_at)
    seconds = (now - parse_iso(state.started_at)).total_seconds()
    remaining: tuple[LadderStep, ...] = ()
    breached: tuple[TimelineEvent, ...] = ()
    if state.contact_due_at and parse_iso(state.contact_due_at) > now:
        remaining = (LadderStep(due_at=state.contact_due_at, action="contact_breach"),)
    elif state.contact_due_at:
        breached = (_event(new_id, "sla_breached", at, state, 1, sla="contact", owner=state.owner,
                           step="contact_breach", due_at=state.contact_due_at),)
    accepted = replace(state, status=ACCEPTED, accepted_at=at, accepted_late=late, accepted_by=by,
                       steps=remaining, next_step=0)
    event = _event(new_id, "accepted", at, state, 0, owner=state.owner, late=late, by=by)
    return Change(state=accepted, events=(event, *breached), lead_stage=accepted_stage, time_to_accept=seconds,
                  timer=_timer_for(state, accepted))


def asking_outcome(accepted: Change, before: HandoverState, now: datetime, after: timedelta | None,
                   clock: Clock) -> Change:
    """An accept with the "How did it go?" ask and its reminder planned ``after`` it, on the hand-over's
    calendar ``clock``; the accept as it is when the journey never asks (``after`` None)."""
    asks = plan_outcome_asks(now, after, clock)
    if not asks or accepted.state.status != ACCEPTED:
        return accepted
    steps = tuple(sorted((*accepted.state.steps[accepted.state.next_step:], *asks),
                         key=lambda step: (step.due_at, _ORDER[step.action])))
    state = replace(accepted.state, steps=steps, next_step=0)
    return replace(accepted, state=state, timer=_timer_for(before, state))


def decline(state: HandoverState, actor: Actor, reason: str | None, now: datetime, new_id: NewId,
            definition: HandoverDefinition | None = None, clock: Clock | None = None,
            passed_over: Sequence[str] = (), clock_for: Callable[[str | None], Clock | None] | None = None
            ) -> Change:
    """The owner says no: a new offer to the next eligible owner, or a gap if nobody is left.

    The new offer has a full SLA clock: deadlines and ladder are planned again from now, in the hand-over's
    calendar (``definition`` and ``clock``; without them, as before, moved on by the time that has passed).
    ``clock_for`` gives the calendar of the reseller the offer goes to (a reseller's own calendar).
    The gap's cause is ``everyone declined`` only when that is true; with owners ``passed_over`` (away or
    inactive, so never offered it) it is ``nobody left``.
    """
    if state.status != OFFERED:
        raise HandoverRefused(f"a hand-over that is {state.status} cannot be declined", "wrong_status")
    by = _check_actor(state, actor)
    at = iso(now)
    declined_by = (*state.declined_by, state.owner)
    declined = _event(new_id, "declined", at, state, 0, owner=state.owner, reason=reason, by=by)
    successor = state.successor(declined_by)
    if successor is None:
        cause = NOBODY_LEFT if passed_over else EVERYONE_DECLINED
        gap = _gap(replace(state, declined_by=declined_by), at, new_id, 1, cause=cause)
        return Change(state=gap.state, events=(declined, *gap.events), notifications=gap.notifications)
    moved = _restarted(replace(state, declined_by=declined_by).held_by(successor), now, definition,
                       clock_for(state.reseller_of(successor)) if clock_for else clock)
    notified, offer = _offered(moved, at, now, new_id, 2, "decline")
    reassigned = _event(new_id, "reassigned", at, state, 1, owner=state.owner,
                        **{"from": state.owner, "to": successor}, cause="declined", due_at=notified.details["due_at"],
                        **_to_reseller(moved))
    # The running timer sleeps until the old ladder's next step; the new ladder's first may come before it.
    return Change(state=moved, events=(declined, reassigned, notified), notifications=(offer,),
                  timer=_timer_for(state, moved))


def _restarted(state: HandoverState, now: datetime, definition: HandoverDefinition | None, clock: Clock | None
               ) -> HandoverState:
    """The hand-over's deadlines and ladder from ``now`` on; the offer made now counts as its notify step."""
    if definition is not None and clock is not None:
        contact = definition.sla.contact
        return replace(state, accept_due_at=iso(clock.add(now, definition.sla.accept)),
                       contact_due_at=iso(clock.add(now, contact)) if contact else None,
                       steps=plan_ladder(now, definition, clock), next_step=1)
    # The journey no longer names this hand-over: the same deadlines, as far from now as from the last offer.
    offered_at = next((step.due_at for step in state.steps if step.action == "notify"), state.started_at)
    shift = now - parse_iso(offered_at)

    def moved(moment: str) -> str:
        return iso(parse_iso(moment) + shift)

    return replace(state, accept_due_at=moved(state.accept_due_at),
                   contact_due_at=moved(state.contact_due_at) if state.contact_due_at else None,
                   steps=(LadderStep(due_at=iso(now), action="notify"),
                          *(replace(step, due_at=moved(step.due_at)) for step in state.steps
                            if step.action != "notify")),
                   next_step=1)


def contacted(state: HandoverState, actor: Actor, now: datetime, new_id: NewId) -> Change | None:
    """The owner has been in touch with the customer; a second report changes nothing (``None``)."""
    if state.status == CONTACTED:
        return None
    if state.status != ACCEPTED:
        raise HandoverRefused("accept the hand-over before reporting contact", "wrong_status")
    by = _check_actor(state, actor)
    at = iso(now)
    late = bool(state.contact_due_at and now > parse_iso(state.contact_due_at))
    # The contact deadline is met; the outcome asks still lie ahead.
    asks = tuple(step for step in state.steps[state.next_step:] if step.action in OUTCOME_ASKS)
    done = replace(state, status=CONTACTED, contacted_at=at, steps=asks, next_step=0)
    event = _event(new_id, "contacted", at, state, 0, owner=state.owner, late=late, by=by)
    return Change(state=done, events=(event,), timer=_timer_for(state, done))
