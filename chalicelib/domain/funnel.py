"""Funnel and ROI: what each lead event adds to a tenant's report rows, and the reports read back from them.

Rows. The change-stream consumer keeps counters per *dimension*, *day*, *lead type* and *group*: the dimension is
what a report groups by (``channel``, ``campaign``, ``source``, ``landing_page``, ``owner``, or ``all`` for the
totals), the group its value (``paid_search``, ``spring-2026``, …; ``(none)`` when a lead has none). A report over
a range reads the rows of one dimension in that range, so its cost grows with days × groups, never with leads.

Cohorts. Every figure of a lead belongs to the day the lead was created: a range answers "what became of the
leads that came in then" (stages they reached, deals they won, the revenue credited to each campaign), the way
the hand-over report counts hand-overs on their start day. Visitors belong to the day of their visit.

What is counted.

* ``visitors``: distinct visitors per day, each credited to the groups of its first landing that day (a page view
  arriving from outside the site: campaign fields or an external referrer or a typed address). Summed over a range
  it counts visitor-days; the groups of one dimension add up to the total.
* ``leads``: leads created, in the groups of the lead's last non-direct touch when it became a lead (its channel,
  campaign, source and landing page; ``direct`` when it has none) and of its lead type (marketing or referral,
  always apart). By owner: the owner who accepted the lead's first accepted hand-over; by reseller: the reseller
  whose people accepted it first (or that registered the deal itself).
* ``r_{stage}``: leads that reached the stage. A lead that skips a stage (a won deal straight from consideration)
  counts for every stage on the way, so the funnel never widens. By owner, counted from the accept on for the
  stages reached so far and later.
* ``t_{stage}_{tenths}``: how long a lead took to reach the stage from entering the stage it left, kept as a count
  per value like the hand-over times (``domain.reports.kept_tenths``); the report shows the median (nearest rank).
* Attribution (campaign and channel rows only, per model of ``domain.credit``): ``cl_{model}`` the lead credited at
  its creation, ``cw_{model}`` a won deal credited at the outcome's time, ``cr_{model}`` its value in cents. Shares are
  kept as whole units of 10^-12 of a lead (and whole cents), rounded per lead by largest remainder so that one
  lead's units add up to exactly 10^12 and its revenue to exactly its value: sums stay exact integers. A
  corrected outcome takes back exactly what the earlier one credited (the lead's projection state remembers it).
* Resellers: a reseller's row credits the whole lead and its whole won value to the reseller (every model alike);
  ``reseller_campaign`` rows (group ``{reseller}|{campaign}``) keep, per model, the campaign credit of the leads
  the reseller took, so the ROI report can charge each reseller its share of each campaign's cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from chalicelib.domain.attribution import Touch
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.credit import MODELS, NO_GROUP, Model, Touchpoint, apportion, credit
from chalicelib.domain.reports import kept_tenths, percentile

ALL = "all"
VISITORS = "-"
LEAD_DIMENSIONS = ("channel", "campaign", "source", "landing_page")
FUNNEL_BY = ("channel", "campaign", "source", "lead_type", "landing_page", "owner", "reseller")
ROI_BY = ("campaign", "channel", "reseller")
RESELLER_CAMPAIGN = "reseller_campaign"
CREDITED = ("campaign", "channel")
UNITS = 10**12
LEAD_TYPES = ("marketing", "referral")
HANDLED_EVENTS = frozenset({"form_submit", "stage_change", "accepted", "outcome_recorded", "outcome_corrected",
                            "deal_registered"})


@dataclass(frozen=True, order=True)
class Row:
    """Where a counter goes: a dimension's group on a day, for one lead type (``-`` for visitors)."""

    dim: str
    day: str
    lead_type: str
    group: str


Deltas = dict[Row, dict[str, int]]


