"""The small interfaces the services need; adapters implement them, fakes stand in for tests."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.capture import PageView, RejectedInput, Site
from chalicelib.domain.handover import Change, HandoverState
from chalicelib.domain.leads import Lead, SubmissionOutcome, TimelineEvent


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    language: str = "en"


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
class StoredJourney:
    document: dict[str, Any]
    updated_at: str
    version: int


@dataclass(frozen=True)
class LeadUpdate:
    """A lead change that rides along with a hand-over change (accepting moves the lead forward)."""

    lead: Lead
    expected_version: int
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


@dataclass(frozen=True)
class Spam:
    tenant_id: str
    at: str
    site_key: str
    fields: dict[str, Any] = field(default_factory=dict)


class JourneyStore(abc.ABC):
    """Everything the journey table holds. Each method is one access pattern (see the adapter)."""

    @abc.abstractmethod
    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None: ...

    @abc.abstractmethod
    def site(self, site_key: str) -> Site | None: ...

    @abc.abstractmethod
    def tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def tenant_for_admin_key(self, key_hash: str) -> str | None: ...

    @abc.abstractmethod
    def record_pageviews(self, views: Sequence[PageView], rejected: Sequence[RejectedInput] = ()) -> None:
        """Page views and the batch's rejected input, in one write."""

    @abc.abstractmethod
    def record_rejected(self, rejected: RejectedInput) -> None: ...

    @abc.abstractmethod
    def record_spam(self, spam: Spam) -> None: ...

    @abc.abstractmethod
    def lead(self, tenant_id: str, lead_id: str) -> Lead | None: ...

    @abc.abstractmethod
    def visitor_pageviews(self, tenant_id: str, visitor_id: str) -> list[PageView]:
        """A visitor's page views, oldest first."""

    @abc.abstractmethod
    def save_submission(
        self,
        outcome: SubmissionOutcome,
        expected_version: int | None,
        receipt: Receipt,
        handovers: Sequence[Change] = (),
    ) -> None:
        """Lead, its new events, the visitor link, the receipt and any new hand-overs, all or nothing.

        Raises ``DuplicateRequest`` when the receipt exists already, ``ConcurrentUpdate`` when the lead
        changed since it was read (``expected_version`` None means it must not exist yet).
        """

    @abc.abstractmethod
    def lead_events(self, tenant_id: str, lead_id: str) -> list[TimelineEvent]: ...

    @abc.abstractmethod
    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage: ...

    # --- hand-overs ----------------------------------------------------------------------------

    @abc.abstractmethod
    def journey(self, tenant_id: str) -> StoredJourney | None: ...

    @abc.abstractmethod
    def save_journey(self, tenant_id: str, document: dict[str, Any], at: str) -> StoredJourney: ...

    @abc.abstractmethod
    def next_turn(self, tenant_id: str, rotation: str) -> int:
        """The next turn of a round-robin rotation, counted atomically: two leads never share a turn."""

    @abc.abstractmethod
    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None: ...

    @abc.abstractmethod
    def lead_handovers(self, tenant_id: str, lead_id: str) -> list[HandoverState]: ...

    @abc.abstractmethod
    def save_handover_change(self, change: Change, expected_version: int, lead: LeadUpdate | None = None) -> None:
        """The hand-over's new state, its events and counters (and the lead's move), all or nothing.

        Raises ``ConcurrentUpdate`` when the hand-over (or the lead) changed since it was read.
        """

    @abc.abstractmethod
    def due_handovers(self, until: str, limit: int = 100) -> list[tuple[str, str]]:
        """(tenant, hand-over) pairs whose next step was due at or before ``until``, oldest first."""

    @abc.abstractmethod
    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str) -> None: ...

    @abc.abstractmethod
    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        """(tenant, owner) behind a user key."""

    @abc.abstractmethod
    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        """(e-mail, language) of a registered owner."""

    @abc.abstractmethod
    def handover_counters(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str | None, dict[str, int]]]:
        """Counter rows of the days in range: (None, counters) for everyone, (owner, counters) per owner."""

    @abc.abstractmethod
    def record_dead_letter(self, letter: DeadLetter) -> None: ...

    @abc.abstractmethod
    def dead_letters(self, tenant_id: str) -> list[DeadLetter]: ...

    @abc.abstractmethod
    def delete_dead_letter(self, tenant_id: str, letter_id: str) -> None: ...
