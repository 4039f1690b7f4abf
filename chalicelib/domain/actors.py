"""Who acts on a hand-over: its owner (by user key or signed link), a reseller holding it (by the reseller's
key), or an admin on the owner's behalf.

A module of its own so that knowing who asks (tenancy, links) does not load the hand-over rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # owner, link, admin, crm, reseller
    owner: str | None = None
    # The reseller a reseller's key speaks for: it may act on the hand-overs that reseller holds.
    reseller: str | None = None
