"""The report page managers read: the funnel, conversion and ROI per channel and per campaign, and hand-over SLA
outcomes per owner and over time, as figures in the tenant's language and as chart geometry the templates draw.

Nothing here is counted anew: the figures are the funnel, ROI and hand-over reports (``services.reports``), and the
hand-over counters read with their day for the chart over time (per day up to 31 days, else per ISO week). Every
chart has its numbers in a table beside it, and an empty range gets words instead of an empty chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.services.ports import ReportAccessStore
    from chalicelib.services.reports import Reports

PAGE_PARAMS = frozenset({"from", "to", "by", "model", "tenant"})
# "open": offered and not yet answered, so a range of fresh hand-overs is not drawn as nothing.
SLA_PARTS = ("accepted_in_sla", "accepted_late", "declined", "gaps", "open")
# A reseller's offers end one more way: taken from it when its time ran out (reassigned to the next reseller).
RESELLER_PARTS = ("accepted_in_sla", "accepted_late", "declined", "reassigned", "gaps", "open")
MAX_DAILY_BUCKETS = 31
# The SVG of the chart over time: a fixed drawing scaled to the page's width.
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM, CHART_TOP = 640, 240, 36, 200, 12
MAX_AXIS_LABELS = 8


class Numbers:
    """Numbers as the tenant's language writes them: ``1,234.5`` in English, ``1.234,5`` in Danish."""

    def __init__(self, language: str):
        self.language = language
        self.danish = language == "da"

    def _local(self, text: str) -> str:
        if not self.danish:
            return text
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")

    def count(self, value: int | None) -> str:
        return "–" if value is None else self._local(f"{value:,}")

    def decimal(self, value: str | None) -> str:
        """A credited amount or money (``"12.50"``): whole numbers without decimals, others with two."""
        if value is None:
            return "–"
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return str(value)
        if amount == amount.to_integral_value():
            return self._local(f"{int(amount):,}")
        return self._local(f"{amount:,.2f}")

    def percent(self, ratio: float | None, digits: int = 1) -> str:
        if ratio is None:
            return "–"
        return self._local(f"{ratio * 100:,.{digits}f}") + " %"


def _width(value: float, largest: float) -> float:
    """A bar's length in percent of the longest; a value above nothing still shows as a sliver."""
    if largest <= 0 or value <= 0:
        return 0.0
    return round(max(value / largest * 100, 0.8), 2)


def _duration(seconds: float | None, numbers: Numbers) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        from chalicelib.rendering import text

        return text(numbers.language, "reports.duration.under_minute")
    from chalicelib.services.link_pages import human_duration

    return human_duration(timedelta(seconds=seconds), numbers.language)


def _amount(value: str | None) -> float:
    try:
        return float(value) if value is not None else 0.0
    except ValueError:
        return 0.0


class ReportPage:
    def __init__(self, reports: Reports, days: ReportAccessStore,
                 scorecard: Callable[[str, Mapping[str, str]], dict[str, Any]] | None = None,
                 surveys: Callable[[str, Mapping[str, str]], dict[str, Any]] | None = None):
        self.reports = reports
        self.days = days
        # The survey report (services.survey_reports), per owner: what the customers said.
        self.surveys = surveys
        # The reseller scorecard (services.reseller_reports), for producers that hand leads to resellers.
        self.scorecard = scorecard

    def view(self, tenant_id: str, params: Mapping[str, str], language: str) -> dict[str, Any]:
        """Everything the page shows for ``from``, ``to``, ``by`` (the funnel's grouping) and ``model`` (ROI's
        attribution model); ``InvalidInput`` naming the parameter when one is wrong."""
        unknown = sorted(set(params) - PAGE_PARAMS)
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}", field=unknown[0])
        numbers = Numbers(language)
        span = {name: params[name] for name in ("from", "to") if params.get(name)}
        funnel = self.reports.funnel(tenant_id, {**span, **({"by": params["by"]} if params.get("by") else {})})
        model = {"model": params["model"]} if params.get("model") else {}
        roi = {by: self.reports.roi(tenant_id, {**span, "by": by, **model}) for by in ("channel", "campaign")}
        handovers = self.reports.handovers(tenant_id, span.get("from"), span.get("to"))
        from_day, to_day = handovers["from"], handovers["to"]
        return {
            "from_day": from_day, "to_day": to_day, "by": funnel["by"], "model": roi["campaign"]["model"],
            "currency": roi["campaign"]["currency"],
            "funnel": funnel_view(funnel, numbers),
            "roi": {by: roi_view(report, numbers) for by, report in roi.items()},
            "sla": sla_view(handovers, numbers),
            "over_time": over_time_view(self.days.handover_days(tenant_id, from_day, to_day), from_day, to_day,
                                        numbers),
            "resellers": reseller_view(self.scorecard(tenant_id, {"from": from_day, "to": to_day}), numbers)
            if self.scorecard is not None else None,
            "surveys": survey_view(self.surveys(tenant_id, {"from": from_day, "to": to_day, "by": "owner"}), numbers)
            if self.surveys is not None else None,
        }


