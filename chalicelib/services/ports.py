"""The small interfaces the services need, split by what each consumer of them needs.

The DynamoDB repositories in ``chalicelib/adapters/dynamo`` implement them (one per aggregate); a
service asks only for the ports it uses, so a new capability brings its own port and repository
instead of growing a shared store.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: a page view's cold start need not load the lead and hand-over rules
    from chalicelib.domain.capture import PageView, RejectedInput, Site
    from chalicelib.domain.funnel import Deltas, FunnelLead, Row
    from chalicelib.domain.handover import Change, Counter, HandoverState
    from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    language: str = "en"


@dataclass(frozen=True)
class OwnerKey:
    """One of an owner's user keys: its public id and when it was issued (the key itself is stored hashed)."""

    key_id: str
    key_hash: str
    issued_at: str


@dataclass(frozen=True)
class Owner:
    """A salesperson or reseller who can be handed leads; ``keys`` is None for an owner registered before keys
    had ids (their one key works until a key is issued or revoked)."""

    tenant_id: str
    owner: str
    email: str
    language: str | None = None
    active: bool = True
    away_until: str | None = None
    keys: tuple[OwnerKey, ...] | None = None
    created_at: str | None = None
    # The owner's own last accept, decline or contact report (kind: accepted, declined, contacted); None until then.
    last_activity_at: str | None = None
    last_activity_kind: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The recorded answer to a request, so a retry gets the same answer and changes nothing."""

    tenant_id: str
    key_hash: str
    payload_hash: str
    response: dict[str, Any]
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    next_cursor: str | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[TimelineEvent]
    next_cursor: str | None = None


@dataclass(frozen=True)
class StoredJourney:
    document: dict[str, Any]
    updated_at: str
    version: int


@dataclass(frozen=True)
class LeadUpdate:
    """A lead change that rides along with a hand-over change (accepting moves the lead forward)."""

    lead: Lead
    expected_version: int | None  # None: a new lead
    events: tuple[TimelineEvent, ...] = ()


@dataclass(frozen=True)
class DeadLetter:
    tenant_id: str
    letter_id: str
    at: str
    url: str
    body: str
    attempts: int
    last_error: str
    message_id: str | None = None


@dataclass(frozen=True)
class Spam:
    tenant_id: str
    at: str
    site_key: str
    fields: dict[str, Any] = field(default_factory=dict)


class SiteDirectory(abc.ABC):
    """Who is asking: a site by its public key, a tenant by an admin key, an owner by a user key."""

    @abc.abstractmethod
    def site(self, site_key: str) -> Site | None: ...

    @abc.abstractmethod
    def tenant_for_admin_key(self, key_hash: str) -> str | None: ...

    @abc.abstractmethod
    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        """(tenant, owner) behind a user key."""


class TenantRegistry(abc.ABC):
    """Tenants, their sites and keys, and their owners' contact details."""

    @abc.abstractmethod
    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None: ...

    @abc.abstractmethod
    def set_page_view_retention(self, tenant_id: str, period: str) -> int: ...

    @abc.abstractmethod
    def tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str,
                   key: OwnerKey | None = None) -> None:
        """Register an owner, or update one's contact details; its key becomes its only one (``key`` gives its id
        and time; ``key_hash`` alone is an owner from before key ids)."""

    @abc.abstractmethod
    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        """(e-mail, language) of a registered owner."""

    @abc.abstractmethod
    def owners(self, tenant_id: str, names: Sequence[str] | None = None) -> list[Owner]:
        """The tenant's owners by id (or only those of ``names``; unknown names are left out)."""

    @abc.abstractmethod
    def replace_owner_keys(self, tenant_id: str, owner: str, key: OwnerKey) -> Owner | None:
        """``key`` becomes the owner's only key (every other one is revoked); None when there is no such owner."""

    @abc.abstractmethod
    def revoke_owner_key(self, tenant_id: str, owner: str, key_id: str) -> Owner | None:
        """The owner without that key (unchanged when it has no such key); None when there is no such owner."""

    @abc.abstractmethod
    def set_owner_availability(self, tenant_id: str, owner: str, changes: dict[str, Any]) -> Owner | None:
        """``active`` and/or ``away_until`` (None clears it) set as given; None when there is no such owner."""

    @abc.abstractmethod
    def record_owner_activity(self, tenant_id: str, owner: str, at: str, kind: str) -> bool:
        """The owner's last activity becomes (at, kind) unless a later one is stored; False (and nothing written)
        when it is not newer or there is no such owner."""