@dataclass(frozen=True)
class FunnelLead:
    """What the projection remembers of one lead: its cohort day, groups, stages reached, owner, won credit."""

    day: str
    lead_type: str
    groups: Mapping[str, str]
    reached: tuple[str, ...] = ()
    owner: str | None = None
    # What the current won outcome credited: "model|dim|group" → [won units, revenue cents].
    won_credit: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    reseller: str | None = None

    def rows(self) -> list[Row]:
        """The rows of the lead's own groups (not the credited ones)."""
        own = [Row(ALL, self.day, self.lead_type, ALL)]
        own += [Row(dim, self.day, self.lead_type, self.groups.get(dim) or NO_GROUP) for dim in LEAD_DIMENSIONS]
        if self.owner:
            own.append(Row("owner", self.day, self.lead_type, self.owner))
        if self.reseller:
            own.append(Row("reseller", self.day, self.lead_type, self.reseller))
        return own

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "lead_type": self.lead_type, "groups": dict(self.groups),
                "reached": list(self.reached), "owner": self.owner, "reseller": self.reseller,
                "won_credit": {key: list(value) for key, value in self.won_credit.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FunnelLead:
        return cls(day=str(data["day"]), lead_type=str(data["lead_type"]),
                   groups={str(k): str(v) for k, v in dict(data.get("groups") or {}).items()},
                   reached=tuple(str(stage) for stage in data.get("reached") or ()),
                   owner=str(data["owner"]) if data.get("owner") else None,
                   reseller=str(data["reseller"]) if data.get("reseller") else None,
                   won_credit={str(k): (int(v[0]), int(v[1])) for k, v in dict(data.get("won_credit") or {}).items()})


@dataclass(frozen=True)
class LeadFacts:
    """The lead as the projection needs it when it first sees it (a plain view of ``domain.leads.Lead``)."""

    created_at: str
    lead_type: str
    last_touch: Touch
    touchpoints: Sequence[Touchpoint]
    landing_page: str | None = None


def _add(deltas: Deltas, row: Row, name: str, value: int) -> None:
    if value:
        counters = deltas.setdefault(row, {})
        counters[name] = counters.get(name, 0) + value


def start(facts: LeadFacts, stages: Sequence[str]) -> tuple[FunnelLead, Deltas]:
    """A lead first seen: counted as a lead in its groups, in the first stage, and credited to its touches."""
    touch = facts.last_touch
    lead = FunnelLead(
        day=facts.created_at[:10], lead_type=facts.lead_type,
        groups={"channel": touch.channel, "campaign": touch.campaign or NO_GROUP,
                "source": touch.source or NO_GROUP, "landing_page": facts.landing_page or NO_GROUP},
        reached=(stages[0],) if stages else (),
    )
    deltas: Deltas = {}
    for row in lead.rows():
        _add(deltas, row, "leads", 1)
        if stages:
            _add(deltas, row, f"r_{stages[0]}", 1)
    converted = parse_iso(facts.created_at)
    for model in MODELS:
        for (dim, group), (units, _cents) in _credited(facts.touchpoints, converted, model, 0).items():
            _add(deltas, Row(dim, lead.day, lead.lead_type, group), f"cl_{model}", units)
    return lead, deltas


def stage_reached(lead: FunnelLead, to: str, at: str, entered_from_at: str | None, stages: Sequence[str]
                  ) -> tuple[FunnelLead, Deltas]:
    """A move to ``to``: every stage up to it not reached before counts now (a skipped one too)."""
    if to not in stages:
        return lead, {}
    newly = [stage for stage in stages[:stages.index(to) + 1] if stage not in lead.reached]
    if not newly:
        return lead, {}
    deltas: Deltas = {}
    for row in lead.rows():
        for stage in newly:
            _add(deltas, row, f"r_{stage}", 1)
        if entered_from_at:
            seconds = max(0.0, (parse_iso(at) - parse_iso(entered_from_at)).total_seconds())
            _add(deltas, row, f"t_{to}_{kept_tenths(seconds)}", 1)
    return replace(lead, reached=(*lead.reached, *newly)), deltas


def accepted_by(lead: FunnelLead, owner: str, reseller: str | None = None,
                touchpoints: Sequence[Touchpoint] = (), created_at: str | None = None) -> tuple[FunnelLead, Deltas]:
    """The first accept names the lead's owner (and, through a reseller, its reseller): their rows count the lead
    and the stages it reached; a reseller's also get the lead's credit, whole, and per campaign (for its cost)."""
    deltas: Deltas = {}
    if owner and not lead.owner:
        lead = replace(lead, owner=owner)
        _count_held(deltas, lead, Row("owner", lead.day, lead.lead_type, owner))
    if reseller and not lead.reseller:
        lead = replace(lead, reseller=reseller)
        row = Row("reseller", lead.day, lead.lead_type, reseller)
        _count_held(deltas, lead, row)
        converted = parse_iso(created_at) if created_at else None
        for model in MODELS:
            _add(deltas, row, f"cl_{model}", UNITS)
            if converted is None or not touchpoints:
                continue
            for (dim, group), (units, _cents) in _credited(touchpoints, converted, model, 0).items():
                if dim == "campaign":
                    _add(deltas, Row(RESELLER_CAMPAIGN, lead.day, lead.lead_type, f"{reseller}|{group}"),
                         f"cl_{model}", units)
    return lead, deltas


def _count_held(deltas: Deltas, lead: FunnelLead, row: Row) -> None:
    _add(deltas, row, "leads", 1)
    for stage in lead.reached:
        _add(deltas, row, f"r_{stage}", 1)


def outcome_reported(lead: FunnelLead, touchpoints: Sequence[Touchpoint], outcome: str, value: str | None,
                     outcome_at: str) -> tuple[FunnelLead, Deltas]:
    """A (corrected) outcome: what the earlier won outcome credited is taken back, a won one is credited."""
    credited: dict[str, tuple[int, int]] = {}
    if outcome == "won":
        cents = int((Decimal(value) * 100).to_integral_value()) if value else 0
        converted = parse_iso(outcome_at)
        for model in MODELS:
            for (dim, group), parts in _credited(touchpoints, converted, model, cents).items():
                credited[f"{model}|{dim}|{group}"] = parts
            if lead.reseller:
                credited[f"{model}|reseller|{lead.reseller}"] = (UNITS, cents)
    deltas: Deltas = {}
    for key in sorted({*lead.won_credit, *credited}):
        model, dim, group = key.split("|", 2)
        old_units, old_cents = lead.won_credit.get(key, (0, 0))
        new_units, new_cents = credited.get(key, (0, 0))
        row = Row(dim, lead.day, lead.lead_type, group)
        _add(deltas, row, f"cw_{model}", new_units - old_units)
        _add(deltas, row, f"cr_{model}", new_cents - old_cents)
    return replace(lead, won_credit=credited), deltas


def _credited(touchpoints: Sequence[Touchpoint], converted_at: datetime, model: str, cents: int
              ) -> dict[tuple[str, str], tuple[int, int]]:
    """One lead's credit under ``model`` per (dimension, group): units of 10^-12 lead and cents, exact per lead."""
    credits = credit(touchpoints, converted_at, cast(Model, model))
    units = [int(u) for u in apportion([share * UNITS for _, share in credits], Decimal(1))]
    money = [int(c) for c in apportion([share * cents for _, share in credits], Decimal(1))]
    grouped: dict[tuple[str, str], tuple[int, int]] = {}
    for (touchpoint, _share), unit, cent in zip(credits, units, money, strict=True):
        for dim in CREDITED:
            group = (touchpoint.touch.campaign or NO_GROUP) if dim == "campaign" else touchpoint.touch.channel
            held = grouped.get((dim, group), (0, 0))
            grouped[(dim, group)] = (held[0] + unit, held[1] + cent)
    return grouped


def first_landings(view_groups: Mapping[str, str | None]) -> dict[str, str]:
    """The groups a visitor's landing counts for, ``(none)`` for what it lacks."""
    return {dim: view_groups.get(dim) or NO_GROUP for dim in LEAD_DIMENSIONS}


def visitor_deltas(day: str, groups: Mapping[str, str]) -> Deltas:
    deltas: Deltas = {Row(ALL, day, VISITORS, ALL): {"visitors": 1}}
    for dim in LEAD_DIMENSIONS:
        deltas[Row(dim, day, VISITORS, groups[dim])] = {"visitors": 1}
    return deltas


# --- reading the rows ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, counters: Mapping[str, int]) -> None:
        for name, value in counters.items():
            self.counts[name] = self.counts.get(name, 0) + int(value)

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)

    def times(self, stage: str) -> dict[int, int]:
        prefix = f"t_{stage}_"
        return {int(name[len(prefix):]): value for name, value in self.counts.items()
                if name.startswith(prefix) and name[len(prefix):].isdigit()}


