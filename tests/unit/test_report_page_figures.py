"""The report page's figures: numbers in the tenant's language, buckets of the chart over time, bar shares."""

from __future__ import annotations

from chalicelib.services.report_page import Numbers, _sla_segments, _width, over_time_view


def test_numbers_are_written_the_danish_or_the_english_way():
    danish, english = Numbers("da"), Numbers("en")

    assert (danish.count(1234567), english.count(1234567)) == ("1.234.567", "1,234,567")
    assert (danish.decimal("1234.50"), english.decimal("1234.50")) == ("1.234,50", "1,234.50")
    assert danish.decimal("2300.00") == "2.300" and danish.decimal(None) == "–"
    assert (danish.percent(0.4231), english.percent(0.4231)) == ("42,3 %", "42.3 %")
    assert danish.percent(3.3478, 0) == "335 %" and english.percent(None) == "–"


def test_a_range_up_to_a_month_is_drawn_per_day_and_a_longer_one_per_iso_week():
    daily = over_time_view([("2026-11-02", None, {"accepted_in_sla": 2}), ("2026-11-02", "a@x.dk", {"gaps": 9})],
                           "2026-11-01", "2026-11-30", Numbers("en"))
    weekly = over_time_view([("2026-11-04", None, {"accepted_late": 1}), ("2026-11-08", None, {"gaps": 1})],
                            "2026-11-01", "2026-12-31", Numbers("en"))

    assert daily["unit"] == "day" and len(daily["bars"]) == 30
    assert daily["bars"][1]["accepted_in_sla"] == "2" and daily["bars"][1]["gaps"] == "0"  # owners' rows not added
    assert weekly["unit"] == "week"
    # 1 November 2026 is a Sunday: the first week is that one day, the next runs Monday 2 to Sunday 8 November.
    assert [(bar["start"], bar["end"]) for bar in weekly["bars"][:2]] == [("2026-11-01", "2026-11-01"),
                                                                           ("2026-11-02", "2026-11-08")]
    assert (weekly["bars"][1]["accepted_late"], weekly["bars"][1]["gaps"]) == ("1", "1")
    assert weekly["bars"][-1]["end"] == "2026-12-31"


def test_an_empty_range_has_nothing_to_draw():
    view = over_time_view([], "2026-11-01", "2026-11-07", Numbers("da"))

    assert view["empty"] and all(not bar["parts"] for bar in view["bars"])


def test_bars_are_shares_of_the_longest_and_an_owners_outcomes_add_up_to_the_whole_bar():
    assert _width(50, 200) == 25.0 and _width(0, 200) == 0.0 and _width(1, 10_000) == 0.8

    segments = _sla_segments({"accepted_in_sla": 2, "accepted_late": 1, "declined": 0, "gaps": 1, "open": 0})

    assert [(s["part"], s["x"], s["width"]) for s in segments] == [
        ("accepted_in_sla", 0.0, 50.0), ("accepted_late", 50.0, 25.0), ("gaps", 75.0, 25.0)]
