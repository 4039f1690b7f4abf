"""Hand-over reports: what each timeline event adds to the counters, and the summary a manager reads.

Counting. Every counter belongs to the day the hand-over started (so a range reports on the hand-overs
started in it, and ``open`` never goes below zero) and to everyone (``ALL``) or to one owner. Each
outcome is charged to the owner who held the hand-over when it happened: an accept to the accepter, a
decline to the decliner, a gap to the last holder, a reassignment to the owner it was taken from, a
contact and a contact-SLA breach to the owner who accepted. An owner's ``handovers`` counts the offers
they got (a hand-over passed on counts once for each owner it reached; the total counts it once), and
their ``open`` is the offers they hold that are not yet accepted, declined, taken from them or gapped.
A rescue is a new hand-over (it counts in ``handovers`` and ``rescues``); the gap it rescues stays.

Customers' word. A survey's "were you contacted? no" on a taken hand-over (``contact_disputed``) counts in
``contact_disputes``, and its NPS answer in ``nps_promoters`` / ``nps_passives`` / ``nps_detractors``, for the
owner who held the hand-over, on the hand-over's start day; ``nps`` is promoters minus detractors, in points.

Times. Time to accept and time to contact run from the hand-over's start (the contact SLA runs from
there too). Each time is kept as a count per value: exact to 0.1 s below 100 s and to three significant
figures above (at most 0.5 % off), so a day's row holds a bounded number of values and a report still
reads a few items per day and owner instead of every lead.

Percentiles. Nearest rank: the p-th percentile of n samples is the sample at rank ceil(p/100 × n) of the
sorted samples, so it is always a time that really happened (one sample of 21.1 s is every percentile).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.clock import parse_iso

PERCENTILE_METHOD = "nearest-rank"
PERCENTILES = (50, 90)
COUNTS = ("handovers", "open", "accepted_in_sla", "accepted_late", "declined", "reassigned", "gaps", "rescues",
          "breaches", "contacted", "contact_breaches", "contact_disputes", "nps_promoters", "nps_passives",
          "nps_detractors")
TIMES = {"tta_t": "time_to_accept", "ttc_t": "time_to_contact"}

# A counter to add: (name, delta, owner or None for everyone).
Tick = tuple[str, int, str | None]

# Rows written before times were kept per value held a histogram of 25 %-wide buckets (``tta_{bucket}``).
BUCKET_GROWTH = 1.25
MAX_BUCKET = 90


def bucket_of(seconds: float) -> int:
    """Bucket ``b`` holds times in [1.25**(b-1), 1.25**b) seconds; bucket 0 everything under a second."""
    if seconds < 1:
        return 0
    return min(MAX_BUCKET, int(math.floor(math.log(seconds, BUCKET_GROWTH))) + 1)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    if bucket == 0:
        return 0.0, 1.0
    return BUCKET_GROWTH ** (bucket - 1), BUCKET_GROWTH**bucket


def kept_tenths(seconds: float) -> int:
    """A time as it is kept: tenths of a second, rounded to three significant figures from 100 s up."""
    tenths = max(0, round(seconds * 10))
    if tenths < 1000:
        return tenths
    scale = 10 ** (len(str(tenths)) - 3)
    return round(tenths / scale) * scale


def time_counter(prefix: str, seconds: float) -> str:
    return f"{prefix}{kept_tenths(seconds)}"


def percentile(samples: Mapping[int, int], p: int) -> float | None:
    """Nearest rank: the sample at rank ceil(p/100 × n) of the n sorted samples (tenths in, seconds out)."""
    total = sum(samples.values())
    if total <= 0:
        return None
    rank = max(1, -(-p * total // 100))
    seen = 0
    for value in sorted(samples):
        seen += samples[value]
        if seen >= rank:
            return value / 10
    return max(samples) / 10


def _seconds_between(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds()


def _both(name: str, owner: str | None, delta: int = 1) -> list[Tick]:
    ticks: list[Tick] = [(name, delta, None)]
    if owner:
        ticks.append((name, delta, owner))
    return ticks


def _offer(owner: str) -> list[Tick]:
    return [("handovers", 1, owner), ("open", 1, owner)]


def event_counters(kind: str, details: Mapping[str, Any], at: str, started_at: str
                   ) -> tuple[list[Tick], tuple[str, list[Tick]] | None]:
    """What one hand-over event adds: its own counters, and an offer ``(owner, counters)`` if it makes one.

    An offer can show up in more than one event of one change (a reassignment and the offer that goes
    with it), so the caller counts an offer once per hand-over, owner and moment, not once per event.
    """
    owner = details.get("owner")
    owner = str(owner) if owner else None
    ticks: list[Tick] = []
    offer_to: str | None = None
    if kind == "handover_started":
        ticks += [("handovers", 1, None), ("open", 1, None)]
        if details.get("rescue_of"):
            ticks += _both("rescues", owner)
        offer_to = owner
    elif kind == "notified":
        # The ladder's first step repeats the offer the start already made; any other notice is a new offer.
        if details.get("step") != "notify":
            offer_to = owner
    elif kind == "reassigned":
        taken_from, offer_to = details.get("from"), details.get("to")
        # After a decline the decline itself is the outcome; the offer to the next owner still counts.
        if details.get("cause") != "declined":
            ticks += _both("reassigned", str(taken_from) if taken_from else None)
            if taken_from:
                ticks.append(("open", -1, str(taken_from)))
    elif kind == "accepted":
        outcome = "accepted_late" if details.get("late") else "accepted_in_sla"
        ticks += _both(outcome, owner) + _both("open", owner, -1)
        ticks += _both(time_counter("tta_t", _seconds_between(started_at, at)), owner)
    elif kind == "declined":
        ticks += _both("declined", owner)
        if owner:
            ticks.append(("open", -1, owner))
    elif kind == "gap":
        ticks += _both("gaps", owner) + [("open", -1, None)]
        # After a decline ends it (everyone declined, or nobody left to take it), the last holder's offer
        # already ended with their decline.
        if owner and details.get("cause") not in GAPS_AFTER_DECLINE:
            ticks.append(("open", -1, owner))
    elif kind == "sla_breached":
        ticks += _both("contact_breaches" if details.get("sla") == "contact" else "breaches", owner)
    elif kind == "contacted":
        ticks += _both("contacted", owner)
        ticks += _both(time_counter("ttc_t", _seconds_between(started_at, at)), owner)
    elif kind == "contact_disputed":
        # The customer says nobody called: a customer-verified gap, charged to the owner who held it.
        ticks += _both("contact_disputes", owner)
    elif kind == "survey_answered" and details.get("question_type") == "nps":
        from chalicelib.domain.surveys import answer_counters

        for name, delta in answer_counters("nps", details.get("answer"), False, details.get("previous")).items():
            ticks += _both(name, owner, delta)
    offer = (str(offer_to), _offer(str(offer_to))) if offer_to else None
    return ticks, offer


GAPS_AFTER_DECLINE = frozenset({"everyone declined", "nobody left"})
COUNTED_EVENTS = frozenset({"handover_started", "notified", "reassigned", "accepted", "declined", "gap",
                            "sla_breached", "contacted", "contact_disputed", "survey_answered"})


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    times: dict[str, dict[int, int]] = field(default_factory=lambda: {prefix: {} for prefix in TIMES})

    def add(self, counters: Mapping[str, int]) -> None:
        for name, value in counters.items():
            if name in self.counts:
                self.counts[name] += int(value)
                continue
            prefix, tenths = name[:5], name[5:]
            if prefix in self.times and tenths.isdigit():
                self._sample(prefix, int(tenths), int(value))
            elif name.startswith("tta_") and name[4:].isdigit():
                low, high = bucket_bounds(int(name[4:]))
                self._sample("tta_t", kept_tenths((low + high) / 2), int(value))

    def _sample(self, prefix: str, tenths: int, count: int) -> None:
        samples = self.times[prefix]
        samples[tenths] = samples.get(tenths, 0) + count

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = dict(self.counts)
        scored = sum(self.counts[name] for name in ("nps_promoters", "nps_passives", "nps_detractors"))
        # NPS in points: promoters' share minus detractors' share of the customers who scored (None: nobody did).
        answer["nps"] = round((self.counts["nps_promoters"] - self.counts["nps_detractors"]) / scored * 100, 1) \
            if scored else None
        for prefix, name in TIMES.items():
            for p in PERCENTILES:
                answer[f"{name}_p{p}"] = percentile(self.times[prefix], p)
        return answer


def summarise(rows: Iterable[tuple[str | None, Mapping[str, int]]]) -> dict[str, Any]:
    """Totals and per-owner figures (the same fields) from ``(owner or None, counters)`` rows of the days."""
    overall = Tally()
    owners: dict[str, Tally] = {}
    for owner, counters in rows:
        if owner is None:
            overall.add(counters)
        else:
            owners.setdefault(owner, Tally()).add(counters)
    per_owner = {owner: tally.as_dict() for owner, tally in sorted(owners.items())}
    return {"percentile_method": PERCENTILE_METHOD, **overall.as_dict(), "owners": per_owner}
