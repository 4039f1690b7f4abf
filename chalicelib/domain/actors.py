"""Who acts on a hand-over: its owner (by user key or signed link) or an admin on the owner's behalf.

A module of its own so that knowing who asks (tenancy, links) does not load the hand-over rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # owner, link, admin
    owner: str | None = None
