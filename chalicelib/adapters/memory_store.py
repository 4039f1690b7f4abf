"""An in-memory journey store with the same behaviour as the DynamoDB one, for fast tests."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from chalicelib.domain.capture import PageView, RejectedInput, Site
from chalicelib.domain.handover import Change, HandoverState
from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest, InvalidInput
from chalicelib.services.ports import (
    DeadLetter,
    JourneyStore,
    LeadPage,
    LeadUpdate,
    Receipt,
    Spam,
    StoredJourney,
    Tenant,
)


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
        self.journeys: dict[str, StoredJourney] = {}
        self.turns: dict[tuple[str, str], int] = {}
        self.handovers: dict[tuple[str, str], HandoverState] = {}
        self.counters: dict[tuple[str, str, str | None], dict[str, int]] = {}
        self.owners: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.user_keys: dict[str, tuple[str, str]] = {}
        self.letters: dict[tuple[str, str], DeadLetter] = {}
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

    def save_submission(
        self,
        outcome: SubmissionOutcome,
        expected_version: int | None,
        receipt: Receipt,
        handovers: Sequence[Change] = (),
    ) -> None:
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
                timeline[f"{event.at}#{event.seq:04d}#{event.event_id}"] = event
            if outcome.visitor_id:
                self.visitor_links.add((lead.tenant_id, outcome.visitor_id, lead.lead_id))
            for change in handovers:
                self._apply_handover(change)

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

    # --- hand-overs ----------------------------------------------------------------------------

    def journey(self, tenant_id: str) -> StoredJourney | None:
        return self.journeys.get(tenant_id)

    def save_journey(self, tenant_id: str, document: dict[str, Any], at: str) -> StoredJourney:
        previous = self.journeys.get(tenant_id)
        stored = StoredJourney(document=document, updated_at=at, version=(previous.version if previous else 0) + 1)
        self.journeys[tenant_id] = stored
        return stored

    def next_turn(self, tenant_id: str, rotation: str) -> int:
        with self._lock:
            self.turns[(tenant_id, rotation)] = self.turns.get((tenant_id, rotation), 0) + 1
            return self.turns[(tenant_id, rotation)]

    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None:
        return self.handovers.get((tenant_id, handover_id))

    def lead_handovers(self, tenant_id: str, lead_id: str) -> list[HandoverState]:
        mine = [state for (tenant, _), state in self.handovers.items() if tenant == tenant_id]
        return sorted((state for state in mine if state.lead_id == lead_id), key=lambda state: state.started_at)

    def _apply_handover(self, change: Change) -> None:
        state = change.state
        key = (state.tenant_id, state.handover_id)
        previous = self.handovers.get(key)
        self.handovers[key] = replace(state, version=(previous.version if previous else 0) + 1)
        timeline = self.events.setdefault((state.tenant_id, state.lead_id), {})
        for event in change.events:
            timeline[f"{event.at}#{event.seq:04d}#{event.event_id}"] = event
        for counter in change.counters:
            row = (state.tenant_id, state.start_day, counter.owner)
            counts = self.counters.setdefault(row, {})
            counts[counter.name] = counts.get(counter.name, 0) + counter.delta

    def save_handover_change(self, change: Change, expected_version: int, lead: LeadUpdate | None = None) -> None:
        state = change.state
        with self._lock:
            current = self.handovers.get((state.tenant_id, state.handover_id))
            if current is None or current.version != expected_version:
                raise ConcurrentUpdate(state.handover_id)
            if lead is not None:
                stored = self.leads.get((lead.lead.tenant_id, lead.lead.lead_id))
                if stored is None or stored.version != lead.expected_version:
                    raise ConcurrentUpdate(lead.lead.lead_id)
            self.writes += 1
            self._apply_handover(change)
            if lead is not None:
                key = (lead.lead.tenant_id, lead.lead.lead_id)
                self.leads[key] = replace(lead.lead, version=lead.expected_version + 1)
                timeline = self.events.setdefault(key, {})
                for event in lead.events:
                    timeline[f"{event.at}#{event.seq:04d}#{event.event_id}"] = event

    def due_handovers(self, until: str, limit: int = 100) -> list[tuple[str, str]]:
        due = sorted(
            (state.next_due_at, tenant, handover_id)
            for (tenant, handover_id), state in self.handovers.items()
            if state.next_due_at is not None and state.next_due_at <= until
        )
        return [(tenant, handover_id) for _, tenant, handover_id in due[:limit]]

    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str) -> None:
        self.owners[(tenant_id, owner)] = (email, language)
        self.user_keys[key_hash] = (tenant_id, owner)

    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        return self.user_keys.get(key_hash)

    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        return self.owners.get((tenant_id, owner))

    def handover_counters(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str | None, dict[str, int]]]:
        rows = sorted(self.counters.items(), key=lambda row: (row[0][1], row[0][2] or ""))
        return [
            (owner, dict(counts))
            for (tenant, day, owner), counts in rows
            if tenant == tenant_id and from_day <= day <= to_day
        ]

    def record_dead_letter(self, letter: DeadLetter) -> None:
        self.letters[(letter.tenant_id, letter.letter_id)] = letter

    def dead_letters(self, tenant_id: str) -> list[DeadLetter]:
        return sorted((letter for (tenant, _), letter in self.letters.items() if tenant == tenant_id),
                      key=lambda letter: letter.at)

    def delete_dead_letter(self, tenant_id: str, letter_id: str) -> None:
        self.letters.pop((tenant_id, letter_id), None)
