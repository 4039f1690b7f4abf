"""Reading leads: one lead with its whole timeline, or lists by e-mail or stage."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.capture import PageView
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.leads import Lead, lead_id_for
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.models import LeadQuery
from chalicelib.observability import traced
from chalicelib.services.handovers import present
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import JourneyStore


def lead_summary(lead: Lead) -> dict[str, Any]:
    return {
        "lead_id": lead.lead_id,
        "email": lead.email,
        "name": lead.name,
        "company": lead.company,
        "phone": lead.phone,
        "stage": lead.stage,
        "stage_entered_at": lead.stage_entered_at,
        "lead_type": lead.lead_type,
        "referred_by": lead.referred_by,
        "first_touch": lead.first_touch.as_dict(),
        "last_touch": lead.last_touch.as_dict(),
        "consent": lead.consent,
        "fields": lead.fields,
        "visitors": list(lead.visitors),
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def _pageview_event(view: PageView) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": view.type,
        "at": view.at,
        "event_id": view.event_id,
        "url": view.url,
        "ref": view.referrer,
        "title": view.title,
        "visitor_id": view.visitor_id,
    }
    if view.touch:
        event["channel"] = view.touch.channel
        event["campaign"] = view.touch.campaign
    return event


class LeadReader:
    def __init__(self, store: JourneyStore, journeys: Journeys):
        self.store = store
        self.journeys = journeys

    @traced
    def lead_with_timeline(self, tenant_id: str, lead_id: str) -> dict[str, Any]:
        """The lead and every event of its journey in time order, page views of its visitors included."""
        lead = self.store.lead(tenant_id, lead_id)
        if lead is None:
            raise NotFound(f"no lead {lead_id!r}", field="lead_id")
        events = [event.as_dict() for event in self.store.lead_events(tenant_id, lead_id)]
        for visitor_id in lead.visitors:
            events += [_pageview_event(view) for view in self.store.visitor_pageviews(tenant_id, visitor_id)]
        events.sort(key=lambda event: (event["at"], 0 if event["type"] in ("pageview", "email_open") else 1))
        handovers = [present(state) for state in self.store.lead_handovers(tenant_id, lead_id)]
        return {**lead_summary(lead), "handovers": handovers, "timeline": events}

    @traced
    def find(self, tenant_id: str, query: LeadQuery) -> dict[str, Any]:
        """Leads by e-mail (any letter case), or in a stage since a time, a page at a time."""
        if query.email:
            lead = self.store.lead(tenant_id, lead_id_for(tenant_id, str(query.email)))
            return {"leads": [lead_summary(lead)] if lead else [], "next_cursor": None}
        if not query.stage:
            raise InvalidInput("give either email or stage", field="stage")
        stages = self.journeys.definition(tenant_id).stages
        if query.stage not in stages:
            raise InvalidInput(f"stage must be one of {', '.join(stages)}", field="stage")
        since = iso(parse_iso(query.since)) if query.since else "0000"
        page = self.store.leads_in_stage(tenant_id, query.stage, since, query.limit, query.cursor)
        return {"leads": [lead_summary(lead) for lead in page.leads], "next_cursor": page.next_cursor}
