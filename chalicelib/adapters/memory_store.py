"""An in-memory journey store with the same behaviour as the DynamoDB one, for fast tests."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from dataclasses import replace

from chalicelib.domain.capture import PageView, RejectedInput, Site
from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest, InvalidInput
from chalicelib.services.ports import JourneyStore, LeadPage, Receipt, Spam, Tenant


class InMemoryJourneyStore(JourneyStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tenants: dict[str, Tenant] = {}
        self.sites: dict[str, Site] = {}
        self.admin_keys: dict[str, str] = {}
        self.pageviews: dict[tuple[str, str], dict[str, PageView]] = {}
        self.rejected: list[RejectedInput] = []
        self.spam: list[Spam] = []
        self.leads: dict[tuple[str, str], Lead] = {}
        self.events: dict[tuple[str, str], dict[str, TimelineEvent]] = {}
        self.receipts: dict[tuple[str, str], Receipt] = {}
        self.visitor_links: set[tuple[str, str, str]] = set()
        self.writes = 0

    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None:
        self.tenants[tenant.tenant_id] = tenant
        for site in sites:
            self.sites[site.site_key] = site
        for key_hash in admin_key_hashes:
            self.admin_keys[key_hash] = tenant.tenant_id

    def site(self, site_key: str) -> Site | None:
        return self.sites.get(site_key)

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def tenant_for_admin_key(self, key_hash: str) -> str | None:
        return self.admin_keys.get(key_hash)

    def record_pageviews(self, views: Sequence[PageView], rejected: Sequence[RejectedInput] = ()) -> None:
        self.writes += 1
        for view in views:
            key = (view.tenant_id, view.visitor_id)
            self.pageviews.setdefault(key, {})[f"{view.at}#{view.event_id}"] = view
        self.rejected.extend(rejected)

    def record_rejected(self, rejected: RejectedInput) -> None:
        self.writes += 1
        self.rejected.append(rejected)

    def record_spam(self, spam: Spam) -> None:
        self.writes += 1
        self.spam.append(spam)

    def lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        return self.leads.get((tenant_id, lead_id))

    def visitor_pageviews(self, tenant_id: str, visitor_id: str) -> list[PageView]:
        views = self.pageviews.get((tenant_id, visitor_id), {})
        return [views[key] for key in sorted(views)]

    def save_submission(self, outcome: SubmissionOutcome, expected_version: int | None, receipt: Receipt) -> None:
        lead = outcome.lead
        key = (lead.tenant_id, lead.lead_id)
        with self._lock:
            old = self.receipts.get((receipt.tenant_id, receipt.key_hash))
            if old is not None and old.expires_at >= receipt.issued_at:
                raise DuplicateRequest({"payload_hash": old.payload_hash, **old.response})
            current = self.leads.get(key)
            if (current is None) != (expected_version is None) or (current and current.version != expected_version):
                raise ConcurrentUpdate(lead.lead_id)
            self.writes += 1
            self.receipts[(receipt.tenant_id, receipt.key_hash)] = receipt
            self.leads[key] = replace(lead, version=(expected_version or 0) + 1)
            timeline = self.events.setdefault(key, {})
            for event in outcome.events:
                timeline[f"{event.at}#{event.seq:02d}#{event.event_id}"] = event
            if outcome.visitor_id:
                self.visitor_links.add((lead.tenant_id, outcome.visitor_id, lead.lead_id))

    def lead_events(self, tenant_id: str, lead_id: str) -> list[TimelineEvent]:
        timeline = self.events.get((tenant_id, lead_id), {})
        return [timeline[key] for key in sorted(timeline)]

    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        matching = sorted(
            (lead for (tenant, _), lead in self.leads.items()
             if tenant == tenant_id and lead.stage == stage and lead.stage_entered_at >= since),
            key=lambda lead: (lead.stage_entered_at, lead.lead_id),
        )
        if cursor:
            try:
                after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                if after["q"] != f"{tenant_id}#{stage}":
                    raise ValueError("cursor belongs to another query")
            except (ValueError, KeyError, TypeError) as error:
                raise InvalidInput("cursor is not one this query handed out", field="cursor") from error
            matching = [lead for lead in matching if (lead.stage_entered_at, lead.lead_id) > tuple(after["k"])]
        page = matching[:limit]
        next_cursor = None
        if len(matching) > limit:
            last = page[-1]
            token = {"q": f"{tenant_id}#{stage}", "k": [last.stage_entered_at, last.lead_id]}
            next_cursor = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
        return LeadPage(leads=page, next_cursor=next_cursor)
