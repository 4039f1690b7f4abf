"""SLA clock: open time on the Danish business calendar, tenant calendars and the 24/7 clock.

Dates are chosen for their weekday and holidays: Friday 27 Nov 2026 is an ordinary Friday, Easter 2027
falls on 25-29 March, the clocks go back on Sunday 25 Oct 2026 and forward on Sunday 28 Mar 2027, and
Christmas 2025 puts 24, 25 and 26 December on Wednesday to Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.sla import (
    ALWAYS,
    DK_BUSINESS_HOURS,
    BusinessCalendar,
    InvalidDuration,
    calendar_from_spec,
    parse_duration,
    parse_step_at,
    step_due,
)

CPH = ZoneInfo("Europe/Copenhagen")
FOUR_HOURS = timedelta(hours=4)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def copenhagen(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- durations ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", timedelta(hours=4)),
    ("PT30M", timedelta(minutes=30)),
    ("PT45S", timedelta(seconds=45)),
    ("P3D", timedelta(days=3)),
    ("P2W", timedelta(weeks=2)),
    ("P1W2D", timedelta(days=9)),
    ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
    ("PT0.5S", timedelta(milliseconds=500)),
    ("PT1.5H", timedelta(minutes=90)),
    ("PT2.5M", timedelta(seconds=150)),
    ("pt4h", timedelta(hours=4)),
])
def test_iso_durations_are_read_as_exact_lengths(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", [
    "", "P", "PT", "P1DT", "4h", "4 hours", "PT4H30", "P1.5", "PT1,5H", "PT4HP1D", "PT٤H",
    "-PT1H", "PT0S", "P0D", "PT0.0000001S", "P" + "9" * 400 + "D", "PT99999999999999H",
])
def test_malformed_empty_zero_negative_or_endless_durations_are_refused(text):
    with pytest.raises(InvalidDuration):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P365D", "P52W1D", "PT8760H", "P364DT23H59M59S"])
def test_a_deadline_of_up_to_a_year_is_accepted(text):
    assert parse_duration(text) <= timedelta(days=365)


@pytest.mark.parametrize("text", ["P366D", "P53W", "PT8761H", "P365DT1S", "P3000000D", "P2000D"])
def test_a_deadline_longer_than_a_year_is_refused_and_the_message_gives_the_bound(text):
    with pytest.raises(InvalidDuration, match="365 days"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P1Y", "P1M", "P1Y2M3D", "P1MT4H"])
def test_years_and_months_are_refused_because_their_length_varies(text):
    with pytest.raises(InvalidDuration, match="years and months"):
        parse_duration(text)


def test_a_refused_duration_is_also_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration("soon")


# --- Danish business hours ---------------------------------------------------------------------------------


def test_the_danish_calendar_runs_weekdays_eight_to_four_in_copenhagen_without_public_holidays():
    assert DK_BUSINESS_HOURS == BusinessCalendar(
        name="dk-business-hours", timezone="Europe/Copenhagen", weekdays=(0, 1, 2, 3, 4),
        opens=time(8), closes=time(16), holidays_country="DK", closed_dates=(),
    )


def test_opening_hours_include_opening_and_exclude_closing():
    # Given an ordinary Tuesday
    assert not DK_BUSINESS_HOURS.is_open(copenhagen(2026, 11, 24, 7, 59))
    assert DK_BUSINESS_HOURS.is_open(copenhagen(2026, 11, 24, 8))
    assert DK_BUSINESS_HOURS.is_open(copenhagen(2026, 11, 24, 15, 59))
    assert not DK_BUSINESS_HOURS.is_open(copenhagen(2026, 11, 24, 16))
    # and a Saturday at noon
    assert not DK_BUSINESS_HOURS.is_open(copenhagen(2026, 11, 28, 12))


def test_four_business_hours_from_friday_afternoon_end_on_monday_morning():
    # Given a lead handed over on Friday at 14:00, two hours before closing
    start = copenhagen(2026, 11, 27, 14)

    # When four business hours are counted
    due = DK_BUSINESS_HOURS.add(start, FOUR_HOURS)

    # Then the weekend does not count: two hours on Friday, two on Monday morning
    assert due == copenhagen(2026, 11, 30, 10)
    assert due.tzinfo is UTC and due == utc(2026, 11, 30, 9)


def test_a_saturday_start_counts_from_monday_at_eight():
    # Given a lead arriving on Saturday morning
    start = copenhagen(2026, 11, 28, 11)

    # When four business hours are counted
    due = DK_BUSINESS_HOURS.add(start, FOUR_HOURS)

    # Then the clock starts on Monday at 08:00
    assert due == copenhagen(2026, 11, 30, 12)


def test_an_early_start_counts_from_opening_at_eight():
    assert DK_BUSINESS_HOURS.add(copenhagen(2026, 11, 24, 7), FOUR_HOURS) == copenhagen(2026, 11, 24, 12)


def test_a_start_after_closing_counts_from_the_next_morning():
    assert DK_BUSINESS_HOURS.add(copenhagen(2026, 11, 24, 17), FOUR_HOURS) == copenhagen(2026, 11, 25, 12)


def test_the_start_may_be_given_in_any_time_zone_and_the_deadline_is_in_utc():
    # Given the same Friday 14:00 in Copenhagen written as New York and as UTC time
    in_new_york = copenhagen(2026, 11, 27, 14).astimezone(ZoneInfo("America/New_York"))
    in_utc = utc(2026, 11, 27, 13)

    # When each is used as the start, then both give Monday 10:00 Copenhagen, returned in UTC
    for start in (in_new_york, in_utc):
        due = DK_BUSINESS_HOURS.add(start, FOUR_HOURS)
        assert due.tzinfo is UTC and due == utc(2026, 11, 30, 9)


def test_easter_thursday_friday_and_monday_are_closed():
    # Given Wednesday before Easter 2027 at 14:00
    start = copenhagen(2027, 3, 24, 14)

    # When four business hours are counted
    due = DK_BUSINESS_HOURS.add(start, FOUR_HOURS)

    # Then Maundy Thursday 25, Good Friday 26, the weekend and Easter Monday 29 March are skipped
    assert due == copenhagen(2027, 3, 30, 10)
    assert not any(DK_BUSINESS_HOURS.is_open(copenhagen(2027, 3, day, 12)) for day in (25, 26, 29))


def test_christmas_day_and_boxing_day_are_closed_but_christmas_eve_is_a_working_day():
    # Given Christmas 2025: Wednesday 24, Thursday 25 and Friday 26 December
    # Then Christmas Eve is open (it is not an official public holiday) and 25 and 26 are not
    assert DK_BUSINESS_HOURS.is_open(copenhagen(2025, 12, 24, 12))
    assert not DK_BUSINESS_HOURS.is_open(copenhagen(2025, 12, 25, 12))
    assert not DK_BUSINESS_HOURS.is_open(copenhagen(2025, 12, 26, 12))

    # When four hours start on Christmas Eve at 14:00, then they end on Monday 29 December
    assert DK_BUSINESS_HOURS.add(copenhagen(2025, 12, 24, 14), FOUR_HOURS) == copenhagen(2025, 12, 29, 10)


def test_a_tenant_can_also_close_christmas_eve_and_new_years_eve():
    # Given a tenant calendar that adds 24 and 31 December 2025 to the Danish public holidays
    festive = calendar_from_spec("festive-2025", "Europe/Copenhagen", WEEKDAYS, "08:00", "16:00", "DK",
                                 [date(2025, 12, 24), date(2025, 12, 31)])

    # When four hours start on the afternoon before each of those days
    before_christmas = festive.add(copenhagen(2025, 12, 23, 14), FOUR_HOURS)
    before_new_year = festive.add(copenhagen(2025, 12, 30, 14), FOUR_HOURS)

    # Then 24-28 December and 31 December - 1 January (a public holiday) are skipped
    assert before_christmas == copenhagen(2025, 12, 29, 10)
    assert before_new_year == copenhagen(2026, 1, 2, 10)
    # while the built-in calendar still works on Christmas Eve
    assert DK_BUSINESS_HOURS.add(copenhagen(2025, 12, 23, 14), FOUR_HOURS) == copenhagen(2025, 12, 24, 10)


# --- clock changes -----------------------------------------------------------------------------------------


def test_the_monday_after_clocks_go_back_has_eight_business_hours_an_hour_later_in_utc():
    # Given Friday 23 Oct 2026 at closing, in summer time (UTC+2); the clocks go back on Sunday 25 October
    start = copenhagen(2026, 10, 23, 16)
    assert start == utc(2026, 10, 23, 14)

    # When one business day (eight hours) is counted
    due = DK_BUSINESS_HOURS.add(start, timedelta(hours=8))

    # Then Monday runs 08:00-16:00 wall-clock time, which in winter time (UTC+1) is 07:00-15:00 UTC
    assert due == utc(2026, 10, 26, 15) == copenhagen(2026, 10, 26, 16)
    assert DK_BUSINESS_HOURS.is_open(utc(2026, 10, 26, 7)) and not DK_BUSINESS_HOURS.is_open(utc(2026, 10, 26, 6))
    assert DK_BUSINESS_HOURS.elapsed(utc(2026, 10, 26, 0), utc(2026, 10, 27, 0)) == timedelta(hours=8)


def test_the_first_business_day_after_clocks_go_forward_has_eight_business_hours_an_hour_earlier_in_utc():
    # Given Wednesday 24 Mar 2027 at closing, in winter time (UTC+1); the clocks go forward on Sunday
    # 28 March, and Easter closes Thursday to Monday, so Tuesday 30 March is the next business day
    start = copenhagen(2027, 3, 24, 16)
    assert start == utc(2027, 3, 24, 15)

    # When one business day (eight hours) is counted
    due = DK_BUSINESS_HOURS.add(start, timedelta(hours=8))

    # Then Tuesday runs 08:00-16:00 wall-clock time, which in summer time (UTC+2) is 06:00-14:00 UTC
    assert due == utc(2027, 3, 30, 14) == copenhagen(2027, 3, 30, 16)
    assert DK_BUSINESS_HOURS.is_open(utc(2027, 3, 30, 6)) and not DK_BUSINESS_HOURS.is_open(utc(2027, 3, 30, 5))
    assert DK_BUSINESS_HOURS.elapsed(utc(2027, 3, 30, 0), utc(2027, 3, 31, 0)) == timedelta(hours=8)


# --- elapsed -----------------------------------------------------------------------------------------------


def test_elapsed_counts_only_open_time_between_two_moments():
    # Given Friday 15:00 to Monday 09:00: one hour on Friday, one on Monday
    assert DK_BUSINESS_HOURS.elapsed(copenhagen(2026, 11, 27, 15), copenhagen(2026, 11, 30, 9)) == timedelta(hours=2)


def test_elapsed_is_zero_when_the_end_is_not_after_the_start():
    start = copenhagen(2026, 11, 24, 10)
    assert DK_BUSINESS_HOURS.elapsed(start, start) == timedelta(0)
    assert DK_BUSINESS_HOURS.elapsed(start, start - FOUR_HOURS) == timedelta(0)


@pytest.mark.parametrize("start", [
    copenhagen(2026, 11, 26, 15, 20),  # Thursday afternoon, open
    copenhagen(2026, 11, 28, 3),       # Saturday night, closed
    copenhagen(2026, 10, 23, 11),      # Friday before clocks go back
    copenhagen(2027, 3, 24, 9, 45),    # Wednesday before Easter and clocks going forward
    copenhagen(2025, 12, 22, 7),       # Monday before Christmas, before opening
])
@pytest.mark.parametrize("duration", [
    timedelta(seconds=1), timedelta(minutes=30), FOUR_HOURS, timedelta(hours=9), timedelta(hours=30),
    timedelta(hours=8 * 60, minutes=7),
])
def test_elapsed_is_the_inverse_of_add(start, duration):
    # When a duration of open time is added, then exactly that much open time has elapsed at the deadline
    assert DK_BUSINESS_HOURS.elapsed(start, DK_BUSINESS_HOURS.add(start, duration)) == duration


def test_long_durations_are_counted_in_whole_days():
    # Given 250 business days of eight hours from Monday 4 Jan 2027, opening time
    start = copenhagen(2027, 1, 4, 8)

    # When they are added
    due = DK_BUSINESS_HOURS.add(start, timedelta(hours=8 * 250))

    # Then the deadline is a closing time, with exactly that much open time before it
    assert due.astimezone(CPH).time() == time(16)
    assert DK_BUSINESS_HOURS.elapsed(start, due) == timedelta(hours=8 * 250)


def test_a_calendar_closed_for_years_gives_up_instead_of_searching_forever():
    # Given a Sunday-only calendar whose every Sunday for the next four years is a closed date
    first_sunday = date(2027, 1, 3)
    sundays = tuple(first_sunday + timedelta(weeks=week) for week in range(4 * 53))
    closed = BusinessCalendar(name="closed-for-years", weekdays=(6,), holidays_country=None, closed_dates=sundays)

    # When an hour is added, then it refuses with the calendar's name
    with pytest.raises(ValueError, match="closed-for-years"):
        closed.add(copenhagen(2027, 1, 1, 12), timedelta(hours=1))


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clock", [DK_BUSINESS_HOURS, ALWAYS], ids=["business", "always"])
def test_naive_times_are_refused_on_both_clocks(clock):
    naive = datetime(2026, 11, 24, 9)
    aware = copenhagen(2026, 11, 24, 9)
    with pytest.raises(ValueError, match="time zone"):
        clock.add(naive, FOUR_HOURS)
    with pytest.raises(ValueError, match="time zone"):
        clock.elapsed(aware, naive)
    with pytest.raises(ValueError, match="time zone"):
        clock.is_open(naive)


@pytest.mark.parametrize("clock", [DK_BUSINESS_HOURS, ALWAYS], ids=["business", "always"])
def test_a_negative_duration_is_refused_rather_than_moving_the_deadline_back(clock):
    with pytest.raises(ValueError, match="negative"):
        clock.add(copenhagen(2026, 11, 24, 9), -FOUR_HOURS)


@pytest.mark.parametrize(("changes", "part"), [
    ({"timezone": "Mars/Olympus"}, "time zone"),
    ({"weekdays": ()}, "weekdays"),
    ({"weekdays": (0, 7)}, "weekdays"),
    ({"opens": time(16), "closes": time(8)}, "closes"),
])
def test_a_calendar_built_directly_is_checked_too(changes, part):
    with pytest.raises(ValueError, match=part):
        BusinessCalendar(name="direct", **changes)


# --- the 24/7 clock ----------------------------------------------------------------------------------------


def test_always_runs_through_nights_weekends_and_holidays():
    # Given Christmas Eve 2026 (a Thursday) at 23:00 UTC
    start = utc(2026, 12, 24, 23)

    # Then every hour counts, and the clock is open even on Christmas Day at 03:00
    assert ALWAYS.add(start, FOUR_HOURS) == utc(2026, 12, 25, 3)
    assert ALWAYS.add(start, timedelta(days=3)) == utc(2026, 12, 27, 23)
    assert ALWAYS.is_open(copenhagen(2026, 12, 25, 3))
    assert ALWAYS.elapsed(start, utc(2026, 12, 28, 9)) == timedelta(days=3, hours=10)
    assert ALWAYS.elapsed(start, start - FOUR_HOURS) == timedelta(0)


def test_always_answers_in_utc_whatever_zone_it_is_given():
    due = ALWAYS.add(copenhagen(2026, 11, 27, 14), FOUR_HOURS)
    assert due.tzinfo is UTC and due == utc(2026, 11, 27, 17)


# --- ladder steps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "clock", "expected"), [
    ("50%", ALWAYS, copenhagen(2026, 11, 27, 16)),
    ("200%", ALWAYS, copenhagen(2026, 11, 27, 22)),
    ("PT30M", ALWAYS, copenhagen(2026, 11, 27, 14, 30)),
    ("50%", DK_BUSINESS_HOURS, copenhagen(2026, 11, 27, 16)),
    ("200%", DK_BUSINESS_HOURS, copenhagen(2026, 11, 30, 14)),
    ("PT30M", DK_BUSINESS_HOURS, copenhagen(2026, 11, 27, 14, 30)),
    ("12.5%", DK_BUSINESS_HOURS, copenhagen(2026, 11, 27, 14, 30)),
], ids=lambda value: getattr(value, "name", None))
def test_ladder_steps_fall_due_by_share_of_the_sla_or_by_duration(at, clock, expected):
    # Given a four-hour SLA starting Friday 27 Nov 2026 at 14:00
    due = step_due(copenhagen(2026, 11, 27, 14), FOUR_HOURS, at, clock)
    assert due == expected and due.tzinfo is UTC


@pytest.mark.parametrize(("clock", "expected"), [
    (ALWAYS, copenhagen(2026, 11, 27, 16, 15)),
    (DK_BUSINESS_HOURS, copenhagen(2026, 11, 30, 8, 15)),
], ids=["always", "business"])
def test_a_duration_step_is_also_measured_in_open_time(clock, expected):
    # Given a step 30 minutes in, starting 15 minutes before Friday's closing
    due = step_due(copenhagen(2026, 11, 27, 15, 45), FOUR_HOURS, "PT30M", clock)

    # Then on business hours the other 15 minutes run on Monday morning
    assert due == expected


def test_step_times_are_read_as_shares_or_durations():
    assert parse_step_at("50%") == ("share", 0.5)
    assert parse_step_at("150%") == ("share", 1.5)
    assert parse_step_at("12.5%") == ("share", 0.125)
    assert parse_step_at("PT2H") == ("duration", timedelta(hours=2))


def test_a_share_of_up_to_a_thousand_percent_is_accepted():
    assert parse_step_at("1000%") == ("share", 10.0)
    assert parse_step_at("999.5%") == ("share", 9.995)


@pytest.mark.parametrize("at", ["1000.1%", "1001%", "99999999999999%"])
def test_a_share_above_a_thousand_percent_is_refused_and_the_message_gives_the_bound(at):
    with pytest.raises(ValueError, match="1000%"):
        parse_step_at(at)


def test_a_step_duration_longer_than_a_year_says_so_rather_than_calling_it_malformed():
    with pytest.raises(ValueError, match="365 days"):
        parse_step_at("P400D")


@pytest.mark.parametrize("at", ["soon", "", "0%", "-10%", "50", "%", "50 %", "P1M", "PT0S", "9" * 400 + "%"])
def test_bad_step_times_are_refused(at):
    with pytest.raises(ValueError):
        parse_step_at(at)
    with pytest.raises(ValueError):
        step_due(copenhagen(2026, 11, 27, 14), FOUR_HOURS, at, ALWAYS)


# --- tenant calendars --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "part"), [
    ({"timezone": "Mars/Olympus"}, "time zone"),
    ({"timezone": "Europe"}, "time zone"),
    ({"timezone": ""}, "time zone"),
    ({"days": ["mon", "funday"]}, "day 'funday'"),
    ({"days": ["Mon"]}, "day 'Mon'"),
    ({"days": []}, "open day"),
    ({"opens": "8am"}, "opens"),
    ({"opens": "8:00"}, "opens"),
    ({"closes": "24:00"}, "closes"),
    ({"opens": "16:00", "closes": "08:00"}, "closes .* after opens"),
    ({"opens": "09:00", "closes": "09:00"}, "closes .* after opens"),
    ({"holidays_country": "XX"}, "holidays country 'XX'"),
    ({"holidays_country": "dk"}, "holidays country 'dk'"),
])
def test_a_broken_tenant_calendar_names_the_broken_part(spec, part):
    arguments = {"name": "broken", "timezone": "Europe/Copenhagen", "days": WEEKDAYS, "opens": "08:00",
                 "closes": "16:00", "holidays_country": "DK", "closed_dates": [], **spec}
    with pytest.raises(ValueError, match=part):
        calendar_from_spec(**arguments)


def test_a_tenant_calendar_reads_its_days_and_hours():
    calendar = calendar_from_spec("late-shift", "Europe/Oslo", ["fri", "mon", "mon"], "12:30", "20:00", "NO",
                                  [date(2026, 12, 31), date(2026, 12, 24), date(2026, 12, 24)])
    assert calendar == BusinessCalendar(
        name="late-shift", timezone="Europe/Oslo", weekdays=(0, 4), opens=time(12, 30), closes=time(20),
        holidays_country="NO", closed_dates=(date(2026, 12, 24), date(2026, 12, 31)),
    )


def test_a_weekend_calendar_without_holidays_runs_saturday_and_sunday_ten_to_two():
    # Given a tenant open Saturday and Sunday 10:00-14:00 with no public holidays
    weekend = calendar_from_spec("weekend", "Europe/Copenhagen", ["sat", "sun"], "10:00", "14:00", None, [])

    # When six hours start on Friday afternoon
    due = weekend.add(copenhagen(2026, 11, 27, 15), timedelta(hours=6))

    # Then four run on Saturday and two on Sunday
    assert due == copenhagen(2026, 11, 29, 12)
    assert weekend.is_open(copenhagen(2026, 11, 28, 11)) and not weekend.is_open(copenhagen(2026, 11, 30, 11))
    # and Easter Sunday 2027, the day the clocks go forward, still has its four wall-clock hours
    assert weekend.elapsed(copenhagen(2027, 3, 28, 0), copenhagen(2027, 3, 29, 0)) == FOUR_HOURS
    assert weekend.add(copenhagen(2027, 3, 27, 14), FOUR_HOURS) == utc(2027, 3, 28, 12)
