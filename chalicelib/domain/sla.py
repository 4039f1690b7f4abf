"""SLA clocks: how much *open* time has passed, and when a duration of open time runs out.

A hand-over's deadline is counted on a clock. ``ALWAYS`` runs 24/7. A ``BusinessCalendar`` runs
only on its weekdays between opening and closing, in its own time zone (wall-clock hours, so a day
when the clocks change still has its full business hours), and not on the country's public
holidays (from the maintained ``holidays`` library) nor on the tenant's own closed dates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A calendar that cannot give the asked-for open time within this horizon is broken (or the SLA is),
# not slow; the bound also keeps `add` finite for a calendar that is closed for years.
MAX_SEARCH = timedelta(days=3 * 366)
# Bounds on what a journey may ask for: an SLA (or a step of its ladder) longer than a year is a typo, and
# a share above 1000% of the SLA is one too; both bounds also keep every deadline far from overflow.
MAX_DURATION = timedelta(days=365)
MAX_SHARE_PERCENT = 1000
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# ASCII digits only: `\d` would also accept e.g. Arabic-Indic digits, which float() happily reads.
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_DURATION = re.compile(
    rf"P(?!$)(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=[0-9])(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_SHARE = re.compile(rf"(?P<share>{_NUMBER})%")
_CLOCK_TIME = re.compile(r"(?P<hours>[01][0-9]|2[0-3]):(?P<minutes>[0-5][0-9])")


class InvalidDuration(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration without years or months (their length is ambiguous): ``PT4H``, ``P1DT2H30M``."""
    if not isinstance(text, str):
        raise InvalidDuration("a duration must be an ISO-8601 text such as PT4H")
    value = text.strip().upper()
    date_part = value.split("T", 1)[0]
    if value.startswith("P") and ("Y" in date_part or "M" in date_part):
        raise InvalidDuration(f"{text!r}: years and months have no fixed length; use weeks, days or hours")
    match = _DURATION.fullmatch(value)
    if not match:
        raise InvalidDuration(f"{text!r} is not an ISO-8601 duration such as PT4H or P1DT2H")
    parts = {name: float(amount) for name, amount in match.groupdict().items() if amount is not None}
    try:
        if not all(math.isfinite(amount) for amount in parts.values()):
            raise OverflowError
        duration = timedelta(**parts)
    except OverflowError:
        raise InvalidDuration(f"{text!r} is too long to be a deadline") from None
    # Below a microsecond a timedelta rounds to zero, which is refused here too.
    if duration <= timedelta(0):
        raise InvalidDuration(f"{text!r} must be longer than zero")
    if duration > MAX_DURATION:
        raise InvalidDuration(f"{text!r} is longer than the longest deadline, {MAX_DURATION.days} days (P365D)")
    return duration


def parse_delay(text: str) -> timedelta:
    """A duration that may be zero (``PT0S``: at once), else as ``parse_duration``."""
    try:
        return parse_duration(text)
    except InvalidDuration:
        if re.fullmatch(r"P(T0+[HMS])?|PT0+[HMS]|P0+D", text.strip().upper()):
            return timedelta(0)
        raise


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must carry a time zone")
    return moment.astimezone(UTC)


def _not_negative(duration: timedelta) -> None:
    if duration < timedelta(0):
        raise ValueError(f"a duration of open time cannot be negative ({duration})")


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    # A folder name such as "Europe" surfaces as IsADirectoryError, an OSError, not as "not found".
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {timezone!r}") from None


class AlwaysOpen:
    """The 24/7 clock: every second counts."""

    name = "always"

    def is_open(self, moment: datetime) -> bool:
        _utc(moment)
        return True

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _not_negative(duration)
        try:
            return _utc(start) + duration
        except OverflowError:
            raise ValueError(f"{duration} after {start.isoformat()} is beyond the calendar") from None

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(timedelta(0), _utc(end) - _utc(start))


@lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    # Default category only: official public holidays. In Denmark that leaves out Christmas Eve, New
    # Year's Eve, 1 May and Constitution Day, which tenants close through `closed_dates` if they do.
    import holidays  # on first use: about 60 ms of a cold start that only the SLA clocks need

    return frozenset(holidays.country_holidays(country, years=year).keys())


