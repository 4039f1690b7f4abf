"""The survey report (``GET /reports/surveys``): per owner, reseller, channel, campaign or survey, from the rows the
change stream keeps (``consumers.surveys.SurveyReport``), for the surveys sent in the range."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.surveys import Scores
from chalicelib.errors import InvalidInput
from chalicelib.services.survey_ports import SurveyStore

BY = ("owner", "reseller", "channel", "campaign", "survey")
COLUMNS = ("sent", "answered", "completed", "response_rate", "nps", "nps_answers", "promoters", "passives",
           "detractors", "csat", "csat_answers", "contacted_yes_rate", "contact_disputes")


class SurveyReport:
    def __init__(self, store: SurveyStore, days: Callable[[str | None, str | None], tuple[str, str]]):
        self.store = store
        self.days = days

    def report(self, tenant_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        unknown = sorted(set(params) - {"from", "to", "by"})
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}; use from, to and by", field=unknown[0])
        by = params.get("by") or "survey"
        if by not in BY:
            raise InvalidInput(f"by must be one of {', '.join(BY)}", field="by")
        from_day, to_day = self.days(params.get("from"), params.get("to"))
        return {"from": from_day, "to": to_day, "by": by,
                "total": _scores(self.store.report_rows(tenant_id, "all", from_day, to_day)),
                "groups": [{"group": group, **scores} for group, scores in
                           _grouped(self.store.report_rows(tenant_id, by, from_day, to_day)).items()]}


def _add(rows: list[tuple[str, str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    summed: dict[str, dict[str, int]] = {}
    for _, group, counters in rows:
        held = summed.setdefault(group, {})
        for name, value in counters.items():
            held[name] = held.get(name, 0) + value
    return summed


def _scores(rows: list[tuple[str, str, dict[str, int]]]) -> dict[str, Any]:
    return Scores.of(_add(rows).get("all", {})).as_dict()


def _grouped(rows: list[tuple[str, str, dict[str, int]]]) -> dict[str, dict[str, Any]]:
    return {group: Scores.of(counters).as_dict() for group, counters in sorted(_add(rows).items())}


def report_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report["by"], *COLUMNS])
    for name, row in [("(total)", report["total"]), *((group["group"], group) for group in report["groups"])]:
        writer.writerow([name, *("" if row.get(column) is None else row.get(column) for column in COLUMNS)])
    return out.getvalue()
