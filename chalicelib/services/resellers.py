"""Resellers: the producer registers them (``/admin/resellers``), and each works its leads with its own key or the
e-mail links its people get: the leads handed to it, accept/decline/contacted, outcomes, consent, deal registration.

A reseller's people (its contacts and its lead inbox) are registered as the producer's owners in the reseller's
language, so offers, reminders and "How did it go?" reach them like any owner; the reseller itself stays on each
hand-over (``HandoverState.reseller``) and in every count.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.handover import ACCEPTED, CONTACTED, HandoverState, cycle_id_for, registered_handover
from chalicelib.domain.leads import REFERRAL, Lead, TimelineEvent, lead_id_for
from chalicelib.domain.resellers import (
    POSTCODE_FIELD,
    PRODUCT_FIELD,
    PostcodeRange,
    Reseller,
    check_registration,
)
from chalicelib.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound, Unauthorized
from chalicelib.observability import count, traced
from chalicelib.services.ports import HandoverRepository, LeadRepository, LeadUpdate, TenantRegistry
from chalicelib.services.reseller_ports import ResellerDirectory

if TYPE_CHECKING:
    from chalicelib.reseller_bodies import ConsentBody, RegistrationBody, ResellerBody
    from chalicelib.services.handovers import Handovers
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.outcomes import OutcomeReport, Outcomes

KEY_PREFIX = "rk_"
STATUSES = ("offered", "accepted", "contacted", "won", "lost", "disqualified", "gap")
CACHE_TTL = timedelta(seconds=5)
MAX_ATTEMPTS = 5
# What a reseller may change of itself through the producer: everything but its id.
CHANGEABLE = ("name", "language", "contacts", "inbox", "manager", "regions", "products", "calendar", "active")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def reseller_summary(reseller: Reseller) -> dict[str, Any]:
    """A reseller as the producer's admin API shows it (never its key, which is shown once)."""
    return {
        "reseller_id": reseller.reseller_id, "name": reseller.name, "language": reseller.language,
        "contacts": list(reseller.contacts), "inbox": reseller.inbox, "manager": reseller.manager,
        "regions": [str(region) for region in reseller.regions], "products": list(reseller.products),
        "calendar": reseller.calendar, "active": reseller.active, "key_id": reseller.key_id,
        "created_at": reseller.created_at, "updated_at": reseller.updated_at,
    }


def _definition(reseller: Reseller) -> dict[str, Any]:
    """What a definition says, to tell a retried registration from a different one."""
    return {name: value for name, value in reseller_summary(reseller).items()
            if name in ("reseller_id", *CHANGEABLE)}


