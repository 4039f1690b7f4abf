"""SLA clocks: Danish business hours across weekends, Easter, Christmas and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.sla import (
    ALWAYS,
    DK_BUSINESS_HOURS,
    InvalidDuration,
    calendar_from_spec,
    parse_duration,
    parse_step_at,
    step_due,
)

CPH = ZoneInfo("Europe/Copenhagen")
FOUR_HOURS = timedelta(hours=4)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", timedelta(hours=4)), ("PT30M", timedelta(minutes=30)), ("PT4S", timedelta(seconds=4)),
    ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)), ("P2W", timedelta(weeks=2)),
    ("PT0.5S", timedelta(milliseconds=500)), ("PT1.5H", timedelta(minutes=90)), ("pt4h", timedelta(hours=4)),
])
def test_iso_durations_are_read(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "4h", "P1M", "P1Y", "P1DT", "PT0S", "-PT1H", "PT4H30", "P1.5"])
def test_bad_or_ambiguous_durations_are_refused(text):
    with pytest.raises(InvalidDuration):
        parse_duration(text)


def test_four_business_hours_from_friday_afternoon_end_on_monday_morning():
    assert DK_BUSINESS_HOURS.add(local(2026, 11, 27, 14), FOUR_HOURS) == local(2026, 11, 30, 10)


def test_a_saturday_start_counts_from_monday_at_eight():
    assert DK_BUSINESS_HOURS.add(local(2026, 11, 28, 11), FOUR_HOURS) == local(2026, 11, 30, 12)


def test_an_early_start_counts_from_opening_and_a_late_one_from_the_next_morning():
    assert DK_BUSINESS_HOURS.add(local(2026, 11, 24, 7), FOUR_HOURS) == local(2026, 11, 24, 12)
    assert DK_BUSINESS_HOURS.add(local(2026, 11, 24, 17), FOUR_HOURS) == local(2026, 11, 25, 12)


def test_easter_holidays_are_closed():
    # Maundy Thursday 25, Good Friday 26 and Easter Monday 29 March 2027 are Danish public holidays.
    assert DK_BUSINESS_HOURS.add(local(2027, 3, 24, 14), FOUR_HOURS) == local(2027, 3, 30, 10)


def test_christmas_days_are_closed_and_a_tenant_can_close_christmas_eve_too():
    # 24 Dec 2026 is a Thursday and not a public holiday; 25 and 26 December are.
    assert DK_BUSINESS_HOURS.add(local(2026, 12, 23, 14), FOUR_HOURS) == local(2026, 12, 24, 10)
    assert DK_BUSINESS_HOURS.add(local(2026, 12, 24, 14), FOUR_HOURS) == local(2026, 12, 28, 10)
    strict = calendar_from_spec("jul", "Europe/Copenhagen", ["mon", "tue", "wed", "thu", "fri"], "08:00", "16:00",
                                "DK", [date(2026, 12, 24), date(2026, 12, 31)])
    assert strict.add(local(2026, 12, 23, 14), FOUR_HOURS) == local(2026, 12, 28, 10)


def test_a_business_day_after_the_autumn_clock_change_still_has_eight_hours():
    # Clocks go back on Sunday 25 Oct 2026: Monday runs 08:00-16:00 CET, which is 07:00-15:00 UTC.
    end = DK_BUSINESS_HOURS.add(local(2026, 10, 23, 12), FOUR_HOURS + timedelta(hours=8))
    assert end == local(2026, 10, 26, 16)
    assert end.astimezone(UTC) == datetime(2026, 10, 26, 15, tzinfo=UTC)
    assert DK_BUSINESS_HOURS.elapsed(local(2026, 10, 26, 8), local(2026, 10, 26, 16)) == timedelta(hours=8)


def test_a_business_day_after_the_spring_clock_change_is_counted_in_summer_time():
    # Clocks go forward on Sunday 28 Mar 2027 (Easter Sunday): Tuesday 30 March opens at 06:00 UTC.
    end = DK_BUSINESS_HOURS.add(local(2027, 3, 24, 16), timedelta(hours=1))
    assert end.astimezone(UTC) == datetime(2027, 3, 30, 7, tzinfo=UTC)


def test_elapsed_is_the_inverse_of_add():
    start = local(2026, 11, 26, 15, 20)
    for hours in (0.5, 4, 9, 30):
        duration = timedelta(hours=hours)
        assert DK_BUSINESS_HOURS.elapsed(start, DK_BUSINESS_HOURS.add(start, duration)) == duration


def test_always_runs_around_the_clock():
    start = datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    assert ALWAYS.add(start, FOUR_HOURS) == datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
    assert ALWAYS.elapsed(start, start - FOUR_HOURS) == timedelta(0)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        DK_BUSINESS_HOURS.add(datetime(2026, 11, 23, 9), FOUR_HOURS)


@pytest.mark.parametrize(("at", "clock", "expected"), [
    ("50%", ALWAYS, local(2026, 11, 27, 16)),
    ("200%", ALWAYS, local(2026, 11, 27, 22)),
    ("PT30M", ALWAYS, local(2026, 11, 27, 14, 30)),
    ("50%", DK_BUSINESS_HOURS, local(2026, 11, 27, 16)),
    ("200%", DK_BUSINESS_HOURS, local(2026, 11, 30, 14)),
    ("12.5%", DK_BUSINESS_HOURS, local(2026, 11, 27, 14, 30)),
])
def test_ladder_steps_fall_due_by_share_or_duration_on_the_clock(at, clock, expected):
    assert step_due(local(2026, 11, 27, 14), FOUR_HOURS, at, clock) == expected


@pytest.mark.parametrize("at", ["soon", "0%", "-10%", "P1M", ""])
def test_bad_step_times_are_refused(at):
    with pytest.raises(ValueError):
        parse_step_at(at)


@pytest.mark.parametrize(("args", "part"), [
    (("Mars/Olympus", ["mon"], "08:00", "16:00", "DK"), "time zone"),
    (("Europe/Copenhagen", ["mon", "funday"], "08:00", "16:00", "DK"), "day"),
    (("Europe/Copenhagen", ["mon"], "16:00", "08:00", "DK"), "closes"),
    (("Europe/Copenhagen", ["mon"], "8am", "16:00", "DK"), "opens"),
    (("Europe/Copenhagen", ["mon"], "08:00", "16:00", "XX"), "holidays"),
    (("Europe/Copenhagen", [], "08:00", "16:00", "DK"), "day"),
])
def test_a_broken_tenant_calendar_names_the_broken_part(args, part):
    timezone, days, opens, closes, country = args
    with pytest.raises(ValueError, match=part):
        calendar_from_spec("mine", timezone, days, opens, closes, country, [])


def test_a_weekend_calendar_without_holidays():
    weekend = calendar_from_spec("weekend", "Europe/Copenhagen", ["sat", "sun"], "10:00", "14:00", None, [])
    # Friday afternoon → Saturday 10:00 + 4 h = Saturday 14:00; 2 more hours run into Sunday.
    assert weekend.add(local(2026, 11, 27, 15), timedelta(hours=6)) == local(2026, 11, 29, 12)
    assert weekend.is_open(local(2026, 11, 28, 11)) and not weekend.is_open(local(2026, 11, 30, 11))
