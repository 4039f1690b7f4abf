"""The small interfaces the services need; adapters implement them, fakes stand in for tests."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.capture import PageView, RejectedInput, Site
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
    def save_submission(self, outcome: SubmissionOutcome, expected_version: int | None, receipt: Receipt) -> None:
        """Lead, its new events, the visitor links and the receipt, all or nothing.

        Raises ``DuplicateRequest`` when the receipt exists already, ``ConcurrentUpdate`` when the lead
        changed since it was read (``expected_version`` None means it must not exist yet).
        """

    @abc.abstractmethod
    def lead_events(self, tenant_id: str, lead_id: str) -> list[TimelineEvent]: ...

    @abc.abstractmethod
    def leads_in_stage(self, tenant_id: str, stage: str, since: str, limit: int, cursor: str | None) -> LeadPage: ...
