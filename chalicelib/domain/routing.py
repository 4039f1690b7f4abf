"""Who gets a lead: round robin over owners, or a match on a lead field, with a fallback.

Routing yields an ordered list of *candidates*: the chosen owner first, then whoever comes next.
A decline or a ``reassign`` step moves to the next candidate who has not had the hand-over
declined, so a lead never goes back to someone who said no. Owners who are inactive or away are left
out of the candidates (``available_first``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.journey import MatchRule, Route

Turns = Callable[[str], int]
"""Gives the next turn (1, 2, 3, ...) of a named rotation; the store keeps it atomically."""


def _rotate(owners: Sequence[str], turn: int) -> list[str]:
    start = (turn - 1) % len(owners)
    return list(owners[start:]) + list(owners[:start])


# ASCII digits only: str.isdigit() also says yes to "²" or "٣", which int() then refuses (or reads as a
# number the visitor never meant). The length bound keeps int() far from its digit limit.
_DIGITS = re.compile(r"[0-9]{1,64}")


def _number(text: str) -> int | None:
    stripped = text.strip().replace(" ", "")
    return int(stripped) if _DIGITS.fullmatch(stripped) else None


def rule_matches(rule: MatchRule, value: str | None) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if rule.equals is not None:
        return value.strip().casefold() in {option.strip().casefold() for option in rule.equals}
    assert rule.range is not None
    low, high = rule.range
    numbers = (_number(low), _number(high), _number(value))
    if all(number is not None for number in numbers):
        return numbers[0] <= numbers[2] <= numbers[1]  # type: ignore[operator]
    return low.casefold() <= value.strip().casefold() <= high.casefold()


def candidates(route: Route, lead_fields: Mapping[str, str | None], turns: Turns, rotation: str) -> list[str]:
    """Everyone who may own this lead, in the order they should get it."""
    # Imported here: the journey's models are not needed by the capture path, which imports this module.
    from chalicelib.domain.journey import MatchRoute, RoundRobinRoute

    if isinstance(route, RoundRobinRoute):
        return _rotate(route.owners, turns(rotation))
    if not isinstance(route, MatchRoute):
        return []  # a resellers route: its candidates come from the resellers (domain.resellers)
    for index, rule in enumerate(route.rules):
        if rule_matches(rule, lead_fields.get(rule.field or route.field)):
            chosen = rule.candidates()
            if len(chosen) > 1:
                chosen = _rotate(chosen, turns(f"{rotation}#rule{index}"))
            return list(dict.fromkeys([*chosen, route.fallback]))
    return [route.fallback]


def next_owner(candidate_list: Sequence[str], current: str | None, declined: Sequence[str],
               wrap: bool = True) -> str | None:
    """The next eligible owner after ``current``: never one who declined, never ``current`` again.

    ``wrap``: after the last candidate, start again from the first (own sales: a reassignment back to an earlier
    owner is a new offer to them); without it (resellers) the lead never goes back to one that had it.
    """
    if not candidate_list:
        return None
    start = candidate_list.index(current) + 1 if current in candidate_list else 0
    ordered = list(candidate_list[start:]) + (list(candidate_list[:start]) if wrap else [])
    for owner in ordered:
        if owner != current and owner not in declined:
            return owner
    return None


@dataclass(frozen=True)
class Availability:
    """Whether an owner takes new leads: not when inactive, nor while away (until ``away_until``, UTC ISO)."""

    active: bool = True
    away_until: str | None = None

    def available_at(self, now: str) -> bool:
        return self.active and (self.away_until is None or self.away_until <= now)


ALL_UNAVAILABLE = "every candidate is inactive or away; offered to those away in the usual order"
NO_ACTIVE_OWNER = "no active owner"


def available_first(candidate_list: Sequence[str], availability: Mapping[str, Availability], now: str
                    ) -> tuple[list[str], str | None]:
    """The candidates who take leads now, in their order, and a note for the timeline when that is no one.

    An owner who is not registered (or whose availability is unknown) is available. When every candidate is
    unavailable, those who are only away are the last resort, in the usual order, so the ladder (reminders,
    escalation, reassignment, gap) runs as for any hand-over, and the note says why. An inactive owner is
    never offered a lead: when every candidate is inactive the list is empty (the hand-over starts as a gap).
    """
    kept = [owner for owner in candidate_list if availability.get(owner, Availability()).available_at(now)]
    if kept or not candidate_list:
        return kept, None
    away = [owner for owner in candidate_list if availability.get(owner, Availability()).active]
    return away, ALL_UNAVAILABLE if away else NO_ACTIVE_OWNER


def route_owners(route: Route) -> list[str]:
    """Everyone a route can name, in the journey's order (to tell who was passed over at the start)."""
    from chalicelib.domain.journey import MatchRoute, RoundRobinRoute

    if isinstance(route, RoundRobinRoute):
        return list(route.owners)
    if not isinstance(route, MatchRoute):
        return []  # a resellers route names no owners: its people are the resellers'
    named = [owner for rule in route.rules for owner in rule.candidates()]
    return list(dict.fromkeys([*named, route.fallback]))