def funnel_view(report: Mapping[str, Any], numbers: Numbers) -> dict[str, Any]:
    """The total funnel as bars (visitors, then each stage), each step's conversion and owning department, and a
    table row per group."""
    total = report["total"]
    stages: list[str] = list(report["stages"])
    # Visitors are counted from page views; a tenant without the snippet has leads but no visitors to draw.
    counts = ([("visitors", total.get("visitors"))] if total.get("visitors") else []) + [
        (stage, total["reached"].get(stage, 0)) for stage in stages]
    largest = max((value or 0 for _, value in counts), default=0)
    steps = [{"from": step["from"], "to": step["to"], "department": step["department"],
              "conversion": numbers.percent(step["conversion"]), "moved": numbers.count(step["moved"]),
              "entered": numbers.count(step["entered"]), "median": _duration(step["median_seconds"], numbers),
              "visitors": False} for step in total["transitions"]]
    visitors, leads = total.get("visitors") or 0, total.get("leads") or 0
    # Under each bar, the step to the next: visitors who became leads, then each stage's transition.
    became_leads = {"conversion": numbers.percent(leads / visitors if visitors else None), "department": None,
                    "visitors": True}
    by_stage = {step["from"]: step for step in steps}
    bars = [{"label": label, "is_visitors": label == "visitors", "value": numbers.count(value),
             "width": _width(value or 0, largest),
             "step": became_leads if label == "visitors" else by_stage.get(label)} for label, value in counts]
    groups = [{"group": group["group"], "visitors": numbers.count(group.get("visitors")),
               "leads": numbers.count(group.get("leads")),
               "reached": [numbers.count(group["reached"].get(stage, 0)) for stage in stages],
               "conversions": [numbers.percent(step["conversion"]) for step in group["transitions"]]}
              for group in report["groups"]]
    dead = report.get("dead_ends") or {}
    return {"stages": stages, "bars": bars, "steps": steps, "groups": groups,
            "empty": not visitors and not leads,
            "no_leads": [{**row, "visitors": numbers.count(row["visitors"])} for row in dead.get("no_leads", [])],
            "no_decision": [{**row, "leads": numbers.count(row["leads"])} for row in dead.get("no_decision", [])]}


def _roi_row(row: Mapping[str, Any], numbers: Numbers) -> dict[str, Any]:
    leads, won = _amount(row.get("leads")), _amount(row.get("won"))
    return {
        "group": row.get("group"), "cost": numbers.decimal(row["cost"]), "visitors": numbers.count(row["visitors"]),
        "leads": numbers.decimal(row["leads"]), "won": numbers.decimal(row["won"]),
        "revenue": numbers.decimal(row["revenue"]), "cost_per_lead": numbers.decimal(row["cost_per_lead"]),
        "cost_per_won": numbers.decimal(row["cost_per_won"]), "roi": numbers.percent(row["roi"], 0),
        "roi_negative": row["roi"] is not None and row["roi"] < 0,
        "conversion": numbers.percent(won / leads if leads else None),
        "cost_amount": _amount(row["cost"]), "revenue_amount": _amount(row["revenue"]),
    }


