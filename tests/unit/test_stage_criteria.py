"""The journey's transition criteria: which rule moves a lead, where to, and that it only ever moves forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.journey import JourneyDefinition
from chalicelib.domain.stages import StageMove, StageRules, Viewed, viewed

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rules(criteria: dict[str, Any], **journey: Any) -> StageRules:
    return JourneyDefinition.model_validate({"criteria": criteria, **journey}).stage_rules()


def views(path: str, *days_ago: float) -> list[Viewed]:
    return [Viewed(path=path, at=MONDAY - timedelta(days=days)) for days in days_ago]


# --- the built-in rules: today's behaviour -------------------------------------------------------------------


@pytest.mark.parametrize(("current", "trigger", "expected"), [
    ("awareness", "form_submit", StageMove("consideration", "event:form_submit", "awareness")),
    ("consideration", "form_submit", None),
    ("decision", "form_submit", None),
    ("awareness", "accepted", StageMove("decision", "event:handover_accepted", "consideration")),
    ("consideration", "accepted", StageMove("decision", "event:handover_accepted", "consideration")),
    ("decision", "accepted", None),
    ("customer", "accepted", None),
    ("consideration", "outcome_won", StageMove("customer", "event:outcome_won")),
    ("customer", "outcome_won", None),
    ("consideration", "contacted", None),
    ("unknown-stage", "form_submit", StageMove("consideration", "event:form_submit", "awareness")),
])
def test_without_criteria_a_form_accept_and_win_move_a_lead_as_they_always_did(current, trigger, expected):
    default = JourneyDefinition.model_validate({}).stage_rules()

    assert default.advance(current, trigger) == expected


def test_without_criteria_stage_on_still_decides_where_a_form_and_an_accept_lead():
    chosen = JourneyDefinition.model_validate({"stages": ["new", "qualified", "offer", "won"],
                                               "stage_on": {"form_submit": "offer", "accepted": "qualified"}})
    stage_rules = chosen.stage_rules()

    assert stage_rules.advance("new", "form_submit") == StageMove("offer", "event:form_submit", "qualified")
    assert stage_rules.advance("offer", "accepted") is None  # qualified lies behind offer
    assert stage_rules.advance("new", "accepted") == StageMove("qualified", "event:handover_accepted", "new")
    assert (stage_rules.after("form_submit"), stage_rules.after("accepted")) == ("offer", "qualified")


def test_the_built_in_rules_count_no_page_views():
    assert not JourneyDefinition.model_validate({}).stage_rules().counts_page("/pricing")


# --- each kind of rule ----------------------------------------------------------------------------------------


def test_an_event_rule_moves_a_lead_in_its_stage_to_the_next_one():
    stage_rules = rules({"consideration": [{"event": "contacted"}]})

    assert stage_rules.advance("consideration", "contacted") == StageMove("decision", "event:contacted",
                                                                          "consideration")
    assert stage_rules.advance("consideration", "form_submit") is None


def test_with_criteria_the_built_in_form_and_accept_rules_no_longer_apply():
    stage_rules = rules({"consideration": [{"event": "contacted"}]})

    assert stage_rules.advance("awareness", "form_submit") is None
    assert stage_rules.advance("consideration", "accepted") is None
    assert stage_rules.after("accepted") is None


def test_the_accept_of_the_hand_over_service_is_the_handover_accepted_event_of_the_criteria():
    stage_rules = rules({"awareness": [{"event": "handover_accepted", "to": "decision"}]})

    assert stage_rules.after("accepted") == "decision"
    assert stage_rules.advance("awareness", "accepted") == StageMove("decision", "event:handover_accepted",
                                                                     "awareness")


def test_a_rule_moves_a_lead_that_is_in_an_earlier_stage_too():
    stage_rules = rules({"consideration": [{"event": "contacted"}]})

    assert stage_rules.advance("awareness", "contacted") == StageMove("decision", "event:contacted", "consideration")


def test_a_rule_does_nothing_for_a_lead_past_its_stage():
    stage_rules = rules({"awareness": [{"event": "contacted"}]})

    assert stage_rules.advance("consideration", "contacted") is None
    assert stage_rules.advance("customer", "contacted") is None


def test_a_field_rule_needs_the_field_and_one_of_its_values_when_given():
    stage_rules = rules({"consideration": [{"field": "budget"}],
                         "awareness": [{"field": "segment", "equals": ["Enterprise", "public"]}]})

    assert stage_rules.advance("consideration", "form_submit", fields={"budget": "50000"}) == StageMove(
        "decision", "field:budget", "consideration")
    assert stage_rules.advance("consideration", "form_submit", fields={"budget": "  "}) is None
    assert stage_rules.advance("consideration", "form_submit", fields={}) is None
    assert stage_rules.advance("awareness", "form_submit", fields={"segment": " enterprise "}) == StageMove(
        "consideration", "field:segment", "awareness")
    assert stage_rules.advance("awareness", "form_submit", fields={"segment": "smb"}) is None


def test_a_field_rule_is_checked_only_when_the_lead_s_fields_are_given():
    stage_rules = rules({"consideration": [{"field": "budget"}]})

    assert stage_rules.advance("consideration", "contacted") is None


def test_a_page_view_rule_counts_matching_views_within_the_window_ending_at_the_moment():
    stage_rules = rules({"consideration": [{"page_views": {"url_matches": "/pricing*", "at_least": 3,
                                                          "within": "P7D"}}]})
    expected = StageMove("decision", "page_views:/pricing*>=3/P7D", "consideration")

    assert stage_rules.advance("consideration", "page_view", views=views("/pricing", 6, 3, 0), at=MONDAY) == expected
    assert stage_rules.advance("consideration", "page_view", views=views("/pricing", 3, 0), at=MONDAY) is None
    assert stage_rules.advance("consideration", "page_view", views=views("/pricing", 10, 5, 0), at=MONDAY) is None
    assert stage_rules.advance("consideration", "page_view",
                               views=views("/pricing/teams", 1, 0) + views("/blog", 0.5), at=MONDAY) is None
    # Views after the moment do not count towards it.
    assert stage_rules.advance("consideration", "page_view", views=views("/pricing", 2, 1, -1), at=MONDAY) is None


def test_a_page_view_rule_without_a_window_counts_every_view():
    stage_rules = rules({"awareness": [{"page_views": {"url_matches": "/docs/*", "at_least": 2}}]})

    assert stage_rules.advance("awareness", "page_view", views=views("/docs/setup", 400, 0), at=MONDAY) == StageMove(
        "consideration", "page_views:/docs/*>=2", "awareness")
    assert stage_rules.counts_page("/docs/setup") and not stage_rules.counts_page("/pricing")


def test_a_page_view_is_matched_on_its_path_not_its_host_or_query():
    seen = viewed("https://www.nordlys-solar.dk/pricing?utm_source=x#top", "2026-11-23T09:00:00.000Z")

    assert seen == Viewed(path="/pricing", at=MONDAY)
    assert viewed("https://www.nordlys-solar.dk", "2026-11-23T09:00:00.000Z").path == "/"
    assert viewed("https://[::1/pricing", "2026-11-23T09:00:00.000Z").path == ""


def test_a_named_rule_is_recorded_by_its_name():
    stage_rules = rules({"consideration": [{"event": "contacted", "name": "Sales talked to them"}]})

    assert stage_rules.advance("consideration", "contacted") == StageMove("decision", "Sales talked to them",
                                                                          "consideration")


# --- several rules, to, forward only ---------------------------------------------------------------------


def test_a_rule_with_to_moves_the_lead_past_the_next_stage():
    stage_rules = rules({"awareness": [{"field": "budget", "to": "decision"}]})

    assert stage_rules.advance("awareness", "form_submit", fields={"budget": "1"}) == StageMove(
        "decision", "field:budget", "awareness")


def test_when_rules_of_several_stages_match_the_furthest_move_wins():
    stage_rules = rules({
        "awareness": [{"event": "form_submit"}],
        "consideration": [{"field": "budget"}],
    })

    assert stage_rules.advance("awareness", "form_submit", fields={"budget": "1"}) == StageMove(
        "decision", "field:budget", "consideration")
    assert stage_rules.advance("awareness", "form_submit", fields={}) == StageMove(
        "consideration", "event:form_submit", "awareness")


def test_a_tie_is_named_by_the_rule_of_the_earlier_stage():
    stage_rules = rules({
        "consideration": [{"field": "budget"}],
        "awareness": [{"event": "form_submit", "to": "decision"}],
    })

    assert stage_rules.advance("awareness", "form_submit", fields={"budget": "1"}) == StageMove(
        "decision", "event:form_submit", "awareness")


def test_rules_never_move_a_lead_back():
    stage_rules = rules({"awareness": [{"field": "budget", "to": "decision"}]})

    assert stage_rules.advance("decision", "form_submit", fields={"budget": "1"}) is None
    assert stage_rules.advance("customer", "form_submit", fields={"budget": "1"}) is None


def test_a_rule_of_the_last_stage_without_to_moves_no_one():
    stage_rules = rules({"customer": [{"event": "contacted"}]})

    assert stage_rules.rules == ()
    assert stage_rules.advance("awareness", "contacted") is None


# --- a won outcome -------------------------------------------------------------------------------------------


def test_a_won_outcome_reaches_the_last_stage_whatever_the_criteria_say():
    stage_rules = rules({"awareness": [{"event": "outcome_won", "to": "consideration"}],
                         "consideration": [{"event": "contacted"}]})

    assert stage_rules.advance("awareness", "outcome_won") == StageMove("customer", "event:outcome_won")
    assert stage_rules.after("outcome_won") == "customer"


def test_a_won_outcome_rule_that_reaches_the_last_stage_names_the_move():
    stage_rules = rules({"decision": [{"event": "outcome_won", "name": "Signed"}]})

    assert stage_rules.advance("consideration", "outcome_won") == StageMove("customer", "Signed", "decision")
    assert stage_rules.advance("customer", "outcome_won") is None


def test_a_move_records_only_its_rule_s_label_so_every_stage_change_has_the_same_fields():
    assert StageMove("decision", "field:budget", "consideration").recorded() == {"rule": "field:budget"}