def _stage_figures(tally: Tally, stages: Sequence[str], departments: Mapping[str, str | None],
                   visitors: int | None) -> dict[str, Any]:
    reached = {stage: tally.get(f"r_{stage}") for stage in stages}
    transitions = []
    for before, after in zip(stages, stages[1:], strict=False):
        entered, moved = reached[before], reached[after]
        transitions.append({
            "from": before, "to": after, "department": departments.get(before),
            "entered": entered, "moved": moved,
            "conversion": round(moved / entered, 4) if entered else None,
            "median_seconds": percentile(tally.times(after), 50),
        })
    return {"visitors": visitors, "leads": tally.get("leads"), "reached": reached, "transitions": transitions}


RowCounters = tuple[Row, Mapping[str, int]]


def funnel(by: str, grouped: Iterable[RowCounters], totals: Iterable[RowCounters], stages: Sequence[str],
           departments: Mapping[str, str | None]) -> dict[str, Any]:
    """The funnel per group of ``by`` and in total, from the rows of that dimension and of ``all``."""
    groups: dict[str, Tally] = {}
    visitors: dict[str, int] = {}
    source = totals if by == "lead_type" else grouped
    for row, counters in source:
        if row.lead_type == VISITORS:
            visitors[row.group] = visitors.get(row.group, 0) + int(counters.get("visitors", 0))
            continue
        key = row.lead_type if by == "lead_type" else row.group
        groups.setdefault(key, Tally()).add(counters)
    total, total_visitors = Tally(), 0
    for row, counters in totals:
        if row.lead_type == VISITORS:
            total_visitors += int(counters.get("visitors", 0))
        else:
            total.add(counters)
    has_visitors = by in LEAD_DIMENSIONS
    names = sorted({*groups, *(visitors if has_visitors else {})})
    return {
        "by": by,
        "stages": list(stages),
        "transitions": [{"from": before, "to": after, "department": departments.get(before)}
                        for before, after in zip(stages, stages[1:], strict=False)],
        "total": _stage_figures(total, stages, departments, total_visitors),
        "groups": [{"group": name, **_stage_figures(groups.get(name, Tally()), stages, departments,
                                                     visitors.get(name, 0) if has_visitors else None)}
                   for name in names],
    }


