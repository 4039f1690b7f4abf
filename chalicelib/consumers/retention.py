"""Retention from the stream (``chalicelib.domain.retention``): each event of a lead moves its retention mark and
keeps its visitors' page views; a mark that DynamoDB's TTL deleted erases the person, unless the lead was active
since (then the mark is set again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.retention import due, expires_at, parse_period
from chalicelib.observability import count, logger
from chalicelib.services.journeys import Journeys
from chalicelib.services.ports import LeadRepository, RetentionStore


class RetentionMarks:
    """On each timeline event: the lead's mark moves to the event (its TTL: the event plus the retention), and the
    page views of the lead's visitors stop expiring on their own (the lead's retention keeps them now)."""

    def __init__(self, store: RetentionStore, journeys: Journeys, leads: LeadRepository):
        self.store = store
        self.journeys = journeys
        self.leads = leads

    def __call__(self, event: ChangeEvent) -> None:
        retention = self.journeys.definition(event.tenant_id).retention
        if retention:
            self.store.mark(event.tenant_id, event.lead_id, event.at,
                            expires_at(parse_iso(event.at), parse_period(retention)))
        if event.type == "form_submit":
            lead = self.leads.lead(event.tenant_id, event.lead_id)
            if lead is not None and lead.visitors:
                self.store.keep_page_views(event.tenant_id, lead.visitors)


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