def _section(section: Mapping[str, Any] | None, numbers: Numbers) -> dict[str, Any] | None:
    if section is None:
        return None
    rows = [_roi_row(row, numbers) for row in section["groups"]]
    largest = max((max(row["cost_amount"], row["revenue_amount"]) for row in rows), default=0.0)
    for row in rows:
        row["cost_width"] = _width(row["cost_amount"], largest)
        row["revenue_width"] = _width(row["revenue_amount"], largest)
    figures = [section["total"], *section["groups"]]
    empty = not any(_amount(row["cost"]) or _amount(row["revenue"]) or _amount(row["leads"]) or row.get("visitors")
                    for row in figures)
    return {"rows": rows, "total": _roi_row(section["total"], numbers), "empty": empty, "chart": largest > 0}


def roi_view(report: Mapping[str, Any], numbers: Numbers) -> dict[str, Any]:
    """Marketing and referral leads apart, each with its rows, its total and bars of cost against revenue."""
    return {"marketing": _section(report.get("marketing"), numbers),
            "referral": _section(report.get("referral"), numbers)}


def _sla_segments(figures: Mapping[str, Any], parts: tuple[str, ...] = SLA_PARTS) -> list[dict[str, Any]]:
    """The outcomes as consecutive shares of one bar (x and width in percent of the owner's outcomes)."""
    total = sum(int(figures.get(part) or 0) for part in parts)
    segments, x = [], 0.0
    for part in parts:
        value = int(figures.get(part) or 0)
        width = round(value / total * 100, 2) if total else 0.0
        if width:
            segments.append({"part": part, "x": round(x, 2), "width": width})
        x += width
    return segments


def sla_view(report: Mapping[str, Any], numbers: Numbers) -> dict[str, Any]:
    """Per owner (and in total): hand-overs, accepted in SLA, late, declined and gaps, as a share bar each."""
    def row(name: str | None, figures: Mapping[str, Any]) -> dict[str, Any]:
        return {"owner": name, "handovers": numbers.count(figures.get("handovers") or 0),
                **{part: numbers.count(int(figures.get(part) or 0)) for part in SLA_PARTS},
                "segments": _sla_segments(figures)}

    owners = [row(name, figures) for name, figures in report.get("owners", {}).items()]
    return {"owners": owners, "total": row(None, report), "empty": not report.get("handovers")}


def reseller_view(report: Mapping[str, Any], numbers: Numbers) -> dict[str, Any] | None:
    """The reseller scorecard: per reseller its hand-over outcomes as a share bar, and its figures in a table;
    None for a producer without resellers (the page leaves the section out)."""
    if not report.get("resellers"):
        return None

    def row(figures: Mapping[str, Any], name: str | None) -> dict[str, Any]:
        return {"name": name, "handovers": numbers.count(figures.get("leads_received") or 0),
                **{part: numbers.count(int(figures.get(part) or 0)) for part in RESELLER_PARTS},
                "contacted": numbers.count(figures.get("contacted") or 0),
                "tta_p50": _duration(figures.get("time_to_accept_p50"), numbers),
                "won": numbers.count(figures.get("won") or 0), "lost": numbers.count(figures.get("lost") or 0),
                "revenue": numbers.decimal(figures.get("revenue")),
                "win_rate": numbers.percent(figures.get("win_rate"), 0),
                "registered": numbers.count(figures.get("registered") or 0),
                "unmatched": numbers.count(figures.get("unmatched_sales") or 0),
                "nps": "–" if figures.get("nps") is None else numbers.decimal(f"{figures['nps']:.0f}"),
                "disputes": numbers.count(figures.get("contact_disputes") or 0),
                "segments": _sla_segments(figures, RESELLER_PARTS)}

    rows = [row(figures, figures.get("name") or figures["reseller_id"]) for figures in report["resellers"]]
    return {"rows": rows, "total": row(report["total"], None), "empty": not report["total"].get("leads_received")
            and not report["total"].get("registered")}