def dead_ends(by_dim: Mapping[str, Iterable[RowCounters]], decision: str | None) -> dict[str, list[dict[str, Any]]]:
    """Campaigns and landing pages with visitors but no leads; groups with leads of which none reached ``decision``."""
    no_leads: list[dict[str, Any]] = []
    no_decision: list[dict[str, Any]] = []
    for dim, rows in by_dim.items():
        visitors: dict[str, int] = {}
        leads: dict[str, Tally] = {}
        for row, counters in rows:
            if row.lead_type == VISITORS:
                visitors[row.group] = visitors.get(row.group, 0) + int(counters.get("visitors", 0))
            else:
                leads.setdefault(row.group, Tally()).add(counters)
        for group in sorted(visitors):
            if group != NO_GROUP and visitors[group] and not leads.get(group, Tally()).get("leads"):
                no_leads.append({"by": dim, "group": group, "visitors": visitors[group]})
        for group, tally in sorted(leads.items()):
            if decision and tally.get("leads") and not tally.get(f"r_{decision}"):
                no_decision.append({"by": dim, "group": group, "leads": tally.get("leads")})
    return {"no_leads": no_leads, "no_decision": no_decision}


def _ratio(amount: Decimal, count: Fraction) -> str | None:
    if not count:
        return None
    return f"{(amount / Decimal(count.numerator) * Decimal(count.denominator)).quantize(Decimal('0.01')):f}"


