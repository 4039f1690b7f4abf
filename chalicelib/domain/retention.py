"""How long personal data is kept: a tenant's retention periods, in calendar terms.

``retention`` (the journey's, such as ``P24M``): a lead with no timeline event for that long is erased, by the
same erasure as ``DELETE /admin/people``. Each event of a lead moves the lead's retention mark (an item whose
DynamoDB TTL is the last event plus the period); when DynamoDB deletes the mark, the stream hands the deletion
to the retention consumer, which erases the person unless an event came in the meantime (then it sets the
mark again). Left out, leads are kept until erased by hand.

``page_view_retention`` (default ``P13M``): a page view expires that long after it was seen (its TTL, written
with it), unless its visitor becomes a lead: then the lead's retention keeps the visitor's page views, which lose
their TTL the next time an event of the lead is handled.

Periods are ISO-8601 dates: years, months, weeks and days (``P24M``, ``P1Y6M``, ``P400D``); a month is a calendar
month (31 January plus one month is 28 or 29 February).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_PERIOD = re.compile(r"P(?:(?P<years>\d{1,2})Y)?(?:(?P<months>\d{1,3})M)?"
                     r"(?:(?P<weeks>\d{1,3})W)?(?:(?P<days>\d{1,4})D)?")
MIN_DAYS = 1
MAX_DAYS = 10 * 366
DEFAULT_PAGE_VIEW_RETENTION = "P13M"


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, moment: datetime) -> datetime:
        """``moment`` plus the period: calendar years and months (clamped to the month's last day), then days."""
        months = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day) + timedelta(days=self.days)


def parse_period(text: object) -> Period:
    """``P24M`` and the like, from one day to ten years; ``InvalidPeriod`` saying what to write otherwise."""
    if not isinstance(text, str):
        raise InvalidPeriod("a period must be an ISO-8601 text such as P24M (24 months) or P400D")
    value = text.strip().upper()
    match = _PERIOD.fullmatch(value)
    if not match or value == "P":
        raise InvalidPeriod(f"{text!r} is not a period such as P24M, P1Y6M or P400D (years, months, weeks, days)")
    parts = {name: int(amount) for name, amount in match.groupdict().items() if amount is not None}
    period = Period(years=parts.get("years", 0), months=parts.get("months", 0),
                    days=parts.get("days", 0) + 7 * parts.get("weeks", 0))
    start = datetime(2000, 1, 1)
    length = (period.after(start) - start).days
    if length < MIN_DAYS:
        raise InvalidPeriod(f"{text!r} must be at least one day")
    if length > MAX_DAYS:
        raise InvalidPeriod(f"{text!r} is longer than ten years")
    return period


def expires_at(last_activity: datetime, period: Period) -> int:
    """The epoch second at which data last touched at ``last_activity`` is due (a DynamoDB TTL)."""
    return int(period.after(last_activity).timestamp())


def due(last_activity: datetime, period: Period, now: datetime) -> bool:
    """Whether the period since ``last_activity`` has run out by ``now``."""
    return period.after(last_activity) <= now
