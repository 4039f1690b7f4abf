"""Attribution models: how Nordlys Solar's leads and won deals are credited to the touches before conversion.

Every expected share is worked out by hand in the comments beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.attribution import CHANNELS, DIRECT, Touch
from chalicelib.domain.credit import (
    GROUPINGS,
    MODELS,
    NO_GROUP,
    SHARE_UNIT,
    Conversion,
    Credit,
    GroupCredit,
    Touchpoint,
    apportion,
    credit,
    credit_groups,
    no_touch,
    time_decay_weight,
)

SUBMITTED = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)

AD = Touch("paid_search", "google", "cpc", "spring-heatpumps")
NEWSLETTER = Touch("email", "newsletter", "email", "march-news")
LINKEDIN = Touch("social", "linkedin.com", "social", None)
BLOG = Touch("referral", "energiforum.dk", "referral", None)


def days_before(days: float, touch: Touch, page: str | None = "/varmepumper") -> Touchpoint:
    return Touchpoint(SUBMITTED - timedelta(days=days), touch, page)


def shares(credits: list[Credit]) -> list[Fraction]:
    return [item.share for item in credits]


# Mette: a Google ad 14 days before, the newsletter 7 days before, typed the address at the submission.
METTE = [days_before(14, AD), days_before(7, NEWSLETTER), days_before(0, DIRECT, "/kontakt")]


# --- the worked example of the module docstring, model by model -------------------------------------------------


def test_first_touch_credits_the_ad_that_began_the_journey():
    assert shares(credit(METTE, SUBMITTED, "first_touch")) == [1, 0, 0]


def test_last_touch_skips_the_typed_address_and_credits_the_newsletter():
    # The last touch is direct, so the last non-direct one (the newsletter) gets it all.
    assert shares(credit(METTE, SUBMITTED, "last_touch")) == [0, 1, 0]


def test_linear_gives_each_touch_a_third():
    # 3 touches: 1/3 each; 1/3 + 1/3 + 1/3 = 1
    assert shares(credit(METTE, SUBMITTED, "linear")) == [Fraction(1, 3)] * 3


def test_position_based_gives_forty_percent_to_the_ends_and_twenty_to_the_middle():
    # first 40 % = 2/5, last 40 % = 2/5, the one middle touch the remaining 20 % = 1/5; 2/5 + 1/5 + 2/5 = 1
    assert shares(credit(METTE, SUBMITTED, "position_based")) == [Fraction(2, 5), Fraction(1, 5), Fraction(2, 5)]


def test_time_decay_halves_the_weight_every_seven_days():
    # weights: 14 days before 2^-2 = 1/4, 7 days before 2^-1 = 1/2, at the submission 2^0 = 1; sum 7/4
    # shares: (1/4)/(7/4) = 1/7, (1/2)/(7/4) = 2/7, 1/(7/4) = 4/7
    # in 10^-12 units: 1/7 → 142857142857.142…, 2/7 → 285714285714.285…, 4/7 → 571428571428.571…
    # floors add up to 999999999999; the one missing unit goes to the largest remainder (.571, the last touch)
    assert shares(credit(METTE, SUBMITTED, "time_decay")) == [
        Fraction(142857142857, 10**12), Fraction(285714285714, 10**12), Fraction(571428571429, 10**12)]


def test_time_decay_weighs_touches_seven_and_fourteen_days_before_a_half_and_a_quarter():
    assert time_decay_weight(SUBMITTED, SUBMITTED) == 1
    assert time_decay_weight(SUBMITTED - timedelta(days=7), SUBMITTED) == Fraction(1, 2)
    assert time_decay_weight(SUBMITTED - timedelta(days=14), SUBMITTED) == Fraction(1, 4)
    assert time_decay_weight(SUBMITTED - timedelta(days=70), SUBMITTED) == Fraction(1, 1024)


def test_time_decay_weight_between_whole_half_lives_is_the_power_of_two():
    # 3.5 days is half a half-life: 2^-0.5 = 0.70710678118654…; 10.5 days: 2^-1.5 = 0.35355339059327…
    assert float(time_decay_weight(SUBMITTED - timedelta(days=3.5), SUBMITTED)) == pytest.approx(0.7071067811865476)
    assert float(time_decay_weight(SUBMITTED - timedelta(days=10.5), SUBMITTED)) == pytest.approx(0.3535533905932738)


def test_time_decay_of_two_touches_a_half_life_apart_is_one_third_and_two_thirds():
    # weights 1/2 and 1, sum 3/2: shares 1/3 and 2/3
    # units: 333333333333.33… and 666666666666.66…; floors 999999999999, the missing unit to the .66 (the last touch)
    credits = credit([days_before(7, AD), days_before(0, NEWSLETTER)], SUBMITTED, "time_decay")
    assert shares(credits) == [Fraction(333333333333, 10**12), Fraction(666666666667, 10**12)]


def test_time_decay_shares_are_whole_multiples_of_the_share_unit():
    touches = [days_before(19.3, AD), days_before(2.71, BLOG), days_before(0.001, LINKEDIN)]
    for item in credit(touches, SUBMITTED, "time_decay"):
        assert (item.share / SHARE_UNIT).denominator == 1


def test_position_based_spreads_the_middle_twenty_percent_over_three_middle_touches():
    # 5 touches: 2/5 first, 2/5 last, the middle three 1/5 ÷ 3 = 1/15 each; 2/5 + 3/15 + 2/5 = 6/15 + 3/15 + 6/15 = 1
    touches = [days_before(20, AD), days_before(15, BLOG), days_before(10, LINKEDIN), days_before(5, NEWSLETTER),
               days_before(1, AD)]
    assert shares(credit(touches, SUBMITTED, "position_based")) == [
        Fraction(2, 5), Fraction(1, 15), Fraction(1, 15), Fraction(1, 15), Fraction(2, 5)]


def test_linear_over_four_touches_gives_a_quarter_each():
    touches = [days_before(9, AD), days_before(6, BLOG), days_before(3, DIRECT), days_before(0, LINKEDIN)]
    assert shares(credit(touches, SUBMITTED, "linear")) == [Fraction(1, 4)] * 4


# --- edge cases -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_a_single_touch_gets_the_whole_lead_in_every_model(model):
    credits = credit([days_before(3, AD)], SUBMITTED, model)
    assert credits == [Credit(days_before(3, AD), Fraction(1))]


@pytest.mark.parametrize(("model", "expected"), [
    ("first_touch", [1, 0]),
    ("last_touch", [0, 1]),
    ("linear", [Fraction(1, 2), Fraction(1, 2)]),
    # two touches have no middle: 40/20/40 becomes 50/50
    ("position_based", [Fraction(1, 2), Fraction(1, 2)]),
])
def test_two_touches(model, expected):
    assert shares(credit([days_before(2, AD), days_before(1, LINKEDIN)], SUBMITTED, model)) == expected


def test_last_touch_of_a_visitor_who_only_ever_typed_the_address_is_the_last_direct_visit():
    touches = [days_before(5, DIRECT, "/"), days_before(2, DIRECT, "/priser"), days_before(0, DIRECT, "/kontakt")]
    credits = credit(touches, SUBMITTED, "last_touch")
    assert shares(credits) == [0, 0, 1]
    assert credits[2].touchpoint.landing_page == "/kontakt"


def test_first_touch_keeps_a_direct_first_visit():
    touches = [days_before(5, DIRECT, "/"), days_before(2, AD)]
    assert shares(credit(touches, SUBMITTED, "first_touch")) == [1, 0]


@pytest.mark.parametrize("model", MODELS)
def test_touches_after_the_conversion_are_ignored(model):
    later = Touchpoint(SUBMITTED + timedelta(days=1), LINKEDIN, "/tak")
    credits = credit([days_before(4, AD), later], SUBMITTED, model)
    assert credits == [Credit(days_before(4, AD), Fraction(1))]


def test_a_touch_at_the_very_instant_of_the_conversion_counts():
    credits = credit([days_before(7, AD), Touchpoint(SUBMITTED, BLOG, "/kontakt")], SUBMITTED, "last_touch")
    assert shares(credits) == [0, 1]


@pytest.mark.parametrize("model", MODELS)
def test_a_lead_without_touches_is_credited_whole_to_the_direct_no_touch_bucket(model):
    credits = credit([], SUBMITTED, model)
    assert credits == [Credit(Touchpoint(SUBMITTED, DIRECT, None), Fraction(1))]
    assert credits[0].touchpoint == no_touch(SUBMITTED)


def test_a_lead_whose_only_touches_came_after_it_converted_goes_to_the_no_touch_bucket():
    credits = credit([Touchpoint(SUBMITTED + timedelta(hours=1), AD)], SUBMITTED, "linear")
    assert credits == [Credit(no_touch(SUBMITTED), Fraction(1))]


def test_touches_given_out_of_order_are_credited_in_time_order():
    credits = credit([days_before(1, LINKEDIN), days_before(9, AD)], SUBMITTED, "first_touch")
    assert [item.touchpoint.touch for item in credits] == [AD, LINKEDIN]
    assert shares(credits) == [1, 0]


def test_same_time_touches_keep_their_given_order():
    same = SUBMITTED - timedelta(days=2)
    touches = [Touchpoint(same, AD), Touchpoint(same, BLOG), Touchpoint(same, LINKEDIN)]
    assert shares(credit(touches, SUBMITTED, "first_touch")) == [1, 0, 0]
    assert shares(credit(touches, SUBMITTED, "last_touch")) == [0, 0, 1]
    # 2/5, 1/5, 2/5 by position in the given order
    assert shares(credit(touches, SUBMITTED, "position_based")) == [Fraction(2, 5), Fraction(1, 5), Fraction(2, 5)]


def test_same_time_touches_share_time_decay_equally_with_the_spare_unit_to_the_later_one():
    # equal weights: 1/3 each = 333333333333.33… units; floors 999999999999, the remainders tie (1/3 each)
    # and the missing unit goes to the later touch in the given order
    same = SUBMITTED - timedelta(days=2)
    touches = [Touchpoint(same, AD), Touchpoint(same, BLOG), Touchpoint(same, LINKEDIN)]
    assert shares(credit(touches, SUBMITTED, "time_decay")) == [
        Fraction(333333333333, 10**12), Fraction(333333333333, 10**12), Fraction(333333333334, 10**12)]


def test_a_touch_a_year_before_still_gets_a_share_however_small():
    credits = credit([days_before(365, AD), days_before(0, NEWSLETTER)], SUBMITTED, "time_decay")
    # 365 days = 52.14 half-lives: weight 2^-52.14 ≈ 2e-16, below the 10^-12 unit, so it rounds to 0
    assert shares(credits) == [0, 1]


def test_an_unknown_model_is_refused_by_name():
    with pytest.raises(ValueError, match="'u_shaped'.*first_touch, last_touch, linear, position_based, time_decay"):
        credit(METTE, SUBMITTED, "u_shaped")  # type: ignore[arg-type]


def test_an_unknown_grouping_is_refused_by_name():
    with pytest.raises(ValueError, match="'country'.*campaign, channel, source, medium, landing_page"):
        credit_groups([], "linear", "country")  # type: ignore[arg-type]


# --- grouping many leads ----------------------------------------------------------------------------------------


def test_revenue_is_credited_per_campaign_as_value_times_share():
    # Mette's won deal is worth 30,000 kr.; Jonas came from the blog and the ad, and his deal is worth 12,000 kr.;
    # Sara has no touches and no deal yet.
    jonas = [days_before(10, BLOG, "/blog/varmepumpe-guide"), days_before(3, AD)]
    conversions = [Conversion(METTE, SUBMITTED, Decimal("30000.00")), Conversion(jonas, SUBMITTED, 12000),
                   Conversion([], SUBMITTED)]

    groups = credit_groups(conversions, "position_based", "campaign")

    # Mette: ad 2/5 → 12,000; newsletter 1/5 → 6,000; direct 2/5 → 12,000 (no campaign)
    # Jonas: blog 1/2 → 6,000 (no campaign); ad 1/2 → 6,000
    # Sara: the whole lead to the no-touch bucket (no campaign), no revenue
    assert groups == {
        "spring-heatpumps": GroupCredit(leads=Fraction(2, 5) + Fraction(1, 2), revenue=Fraction(18000)),
        "march-news": GroupCredit(leads=Fraction(1, 5), revenue=Fraction(6000)),
        NO_GROUP: GroupCredit(leads=Fraction(2, 5) + Fraction(1, 2) + 1, revenue=Fraction(18000)),
    }


def test_leads_are_credited_per_channel_under_time_decay():
    groups = credit_groups([Conversion(METTE, SUBMITTED, 7000)], "time_decay", "channel")
    # shares 0.142857142857, 0.285714285714, 0.571428571429 of 7,000 kr.: 999.999999999, 1999.999999998, 4000.000000003
    assert groups == {
        "paid_search": GroupCredit(Fraction(142857142857, 10**12), Fraction(142857142857 * 7000, 10**12)),
        "email": GroupCredit(Fraction(285714285714, 10**12), Fraction(285714285714 * 7000, 10**12)),
        "direct": GroupCredit(Fraction(571428571429, 10**12), Fraction(571428571429 * 7000, 10**12)),
    }
    assert sum(group.revenue for group in groups.values()) == 7000


def test_leads_are_grouped_by_source_medium_and_landing_page():
    conversions = [Conversion(METTE, SUBMITTED, 100)]
    assert credit_groups(conversions, "last_touch", "source") == {"newsletter": GroupCredit(Fraction(1), Fraction(100))}
    assert credit_groups(conversions, "last_touch", "medium") == {"email": GroupCredit(Fraction(1), Fraction(100))}
    assert credit_groups(conversions, "first_touch", "landing_page") == {
        "/varmepumper": GroupCredit(Fraction(1), Fraction(100))}
    # the no-touch bucket has no landing page and no campaign; its source is "(direct)" and its channel "direct"
    empty = [Conversion([], SUBMITTED, 5)]
    assert credit_groups(empty, "linear", "landing_page") == {NO_GROUP: GroupCredit(Fraction(1), Fraction(5))}
    assert credit_groups(empty, "linear", "source") == {"(direct)": GroupCredit(Fraction(1), Fraction(5))}
    assert credit_groups(empty, "linear", "channel") == {"direct": GroupCredit(Fraction(1), Fraction(5))}


def test_a_lead_without_value_is_counted_as_a_lead_with_no_revenue():
    assert credit_groups([Conversion(METTE, SUBMITTED)], "first_touch", "channel") == {
        "paid_search": GroupCredit(Fraction(1), Fraction(0))}


def test_no_conversions_make_no_groups():
    assert credit_groups([], "linear", "campaign") == {}


def test_apportion_rounds_groups_to_cents_that_add_up_to_the_total():
    # 100 kr. split in thirds: 33.333… each; floors 33.33 × 3 = 99.99, the missing cent to the first (ties earliest)
    third = Fraction(100, 3)
    assert apportion([third, third, third]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_apportion_gives_the_missing_cents_to_the_amounts_that_lost_most():
    # 10.004 + 20.006 + 5.000 = 35.010; floors 10.00 + 20.00 + 5.00 = 35.00; one cent missing,
    # losses 0.4, 0.6 and 0 cent: the 20.006 gets it
    amounts = [Fraction("10.004"), Fraction("20.006"), Fraction(5)]
    assert apportion(amounts) == [Decimal("10.00"), Decimal("20.01"), Decimal("5.00")]


def test_apportion_rounds_credited_leads_to_whole_leads():
    # 1/3 + 1/3 + 1/3 + 1 = 2 leads: 0, 0 and 1 from the thirds would lose one; the first third rounds up
    assert apportion([Fraction(1, 3)] * 3 + [Fraction(1)], Decimal(1)) == [Decimal(1), Decimal(0), Decimal(0),
                                                                           Decimal(1)]


# --- properties -------------------------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=200, deadline=None, database=None)

touches = st.builds(
    Touch,
    channel=st.sampled_from(CHANNELS),
    source=st.one_of(st.none(), st.sampled_from(["google", "newsletter", "linkedin.com", "(direct)"])),
    medium=st.one_of(st.none(), st.sampled_from(["cpc", "email", "social", "(none)"])),
    campaign=st.one_of(st.none(), st.sampled_from(["spring", "summer", "Black Friday"])),
)
# From a year before the conversion to a week after it, to the microsecond.
offsets = st.integers(min_value=-365 * 86_400 * 10**6, max_value=7 * 86_400 * 10**6)
touchpoints = st.lists(
    st.builds(lambda offset, touch, page: Touchpoint(SUBMITTED - timedelta(microseconds=offset), touch, page),
              offsets, touches, st.sampled_from([None, "/", "/varmepumper", "/kontakt"])),
    max_size=12,
)
values = st.one_of(st.integers(min_value=0, max_value=10**7),
                   st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))


@PROPERTIES
@given(touchpoints, st.sampled_from(MODELS))
def test_every_model_credits_each_lead_exactly_once(given_touchpoints, model):
    credits = credit(given_touchpoints, SUBMITTED, model)
    assert sum(item.share for item in credits) == 1
    assert all(item.share >= 0 for item in credits)
    assert all(isinstance(item.share, Fraction) for item in credits)
    counted = [tp for tp in given_touchpoints if tp.at <= SUBMITTED]
    # every counted touch appears once, in time order; without any, the no-touch bucket alone
    assert [item.touchpoint for item in credits] == (sorted(counted, key=lambda tp: tp.at) or [no_touch(SUBMITTED)])


@PROPERTIES
@given(st.lists(st.tuples(touchpoints, values), max_size=8), st.sampled_from(MODELS), st.sampled_from(GROUPINGS))
def test_grouping_keeps_the_number_of_leads_and_the_total_revenue(leads, model, by):
    conversions = [Conversion(given_touchpoints, SUBMITTED, value) for given_touchpoints, value in leads]
    groups = credit_groups(conversions, model, by)
    assert sum(group.leads for group in groups.values()) == len(conversions)
    assert sum(group.revenue for group in groups.values()) == sum(Fraction(value) for _, value in leads)
    assert all(group.leads > 0 and group.revenue >= 0 for group in groups.values())


@PROPERTIES
@given(st.lists(st.fractions(min_value=0, max_value=10**6), max_size=10))
def test_apportioned_cents_add_up_to_the_rounded_total(amounts):
    rounded = apportion(amounts)
    assert sum(rounded, Decimal(0)) == Decimal(round(sum(amounts, Fraction(0)) * 100)) / 100
    assert all(abs(Fraction(cents) - amount) < Fraction(1, 100) for cents, amount in zip(rounded, amounts,
                                                                                          strict=True))
