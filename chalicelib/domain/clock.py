"""Time as a parameter: every rule that needs "now" takes a Clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

Clock = Callable[[], datetime]

# ASCII digits only (`\d` would take other scripts' digits too); a time zone only after a time of day.
_INSTANT = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>Z|(?P<sign>[+-])(?P<zone_hours>[0-9]{2}):?(?P<zone_minutes>[0-9]{2}))?)?"
)
MAX_INSTANT_TEXT = 64


class InvalidInstant(ValueError):
    """A text that is not a moment this system can hold (malformed, not a real date, out of range)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z: fixed width, so it sorts as text (years before 1000 too)."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
        f"{utc.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str) -> datetime:
    """A time this system wrote itself (stored, trusted). Untrusted text goes through ``parse_instant``."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """A moment given by a caller (a query string): ``2026-11-23``, ``2026-11-23T09:30``, ``...:15.250Z``,
    ``...+01:00``; without a zone it is UTC. Answers the moment in UTC.

    Only real calendar dates and times of day are read, and a moment that cannot be held in UTC (the
    first or last hours of the calendar, shifted by a zone) is refused rather than overflowing later.
    """
    if not isinstance(text, str) or len(text) > MAX_INSTANT_TEXT:
        raise InvalidInstant("give a date or time such as 2026-11-23 or 2026-11-23T09:30:00Z")
    match = _INSTANT.fullmatch(text)
    if not match:
        raise InvalidInstant(f"{text!r} is not a date or time such as 2026-11-23 or 2026-11-23T09:30:00Z")
    part = match.groupdict()
    try:
        if part["zone_minutes"] is not None and int(part["zone_minutes"]) > 59:
            raise ValueError("the zone's minutes must be in 0..59")
        zone = UTC if part["sign"] is None else timezone(
            (1 if part["sign"] == "+" else -1)
            * timedelta(hours=int(part["zone_hours"]), minutes=int(part["zone_minutes"]))
        )
        local = datetime(
            int(part["year"]), int(part["month"]), int(part["day"]),
            int(part["hour"] or 0), int(part["minute"] or 0), int(part["second"] or 0),
            int((part["fraction"] or "0").ljust(6, "0")[:6]), tzinfo=zone,
        )
    except ValueError as error:
        raise InvalidInstant(f"{text!r} is not a real date and time ({error})") from None
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInstant(f"{text!r} is outside the range of dates this system can hold") from None


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
