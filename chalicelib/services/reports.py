"""Reports for managers: hand-over outcomes per day and owner, from the counters the change stream keeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import Clock, iso, parse_instant
from chalicelib.domain.reports import summarise
from chalicelib.errors import InvalidInput
from chalicelib.services.ports import HandoverCounters

REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 400


class Reports:
    def __init__(self, counters: HandoverCounters, clock: Clock):
        self.counters = counters
        self.clock = clock

    def handovers(self, tenant_id: str, from_text: str | None, to_text: str | None) -> dict[str, Any]:
        """Outcomes of the hand-overs started in the range (default: the last 30 days), in total and per owner.

        Every figure belongs to the day its hand-over started, so a range answers "what became of the
        hand-overs that started then"; percentiles are nearest-rank (see ``chalicelib.domain.reports``).
        """
        today = self.clock()
        try:
            until = parse_instant(to_text) if to_text else today
        except ValueError as error:
            raise InvalidInput(f"to must be a day like 2026-11-25 (a time counts as its whole day): {error}",
                               field="to") from None
        try:
            # Near the first day of the calendar the default range is shorter rather than overflowing.
            default_back = min(timedelta(days=REPORT_DEFAULT_DAYS), until - datetime.min.replace(tzinfo=until.tzinfo))
            since = parse_instant(from_text) if from_text else until - default_back
        except ValueError as error:
            raise InvalidInput(f"from must be a day like 2026-11-25 (a time counts as its whole day): {error}",
                               field="from") from None
        if since > until:
            raise InvalidInput("from must not be after to", field="from")
        if until - since > timedelta(days=REPORT_MAX_DAYS):
            raise InvalidInput(f"from must be at most {REPORT_MAX_DAYS} days before to: a report covers at most "
                               f"{REPORT_MAX_DAYS} days", field="from")
        from_day, to_day = iso(since)[:10], iso(until)[:10]
        rows = self.counters.counter_rows(tenant_id, from_day, to_day)
        return {"from": from_day, "to": to_day, **summarise(rows)}
