"""Hand-over reports from counters: totals, outcomes and time-to-accept percentiles.

Time to accept is kept as a histogram of counts in fixed, geometrically growing buckets (each 25 %
wider than the one before), so a report reads a few counters per day and owner instead of every
lead, and a percentile is exact to within one bucket (interpolated inside it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

BUCKET_GROWTH = 1.25
MAX_BUCKET = 90  # 1.25**90 s ≈ 17 years: nothing real is slower
OUTCOMES = ("handovers", "accepted_in_sla", "accepted_late", "declined", "gaps", "open", "breaches")


def bucket_of(seconds: float) -> int:
    """Bucket ``b`` holds times in [1.25**(b-1), 1.25**b) seconds; bucket 0 everything under a second."""
    if seconds < 1:
        return 0
    return min(MAX_BUCKET, int(math.floor(math.log(seconds, BUCKET_GROWTH))) + 1)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    if bucket == 0:
        return 0.0, 1.0
    return BUCKET_GROWTH ** (bucket - 1), BUCKET_GROWTH**bucket


def percentile(histogram: Mapping[int, int], share: float) -> float | None:
    """The ``share`` percentile of a histogram, interpolated linearly inside its bucket."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = share * total
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count and seen + count >= rank:
            low, high = bucket_bounds(bucket)
            inside = (rank - seen) / count
            return round(low + (high - low) * inside, 1)
        seen += count
    low, high = bucket_bounds(max(histogram))
    return round(high, 1)


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, counters: Mapping[str, int]) -> None:
        for name, value in counters.items():
            if name.startswith("tta_"):
                bucket = int(name[4:])
                self.histogram[bucket] = self.histogram.get(bucket, 0) + int(value)
            elif name in self.counts:
                self.counts[name] += int(value)

    def as_dict(self, with_open: bool = True) -> dict[str, Any]:
        counts = {name: value for name, value in self.counts.items() if with_open or name != "open"}
        return {
            **counts,
            "time_to_accept_p50": percentile(self.histogram, 0.5),
            "time_to_accept_p90": percentile(self.histogram, 0.9),
        }


def summarise(rows: Iterable[tuple[str | None, Mapping[str, int]]]) -> dict[str, Any]:
    """Totals and per-owner figures from ``(owner or None, counters)`` rows of the days in range."""
    overall = Tally()
    owners: dict[str, Tally] = {}
    for owner, counters in rows:
        if owner is None:
            overall.add(counters)
        else:
            owners.setdefault(owner, Tally()).add(counters)
    per_owner = {owner: tally.as_dict(with_open=False) for owner, tally in sorted(owners.items())}
    return {**overall.as_dict(), "owners": per_owner}
