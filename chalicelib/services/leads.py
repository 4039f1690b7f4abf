"""Reading leads: one lead with its whole timeline, or lists of the tenant's leads, newest first."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.capture import PageView
from chalicelib.domain.clock import parse_instant
from chalicelib.domain.leads import Lead, lead_id_for
from chalicelib.domain.outcomes import present_outcome
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.observability import traced
from chalicelib.queries import LeadQuery
from chalicelib.services.handovers import present
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import HandoverRepository, LeadRepository, PageViewLog

TIMELINE_PAGE = 500
CURSOR_JOIN = "~"


def _split_cursor(cursor: str | None) -> tuple[str | None, str | None]:
    """A timeline cursor: the events' cursor and the time of the last event already shown."""
    if cursor is None:
        return None, None
    events_cursor, _, after = cursor.rpartition(CURSOR_JOIN)
    try:
        parse_instant(after)
    except ValueError:
        events_cursor = ""
    if not events_cursor:
        raise InvalidInput("cursor is not one this timeline handed out", field="cursor")
    return events_cursor, after


def lead_summary(lead: Lead) -> dict[str, Any]:
    """A lead as the tenant's API shows it; a reseller's registered customer who has not agreed to share their
    details with the producer is shown without them (``withheld``)."""
    from chalicelib.domain.resellers import POSTCODE_FIELD, postcode_area, withheld_from_producer

    summary = _summary(lead)
    if withheld_from_producer(lead):
        summary.update(email=None, name=None, company=None, phone=None, withheld=True, fields={
            name: value for name, value in lead.fields.items() if name != POSTCODE_FIELD})
        summary["fields"]["postcode_area"] = postcode_area(lead.fields.get(POSTCODE_FIELD))
    return summary


def _summary(lead: Lead) -> dict[str, Any]:
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
        "touches": [touch.as_dict() for touch in lead.touches],
        "consent": lead.consent,
        "fields": lead.fields,
        "visitors": list(lead.visitors),
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "outcome": present_outcome(lead.outcome),
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
    def __init__(self, leads: LeadRepository, pageviews: PageViewLog, handovers: HandoverRepository,
                 journeys: Journeys):
        self.leads = leads
        self.pageviews = pageviews
        self.handovers = handovers
        self.journeys = journeys

    def _lead(self, tenant_id: str, lead_id: str) -> Lead:
        lead = self.leads.lead(tenant_id, lead_id)
        if lead is None:
            raise NotFound(f"no lead {lead_id!r}", field="lead_id")
        return lead

    @traced
    def lead_with_timeline(self, tenant_id: str, lead_id: str) -> dict[str, Any]:
        """The lead, its hand-overs and the first page of its timeline (``timeline_next_cursor`` for more)."""
        lead = self._lead(tenant_id, lead_id)
        page = self._timeline(lead, None, TIMELINE_PAGE)
        handovers = [present(state) for state in self.handovers.lead_handovers(tenant_id, lead_id)]
        return {**lead_summary(lead), "handovers": handovers, "timeline": page["timeline"],
                "timeline_next_cursor": page["next_cursor"]}

    @traced
    def timeline(self, tenant_id: str, lead_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """One page of a lead's timeline: its events and its visitors' page views in time order."""
        return self._timeline(self._lead(tenant_id, lead_id), cursor, limit)

    def _timeline(self, lead: Lead, cursor: str | None, limit: int) -> dict[str, Any]:
        events_cursor, after = _split_cursor(cursor)
        page = self.leads.lead_events(lead.tenant_id, lead.lead_id, limit=limit, cursor=events_cursor)
        # Page views are merged in by time: this page holds those after the previous page's last event,
        # up to this page's last event (or all the rest on the last page).
        until = page.events[-1].at if page.next_cursor and page.events else None
        entries = [event.as_dict() for event in page.events]
        for visitor_id in lead.visitors:
            entries += [_pageview_event(view) for view in self.pageviews.visitor_pageviews(lead.tenant_id, visitor_id)
                        if (after is None or view.at > after) and (until is None or view.at <= until)]
        entries.sort(key=lambda entry: (entry["at"], 0 if entry["type"] in ("pageview", "email_open") else 1))
        next_cursor = f"{page.next_cursor}{CURSOR_JOIN}{until}" if page.next_cursor and until else None
        return {"lead_id": lead.lead_id, "timeline": entries, "next_cursor": next_cursor}

    @traced
    def find(self, tenant_id: str, query: LeadQuery) -> dict[str, Any]:
        """The tenant's leads, newest first, a page at a time; ``email``, ``stage``, ``since`` and ``q`` combine.

        Without ``stage``, ``since`` is when the lead was created; with it, when the lead entered the stage. ``q``
        is looked for in name, company and e-mail (any letter case, accents as typed) within each page read, so
        a page may hold fewer leads than ``limit`` (even none) while ``next_cursor`` goes on.
        """
        if query.stage is not None:
            stages = self.journeys.definition(tenant_id).stages
            if query.stage not in stages:
                raise InvalidInput(f"stage must be one of the journey's stages: {', '.join(stages)}", field="stage")
        since = query.since or "0000"  # before any stored time; DynamoDB refuses an empty key value
        if query.email:
            lead = self.leads.lead(tenant_id, lead_id_for(tenant_id, str(query.email)))
            found = [lead] if lead is not None and _in_stage_since(lead, query.stage, since) else []
            return {"leads": [lead_summary(lead) for lead in found if matches(lead, query.q)], "next_cursor": None}
        if query.stage is not None:
            page = self.leads.leads_in_stage(tenant_id, query.stage, since, query.limit, query.cursor)
        else:
            page = self.leads.recent_leads(tenant_id, since, query.limit, query.cursor)
        return {"leads": [lead_summary(lead) for lead in page.leads if matches(lead, query.q)],
                "next_cursor": page.next_cursor}


def _in_stage_since(lead: Lead, stage: str | None, since: str) -> bool:
    if stage is None:
        return lead.created_at >= since
    return lead.stage == stage and lead.stage_entered_at >= since


def matches(lead: Lead, text: str | None) -> bool:
    """Whether ``text`` is part of the lead's name, company or e-mail, in any letter case."""
    if not text:
        return True
    wanted = text.casefold()
    return any(wanted in value.casefold() for value in (lead.name, lead.company, lead.email) if value)
