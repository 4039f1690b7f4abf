"""Hand-over reports as pure functions: what each event counts, for whom, and how percentiles are read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.reports import (
    COUNTS,
    PERCENTILES,
    bucket_bounds,
    bucket_of,
    event_counters,
    kept_tenths,
    percentile,
    summarise,
)

START = "2026-11-23T09:30:00.000Z"
FIELDS = {*COUNTS, "nps", *(f"{time}_p{p}" for time in ("time_to_accept", "time_to_contact") for p in PERCENTILES)}


def _rows(*events: tuple[str, dict[str, Any], str]) -> list[tuple[str | None, dict[str, int]]]:
    """The rows a sequence of one hand-over's events leaves, each offer counted once (as the projection does)."""
    rows: dict[str | None, dict[str, int]] = {}
    offers: set[tuple[str, str]] = set()

    def add(ticks: Iterable[tuple[str, int, str | None]]) -> None:
        for name, delta, owner in ticks:
            row = rows.setdefault(owner, {})
            row[name] = row.get(name, 0) + delta

    for kind, details, at in events:
        ticks, offer = event_counters(kind, {"handover_id": "ho_1", **details}, at, START)
        add(ticks)
        if offer and (offer[0], at) not in offers:
            offers.add((offer[0], at))
            add(offer[1])
    return list(rows.items())