class JourneyRepository(abc.ABC):
    @abc.abstractmethod
    def journey(self, tenant_id: str) -> StoredJourney | None: ...

    @abc.abstractmethod
    def save_journey(self, tenant_id: str, document: dict[str, Any], at: str) -> StoredJourney: ...


class PageViewLog(abc.ABC):
    """What the snippet and the pixel capture, and what was rejected on the way."""

    @abc.abstractmethod
    def record_pageviews(self, views: Sequence[PageView], rejected: Sequence[RejectedInput] = ()) -> None:
        """Page views and the batch's rejected input, in one write. A page view's event id is its identity."""

    @abc.abstractmethod
    def record_rejected(self, rejected: RejectedInput) -> None: ...

    @abc.abstractmethod
    def visitor_pageviews(self, tenant_id: str, visitor_id: str) -> list[PageView]:
        """A visitor's page views, oldest first."""


class VisitorLeads(abc.ABC):
    """Which leads a visitor's browser became (most visitors: none), so a page view can find its lead."""

    @abc.abstractmethod
    def visitor_leads(self, tenant_id: str, visitor_id: str) -> list[str]:
        """The ids of the leads linked to the visitor, in one read."""


class SpamLog(abc.ABC):
    @abc.abstractmethod
    def record_spam(self, spam: Spam) -> None: ...


class LeadRepository(abc.ABC):
    """Leads, their timelines, and the submissions that change them."""

    @abc.abstractmethod
    def lead(self, tenant_id: str, lead_id: str) -> Lead | None: ...

    @abc.abstractmethod
    def leads(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        """Those of the leads that exist, by id, read as ``lead`` reads one (a read per 100, not per lead)."""

    @abc.abstractmethod
    def save_lead_change(self, lead: Lead, expected_version: int, events: Sequence[TimelineEvent],
                         receipt: Receipt | None = None) -> None:
        """The lead (still at ``expected_version``), its new events and the request's receipt: all or nothing.

        Raises ``DuplicateRequest`` when the receipt exists already, ``ConcurrentUpdate`` when the lead changed.
        """

    @abc.abstractmethod
    def recorded_answer(self, tenant_id: str, key_hash: str, now: int) -> dict[str, Any] | None:
        """The answer recorded with a receipt that has not expired by ``now`` (epoch seconds), and the payload it
        answered (``payload_hash``); None when there is none."""

    @abc.abstractmethod
    def save_submission(
        self,
        outcome: SubmissionOutcome,
        expected_version: int | None,
        receipt: Receipt,
        handovers: Sequence[Change] = (),
    ) -> None:
        """Lead, its new events, the visitor link, the receipt and new hand-overs: all or nothing.

        Raises ``DuplicateRequest`` when the receipt exists already, ``ConcurrentUpdate`` when the lead
        changed since it was read (``expected_version`` None: the lead must not exist yet).
        """

    @abc.abstractmethod
    def lead_events(self, tenant_id: str, lead_id: str, limit: int = 1000, cursor: str | None = None
                    ) -> EventPage:
        """A lead's timeline events in order, a page at a time."""

    @abc.abstractmethod
    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        """Leads that entered ``stage`` at or after ``since``, the latest first."""

    @abc.abstractmethod
    def recent_leads(self, tenant_id: str, since: str, limit: int, cursor: str | None) -> LeadPage:
        """The tenant's leads created at or after ``since``, newest first."""


class HandoverRepository(abc.ABC):
    @abc.abstractmethod
    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None: ...

    @abc.abstractmethod
    def lead_handovers(self, tenant_id: str, lead_id: str) -> list[HandoverState]: ...

    @abc.abstractmethod
    def save_handover_change(self, change: Change, expected_version: int | None,
                             lead: LeadUpdate | None = None) -> None:
        """The hand-over's new state and its events (and the lead's move), all or nothing.

        ``expected_version`` None: a new hand-over (a rescue), which must not exist yet. Raises
        ``ConcurrentUpdate`` when the hand-over (or the lead) changed since it was read, or already exists.
        """

    @abc.abstractmethod
    def due_handovers(self, until: str, limit: int = 100) -> list[tuple[str, str]]:
        """(tenant, hand-over) pairs whose next step was due at or before ``until``, oldest first."""

    @abc.abstractmethod
    def take_turn(self, tenant_id: str, rotation: str) -> int:
        """The next turn of a round-robin rotation (1, 2, ...), counted atomically: no two callers share one."""

    @abc.abstractmethod
    def current_turn(self, tenant_id: str, rotation: str) -> int:
        """How many turns a round-robin rotation has given (0 before the first)."""


class HandoverCounters(abc.ABC):
    """The report's projection: counters per tenant, day and owner, kept from the change stream."""

    @abc.abstractmethod
    def add_once(self, event_id: str, tenant_id: str, day: str, counters: Sequence[Counter]) -> bool:
        """Add the counters of one event, exactly once per event id; False when it was counted already."""

    @abc.abstractmethod
    def counter_rows(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str | None, dict[str, int]]]:
        """Counter rows of the days in range: (None, counters) for everyone, (owner, counters) per owner."""

    @abc.abstractmethod
    def handover_started_at(self, tenant_id: str, lead_id: str, handover_id: str) -> str | None:
        """When a hand-over started (its counters' day), for events that do not carry it; None if it is gone."""