def survey_view(report: Mapping[str, Any], numbers: Numbers) -> dict[str, Any] | None:
    """What the customers said, in total and per owner: sent, response rate, NPS, CSAT, contacted, disputes; None
    when no survey went out in the range (the page leaves the section out)."""
    if not report["total"].get("sent"):
        return None

    def row(figures: Mapping[str, Any], name: str | None) -> dict[str, Any]:
        nps = figures.get("nps")
        return {"name": name, "sent": numbers.count(figures.get("sent") or 0),
                "response_rate": numbers.percent(figures.get("response_rate"), 0),
                "nps": "–" if nps is None else numbers.decimal(f"{nps:.0f}"),
                "nps_negative": nps is not None and nps < 0,
                "csat": numbers.percent(figures.get("csat"), 0),
                "contacted": numbers.percent(figures.get("contacted_yes_rate"), 0),
                "disputes": numbers.count(figures.get("contact_disputes") or 0),
                "disputed": bool(figures.get("contact_disputes"))}

    return {"total": row(report["total"], None), "rows": [row(group, group["group"]) for group in report["groups"]]}


def _buckets(from_day: str, to_day: str) -> tuple[str, list[tuple[date, date]]]:
    first, last = date.fromisoformat(from_day), date.fromisoformat(to_day)
    if (last - first).days < MAX_DAILY_BUCKETS:
        return "day", [(first + timedelta(days=n), first + timedelta(days=n)) for n in range((last - first).days + 1)]
    start = first - timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        weeks.append((max(start, first), min(start + timedelta(days=6), last)))
        start += timedelta(days=7)
    return "week", weeks


def over_time_view(rows: list[tuple[str, str | None, dict[str, int]]], from_day: str, to_day: str,
                   numbers: Numbers) -> dict[str, Any]:
    """Every day (or ISO week) of the range as a stacked bar of the outcomes of the hand-overs started in it."""
    unit, buckets = _buckets(from_day, to_day)
    totals = [dict.fromkeys(SLA_PARTS, 0) for _ in buckets]
    for day, owner, counters in rows:
        if owner is not None:
            continue
        moment = date.fromisoformat(day)
        for index, (start, end) in enumerate(buckets):
            if start <= moment <= end:
                for part in SLA_PARTS:
                    totals[index][part] += int(counters.get(part, 0))
    tallest = max((sum(figures.values()) for figures in totals), default=0)
    plot_width = CHART_WIDTH - CHART_LEFT - 8
    slot = plot_width / max(len(buckets), 1)
    every = max(1, -(-len(buckets) // MAX_AXIS_LABELS))
    bars = []
    for index, ((start, end), figures) in enumerate(zip(buckets, totals, strict=True)):
        x = CHART_LEFT + index * slot + slot * 0.15
        y = float(CHART_BOTTOM)
        parts = []
        for part in SLA_PARTS:
            height = figures[part] / tallest * (CHART_BOTTOM - CHART_TOP) if tallest else 0.0
            y -= height
            if height:
                parts.append({"part": part, "y": round(y, 2), "height": round(height, 2)})
        bars.append({"start": start.isoformat(), "end": end.isoformat(), "x": round(x, 2),
                     "width": round(slot * 0.7, 2), "parts": parts,
                     "label": f"{start.day}/{start.month}", "show_label": index % every == 0,
                     "label_x": round(x + slot * 0.35, 2), "counted": sum(figures.values()) > 0,
                     **{part: numbers.count(figures[part]) for part in SLA_PARTS}})
    return {"unit": unit, "bars": bars, "tallest": numbers.count(tallest), "empty": tallest == 0,
            "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT, "bottom": CHART_BOTTOM,
            "top": CHART_TOP}
