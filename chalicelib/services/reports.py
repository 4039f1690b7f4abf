"""Reports for managers: hand-over outcomes per day and owner, the funnel and ROI, from the projections the change
stream keeps (never from scanning leads: a report's cost grows with days × groups, not with the leads)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, iso, parse_instant
from chalicelib.domain.reports import summarise
from chalicelib.errors import InvalidInput
from chalicelib.services.ports import HandoverCounters

if TYPE_CHECKING:
    from chalicelib.services.costs import Costs
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.ports import FunnelStore

REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 400
DEFAULT_MODEL = "last_touch"


class Reports:
    def __init__(self, counters: HandoverCounters, clock: Clock, funnel: FunnelStore | None = None,
                 journeys: Journeys | None = None, costs: Costs | None = None):
        self.counters = counters
        self.clock = clock
        self.funnel_store = funnel
        self.journeys = journeys
        self.costs = costs

    def handovers(self, tenant_id: str, from_text: str | None, to_text: str | None) -> dict[str, Any]:
        """Outcomes of the hand-overs started in the range (default: the last 30 days), in total and per owner.

        Every figure belongs to the day its hand-over started, so a range answers "what became of the
        hand-overs that started then"; percentiles are nearest-rank (see ``chalicelib.domain.reports``).
        """
        from_day, to_day = self.days(from_text, to_text)
        rows = self.counters.counter_rows(tenant_id, from_day, to_day)
        return {"from": from_day, "to": to_day, **summarise(rows)}

    def days(self, from_text: str | None, to_text: str | None) -> tuple[str, str]:
        """The report's first and last day (default: the last 30 days; at most 400 days)."""
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
        return iso(since)[:10], iso(until)[:10]

    def funnel(self, tenant_id: str, params: Mapping[str, str], campaigns: frozenset[str] | None = None
               ) -> dict[str, Any]:
        """Per group of ``by``: visitors, leads reaching each stage, conversion and median time per transition,
        the department owning each transition; dead ends. ``campaigns`` limits it to those (an agency's key)."""
        from chalicelib.domain import funnel

        _known(params, {"from", "to", "by"})
        by = _choice(params, "by", funnel.FUNNEL_BY, "channel", campaigns)
        from_day, to_day = self.days(params.get("from"), params.get("to"))
        store = self._store()
        journey = self._journey(tenant_id)
        rules = journey.stage_rules()
        stages = list(rules.stages)
        departments = {stage: journey.department_of(stage) for stage in stages}
        if campaigns is not None:
            # The campaigns' own rows only, totals too: other campaigns are not the agency's to see.
            grouped = _only(store.rows(tenant_id, "campaign", from_day, to_day), campaigns)
            totals = grouped
        else:
            totals = store.rows(tenant_id, funnel.ALL, from_day, to_day)
            grouped = totals if by == "lead_type" else store.rows(tenant_id, by, from_day, to_day)
        report = funnel.funnel(by, grouped, totals, stages, departments)
        dead_dims = {"campaign": grouped} if campaigns is not None else {
            dim: (grouped if dim == by else store.rows(tenant_id, dim, from_day, to_day))
            for dim in ("campaign", "landing_page")}
        decision = rules.after("accepted") or stages[-1]
        return {"from": from_day, "to": to_day, **report, "dead_ends": funnel.dead_ends(dead_dims, decision),
                "decision_stage": decision}

    def roi(self, tenant_id: str, params: Mapping[str, str], campaigns: frozenset[str] | None = None
            ) -> dict[str, Any]:
        """Cost, visitors, credited leads, won deals and revenue per campaign or channel under an attribution model,
        cost per lead and per won deal, ROI = (revenue − cost) / cost; marketing and referral leads apart."""
        from chalicelib.domain import funnel
        from chalicelib.domain.costs import by_campaign, channel_of
        from chalicelib.domain.credit import MODELS

        _known(params, {"from", "to", "by", "model"})
        by = _choice(params, "by", funnel.ROI_BY, "campaign", campaigns)
        model = _choice(params, "model", MODELS, DEFAULT_MODEL, None)
        from_day, to_day = self.days(params.get("from"), params.get("to"))
        rows = self._store().rows(tenant_id, by, from_day, to_day)
        group: Callable[[Any], str] = channel_of if by == "channel" else by_campaign
        assert self.costs is not None, "reports need the costs"
        spent = self.costs.spent(tenant_id, date.fromisoformat(from_day), date.fromisoformat(to_day), group)
        costs: dict[str, Decimal] = dict(spent.costs)
        if by == "reseller":
            costs = funnel.reseller_costs(costs, self._store().rows(tenant_id, "campaign", from_day, to_day),
                                          self._store().rows(tenant_id, funnel.RESELLER_CAMPAIGN, from_day, to_day),
                                          model)
        if campaigns is not None:
            rows = _only(rows, campaigns)
            costs = {name: amount for name, amount in costs.items() if name in campaigns}
        report = funnel.roi(by, model, rows, costs)
        if campaigns is not None:
            report.pop("referral")
        if by == "reseller":
            # Visitors are not anyone's reseller's: the breakdown has none.
            for section in ("marketing", "referral"):
                for row in (report[section]["total"], *report[section]["groups"]):
                    row["visitors"] = None
        currency = spent.currency or self._currency_default()
        return {"from": from_day, "to": to_day, "currency": currency, **report}

    def _store(self) -> FunnelStore:
        assert self.funnel_store is not None, "reports need the funnel projection"
        return self.funnel_store

    def _journey(self, tenant_id: str) -> Any:
        assert self.journeys is not None, "reports need the journeys"
        return self.journeys.definition(tenant_id)

    @staticmethod
    def _currency_default() -> str:
        from chalicelib.domain.outcomes import DEFAULT_CURRENCY

        return DEFAULT_CURRENCY


