"""Retention periods: calendar years, months, weeks and days, from one day to ten years."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.retention import InvalidPeriod, Period, due, expires_at, parse_period


@pytest.mark.parametrize(("text", "period"), [
    ("P24M", Period(months=24)), ("p1y6m", Period(years=1, months=6)), ("P400D", Period(days=400)),
    ("P2W", Period(days=14)), (" P13M ", Period(months=13)), ("P1Y2M3W4D", Period(years=1, months=2, days=25)),
])
def test_a_period_is_read_in_calendar_terms(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["", "P", "P0D", "P0M", "24M", "P24", "PT4H", "P1.5Y", "P11Y", "P3700D", "P-1M",
                                  "24 months"])
def test_anything_else_is_refused_saying_what_to_write(text):
    with pytest.raises(InvalidPeriod, match="P24M|one day|ten years"):
        parse_period(text)


def test_a_number_is_not_a_period():
    with pytest.raises(InvalidPeriod, match="ISO-8601"):
        parse_period(24)


def test_a_month_is_a_calendar_month_clamped_to_its_last_day():
    assert Period(months=1).after(datetime(2027, 1, 31, 9, 30, tzinfo=UTC)) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert Period(months=1).after(datetime(2028, 1, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)
    assert Period(months=24).after(datetime(2026, 12, 6, tzinfo=UTC)) == datetime(2028, 12, 6, tzinfo=UTC)
    assert Period(years=1).after(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)
    assert Period(months=13, days=1).after(datetime(2026, 11, 30, tzinfo=UTC)) == datetime(2027, 12, 31, tzinfo=UTC)


def test_due_once_the_period_has_run_out_and_the_ttl_is_that_moment():
    last = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    period = parse_period("P24M")

    assert not due(last, period, datetime(2028, 12, 6, 11, 59, 59, tzinfo=UTC))
    assert due(last, period, datetime(2028, 12, 6, 12, 0, tzinfo=UTC))
    assert expires_at(last, period) == int(datetime(2028, 12, 6, 12, 0, tzinfo=UTC).timestamp())


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)),
       st.integers(0, 9), st.integers(0, 11), st.integers(0, 30))
def test_a_period_never_ends_before_it_starts_and_longer_periods_end_no_earlier(moment, years, months, days):
    period = Period(years=years, months=months, days=days)
    longer = Period(years=years, months=months + 1, days=days)

    assert period.after(moment) >= moment
    assert longer.after(moment) >= period.after(moment)