def _report(*events: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    return summarise(_rows(*events))


def _started(owner: str = "a", **details: Any) -> tuple[str, dict[str, Any], str]:
    return "handover_started", {"owner": owner, **details}, START


# --- percentiles: nearest rank --------------------------------------------------------------------------------


def test_one_sample_of_21_1_seconds_is_every_percentile():
    samples = {kept_tenths(21.1): 1}
    assert [percentile(samples, p) for p in (1, 50, 90, 99, 100)] == [21.1] * 5


def test_the_nearest_rank_is_the_sample_at_rank_ceil_p_times_n():
    samples = {kept_tenths(seconds): 1 for seconds in range(10, 110, 10)}  # 10 s, 20 s, ... 100 s
    assert percentile(samples, 50) == 50.0   # rank ceil(0.5 × 10) = 5
    assert percentile(samples, 90) == 90.0   # rank 9
    assert percentile(samples, 91) == 100.0  # rank ceil(9.1) = 10
    assert percentile(samples, 1) == 10.0    # rank 1, never 0


def test_repeated_samples_count_by_their_number():
    samples = {kept_tenths(60): 50, kept_tenths(3600): 40, kept_tenths(86_400): 10}
    assert (percentile(samples, 50), percentile(samples, 90), percentile(samples, 91)) == (60.0, 3600.0, 86_400.0)


def test_no_samples_have_no_percentile():
    assert percentile({}, 50) is None


@pytest.mark.parametrize(("seconds", "kept"), [(0.04, 0), (21.1, 211), (99.94, 999), (600, 6000), (3723.4, 37200),
                                               (86_399, 864_000), (-3, 0)])
def test_times_are_kept_to_a_tenth_below_100_s_and_to_three_figures_above(seconds, kept):
    assert kept_tenths(seconds) == kept


@settings(max_examples=200, deadline=None, database=None)
@given(seconds=st.floats(min_value=0, max_value=10**9, allow_nan=False))
def test_a_kept_time_is_never_more_than_half_a_percent_or_a_twentieth_of_a_second_off(seconds):
    kept = kept_tenths(seconds) / 10
    assert abs(kept - seconds) <= max(0.05, seconds * 0.005) + 1e-9


@settings(max_examples=200, deadline=None, database=None)
@given(times=st.lists(st.integers(min_value=0, max_value=9999), min_size=1, max_size=60),
       p=st.integers(min_value=1, max_value=100))
def test_the_percentile_is_the_sorted_sample_at_the_nearest_rank(times, p):
    samples: dict[int, int] = {}
    for tenths in times:
        samples[tenths] = samples.get(tenths, 0) + 1
    rank = -(-p * len(times) // 100)
    assert percentile(samples, p) == sorted(times)[rank - 1] / 10


# --- what each event counts, and for whom ---------------------------------------------------------------------


def test_a_report_names_its_percentile_method_and_every_owner_has_the_fields_of_the_total():
    report = _report(_started("a"))
    assert report["percentile_method"] == "nearest-rank"
    assert set(report) == FIELDS | {"percentile_method", "owners"}
    assert set(report["owners"]["a"]) == FIELDS
    assert (report["handovers"], report["open"], report["owners"]["a"]["open"]) == (1, 1, 1)


def test_an_accept_is_charged_to_the_accepter_with_its_time_to_accept():
    report = _report(_started("a"), ("accepted", {"owner": "a", "late": False}, "2026-11-23T09:30:21.100Z"))
    for scope in (report, report["owners"]["a"]):
        assert (scope["accepted_in_sla"], scope["open"]) == (1, 0)
        assert scope["time_to_accept_p50"] == scope["time_to_accept_p90"] == 21.1


def test_a_late_accept_is_counted_as_late():
    report = _report(_started("a"), ("accepted", {"owner": "a", "late": True}, "2026-11-23T15:30:00.000Z"))
    assert (report["accepted_in_sla"], report["accepted_late"]) == (0, 1)
    assert report["owners"]["a"]["time_to_accept_p50"] == 6 * 3600


def test_a_decline_is_charged_to_the_decliner_and_the_new_offer_to_the_next_owner():
    declined_at = "2026-11-23T10:00:00.000Z"
    report = _report(
        _started("a"),
        ("declined", {"owner": "a", "reason": None, "by": "user"}, declined_at),
        ("reassigned", {"owner": "a", "from": "a", "to": "b", "cause": "declined"}, declined_at),
        ("notified", {"owner": "b", "step": "decline"}, declined_at),
    )
    assert (report["handovers"], report["open"], report["declined"], report["reassigned"]) == (1, 1, 1, 0)
    a, b = report["owners"]["a"], report["owners"]["b"]
    assert (a["handovers"], a["declined"], a["open"]) == (1, 1, 0)
    assert (b["handovers"], b["declined"], b["open"]) == (1, 0, 1)  # one offer, though two events announce it


def test_a_ladder_reassignment_is_counted_for_the_owner_it_was_taken_from():
    at = "2026-11-23T15:30:00.000Z"
    report = _report(
        _started("a"),
        ("reassigned", {"owner": "a", "from": "a", "to": "b", "cause": "sla", "step": "reassign"}, at),
        ("notified", {"owner": "b", "step": "reassign"}, at),
    )
    assert report["reassigned"] == 1 and report["open"] == 1
    assert (report["owners"]["a"]["reassigned"], report["owners"]["a"]["open"]) == (1, 0)
    assert (report["owners"]["b"]["reassigned"], report["owners"]["b"]["open"]) == (0, 1)


def test_a_reassignment_back_to_an_earlier_owner_is_a_new_offer_to_them():
    report = _report(
        _started("a"),
        ("reassigned", {"from": "a", "to": "b", "cause": "sla"}, "2026-11-23T15:30:00.000Z"),
        ("reassigned", {"from": "b", "to": "a", "cause": "sla"}, "2026-11-23T17:30:00.000Z"),
    )
    assert (report["owners"]["a"]["handovers"], report["owners"]["a"]["open"]) == (2, 1)
    assert report["owners"]["b"]["open"] == 0


def test_a_gap_is_charged_to_the_last_holder():
    report = _report(
        _started("a"),
        ("reassigned", {"from": "a", "to": "b", "cause": "sla"}, "2026-11-23T15:30:00.000Z"),
        ("gap", {"owner": "b", "cause": "sla"}, "2026-11-23T17:30:00.000Z"),
    )
    assert (report["gaps"], report["open"]) == (1, 0)
    assert (report["owners"]["b"]["gaps"], report["owners"]["b"]["open"]) == (1, 0)
    assert report["owners"]["a"]["gaps"] == 0


def test_when_everyone_declined_the_gap_goes_to_the_last_decliner_and_no_offer_is_closed_twice():
    at = "2026-11-23T10:00:00.000Z"
    report = _report(
        _started("a"),
        ("declined", {"owner": "a"}, at),
        ("gap", {"owner": "a", "cause": "everyone declined"}, at),
    )
    assert (report["declined"], report["gaps"], report["open"]) == (1, 1, 0)
    assert (report["owners"]["a"]["gaps"], report["owners"]["a"]["open"]) == (1, 0)


def test_the_first_notice_repeats_the_start_and_is_no_second_offer():
    report = _report(_started("a"), ("notified", {"owner": "a", "step": "notify"}, "2026-11-23T09:30:05.000Z"))
    assert (report["owners"]["a"]["handovers"], report["owners"]["a"]["open"]) == (1, 1)


def test_contact_and_contact_breaches_are_counted_for_the_owner_with_time_to_contact():
    report = _report(
        _started("a"),
        ("accepted", {"owner": "a", "late": False}, "2026-11-23T09:40:00.000Z"),
        ("sla_breached", {"owner": "a", "sla": "contact"}, "2026-11-24T09:30:00.000Z"),
        ("contacted", {"owner": "a", "late": True}, "2026-11-24T10:30:00.000Z"),
    )
    for scope in (report, report["owners"]["a"]):
        assert (scope["contacted"], scope["contact_breaches"], scope["breaches"]) == (1, 1, 0)
        assert scope["time_to_contact_p50"] == 25 * 3600


def test_an_accept_sla_breach_is_charged_to_the_holder():
    report = _report(_started("a"), ("sla_breached", {"owner": "a", "sla": "accept"}, "2026-11-23T13:30:00.000Z"))
    assert (report["breaches"], report["owners"]["a"]["breaches"], report["contact_breaches"]) == (1, 1, 0)


def test_a_rescue_is_a_new_hand_over_and_counts_as_a_rescue():
    report = _report(_started("c", rescue_of="ho_gapped"))
    assert (report["handovers"], report["rescues"], report["owners"]["c"]["rescues"]) == (1, 1, 1)


@pytest.mark.parametrize("kind", ["reminded", "escalated", "reassign_skipped", "submitted", "stage_changed"])
def test_events_without_an_outcome_count_nothing(kind):
    assert event_counters(kind, {"owner": "a"}, START, START) == ([], None)


# --- summary ---------------------------------------------------------------------------------------------------


def test_summary_adds_days_and_keeps_owners_apart():
    rows = [(None, {"handovers": 2, "gaps": 1, "tta_t211": 1}), (None, {"handovers": 1, "open": 1}),
            ("a", {"handovers": 2, "gaps": 1}), ("b", {"handovers": 1, "accepted_in_sla": 1, "tta_t211": 1})]
    report = summarise(rows)
    assert (report["handovers"], report["gaps"], report["open"]) == (3, 1, 1)
    assert report["owners"]["a"]["gaps"] == 1 and report["owners"]["a"]["open"] == 0
    assert report["owners"]["b"]["time_to_accept_p50"] == 21.1
    assert report["owners"]["a"]["time_to_accept_p50"] is None


def test_rows_kept_before_exact_times_still_count_their_bucket():
    for seconds in (0.2, 1, 59, 600, 3600, 86_400 * 3):
        low, high = bucket_bounds(bucket_of(seconds))
        assert low <= seconds < high
    report = summarise([(None, {f"tta_{bucket_of(600)}": 3, "tta_t211": 1, "kind_of_noise": 7})])
    assert report["time_to_accept_p50"] is not None and 480 <= report["time_to_accept_p50"] <= 750
