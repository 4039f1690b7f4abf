"""The reseller rules as pure functions: routing among resellers, the deal-registration rule, the keyed e-mail hash,
what the producer may see, the scorecard, outcome counters and each reseller's share of campaign costs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from chalicelib.consumers.resellers import outcome_counters
from chalicelib.domain.attribution import DIRECT
from chalicelib.domain.funnel import UNITS, Row, reseller_costs
from chalicelib.domain.handover import HandoverState
from chalicelib.domain.journey import ResellerRoute
from chalicelib.domain.leads import Lead
from chalicelib.domain.resellers import (
    EndCustomerReport,
    PostcodeRange,
    Reseller,
    check_registration,
    email_hash,
    postcode_area,
    producer_view,
    reseller_candidates,
    scorecard,
    withheld_from_producer,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _reseller(reseller_id: str, regions: tuple[str, ...] = (), products: tuple[str, ...] = (),
              people: tuple[str, ...] = ("a", "b"), inbox: str | None = None, active: bool = True) -> Reseller:
    return Reseller(tenant_id="t", reseller_id=reseller_id, name=reseller_id.title(),
                    contacts=tuple(f"{person}@{reseller_id}.dk" for person in people), inbox=inbox,
                    regions=tuple(PostcodeRange.parse(region) for region in regions), products=products,
                    active=active)


def _route(**fields: Any) -> ResellerRoute:
    return ResellerRoute.model_validate({"strategy": "resellers", **fields})


class Turns:
    def __init__(self) -> None:
        self.taken: dict[str, int] = {}

    def __call__(self, rotation: str) -> int:
        self.taken[rotation] = self.taken.get(rotation, 0) + 1
        return self.taken[rotation]


# --- routing --------------------------------------------------------------------------------------------


def test_postcode_ranges_hold_their_ends_and_refuse_what_is_not_one():
    region = PostcodeRange.parse(" 8000-8999 ")
    assert region.holds("8000") and region.holds("8999") and not region.holds("9000") and not region.holds("8a00")
    assert str(PostcodeRange.parse("9000")) == "9000"
    for bad in ("8999-8000", "Aarhus", "8000-", "٨٠٠٠"):
        with pytest.raises(ValueError):
            PostcodeRange.parse(bad)


def test_a_lead_goes_to_the_resellers_of_its_postcode_in_turn_and_the_others_follow_in_id_order():
    resellers = [_reseller("syd", ("5000-5999",)), _reseller("nord-b", ("8000-8999",)),
                 _reseller("nord-a", ("8000-8999",)), _reseller("vest", ("6000-6999",))]
    turns = Turns()

    first = reseller_candidates(_route(), {"postcode": "8200"}, resellers, turns, "h", "ld_1")
    second = reseller_candidates(_route(), {"postcode": "8200"}, resellers, turns, "h", "ld_2")

    assert [reseller for reseller, _ in first] == ["nord-a", "nord-b", "syd", "vest"]
    assert [reseller for reseller, _ in second] == ["nord-b", "nord-a", "syd", "vest"]
    assert first[0][1] == "a@nord-a.dk" and second[0][1] == "a@nord-b.dk", "each reseller's own first turn"
    assert reseller_candidates(_route(others="never"), {"postcode": "8200"}, resellers, Turns(), "h",
                               "ld_3")[-1][0] == "nord-b"


def test_a_reseller_with_an_inbox_gets_it_and_an_inactive_or_unmatched_one_is_passed_by():
    resellers = [_reseller("a", products=("Solceller",), inbox="leads@a.dk"), _reseller("b", active=False),
                 _reseller("c", products=("Varmepumpe",))]

    chosen = reseller_candidates(_route(match="product"), {"product": " solceller "}, resellers, Turns(), "h", "l")
    nobody = reseller_candidates(_route(match="product", others="never"), {"product": "Vindmølle"}, resellers,
                                 Turns(), "h", "l")
    anyone = reseller_candidates(_route(match="product"), {"product": "Vindmølle"}, resellers, Turns(), "h", "l")

    assert chosen == [("a", "leads@a.dk"), ("c", chosen[1][1])]
    assert nobody == []
    assert [reseller for reseller, _ in anyone] == ["a", "c"], "no match: every active reseller in turn"


# --- the deal-registration rule --------------------------------------------------------------------------


def _handover(reseller: str | None, days_ago: int, status: str = "accepted", name: str = "to-resellers",
              candidates: tuple[str, ...] = (), resellers: tuple[str, ...] = ()) -> HandoverState:
    owner = f"salg@{reseller}.dk" if reseller else "sales@producer.dk"
    at = (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    return HandoverState(tenant_id="t", handover_id=f"ho_{days_ago}", lead_id="ld_1", name=name, owner=owner,
                         status=status, started_at=at, accept_due_at=at, contact_due_at=None, steps=(),
                         candidates=candidates or (owner,), reseller=reseller,
                         candidate_resellers=resellers or ((reseller,) if reseller else ()))


@pytest.mark.parametrize(("handovers", "rule"), [
    ([_handover("syd", 10, name="deal-registration")], "registered_by_another_reseller"),
    ([_handover("syd", 89)], "handed_to_another_reseller"),
    ([_handover(None, 5, status="offered")], "held_by_producer_sales"),
])
def test_a_registration_is_refused_within_90_days_naming_the_rule(handovers: list[HandoverState], rule: str):
    assert check_registration("nord", handovers, NOW).refused_by == rule


def test_a_registration_is_free_after_90_days_or_after_the_producers_own_gap_and_a_retry_is_already_yours():
    assert check_registration("nord", [_handover("syd", 91)], NOW).refused_by is None
    assert check_registration("nord", [_handover(None, 5, status="gap")], NOW).refused_by is None
    mine = _handover("nord", 3, name="deal-registration")
    assert check_registration("nord", [mine], NOW).already == mine


def test_a_reseller_that_declined_a_lead_later_handed_on_cannot_register_it():
    declined = _handover("syd", 2, candidates=("salg@nord.dk", "salg@syd.dk"), resellers=("nord", "syd"))
    declined = HandoverState(**{**declined.__dict__, "declined_by": ("salg@nord.dk",)})

    assert check_registration("nord", [declined], NOW).refused_by == "handed_to_another_reseller"


# --- hashes and what the producer may see -----------------------------------------------------------------


def test_the_keyed_hash_is_hmac_sha256_of_the_trimmed_lower_case_email():
    expected = hmac.new(b"ms_secret", b"karen@kunde.dk", hashlib.sha256).hexdigest()
    assert email_hash("ms_secret", "  Karen@Kunde.DK ") == expected
    assert email_hash("ms_other", "karen@kunde.dk") != expected


def _lead(consent: dict[str, dict[str, Any]] | None = None, referred_by: str | None = None) -> Lead:
    return Lead(tenant_id="t", lead_id="ld_1", email="karen@kunde.dk", stage="decision", stage_entered_at="x",
                lead_type="marketing", first_touch=DIRECT, last_touch=DIRECT, created_at="x", updated_at="x",
                name="Karen Holm", phone="+45 11 22 33 44", company="Holm ApS", referred_by=referred_by,
                fields={"postcode": "8210", "product": "Solceller"}, consent=consent or {})


REPORT = EndCustomerReport(lead_id="ld_1", reseller_id="nord", reported_at="2026-11-23T10:00:00.000Z",
                           event_id="e1", outcome="won", value="40000.00", currency="DKK")


@pytest.mark.parametrize(("consent", "shared"), [
    ({}, False),
    ({"share_with_producer": {"granted": True, "at": "x", "source": "form"}}, True),
    ({"share_with_producer": {"granted": False, "at": "y", "source": "withdrawn from an e-mail"}}, False),
    ({"survey": {"granted": True, "at": "x", "source": "form"}}, False),
])
def test_the_producer_sees_contact_details_only_with_share_with_producer_granted(consent: dict[str, Any],
                                                                                 shared: bool):
    view = producer_view(_lead(consent), REPORT, reseller_name="Nord El")

    assert view["shared"] is shared
    assert (view["email"], view["name"], view["phone"]) == (
        ("karen@kunde.dk", "Karen Holm", "+45 11 22 33 44") if shared else (None, None, None))
    assert (view["postcode_area"], view["product"], view["value"], view["outcome"]) == (
        "82xx", "Solceller", "40000.00", "won"), "pseudonymous facts always"


def test_a_registered_customer_is_withheld_from_the_producer_until_they_agree():
    agreed = {"share_with_producer": {"granted": True, "at": "x", "source": "reseller:nord: order"}}
    assert withheld_from_producer(_lead(referred_by="reseller:nord"))
    assert not withheld_from_producer(_lead(agreed, referred_by="reseller:nord"))
    assert not withheld_from_producer(_lead(referred_by="Karen's neighbour")), "a producer's own referral"
    assert postcode_area("82") is None and postcode_area("DK-8210") is None


# --- scorecard, outcome counters, cost shares ------------------------------------------------------------


def test_the_scorecard_adds_days_and_computes_rates_by_hand():
    rows = [("nord", {"handovers": 3, "accepted_in_sla": 2, "declined": 1, "won": 1, "lost": 1,
                      "revenue_cents": 1_250_050, "tta_t3000": 2, "unmatched": 2}),
            ("nord", {"handovers": 1, "accepted_late": 1, "registered": 1, "won": 1}),
            ("syd", {"handovers": 2, "gaps": 2})]

    card = scorecard(rows, {"nord": "Nord El", "syd": "Syd El", "vest": "Vest El"})

    nord, syd, vest = card["resellers"]
    assert (nord["leads_received"], nord["won"], nord["revenue"], nord["unmatched_sales"]) == (4, 2, "12500.50", 2)
    assert nord["win_rate"] == round(2 / 3, 4) and nord["won_per_lead"] == 0.4, "won ÷ (4 received + 1 registered)"
    assert nord["time_to_accept_p50"] == 300.0
    assert (syd["gaps"], syd["win_rate"]) == (2, None) and vest["leads_received"] == 0
    assert card["total"]["leads_received"] == 6 and card["total"]["won"] == 2


def test_a_corrected_outcome_takes_the_earlier_one_back():
    assert outcome_counters({"outcome": "won", "value": "10000.00"}) == {"won": 1, "revenue_cents": 1_000_000}
    corrected = outcome_counters({"outcome": "won", "value": "12000.00", "corrects": "e1",
                                  "previous": {"outcome": "won", "value": "10000.00"}})
    assert corrected == {"revenue_cents": 200_000}
    assert outcome_counters({"outcome": "lost", "corrects": "e1", "previous": {"outcome": "won", "value": "5.00"}}) \
        == {"won": -1, "revenue_cents": -500, "lost": 1}


def test_each_reseller_is_charged_its_share_of_each_campaigns_cost_and_the_cents_never_exceed_it():
    campaign_rows = [(Row("campaign", "d", "marketing", "spring"), {"cl_last_touch": 3 * UNITS}),
                     (Row("campaign", "d", "referral", "spring"), {"cl_last_touch": 5 * UNITS})]
    split = [(Row("reseller_campaign", "d", "marketing", "nord|spring"), {"cl_last_touch": UNITS}),
             (Row("reseller_campaign", "d", "marketing", "syd|spring"), {"cl_last_touch": UNITS}),
             (Row("reseller_campaign", "d", "referral", "nord|spring"), {"cl_last_touch": UNITS})]

    costs = reseller_costs({"spring": Decimal("100.00")}, campaign_rows, split, "last_touch")

    # Marketing credit only: 1 of 3 spring leads each, 100.00 × 1/3 = 33.333… each; the exact 66.666… rounds to
    # 66.67, and the missing cent goes to the first of the tie. The third lead took nobody: its third stays.
    assert costs == {"nord": Decimal("33.34"), "syd": Decimal("33.33")}
    assert Fraction(sum(costs.values())) <= Fraction(100)
