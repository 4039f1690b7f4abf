"""Routing rules as pure functions (the reports' are in test_reports.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.journey import MatchRoute, RoundRobinRoute
from chalicelib.domain.routing import candidates, next_owner, rule_matches


def _turns():
    counters: dict[str, itertools.count[int]] = {}
    return lambda rotation: next(counters.setdefault(rotation, itertools.count(1)))


def test_round_robin_rotates_and_keeps_everyone_as_a_later_candidate():
    route = RoundRobinRoute(strategy="round_robin", owners=["a", "b", "c"])
    turns = _turns()
    assert [candidates(route, {}, turns, "r") for _ in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"],
    ]


MATCH = MatchRoute.model_validate({
    "strategy": "match", "field": "postcode",
    "rules": [
        {"range": ["1000", "4999"], "owner": "east"},
        {"range": ["5000", "9999"], "team": ["w1", "w2"]},
        {"field": "product", "equals": ["Heat Pump"], "reseller": "varme-partner"},
    ],
    "fallback": "desk",
})


@pytest.mark.parametrize(("fields", "first"), [
    ({"postcode": "2100"}, "east"), ({"postcode": " 8000 "}, "w1"), ({"postcode": "DK-2100"}, "desk"),
    ({"product": "heat pump"}, "varme-partner"), ({}, "desk"), ({"postcode": "999"}, "desk"),
])
def test_match_routes_by_postcode_range_product_or_falls_back(fields, first):
    assert candidates(MATCH, fields, _turns(), "m")[0] == first


def test_a_team_rotates_and_the_fallback_comes_last():
    turns = _turns()
    assert candidates(MATCH, {"postcode": "8000"}, turns, "m") == ["w1", "w2", "desk"]
    assert candidates(MATCH, {"postcode": "8000"}, turns, "m") == ["w2", "w1", "desk"]


def test_text_ranges_compare_case_insensitively():
    rule = MATCH.rules[0].model_copy(update={"range": ("a", "m")})
    assert rule_matches(rule, "Hovedstaden") and not rule_matches(rule, "Sjælland")


def test_next_owner_never_returns_to_someone_who_declined_or_the_current_owner():
    assert next_owner(["a", "b", "c"], "a", ["a"]) == "b"
    assert next_owner(["a", "b", "c"], "b", ["a", "b"]) == "c"
    assert next_owner(["a", "b", "c"], "c", ["a", "b", "c"]) is None
    assert next_owner(["a", "b"], "b", []) == "a"
    assert next_owner(["a"], "a", []) is None


# --- visitor input never breaks routing ----------------------------------------------------------------------


@pytest.mark.parametrize("postcode", ["²", "1²", "8000\u00b9", "1" * 5000, "\x00", "\ud800"])
def test_a_postcode_that_is_no_ascii_number_never_breaks_the_route(postcode):
    # "²" is a digit to str.isdigit() but int() refuses it: it must be compared as text, not converted.
    assert candidates(MATCH, {"postcode": postcode}, _turns(), "m")[-1] == "desk"


@pytest.mark.parametrize("postcode", ["²", "٣٠٠٠", "２１００"])
def test_digits_of_other_scripts_are_not_read_as_a_postcode_number(postcode):
    assert candidates(MATCH, {"postcode": postcode}, _turns(), "m") == ["desk"]


def test_a_range_of_over_long_numbers_in_the_journey_is_compared_as_text():
    rule = MATCH.rules[0].model_copy(update={"range": ("1" * 100, "2" * 100)})
    # As numbers 15 would be far below the range; as text "15" sorts between the bounds.
    assert rule_matches(rule, "15") is True


@settings(max_examples=300, deadline=None, database=None)
@given(fields=st.dictionaries(st.sampled_from(["postcode", "product", "region"]), st.one_of(st.none(), st.text())))
def test_routing_never_fails_whatever_text_a_visitor_sends(fields):
    owners = candidates(MATCH, fields, _turns(), "m")
    assert owners and owners[-1] == "desk"


@settings(max_examples=300, deadline=None, database=None)
@given(low=st.text(max_size=200), high=st.text(max_size=200), value=st.one_of(st.none(), st.text()))
def test_a_range_rule_never_fails_whatever_its_bounds_and_the_value(low, high, value):
    rule = MATCH.rules[0].model_copy(update={"range": (low, high)})
    assert rule_matches(rule, value) in (True, False)


# --- owners who are inactive or away ---------------------------------------------------------------------


def test_routing_skips_inactive_owners_and_owners_away_until_later():
    from chalicelib.domain.routing import Availability, available_first

    availability = {"a": Availability(active=False), "b": Availability(away_until="2026-11-24T08:00:00.000Z"),
                    "c": Availability(away_until="2026-11-20T08:00:00.000Z")}
    assert available_first(["a", "b", "c", "d"], availability, "2026-11-23T09:00:00.000Z") == (["c", "d"], None)
    assert available_first(["a", "b", "c"], availability, "2026-11-24T08:00:00.000Z") == (["b", "c"], None)


def test_when_every_candidate_is_unavailable_those_away_are_the_last_resort_never_the_inactive():
    from chalicelib.domain.routing import ALL_UNAVAILABLE, NO_ACTIVE_OWNER, Availability, available_first

    availability = {"a": Availability(active=False), "b": Availability(away_until="2026-12-01T00:00:00.000Z"),
                    "c": Availability(away_until="2026-12-02T00:00:00.000Z")}
    now = "2026-11-23T09:00:00.000Z"
    assert available_first(["c", "a", "b"], availability, now) == (["c", "b"], ALL_UNAVAILABLE)
    assert available_first(["a"], availability, now) == ([], NO_ACTIVE_OWNER)
    assert available_first([], availability, now) == ([], None)