class DeadLetters(abc.ABC):
    @abc.abstractmethod
    def record_dead_letter(self, letter: DeadLetter) -> None: ...

    @abc.abstractmethod
    def dead_letters(self, tenant_id: str) -> list[DeadLetter]: ...

    @abc.abstractmethod
    def delete_dead_letter(self, tenant_id: str, letter_id: str) -> None: ...


class StaleFunnelState(Exception):
    """The lead's funnel state changed since it was read: read it again and compute the event's additions anew."""


class FunnelStore(abc.ABC):
    """The funnel/ROI projection: counter rows per dimension, day, lead type and group, and each lead's state."""

    @abc.abstractmethod
    def lead_state(self, tenant_id: str, lead_id: str) -> tuple[FunnelLead | None, int]:
        """The lead's projection state and its version (None, 0 when the projection has not seen the lead)."""

    @abc.abstractmethod
    def add_once(self, mark: str, tenant_id: str, deltas: Deltas,
                 state: tuple[str, FunnelLead, int] | None = None) -> bool:
        """Add ``deltas`` once per ``mark`` and store ``state`` = (lead id, new state, version it was read at).

        False when the mark was done already; ``StaleFunnelState`` when the lead's state moved on meanwhile.
        """

    @abc.abstractmethod
    def add_landings_once(self, tenant_id: str, day: str, landings: Sequence[tuple[str, Deltas]]) -> int:
        """Add each landing's visitor ``Deltas`` (all of ``day``) once per its mark; the first of a repeated mark
        counts. The answer is how many were new; after a failure, the same call again adds only the ones not stored."""

    @abc.abstractmethod
    def rows(self, tenant_id: str, dim: str, from_day: str, to_day: str) -> list[tuple[Row, dict[str, int]]]:
        """Every row of one dimension on the days in range."""

    @abc.abstractmethod
    def fold_landings(self) -> int:
        """Sum up what finished days' landings left to be summed (run now and then); how many sums it wrote."""