@lru_cache(maxsize=64)
def _knows_country(country: str) -> bool:
    import holidays

    try:
        holidays.country_holidays(country)
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class BusinessCalendar:
    name: str
    timezone: str = "Europe/Copenhagen"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens: time = time(8, 0)
    closes: time = time(16, 0)
    holidays_country: str | None = "DK"
    closed_dates: tuple[date, ...] = field(default_factory=tuple)
    # A set for the per-day lookup: a tenant may list hundreds of closed dates.
    _closed: frozenset[date] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        # Checked here as well as in calendar_from_spec so that no calendar fails later, mid-deadline.
        _zone(self.timezone)
        if not self.weekdays or any(day not in range(7) for day in self.weekdays):
            raise ValueError(f"calendar {self.name!r}: weekdays must be one or more of 0 (Monday) to 6 (Sunday)")
        if self.closes <= self.opens:
            raise ValueError(f"calendar {self.name!r}: closes must be after opens")
        object.__setattr__(self, "_closed", frozenset(self.closed_dates))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_business_day(self, day: date) -> bool:
        if day.weekday() not in self.weekdays or day in self._closed:
            return False
        return not (self.holidays_country and day in _public_holidays(self.holidays_country, day.year))

    def _window(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening and closing as UTC moments (wall-clock times in the calendar's zone)."""
        zone = self.zone
        return (
            datetime.combine(day, self.opens, zone).astimezone(UTC),
            datetime.combine(day, self.closes, zone).astimezone(UTC),
        )

    def is_open(self, moment: datetime) -> bool:
        moment = _utc(moment)
        day = moment.astimezone(self.zone).date()
        if not self.is_business_day(day):
            return False
        opening, closing = self._window(day)
        return opening <= moment < closing

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of open time has passed after ``start``."""
        _not_negative(duration)
        cursor = _utc(start)
        remaining = duration
        day = cursor.astimezone(self.zone).date()
        last_day = day + MAX_SEARCH
        # One step per calendar day, each taking that day's whole window at once.
        while day <= last_day:
            if self.is_business_day(day):
                opening, closing = self._window(day)
                begin = max(cursor, opening)
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError(
            f"calendar {self.name!r} does not give {duration} of open time within {MAX_SEARCH.days} days "
            f"of {start.isoformat()}"
        )

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two moments."""
        begin, finish = _utc(start), _utc(end)
        if finish <= begin:
            return timedelta(0)
        total = timedelta(0)
        day = begin.astimezone(self.zone).date()
        last_day = finish.astimezone(self.zone).date()
        while day <= last_day:
            if self.is_business_day(day):
                opening, closing = self._window(day)
                overlap = min(closing, finish) - max(opening, begin)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total


Clock = BusinessCalendar | AlwaysOpen

ALWAYS = AlwaysOpen()
DK_BUSINESS_HOURS = BusinessCalendar(name="dk-business-hours")


def _clock_time(text: str, part: str) -> time:
    match = _CLOCK_TIME.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{part} must be HH:MM between 00:00 and 23:59, not {text!r}")
    return time(int(match.group("hours")), int(match.group("minutes")))


def calendar_from_spec(
    name: str,
    timezone: str,
    days: list[str],
    opens: str,
    closes: str,
    holidays_country: str | None,
    closed_dates: list[date],
) -> BusinessCalendar:
    """A tenant-defined calendar; each broken part is named in the error."""
    _zone(timezone)
    if not days:
        raise ValueError("a calendar needs at least one open day")
    unknown = [day for day in days if day not in DAY_NAMES]
    if unknown:
        raise ValueError(f"unknown day {unknown[0]!r}; use {', '.join(DAY_NAMES)}")
    opening, closing = _clock_time(opens, "opens"), _clock_time(closes, "closes")
    if closing <= opening:
        raise ValueError(f"closes ({closes}) must be after opens ({opens})")
    if holidays_country is not None and not _knows_country(holidays_country):
        raise ValueError(f"unknown holidays country {holidays_country!r}; use a code such as 'DK'")
    return BusinessCalendar(
        name=name,
        timezone=timezone,
        weekdays=tuple(sorted({DAY_NAMES.index(day) for day in days})),
        opens=opening,
        closes=closing,
        holidays_country=holidays_country,
        closed_dates=tuple(sorted(set(closed_dates))),
    )


def parse_step_at(at: str) -> tuple[str, float | timedelta]:
    """``"50%"`` → ("share", 0.5); ``"PT2H"`` → ("duration", 2 h)."""
    if not isinstance(at, str):
        raise ValueError("at must be a share such as '50%' or a duration such as 'PT2H'")
    share = _SHARE.fullmatch(at.strip())
    if share:
        percent = float(share.group("share"))
        if not 0 < percent <= MAX_SHARE_PERCENT:
            raise ValueError(f"a share must be a percentage above 0% and at most {MAX_SHARE_PERCENT}%, not {at!r}")
        return "share", percent / 100
    try:
        return "duration", parse_duration(at)
    except InvalidDuration as error:
        if _DURATION.fullmatch(at.strip().upper()):
            # A well-formed duration that is refused (too long, zero) says why, not just "malformed".
            raise ValueError(f"at: {error}") from None
        raise ValueError(f"at must be a share such as '50%' or a duration such as 'PT2H', not {at!r}") from None


def step_due(start: datetime, sla: timedelta, at: str, clock: Clock) -> datetime:
    """When a ladder step fires: its share of the SLA, or its duration, of open time after ``start``."""
    _, value = parse_step_at(at)
    try:
        offset = value if isinstance(value, timedelta) else sla * value
    except OverflowError:
        raise ValueError(f"step at {at!r} of {sla} is too long to be a deadline") from None
    return clock.add(start, offset)
