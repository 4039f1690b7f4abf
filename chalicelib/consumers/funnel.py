"""The funnel/ROI projection, kept from the change stream: lead events and visitors' landings.

What each event adds is decided in ``chalicelib.domain.funnel``; this consumer reads what it needs (the lead's
projection state, the lead for its groups and touches, the journey's stages), hands the domain the event and
stores the result once per event (see ``adapters.dynamo.funnel``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain import funnel
from chalicelib.domain.attribution import is_internal
from chalicelib.domain.capture import PageView, ViewIdentity
from chalicelib.domain.credit import Touchpoint
from chalicelib.domain.funnel import Deltas, FunnelLead, LeadFacts
from chalicelib.domain.leads import Lead, conversion_of, landing_page
from chalicelib.observability import logger
from chalicelib.services.ports import FunnelStore, LeadRepository, StaleFunnelState

ATTEMPTS = 5


def facts_of(lead: Lead) -> LeadFacts:
    """The lead as the projection first sees it: groups of its last non-direct touch, touches to credit."""
    touch = lead.last_touch
    page = next((t.landing_page for t in reversed(lead.touches) if t.touch == touch), None)
    return LeadFacts(created_at=lead.created_at, lead_type=lead.lead_type, last_touch=touch,
                     touchpoints=_touchpoints(lead), landing_page=page)


def _touchpoints(lead: Lead) -> Sequence[Touchpoint]:
    return conversion_of(lead).touchpoints


class FunnelProjection:
    def __init__(self, store: FunnelStore, leads: LeadRepository, stages_of: Callable[[str], Sequence[str]]):
        self.store = store
        self.leads = leads
        self.stages_of = stages_of

    def __call__(self, event: ChangeEvent) -> None:
        if event.type not in funnel.HANDLED_EVENTS:
            return
        for attempt in range(ATTEMPTS):
            try:
                self._apply(event)
                return
            except StaleFunnelState:
                if attempt == ATTEMPTS - 1:
                    raise

    def _apply(self, event: ChangeEvent) -> None:
        state, version = self.store.lead_state(event.tenant_id, event.lead_id)
        stages = self.stages_of(event.tenant_id)
        deltas: Deltas = {}
        lead: Lead | None = None
        if state is None:
            lead = self.leads.lead(event.tenant_id, event.lead_id)
            if lead is None:
                logger.warning("funnel event without its lead", extra={"lead_id": event.lead_id})
                return
            state, deltas = funnel.start(facts_of(lead), stages)
        state, more = self._event(state, event, stages, lead)
        for row, counters in more.items():
            held = deltas.setdefault(row, {})
            for name, value in counters.items():
                held[name] = held.get(name, 0) + value
        self.store.add_once(event.event_id, event.tenant_id, {row: c for row, c in deltas.items() if c},
                            state=(event.lead_id, state, version))

    def _event(self, state: FunnelLead, event: ChangeEvent, stages: Sequence[str], lead: Lead | None
               ) -> tuple[FunnelLead, Deltas]:
        details = event.details
        if event.type == "stage_change":
            entered = details.get("entered_from_at")
            return funnel.stage_reached(state, str(details.get("to")), event.at,
                                        str(entered) if entered else None, stages)
        if event.type in ("accepted", "deal_registered"):
            reseller = str(details["reseller"]) if details.get("reseller") else None
            if reseller and not state.reseller:
                lead = lead or self.leads.lead(event.tenant_id, event.lead_id)
            return funnel.accepted_by(state, str(details.get("owner") or ""), reseller,
                                      _touchpoints(lead) if lead is not None else (),
                                      lead.created_at if lead is not None else None)
        if event.type in ("outcome_recorded", "outcome_corrected"):
            lead = lead or self.leads.lead(event.tenant_id, event.lead_id)
            touchpoints = _touchpoints(lead) if lead is not None else ()
            value = details.get("value")
            return funnel.outcome_reported(state, touchpoints, str(details.get("outcome")),
                                           str(value) if value is not None else None,
                                           str(details.get("outcome_at") or event.at))
        return state, {}


class VisitorProjection:
    """Distinct visitors per day, each in the groups of its first landing that day.

    A batch consumer: the landings of one stream batch are counted together per tenant and day
    (``FunnelStore.add_landings_once``: many share one update of the day's visitors item, a few are a row each).
    It answers the identities of the landings it could not store, for the stream to retry.
    """

    def __init__(self, store: FunnelStore):
        self.store = store

    def __call__(self, views: Sequence[PageView]) -> set[ViewIdentity]:
        days: dict[tuple[str, str], list[tuple[str, Deltas, ViewIdentity]]] = {}
        for view in views:
            landing = view.landing()
            if view.type != "pageview" or view.touch is None or is_internal(landing):
                continue
            touch = view.touch
            groups = funnel.first_landings({"channel": touch.channel, "campaign": touch.campaign,
                                            "source": touch.source, "landing_page": landing_page(view.url)})
            day = view.at[:10]
            days.setdefault((view.tenant_id, day), []).append(
                (f"visit:{view.tenant_id}:{day}:{view.visitor_id}", funnel.visitor_deltas(day, groups), view.identity))
        unstored: set[ViewIdentity] = set()
        for (tenant_id, day), landings in days.items():
            try:
                self.store.add_landings_once(tenant_id, day, [(mark, deltas) for mark, deltas, _ in landings])
            except Exception:  # noqa: BLE001 - these landings' records are retried; other days stand
                logger.exception("visitor counts not stored", extra={"tenant_id": tenant_id, "day": day})
                unstored.update(identity for _, _, identity in landings)
        return unstored
