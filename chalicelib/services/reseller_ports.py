"""The ports the reseller capability needs: its directory (resellers, their keys, what they hold) and its ledger
(customers by keyed e-mail hash, unmatched sales, the scorecard's counters, the producer's feed)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.handover import HandoverState
from chalicelib.domain.resellers import EndCustomerReport, Reseller


@dataclass(frozen=True)
class UnmatchedSale:
    """A sale a reseller reported that matches none of the leads it was handed: kept and counted, never dropped."""

    tenant_id: str
    reseller_id: str
    row: str  # the row's identity: a hash of what it said, so the same row sent again is the same record
    reported_at: str
    email_hash: str
    outcome: str
    value: str | None = None
    currency: str | None = None
    outcome_at: str | None = None
    reason: str = "no_match"


class ResellerDirectory(abc.ABC):
    @abc.abstractmethod
    def save_reseller(self, reseller: Reseller, expected_version: int | None) -> None:
        """A new reseller (``None``: refused with ``Conflict`` when the id exists) or a change of one at its
        version (``ConcurrentUpdate`` when another write came first)."""

    @abc.abstractmethod
    def resellers(self, tenant_id: str) -> list[Reseller]: ...

    @abc.abstractmethod
    def reseller(self, tenant_id: str, reseller_id: str) -> Reseller | None: ...

    @abc.abstractmethod
    def replace_key(self, reseller: Reseller, key_hash: str, key_id: str) -> None:
        """The key becomes the reseller's only one: the earlier key stops working in the same write."""

    @abc.abstractmethod
    def reseller_for_key(self, key_hash: str) -> tuple[str, str] | None:
        """(tenant, reseller) of a key's hash, or None."""

    @abc.abstractmethod
    def held_handovers(self, tenant_id: str, reseller_id: str) -> list[HandoverState]:
        """The hand-overs the reseller holds now, oldest first."""


class ResellerLedger(abc.ABC):
    @abc.abstractmethod
    def link_customer(self, tenant_id: str, reseller_id: str, email_hash: str, lead_id: str) -> None:
        """Remember which lead a keyed e-mail hash stands for, for that reseller's sales reports."""

    @abc.abstractmethod
    def customer(self, tenant_id: str, reseller_id: str, email_hash: str) -> str | None: ...

    @abc.abstractmethod
    def record_unmatched(self, sale: UnmatchedSale, day: str) -> bool:
        """Keep the sale and count it on ``day`` of the reseller's scorecard; False when it was kept before."""

    @abc.abstractmethod
    def unmatched(self, tenant_id: str, reseller_id: str) -> list[UnmatchedSale]: ...

    @abc.abstractmethod
    def add_stats_once(self, mark: str, tenant_id: str, day: str, reseller_id: str,
                       counters: Mapping[str, int]) -> bool:
        """Add to the reseller's scorecard row of ``day`` once per ``mark`` (False: done before)."""

    @abc.abstractmethod
    def stats_rows(self, tenant_id: str, from_day: str, to_day: str) -> list[tuple[str, dict[str, int]]]:
        """(reseller, counters) of every scorecard row in the range."""

    @abc.abstractmethod
    def record_end_customer(self, tenant_id: str, report: EndCustomerReport) -> bool:
        """Add a reseller's report to the producer's feed (False: it was there already)."""

    @abc.abstractmethod
    def end_customers(self, tenant_id: str, since: str, after: str | None, limit: int
                      ) -> tuple[list[EndCustomerReport], str | None]:
        """Reports at or after ``since`` in time order, continuing after the cursor ``after``; and the next cursor."""