def _known(params: Mapping[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; use {', '.join(sorted(allowed))}", field=unknown[0])


def _choice(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str,
            campaigns: frozenset[str] | None) -> str:
    value = params.get(name) or default
    if campaigns is not None and name == "by":
        if params.get(name) not in (None, "", "campaign"):
            raise InvalidInput("a report key sees its campaigns only: use by=campaign", field="by")
        return "campaign"
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", field=name)
    return value


def _only(rows: list[Any], campaigns: frozenset[str]) -> list[Any]:
    return [(row, counters) for row, counters in rows if row.group in campaigns]


# --- CSV ----------------------------------------------------------------------------------------------------


def funnel_csv(report: Mapping[str, Any]) -> str:
    """One line per group (and the total): visitors, leads, each stage reached, each transition's figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    stages = report["stages"]
    transitions = [f"{t['from']}->{t['to']}" for t in report["transitions"]]
    header = [report["by"], "visitors", "leads", *(f"reached_{stage}" for stage in stages)]
    for name, transition in zip(transitions, report["transitions"], strict=True):
        owner = f" ({transition['department']})" if transition["department"] else ""
        header += [f"conversion {name}{owner}", f"median_seconds {name}"]
    writer.writerow(header)
    for name, figures in [("(total)", report["total"]), *((g["group"], g) for g in report["groups"])]:
        line = [name, _cell(figures["visitors"]), figures["leads"], *(figures["reached"][stage] for stage in stages)]
        for transition in figures["transitions"]:
            line += [_cell(transition["conversion"]), _cell(transition["median_seconds"])]
        writer.writerow(line)
    return out.getvalue()


ROI_COLUMNS = ("cost", "visitors", "leads", "won", "revenue", "cost_per_lead", "cost_per_won", "roi")


def roi_csv(report: Mapping[str, Any]) -> str:
    """One line per lead type and group (and each lead type's total), in the report's currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["lead_type", report["by"], *ROI_COLUMNS, "currency", "model"])
    for lead_type in ("marketing", "referral"):
        section = report.get(lead_type)
        if section is None:
            continue
        for name, row in [("(total)", section["total"]), *((g["group"], g) for g in section["groups"])]:
            writer.writerow([lead_type, name, *(_cell(row[column]) for column in ROI_COLUMNS), report["currency"],
                             report["model"]])
    return out.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else value