class ProcessedEvents(abc.ABC):
    """Marks that a consumer has done its work for an event, so a redelivered event does nothing twice."""

    @abc.abstractmethod
    def claim(self, consumer: str, event_id: str) -> bool:
        """True for the first claim of (consumer, event); False when it was claimed before."""

    @abc.abstractmethod
    def release(self, consumer: str, event_id: str) -> None:
        """Undo a claim whose work failed, so the redelivery tries again."""


if TYPE_CHECKING:  # the cost rules load only where costs are read or written
    from chalicelib.domain.costs import CostBook, CostRow


class CostLedger(abc.ABC):
    """A tenant's campaign costs: the currency they are kept in, and one row per campaign, source, medium and
    period."""

    @abc.abstractmethod
    def cost_book(self, tenant_id: str, campaign: str | None = None) -> CostBook:
        """The currency (None before the first costs) and the rows (only ``campaign``'s when given)."""

    @abc.abstractmethod
    def save_costs(self, tenant_id: str, currency_before: str | None, currency: str, put: Sequence[CostRow],
                   remove: Sequence[CostRow]) -> None:
        """Set the currency when it is new or changes (``ConcurrentUpdate`` when it is no longer
        ``currency_before``), then write ``put`` (each replaces the row of its identity) and delete ``remove``."""


@dataclass(frozen=True)
class ReportKey:
    """An agency's read-only report key: what is stored of it (its hash) and which campaigns it sees."""

    tenant_id: str
    key_id: str
    key_hash: str
    name: str
    campaigns: tuple[str, ...]
    issued_at: str


class ReportAccessStore(abc.ABC):
    """Report keys, managers' sign-in requests (each a timeline-like event the stream mails), used sign-in links,
    and the hand-over counters with their day (the report page's chart over time)."""

    @abc.abstractmethod
    def save_report_key(self, key: ReportKey) -> None: ...

    @abc.abstractmethod
    def report_key(self, key_hash: str) -> ReportKey | None: ...

    @abc.abstractmethod
    def report_keys(self, tenant_id: str) -> list[ReportKey]: ...

    @abc.abstractmethod
    def delete_report_key(self, tenant_id: str, key_id: str) -> bool:
        """False when the tenant has no such key (revoked before, or never issued)."""

    @abc.abstractmethod
    def record_sign_in_request(self, tenant_id: str, request_id: str, email: str, at: str) -> bool:
        """False when the same request was recorded before (a retry): the stream mails the link once."""

    @abc.abstractmethod
    def mark_link_used(self, tenant_id: str, nonce: str, at: str) -> bool:
        """True for the first use of a sign-in link; False ever after."""

    @abc.abstractmethod
    def link_used(self, tenant_id: str, nonce: str) -> bool: ...

    @abc.abstractmethod
    def handover_days(self, tenant_id: str, from_day: str, to_day: str
                      ) -> list[tuple[str, str | None, dict[str, int]]]:
        """The hand-over counters of the range as ``(day, owner or None for everyone, counters)``."""



class ExternalIds(abc.ABC):
    """A CRM's own record ids, each linked to the lead it was first named with (``POST /inbound/{t}/crm``)."""

    @abc.abstractmethod
    def lead_of(self, tenant_id: str, external_id: str) -> str | None: ...

    @abc.abstractmethod
    def link(self, tenant_id: str, external_id: str, lead_id: str, at: str) -> str:
        """Link the id to the lead unless it is linked already; the lead it is linked to (the first link wins)."""


class RetentionStore(abc.ABC):
    """Each lead's retention mark (its TTL erases the lead) and the expiry of page views."""

    @abc.abstractmethod
    def mark(self, tenant_id: str, lead_id: str, last_event_at: str, expires_at: int) -> bool: ...

    @abc.abstractmethod
    def last_event_at(self, tenant_id: str, lead_id: str) -> str | None: ...

    @abc.abstractmethod
    def keep_page_views(self, tenant_id: str, visitors: Sequence[str]) -> int: ...

    @abc.abstractmethod
    def keep_page_view(self, tenant_id: str, visitor_id: str, event_id: str) -> bool: ...
