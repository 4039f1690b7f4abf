"""Moments from callers' text (query strings) and the stored form of a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.clock import InvalidInstant, iso, parse_instant


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
    ("2026-11-23T09:30", datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
    ("2026-11-23T09:30:15", datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)),
    ("2026-11-23T09:30:15.25Z", datetime(2026, 11, 23, 9, 30, 15, 250000, tzinfo=UTC)),
    ("2026-11-23T09:30:15.123456789Z", datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)),
    ("2026-11-23T10:30+01:00", datetime(2026, 11, 23, 9, 30, tzinfo=UTC)),
    ("2026-11-23T01:00-0230", datetime(2026, 11, 23, 3, 30, tzinfo=UTC)),
    ("2024-02-29", datetime(2024, 2, 29, tzinfo=UTC)),
    ("0001-01-01", datetime(1, 1, 1, tzinfo=UTC)),
    ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_a_date_or_time_is_read_as_a_moment_in_utc(text, expected):
    moment = parse_instant(text)
    assert moment == expected and moment.tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-13-45", "2026-02-30", "2025-02-29", "2026-01-01T25:00", "2026-01-01T23:60",
                                  "2026-01-01T10:00:61", "0000-01-01", "2026-01-01T10:00+24:00",
                                  "2026-01-01T10:00+01:60"])
def test_a_date_or_time_that_does_not_exist_is_refused(text):
    with pytest.raises(InvalidInstant, match="not a real date"):
        parse_instant(text)


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00+01:00"])
def test_a_moment_beyond_what_utc_can_hold_is_refused(text):
    with pytest.raises(InvalidInstant, match="outside the range"):
        parse_instant(text)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-1-1", "２０２６-01-01", "2026-01-01Z", "2026-01-01T10",
                                  "2026-01-01 10:00", "20260101", "2026-W01", "2026-01-01T10:00:00.Z",
                                  "2026-01-01T10:00\n", "2026-01-01" + "0" * 100])
def test_anything_else_is_refused_as_not_a_date_or_time(text):
    with pytest.raises(InvalidInstant):
        parse_instant(text)


def test_a_refused_moment_is_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        parse_instant("2026-02-30")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40))
def test_any_text_is_either_a_moment_in_utc_or_refused(text):
    try:
        moment = parse_instant(text)
    except InvalidInstant:
        return
    assert moment.tzinfo is UTC


@settings(max_examples=200, deadline=None, database=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_a_stored_time_reads_back_as_the_same_millisecond(moment):
    assert parse_instant(iso(moment)) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_the_stored_form_has_a_fixed_width_for_years_before_1000_too():
    assert iso(datetime(1, 1, 2, tzinfo=UTC)) == "0001-01-02T00:00:00.000Z"
    assert iso(datetime(2026, 11, 23, 10, 30, 0, 250999, tzinfo=timezone(timedelta(hours=1)))) == \
        "2026-11-23T09:30:00.250Z"
