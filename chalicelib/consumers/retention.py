"""Retention from the stream (``chalicelib.domain.retention``): each event of a lead moves its retention mark and
keeps its visitors' page views, and so does a later page view of a visitor who is a lead; a mark that DynamoDB's
TTL deleted erases the person, unless the lead was active since (then the mark is set again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.capture import PageView, ViewIdentity
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.retention import due, expires_at, parse_period
from chalicelib.observability import count, logger
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import LeadRepository, RetentionStore, VisitorLeads


class RetentionMarks:
    """On each timeline event: the lead's mark moves to the event (its TTL: the event plus the retention), and the
    page views of the lead's visitors stop expiring on their own (the lead's retention keeps them now)."""

    def __init__(self, store: RetentionStore, journeys: Journeys, leads: LeadRepository):
        self.store = store
        self.journeys = journeys
        self.leads = leads

    def __call__(self, event: ChangeEvent) -> None:
        retention = self.journeys.definition(event.tenant_id).retention
        if not retention and event.type != "form_submit":
            return
        lead = self.leads.lead(event.tenant_id, event.lead_id)
        if lead is None:
            return  # erased since the event was written: a mark now would outlive the person (an orphan)
        if retention:
            self.store.mark(event.tenant_id, event.lead_id, event.at,
                            expires_at(parse_iso(event.at), parse_period(retention)))
        if event.type == "form_submit" and lead.visitors:
            self.store.keep_page_views(event.tenant_id, lead.visitors)


class LeadPageViews:
    """A page view that arrives after its visitor became a lead stays with the lead instead of expiring.

    The capture path reads nothing, so it cannot know. This batch consumer asks once per visitor of a stream batch
    whether the visitor is a lead (one query) and takes the TTL off that visitor's views when it is; a visitor
    with no lead (never one, or erased since) keeps the expiry, and a pixel's made-up visitor costs no look-up.
    It answers the identities of the views it could not handle.
    """

    def __init__(self, store: RetentionStore, visitor_leads: VisitorLeads):
        self.store = store
        self.visitor_leads = visitor_leads

    def __call__(self, views: Sequence[PageView]) -> set[ViewIdentity]:
        expiring: dict[tuple[str, str], list[str]] = {}
        for view in views:
            if view.expires_at is not None and not view.pixel_only:
                expiring.setdefault((view.tenant_id, view.visitor_id), []).append(view.event_id)
        unhandled: set[ViewIdentity] = set()
        for (tenant_id, visitor_id), event_ids in expiring.items():
            try:
                if self.visitor_leads.visitor_leads(tenant_id, visitor_id):
                    kept = sum(self.store.keep_page_view(tenant_id, visitor_id, event_id) for event_id in event_ids)
                    if kept:
                        count("LeadPageViewsKept", kept)
            except Exception:  # noqa: BLE001 - this visitor's views are retried; the others stand
                logger.exception("late page views not kept", extra={"tenant_id": tenant_id})
                unhandled.update((tenant_id, visitor_id, event_id) for event_id in event_ids)
        return unhandled


class RetentionExpiry:
    """A deleted retention mark (``tenant, lead``): erase the person if the lead had no event for the retention."""

    def __init__(self, store: RetentionStore, journeys: Journeys, leads: LeadRepository, people: Callable[[], Any],
                 clock: Callable[[], datetime]):
        self.store = store
        self.journeys = journeys
        self.leads = leads
        self.people = people
        self.clock = clock

    def __call__(self, removed: tuple[str, str]) -> None:
        tenant_id, lead_id = removed
        retention = self.journeys.definition(tenant_id).retention
        lead = self.leads.lead(tenant_id, lead_id)
        if not retention or lead is None:
            return  # retention turned off since, or the lead is erased already (its erasure removed the mark)
        period = parse_period(retention)
        last = self.store.last_event_at(tenant_id, lead_id) or lead.updated_at
        if not due(parse_iso(last), period, self.clock()):
            # An event came in as the TTL ran out (or the mark was deleted by hand): keep the lead, mark it again.
            self.store.mark(tenant_id, lead_id, last, expires_at(parse_iso(last), period))
            return
        answer = self.people().erase(tenant_id, lead.email)
        count("LeadsErasedByRetention")
        logger.info("lead erased by retention", extra={"tenant_id": tenant_id, "retention": retention,
                                                      "last_event_at": last, "items": answer.get("items")})
