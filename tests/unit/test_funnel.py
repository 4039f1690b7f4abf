"""The funnel/ROI projection's rules: what each lead event adds, and the reports read back from the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chalicelib.domain.attribution import DIRECT, Touch
from chalicelib.domain.credit import MODELS, Touchpoint
from chalicelib.domain.funnel import (
    ALL,
    UNITS,
    VISITORS,
    FunnelLead,
    LeadFacts,
    Row,
    accepted_by,
    dead_ends,
    funnel,
    outcome_reported,
    roi,
    stage_reached,
    start,
    visitor_deltas,
)

STAGES = ("awareness", "consideration", "decision", "customer")
DAY = "2026-03-15"
AD = Touch("paid_search", "google", "cpc", "spring")
MAIL = Touch("email", "newsletter", "email", "march-news")


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


# Mette: a Google ad on 1 March, the newsletter on 8 March, the form on 15 March (credit.py's worked example).
METTE = LeadFacts(created_at="2026-03-15T12:00:00.000Z", lead_type="marketing", last_touch=MAIL,
                  touchpoints=[Touchpoint(_at(1), AD, "/solceller"), Touchpoint(_at(8), MAIL, "/nyhed")],
                  landing_page="/nyhed")


def _sum(deltas: dict[Row, dict[str, int]], name: str, dim: str) -> dict[str, int]:
    return {row.group: counters[name] for row, counters in deltas.items() if row.dim == dim and name in counters}


def test_a_new_lead_counts_in_its_own_groups_in_the_first_stage():
    lead, deltas = start(METTE, STAGES)

    assert lead.day == DAY and lead.reached == ("awareness",)
    assert lead.groups == {"channel": "email", "campaign": "march-news", "source": "newsletter",
                           "landing_page": "/nyhed"}
    assert _sum(deltas, "leads", "campaign") == {"march-news": 1}
    assert _sum(deltas, "leads", "landing_page") == {"/nyhed": 1}
    assert _sum(deltas, "r_awareness", ALL) == {ALL: 1}
    assert {row.lead_type for row in deltas} == {"marketing"}


def test_the_lead_is_credited_to_its_touches_by_each_model_in_units_that_add_up_to_one_lead():
    _, deltas = start(METTE, STAGES)

    # Hand-computed: first touch all to the ad, last (non-direct) touch all to the newsletter, linear half each.
    assert _sum(deltas, "cl_first_touch", "campaign") == {"spring": UNITS}
    assert _sum(deltas, "cl_last_touch", "campaign") == {"march-news": UNITS}
    assert _sum(deltas, "cl_linear", "campaign") == {"spring": UNITS // 2, "march-news": UNITS // 2}
    assert _sum(deltas, "cl_position_based", "channel") == {"paid_search": UNITS // 2, "email": UNITS // 2}
    # Time decay: the ad is a week older than the newsletter, which is a week before the form: weights 1/4, 1/2.
    decay = _sum(deltas, "cl_time_decay", "campaign")
    assert decay == {"spring": 333_333_333_333, "march-news": 666_666_666_667}
    for model in MODELS:
        assert sum(_sum(deltas, f"cl_{model}", "campaign").values()) == UNITS
        assert sum(_sum(deltas, f"cl_{model}", "channel").values()) == UNITS


def test_a_skipped_stage_counts_too_and_the_time_goes_to_the_stage_reached():
    lead, _ = start(METTE, STAGES)

    moved, deltas = stage_reached(lead, "decision", "2026-03-15T14:00:00.000Z", "2026-03-15T12:00:00.000Z", STAGES)

    assert moved.reached == ("awareness", "consideration", "decision")
    assert _sum(deltas, "r_consideration", ALL) == {ALL: 1} and _sum(deltas, "r_decision", ALL) == {ALL: 1}
    assert _sum(deltas, "t_decision_72000", ALL) == {ALL: 1}  # two hours, in tenths of a second


def test_a_stage_reached_again_or_unknown_adds_nothing():
    lead, _ = start(METTE, STAGES)
    moved, _ = stage_reached(lead, "decision", "2026-03-15T14:00:00.000Z", None, STAGES)

    assert stage_reached(moved, "consideration", "2026-03-16T14:00:00.000Z", None, STAGES) == (moved, {})
    assert stage_reached(moved, "decision", "2026-03-16T14:00:00.000Z", None, STAGES) == (moved, {})
    assert stage_reached(moved, "churned", "2026-03-16T14:00:00.000Z", None, STAGES) == (moved, {})


def test_the_first_accepting_owner_gets_the_lead_and_the_stages_it_reached():
    lead, _ = start(METTE, STAGES)
    lead, _ = stage_reached(lead, "consideration", "2026-03-15T12:00:00.000Z", None, STAGES)

    owned, deltas = accepted_by(lead, "sales-a")

    assert owned.owner == "sales-a"
    assert deltas == {Row("owner", DAY, "marketing", "sales-a"): {"leads": 1, "r_awareness": 1,
                                                                  "r_consideration": 1}}
    assert accepted_by(owned, "sales-b") == (owned, {})  # a later accept (a new cycle) keeps the first owner
    later, more = stage_reached(owned, "decision", "2026-03-16T12:00:00.000Z", None, STAGES)
    assert _sum(more, "r_decision", "owner") == {"sales-a": 1}


def test_a_won_deal_is_credited_exactly_and_a_correction_takes_the_earlier_credit_back():
    lead, _ = start(METTE, STAGES)
    touchpoints = METTE.touchpoints

    won, first = outcome_reported(lead, touchpoints, "won", "1000.01", "2026-03-20T12:00:00.000Z")
    # Linear: 1000.01 split in cents by largest remainder, ties to the earlier: 500.01 and 500.00.
    assert _sum(first, "cr_linear", "campaign") == {"spring": 50001, "march-news": 50000}
    assert _sum(first, "cw_first_touch", "campaign") == {"spring": UNITS}

    corrected, second = outcome_reported(won, touchpoints, "won", "1200.00", "2026-03-20T12:00:00.000Z")
    # 1,200.00 splits 600.00 / 600.00: the ad gets 600.00 − 500.01 = 99.99 more, the newsletter 100.00.
    assert _sum(second, "cr_linear", "campaign") == {"spring": 60000 - 50001, "march-news": 60000 - 50000}
    assert _sum(second, "cw_linear", "campaign") == {}  # still one won deal: no change in its count

    lost, third = outcome_reported(corrected, touchpoints, "lost", None, "2026-03-21T12:00:00.000Z")
    assert _sum(third, "cr_linear", "campaign") == {"spring": -60000, "march-news": -60000}
    assert _sum(third, "cw_linear", "campaign") == {"spring": -UNITS // 2, "march-news": -UNITS // 2}
    assert lost.won_credit == {}


def test_a_touch_after_the_outcome_gets_none_of_its_revenue():
    lead, _ = start(METTE, STAGES)

    _, deltas = outcome_reported(lead, METTE.touchpoints, "won", "900", "2026-03-05T12:00:00.000Z")

    assert _sum(deltas, "cr_linear", "campaign") == {"spring": 90000}


def test_the_state_survives_storage():
    lead, _ = start(METTE, STAGES)
    lead, _ = accepted_by(lead, "sales-a")
    lead, _ = outcome_reported(lead, METTE.touchpoints, "won", "10", "2026-03-20T12:00:00.000Z")

    assert FunnelLead.from_dict(lead.as_dict()) == lead


def test_visitors_count_in_every_dimension_of_their_landing():
    deltas = visitor_deltas(DAY, {"channel": "direct", "campaign": "(none)", "source": "(direct)",
                                  "landing_page": "/"})

    assert deltas[Row(ALL, DAY, VISITORS, ALL)] == {"visitors": 1}
    assert deltas[Row("campaign", DAY, VISITORS, "(none)")] == {"visitors": 1}
    assert len(deltas) == 5


def _rows(*rows: tuple[str, str, str, dict[str, int]]) -> list[tuple[Row, dict[str, int]]]:
    return [(Row(dim, DAY, lead_type, group), counters) for dim, lead_type, group, counters in rows]


def test_the_funnel_report_gives_conversion_median_time_and_department_per_transition():
    grouped = _rows(
        ("campaign", VISITORS, "spring", {"visitors": 40}),
        ("campaign", "marketing", "spring", {"leads": 4, "r_awareness": 4, "r_consideration": 4, "r_decision": 1,
                                             "t_decision_36000": 1}),
        ("campaign", "referral", "spring", {"leads": 1, "r_awareness": 1, "r_consideration": 1}),
    )
    totals = _rows(("all", VISITORS, "all", {"visitors": 40}),
                   ("all", "marketing", "all", {"leads": 4, "r_awareness": 4, "r_consideration": 4, "r_decision": 1}),
                   ("all", "referral", "all", {"leads": 1, "r_awareness": 1, "r_consideration": 1}))

    report = funnel("campaign", grouped, totals, STAGES, {"consideration": "sales"})

    (spring,) = report["groups"]
    assert spring["visitors"] == 40 and spring["leads"] == 5
    to_decision = spring["transitions"][1]
    assert to_decision == {"from": "consideration", "to": "decision", "department": "sales", "entered": 5,
                           "moved": 1, "conversion": 0.2, "median_seconds": 3600.0}
    assert report["transitions"][0]["department"] is None  # nobody owns awareness → consideration: it shows
    by_type = funnel("lead_type", totals, totals, STAGES, {})
    assert [(group["group"], group["leads"], group["visitors"]) for group in by_type["groups"]] == [
        ("marketing", 4, None), ("referral", 1, None)]


def test_dead_ends_name_campaigns_without_leads_and_leads_without_a_decision():
    rows = _rows(("campaign", VISITORS, "summer", {"visitors": 12}),
                 ("campaign", VISITORS, "(none)", {"visitors": 50}),
                 ("campaign", "marketing", "spring", {"leads": 3, "r_decision": 0}),
                 ("campaign", "marketing", "autumn", {"leads": 2, "r_decision": 1}))

    assert dead_ends({"campaign": rows}, "decision") == {
        "no_leads": [{"by": "campaign", "group": "summer", "visitors": 12}],
        "no_decision": [{"by": "campaign", "group": "spring", "leads": 3}]}


def test_roi_per_group_with_referrals_apart_and_groups_adding_up_to_the_total():
    third = UNITS // 3
    rows = _rows(
        ("campaign", VISITORS, "spring", {"visitors": 100}),
        ("campaign", "marketing", "spring", {"cl_linear": 2 * UNITS + third, "cw_linear": UNITS,
                                             "cr_linear": 1_000_000}),
        ("campaign", "marketing", "(none)", {"cl_linear": UNITS - third}),
        ("campaign", "referral", "(none)", {"cl_linear": UNITS, "cw_linear": UNITS, "cr_linear": 500_000}),
    )

    report = roi("campaign", "linear", rows, {"spring": Decimal("2500.00"), "summer": Decimal("500.00")})

    spring = next(group for group in report["marketing"]["groups"] if group["group"] == "spring")
    # 2 1/3 leads for 2,500.00: 1,071.43 a lead; one won deal of 10,000.00: ROI (10000 − 2500) / 2500 = 3.
    assert spring == {"group": "spring", "cost": "2500.00", "visitors": 100, "leads": "2.33", "won": "1.00",
                      "revenue": "10000.00", "cost_per_lead": "1071.43", "cost_per_won": "2500.00", "roi": 3.0}
    summer = next(group for group in report["marketing"]["groups"] if group["group"] == "summer")
    assert (summer["leads"], summer["roi"], summer["cost_per_lead"]) == ("0.00", -1.0, None)
    total = report["marketing"]["total"]
    assert (total["cost"], total["leads"], total["revenue"], total["roi"]) == ("3000.00", "3.00", "10000.00", 2.3333)
    assert sum(Decimal(group["leads"]) for group in report["marketing"]["groups"]) == Decimal(total["leads"])
    referral = report["referral"]["total"]
    assert (referral["cost"], referral["leads"], referral["revenue"], referral["roi"]) == (
        "0.00", "1.00", "5000.00", None)


def test_a_lead_without_touches_is_credited_to_direct():
    facts = LeadFacts(created_at="2026-03-15T12:00:00.000Z", lead_type="marketing", last_touch=DIRECT,
                      touchpoints=[])
    _, deltas = start(facts, STAGES)

    assert _sum(deltas, "cl_linear", "channel") == {"direct": UNITS}
    assert _sum(deltas, "cl_linear", "campaign") == {"(none)": UNITS}