class Resellers:
    """The producer's resellers: register, list, change, (de)activate, give a new key; who a reseller key is."""

    def __init__(self, directory: ResellerDirectory, owners: TenantRegistry, journeys: Journeys, clock: Clock):
        self.directory = directory
        self.owners = owners
        self.journeys = journeys
        self.clock = clock
        self._cache: dict[str, tuple[datetime, list[Reseller]]] = {}

    @traced
    def create(self, tenant_id: str, body: ResellerBody) -> tuple[dict[str, Any], int]:
        """A new reseller with its key and match secret (shown in this answer only). Sending the same definition
        again (a retry that lost the answer) answers 200 with a new key; the one never seen stops working."""
        now = iso(self.clock())
        reseller = Reseller(
            tenant_id=tenant_id, reseller_id=body.reseller_id, name=body.name, language=body.language,
            contacts=tuple(body.contacts), inbox=body.inbox, manager=body.manager,
            regions=tuple(PostcodeRange.parse(region) for region in body.regions), products=tuple(body.products),
            calendar=body.calendar, active=body.active, match_secret="ms_" + secrets.token_urlsafe(24),
            created_at=now, updated_at=now,
        )
        existing = self.directory.reseller(tenant_id, body.reseller_id)
        status = 201
        if existing is not None:
            if _definition(existing) != _definition(reseller):
                raise Conflict(f"a reseller {body.reseller_id!r} exists already with another definition; change it "
                               f"with PATCH /admin/resellers/{body.reseller_id}", field="reseller_id")
            reseller, status = existing, 200
        else:
            self._check(tenant_id, reseller)
            self.directory.save_reseller(reseller, None)
        self._register_people(reseller, now)
        answer = self._new_key(tenant_id, reseller.reseller_id)
        self._cache.pop(tenant_id, None)
        count("ResellersRegistered")
        return {**answer, "match_secret": reseller.match_secret}, status

    def listing(self, tenant_id: str) -> dict[str, Any]:
        return {"resellers": [reseller_summary(reseller) for reseller in
                              sorted(self.directory.resellers(tenant_id), key=lambda r: r.reseller_id)]}

    def get(self, tenant_id: str, reseller_id: str) -> Reseller:
        reseller = self.directory.reseller(tenant_id, reseller_id)
        if reseller is None:
            raise NotFound(f"no reseller {reseller_id!r}", field="reseller_id")
        return reseller

    @traced
    def update(self, tenant_id: str, reseller_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change what is sent (``active: false`` deactivates: routing passes it by, its key still reports)."""
        from chalicelib.reseller_bodies import ResellerBody

        unknown = sorted(name for name in changes if name not in CHANGEABLE)
        if unknown:
            raise InvalidInput(f"{unknown[0]} cannot be changed; send any of {', '.join(CHANGEABLE)}",
                               field=unknown[0])
        if not changes:
            raise InvalidInput(f"send what changes: any of {', '.join(CHANGEABLE)}", field="body")
        for _ in range(MAX_ATTEMPTS):
            current = self.get(tenant_id, reseller_id)
            body = ResellerBody(**{**_definition(current), **changes})
            now = iso(self.clock())
            changed = replace(
                current, name=body.name, language=body.language, contacts=tuple(body.contacts), inbox=body.inbox,
                manager=body.manager, regions=tuple(PostcodeRange.parse(region) for region in body.regions),
                products=tuple(body.products), calendar=body.calendar, active=body.active, updated_at=now)
            if _definition(changed) == _definition(current):
                return {**reseller_summary(current), "changed": False}
            self._check(tenant_id, changed)
            try:
                self.directory.save_reseller(changed, current.version)
            except ConcurrentUpdate:
                continue
            self._register_people(changed, now)
            self._cache.pop(tenant_id, None)
            return {**reseller_summary(changed), "changed": True}
        raise Conflict("the reseller kept changing; try again", field="reseller_id")

    def issue_key(self, tenant_id: str, reseller_id: str) -> dict[str, Any]:
        """A new key for the reseller, shown once; its earlier key stops working."""
        self.get(tenant_id, reseller_id)
        return self._new_key(tenant_id, reseller_id)

    def actor_for(self, authorization: str | None) -> tuple[str, Actor]:
        """The producer and the reseller behind ``Authorization: Bearer <reseller key>``."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("send the reseller key as 'Authorization: Bearer <key>'", field="Authorization")
        found = self.directory.reseller_for_key(hash_key(key.strip()))
        if found is None:
            raise Unauthorized("the reseller key is not valid", field="Authorization")
        tenant_id, reseller_id = found
        return tenant_id, Actor(kind="reseller", reseller=reseller_id)

    def resellers(self, tenant_id: str) -> list[Reseller]:
        """Every reseller of the producer (for routing), read again after a few seconds."""
        now = self.clock()
        cached = self._cache.get(tenant_id)
        if cached is not None and now - cached[0] <= CACHE_TTL:
            return cached[1]
        found = self.directory.resellers(tenant_id)
        self._cache[tenant_id] = (now, found)
        return found

    # --- the parts ------------------------------------------------------------------------------------

    def _new_key(self, tenant_id: str, reseller_id: str) -> dict[str, Any]:
        for _ in range(MAX_ATTEMPTS):
            reseller = self.get(tenant_id, reseller_id)
            key = KEY_PREFIX + secrets.token_urlsafe(24)
            key_hash = hash_key(key)
            key_id = "key_" + key_hash[:12]
            try:
                self.directory.replace_key(reseller, key_hash, key_id)
            except ConcurrentUpdate:
                continue
            return {**reseller_summary(replace(reseller, key_id=key_id)), "api_key": key,
                    "revoked": [reseller.key_id] if reseller.key_id else []}
        raise Conflict("the reseller kept changing; try again", field="reseller_id")

    def _check(self, tenant_id: str, reseller: Reseller) -> None:
        """A reseller's people are its own (no other reseller's, none of the producer's own owners), and its
        calendar is one the journey knows."""
        people = {*reseller.people, *reseller.contacts}
        for other in self.directory.resellers(tenant_id):
            if other.reseller_id == reseller.reseller_id:
                continue
            shared = sorted(people & {*other.people, *other.contacts})
            if shared:
                raise Conflict(f"{shared[0]} already works for the reseller {other.reseller_id!r}; a person works "
                               f"for one reseller", field="contacts")
        previous = self.directory.reseller(tenant_id, reseller.reseller_id)
        known = {*previous.people, *previous.contacts} if previous else set()
        own = sorted(owner.owner for owner in self.owners.owners(tenant_id, sorted(people - known)))
        if own:
            raise Conflict(f"{own[0]} is one of your own owners; a reseller's people work for the reseller",
                           field="contacts")
        if reseller.calendar and self.journeys.definition(tenant_id).calendar_named(reseller.calendar) is None:
            raise InvalidInput(f"unknown calendar {reseller.calendar!r}: use dk-business-hours or a calendar the "
                               f"journey defines", field="calendar")

    def _register_people(self, reseller: Reseller, now: str) -> None:
        from chalicelib.services.tenancy import register_owner

        for person in dict.fromkeys((*reseller.people, *reseller.contacts)):
            # Their user keys are never shown: the reseller acts through its own key and its people by links.
            register_owner(self.owners, reseller.tenant_id, person, person, reseller.language, at=now)


def held(handovers: list[HandoverState], reseller_id: str) -> HandoverState | None:
    """The reseller's latest hand-over of a lead (the one it holds now, or last held)."""
    mine = [state for state in handovers if state.reseller == reseller_id]
    return max(mine, key=lambda state: state.started_at) if mine else None


def _status(state: HandoverState, lead: Lead | None) -> str:
    if lead is not None and lead.outcome is not None and lead.outcome.at >= state.started_at:
        return lead.outcome.outcome
    return state.status


class ResellerDesk:
    """What a reseller does with its key: its leads, acting on them, outcomes, consent, deal registration."""

    def __init__(self, resellers: Resellers, leads: LeadRepository, handover_store: HandoverRepository,
                 handovers: Handovers, outcomes: Outcomes, journeys: Journeys, clock: Clock,
                 new_id: Callable[[], str] | None = None):
        self.resellers = resellers
        self.leads = leads
        self.handover_store = handover_store
        self.handovers = handovers
        self.outcomes = outcomes
        self.journeys = journeys
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    def me(self, tenant_id: str, actor: Actor) -> dict[str, Any]:
        """The reseller as it knows itself: its name, people, and how to hash customers for sales reports."""
        reseller = self.resellers.get(tenant_id, self._id(actor))
        return {**{name: value for name, value in reseller_summary(reseller).items() if name != "key_id"},
                "match_secret": reseller.match_secret,
                "email_hash": "lower-case hex HMAC-SHA256 of the e-mail (trimmed, NFC, lower case) keyed with "
                              "match_secret"}

    def held_leads(self, tenant_id: str, actor: Actor, status: str | None) -> dict[str, Any]:
        """The leads handed to the reseller that it still holds, oldest first; ``status`` filters them."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
        reseller_id = self._id(actor)
        rows = []
        held = self.resellers.directory.held_handovers(tenant_id, reseller_id)
        leads = self.leads.leads(tenant_id, [state.lead_id for state in held])
        for state in held:
            lead = leads.get(state.lead_id)
            current = _status(state, lead)
            if status is None or current == status:
                rows.append(self._row(state, lead, current))
        return {"reseller_id": reseller_id, "leads": rows}

    def lead(self, tenant_id: str, actor: Actor, lead_id: str) -> dict[str, Any]:
        state, lead = self._held(tenant_id, actor, lead_id)
        return self._row(state, lead, _status(state, lead))

    @traced
    def act(self, tenant_id: str, actor: Actor, lead_id: str, action: str, reason: str | None) -> dict[str, Any]:
        """Accept, decline (with a reason) or report contact on the reseller's hand-over of the lead."""
        state, _ = self._held(tenant_id, actor, lead_id)
        answer = self.handovers.act(tenant_id, state.handover_id, action, actor, reason)
        return {**answer, "lead_id": lead_id}

    def outcome(self, tenant_id: str, actor: Actor, lead_id: str, sent: OutcomeReport,
                idempotency_key: str | None) -> dict[str, Any]:
        self._held(tenant_id, actor, lead_id)
        return self.outcomes.record(tenant_id, lead_id, actor, sent, idempotency_key)

    @traced
    def consent(self, tenant_id: str, actor: Actor, lead_id: str, body: ConsentBody) -> dict[str, Any]:
        """Record what the end customer told the reseller about sharing with the producer (a timeline event)."""
        reseller_id = self._id(actor)
        for _ in range(MAX_ATTEMPTS):
            _, lead = self._held(tenant_id, actor, lead_id)
            assert lead is not None
            at = self._moment(body.at)
            record = {"granted": body.granted, "at": at, "source": f"reseller:{reseller_id}: {body.source}"}
            held_record = lead.consent.get(body.purpose)
            if held_record and held_record.get("granted") == body.granted \
                    and held_record.get("source") == record["source"]:
                return {"lead_id": lead_id, "consent": {body.purpose: held_record}, "changed": False}
            now = iso(self.clock())
            event = consent_event(self.new_id(), now, body.purpose, record, f"reseller:{reseller_id}")
            changed = replace(lead, consent={**lead.consent, body.purpose: record}, updated_at=now)
            try:
                self.leads.save_lead_change(changed, lead.version, [event], None)
            except ConcurrentUpdate:
                continue
            return {"lead_id": lead_id, "consent": {body.purpose: record}, "changed": True}
        raise Conflict("the lead kept changing; try again", field="lead_id")

    @traced
    def register(self, tenant_id: str, actor: Actor, body: RegistrationBody) -> tuple[dict[str, Any], int]:
        """Deal registration: a customer the reseller found itself becomes its lead, kept as a referral.

        Refused (409, naming the rule) when another reseller registered or was handed the customer within 90
        days, or the producer's own sales hold it; the same registration again answers 200 and changes nothing.
        """
        reseller = self.resellers.get(tenant_id, self._id(actor))
        lead_id = lead_id_for(tenant_id, body.email)
        for _ in range(MAX_ATTEMPTS):
            now = self.clock()
            existing = self.leads.lead(tenant_id, lead_id)
            handovers = self.handover_store.lead_handovers(tenant_id, lead_id) if existing else []
            check = check_registration(reseller.reseller_id, handovers, now)
            if check.already is not None:
                return {**self._row(check.already, existing, _status(check.already, existing)),
                        "changed": False}, 200
            if check.refused_by is not None:
                raise Conflict(_refusal(check.refused_by), field="email",
                               details=[{"field": "email", "message": _refusal(check.refused_by),
                                         "rule": check.refused_by}])
            lead, events = self._registered_lead(tenant_id, reseller, existing, body, now)
            handover_id = cycle_id_for(lead_id, "deal-registration", iso(now))
            person = reseller.people[0]
            change = registered_handover(tenant_id, lead_id, handover_id, reseller.reseller_id, person, now,
                                         self.new_id, product=body.product, new_lead=existing is None)
            journey = self.journeys.definition(tenant_id)
            change = self._asking(change, journey, reseller, now)
            lead = replace(lead, handovers={**lead.handovers, "deal-registration": handover_id})
            try:
                self.handover_store.save_handover_change(change, None, LeadUpdate(
                    lead=lead, expected_version=existing.version if existing else None, events=tuple(events)))
            except ConcurrentUpdate:
                continue
            count("DealsRegistered")
            return {**self._row(change.state, lead, change.state.status), "changed": True}, 201
        raise Conflict("the lead kept changing; try again", field="email")

    # --- the parts ------------------------------------------------------------------------------------

    @staticmethod
    def _id(actor: Actor) -> str:
        if actor.kind != "reseller" or not actor.reseller:
            raise Unauthorized("a reseller key is needed here", field="Authorization")
        return actor.reseller

    def _held(self, tenant_id: str, actor: Actor, lead_id: str) -> tuple[HandoverState, Lead | None]:
        """The reseller's hand-over of the lead and the lead; a lead not handed to it does not exist for it."""
        reseller_id = self._id(actor)
        state = held(self.handover_store.lead_handovers(tenant_id, lead_id), reseller_id)
        lead = self.leads.lead(tenant_id, lead_id) if state is not None else None
        if state is None or lead is None:
            raise NotFound(f"no lead {lead_id!r} handed to you", field="lead_id")
        return state, lead

    def _row(self, state: HandoverState, lead: Lead | None, status: str) -> dict[str, Any]:
        """A lead as its reseller sees it: contact details once its people have accepted it."""
        taken = state.status in (ACCEPTED, CONTACTED)
        fields = lead.fields if lead is not None else {}
        row: dict[str, Any] = {
            "lead_id": state.lead_id, "handover_id": state.handover_id, "status": status,
            "handover_status": state.status, "owner": state.owner, "offered_at": state.started_at,
            "due_at": state.accept_due_at if state.status == "offered" else None,
            "accepted_at": state.accepted_at, "contacted_at": state.contacted_at,
            "registered": state.name == "deal-registration",
            "name": lead.name if lead else None, "company": lead.company if lead else None,
            "postcode": fields.get(POSTCODE_FIELD), "product": fields.get(PRODUCT_FIELD),
        }
        if taken and lead is not None:
            row.update(email=lead.email, phone=lead.phone)
        if lead is not None and lead.outcome is not None and lead.outcome.at >= state.started_at:
            row["outcome"] = {"outcome": lead.outcome.outcome, "value": lead.outcome.value,
                              "currency": lead.outcome.currency, "at": lead.outcome.at}
        return row

    def _moment(self, text: str | None) -> str:
        from chalicelib.domain.clock import parse_instant

        if text is None:
            return iso(self.clock())
        try:
            moment = parse_instant(text)
        except ValueError as error:
            raise InvalidInput(f"at must be a time like 2026-12-01T10:00:00Z: {error}", field="at") from None
        if moment > self.clock():
            raise InvalidInput("at must not be in the future", field="at")
        return iso(moment)

    def _registered_lead(self, tenant_id: str, reseller: Reseller, existing: Lead | None, body: RegistrationBody,
                         now: datetime) -> tuple[Lead, list[TimelineEvent]]:
        """The registered customer as a lead (a new one is a referral of the reseller) and its events."""
        from chalicelib.domain.attribution import DIRECT

        at = iso(now)
        source = f"reseller:{reseller.reseller_id}"
        fields = {name: value for name, value in ((POSTCODE_FIELD, body.postcode), (PRODUCT_FIELD, body.product))
                  if value}
        if existing is None:
            lead = Lead(tenant_id=tenant_id, lead_id=lead_id_for(tenant_id, body.email), email=body.email,
                        stage=self.journeys.definition(tenant_id).stage_rules().initial, stage_entered_at=at,
                        lead_type=REFERRAL, first_touch=DIRECT, last_touch=DIRECT, created_at=at, updated_at=at,
                        name=body.name, phone=body.phone, company=body.company, referred_by=source)
        else:
            lead = existing
        lead = replace(lead, name=lead.name or body.name, phone=lead.phone or body.phone,
                       company=lead.company or body.company, fields={**fields, **lead.fields}, updated_at=at)
        events: list[TimelineEvent] = []
        if body.consent is not None:
            record = {"granted": body.consent.granted, "at": self._moment(body.consent.at),
                      "source": f"{source}: {body.consent.source}"}
            lead = replace(lead, consent={**lead.consent, body.consent.purpose: record})
            events.append(consent_event(self.new_id(), at, body.consent.purpose, record, source, seq=len(events)))
        rules = self.journeys.definition(tenant_id).stage_rules()
        move = rules.advance(lead.stage, "accepted")
        if move is not None:
            events.append(TimelineEvent(event_id=self.new_id(), type="stage_change", at=at, seq=len(events), details={
                "from": lead.stage, "to": move.to, "cause": "deal_registered", **move.recorded(),
                "entered_from_at": lead.stage_entered_at}))
            lead = replace(lead, stage=move.to, stage_entered_at=at)
        return lead, events

    def _asking(self, change: Any, journey: Any, reseller: Reseller, now: datetime) -> Any:
        """A registered deal's owner is asked "How did it go?" like any accepted lead, on the reseller's calendar."""
        from chalicelib.domain.handover import asking_outcome
        from chalicelib.domain.sla import ALWAYS, parse_duration

        after = parse_duration(journey.outcome_after) if journey.outcome_after else None
        clock = journey.calendar_named(reseller.calendar) if reseller.calendar else None
        return asking_outcome(change, change.state, now, after, clock or ALWAYS)


def consent_event(event_id: str, at: str, purpose: str, record: dict[str, Any], by: str, seq: int = 0
                  ) -> TimelineEvent:
    """A consent given or withdrawn, with its source and time, as a timeline event."""
    return TimelineEvent(event_id=event_id, type="consent_changed", at=at, seq=seq,
                         details={"purpose": purpose, "granted": record["granted"], "source": record["source"],
                                  "consent_at": record["at"], "by": by})


REFUSALS = {
    "registered_by_another_reseller": "another reseller registered this customer within the last 90 days",
    "handed_to_another_reseller": "this customer was handed to another reseller within the last 90 days",
    "held_by_producer_sales": "the producer's own sales are working with this customer",
}


def _refusal(rule: str) -> str:
    return f"the deal cannot be registered: {REFUSALS.get(rule, rule)} (rule {rule})"