def roi(by: str, model: str, rows: Iterable[RowCounters], costs: Mapping[str, Decimal]) -> dict[str, Any]:
    """Cost, visitors, credited leads, won deals and revenue per group, marketing and referral apart.

    Leads, won deals and revenue are credited by ``model``; the groups are rounded by largest remainder so they
    add up to the total. ROI = (revenue − cost) / cost (None without cost); referrals carry no campaign cost.
    """
    visitors: dict[str, int] = {}
    tallies: dict[str, dict[str, Tally]] = {lead_type: {} for lead_type in LEAD_TYPES}
    for row, counters in rows:
        if row.lead_type == VISITORS:
            visitors[row.group] = visitors.get(row.group, 0) + int(counters.get("visitors", 0))
        elif row.lead_type in tallies:
            tallies[row.lead_type].setdefault(row.group, Tally()).add(counters)
    answer: dict[str, Any] = {}
    for lead_type in LEAD_TYPES:
        marketing = lead_type == "marketing"
        groups = tallies[lead_type]
        names = sorted({*groups, *(costs if marketing else {}), *(visitors if marketing else {})})
        exact = {name: groups.get(name, Tally()) for name in names}
        leads = [Fraction(exact[name].get(f"cl_{model}"), UNITS) for name in names]
        won = [Fraction(exact[name].get(f"cw_{model}"), UNITS) for name in names]
        revenue = [Fraction(exact[name].get(f"cr_{model}"), 100) for name in names]
        shown = (apportion(leads), apportion(won), apportion(revenue))
        section_rows = []
        for index, name in enumerate(names):
            cost = costs.get(name, Decimal(0)) if marketing else Decimal(0)
            section_rows.append(_roi_row(name, cost, visitors.get(name, 0) if marketing else None, leads[index],
                                         won[index], revenue[index], tuple(part[index] for part in shown)))
        total_cost = sum((costs.get(name, Decimal(0)) for name in names), Decimal(0)) if marketing else Decimal(0)
        totals = (sum(leads, Fraction(0)), sum(won, Fraction(0)), sum(revenue, Fraction(0)))
        total_shown = tuple(apportion([amount])[0] for amount in totals)
        answer[lead_type] = {
            "total": _roi_row(None, total_cost, sum(visitors.values()) if marketing else None, *totals, total_shown),
            "groups": section_rows,
        }
    return {"by": by, "model": model, **answer}


def reseller_costs(campaign_costs: Mapping[str, Decimal], campaign_rows: Iterable[RowCounters],
                   split_rows: Iterable[RowCounters], model: str) -> dict[str, Decimal]:
    """Each reseller's share of the campaigns' costs: a campaign's cost times the share of its marketing leads'
    credit (under ``model``) that went to leads the reseller took; what no reseller took stays unallocated.

    Shares are exact fractions; each campaign's allocation is rounded to cents by largest remainder, so the
    resellers' costs never add up to more than the campaign cost.
    """
    credited: dict[str, int] = {}
    for row, counters in campaign_rows:
        if row.lead_type == "marketing":
            credited[row.group] = credited.get(row.group, 0) + int(counters.get(f"cl_{model}", 0))
    taken: dict[str, dict[str, int]] = {}
    for row, counters in split_rows:
        if row.lead_type != "marketing":
            continue
        reseller, _, campaign = row.group.partition("|")
        per = taken.setdefault(campaign, {})
        per[reseller] = per.get(reseller, 0) + int(counters.get(f"cl_{model}", 0))
    costs: dict[str, Decimal] = {}
    for campaign, per in sorted(taken.items()):
        total, cost = credited.get(campaign, 0), campaign_costs.get(campaign, Decimal(0))
        if not total or not cost:
            continue
        names = sorted(per)
        shares = apportion([Fraction(per[name], total) * Fraction(cost) for name in names], Decimal("0.01"))
        for name, share in zip(names, shares, strict=True):
            costs[name] = costs.get(name, Decimal(0)) + share
    return costs


def _roi_row(name: str | None, cost: Decimal, visitors: int | None, leads: Fraction, won: Fraction,
             revenue: Fraction, shown: tuple[Decimal, ...]) -> dict[str, Any]:
    revenue_exact = Decimal(revenue.numerator) / Decimal(revenue.denominator)
    row: dict[str, Any] = {} if name is None else {"group": name}
    row.update({
        "cost": f"{cost.quantize(Decimal('0.01')):f}", "visitors": visitors,
        "leads": f"{shown[0]:f}", "won": f"{shown[1]:f}", "revenue": f"{shown[2]:f}",
        "cost_per_lead": _ratio(cost, leads) if cost else None,
        "cost_per_won": _ratio(cost, won) if cost else None,
        "roi": float(round((revenue_exact - cost) / cost, 4)) if cost else None,
    })
    return row
