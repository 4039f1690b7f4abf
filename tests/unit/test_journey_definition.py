"""A journey that validation accepts can always be planned: bounds on durations and shares, and a trial plan."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.handover import open_handover
from chalicelib.domain.journey import PLANNING_HORIZON, PLANNING_REFERENCE, JourneyDefinition
from chalicelib.domain.routing import rule_matches

JOURNEY: dict[str, Any] = {
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk"]},
        "sla": {"accept_within": "PT4H", "contact_within": "PT24H", "calendar": "dk-business-hours"},
        "escalation": [{"at": "50%", "action": "remind"}, {"at": "200%", "action": "gap"}],
    }],
}


def journey(sla: dict[str, Any] | None = None, escalation: list[dict[str, Any]] | None = None,
            calendars: dict[str, Any] | None = None) -> dict[str, Any]:
    document = copy.deepcopy(JOURNEY)
    handover = document["handovers"][0]
    if sla is not None:
        handover["sla"] = sla
    if escalation is not None:
        handover["escalation"] = escalation
    if calendars is not None:
        document["calendars"] = calendars
    return document


def refusal(document: dict[str, Any], **context: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        JourneyDefinition.model_validate(document, context=context or None)
    return [(".".join(str(part) for part in error["loc"]), error["msg"]) for error in raised.value.errors()]


def test_the_example_journey_is_accepted():
    assert JourneyDefinition.model_validate(JOURNEY).handovers[0].name == "marketing-to-sales"


@pytest.mark.parametrize("accept_within", ["P3000000D", "P2000D", "P366D"])
def test_an_sla_longer_than_a_year_is_refused_naming_the_field_and_the_bound(accept_within):
    (problem,) = refusal(journey(sla={"accept_within": accept_within}))
    assert problem[0] == "handovers.0.sla.accept_within"
    assert "365 days" in problem[1]


def test_a_share_above_a_thousand_percent_is_refused_naming_the_step():
    (problem,) = refusal(journey(escalation=[{"at": "50%", "action": "remind"},
                                             {"at": "99999999999999%", "action": "gap"}]))
    assert problem[0] == "handovers.0.escalation.1.at"
    assert "1000%" in problem[1]


def test_a_year_of_open_time_on_business_hours_is_refused_because_it_cannot_be_planned():
    # A year of 24-hour open time is more than four years of eight-hour business days.
    problems = refusal(journey(sla={"accept_within": "P365D", "calendar": "dk-business-hours"}, escalation=[]))
    assert problems[0][0] == "handovers.0.sla.accept_within"
    assert "cannot be planned" in problems[0][1]


def test_the_same_year_on_the_always_open_clock_can_be_planned_and_is_accepted():
    JourneyDefinition.model_validate(journey(sla={"accept_within": "P365D"}, escalation=[{"at": "P365D",
                                                                                         "action": "gap"}]))


def test_a_contact_deadline_that_cannot_be_planned_is_named():
    problems = refusal(journey(sla={"accept_within": "PT4H", "contact_within": "P300D",
                                    "calendar": "dk-business-hours"}))
    assert [field for field, _ in problems] == ["handovers.0.sla.contact_within"]


def test_each_step_that_cannot_be_planned_is_named_by_its_place_in_the_ladder():
    # 30 days of open time fits in business hours; ten times that does not.
    problems = refusal(journey(sla={"accept_within": "P30D", "calendar": "dk-business-hours"},
                               escalation=[{"at": "50%", "action": "remind"}, {"at": "1000%", "action": "gap"}]))
    assert [field for field, _ in problems] == ["handovers.0.escalation.1.at"]


def test_a_tenant_calendar_with_few_open_hours_is_planned_with_its_own_hours():
    calendars = {"saturday-morning": {"days": ["sat"], "opens": "10:00", "closes": "11:00", "holidays": None}}
    problems = refusal(journey(sla={"accept_within": "P50D", "calendar": "saturday-morning"}, escalation=[],
                               calendars=calendars))
    assert [field for field, _ in problems] == ["handovers.0.sla.accept_within"]


def test_a_calendar_that_closes_for_years_from_next_year_is_refused_by_planning_a_year_ahead():
    # Every Saturday from a year after the reference moment is closed, for longer than any search.
    first = PLANNING_REFERENCE.date() + PLANNING_HORIZON
    saturdays = [first + timedelta(days=(5 - first.weekday()) % 7 + 7 * week) for week in range(400)]
    calendars = {"saturdays": {"days": ["sat"], "holidays": None, "closed_dates": [d.isoformat() for d in saturdays]}}
    problems = refusal(journey(sla={"accept_within": "PT1H", "calendar": "saturdays"}, escalation=[],
                               calendars=calendars))
    assert problems[0][0] == "handovers.0.sla.accept_within"
    assert str(first.year) in problems[0][1]


def test_planning_starts_from_the_now_given_in_the_validation_context():
    calendars = {"closed-2030": {"days": ["sat"], "holidays": None,
                                 "closed_dates": [(date(2030, 1, 5) + timedelta(weeks=n)).isoformat()
                                                  for n in range(400)]}}
    document = journey(sla={"accept_within": "PT1H", "calendar": "closed-2030"}, escalation=[], calendars=calendars)
    JourneyDefinition.model_validate(document)
    assert refusal(document, now=datetime(2030, 1, 1, tzinfo=UTC))[0][0] == "handovers.0.sla.accept_within"


@pytest.mark.parametrize("sla", [
    {"accept_within": "P45D", "calendar": "dk-business-hours"},
    {"accept_within": "P365D"},
    {"accept_within": "PT1S", "contact_within": "P100D", "calendar": "dk-business-hours"},
])
@pytest.mark.parametrize("start", [PLANNING_REFERENCE, datetime(2031, 12, 31, 15, 59, tzinfo=UTC)])
def test_whatever_validation_accepts_can_be_opened_as_a_handover(sla, start):
    definition = JourneyDefinition.model_validate(journey(sla=sla, escalation=[
        {"at": "1%", "action": "remind"}, {"at": "100%", "action": "escalate", "to": "boss"},
        {"at": "150%", "action": "reassign"}, {"at": "200%", "action": "gap"},
    ]))
    handover = definition.handovers[0]
    change = open_handover("t", "ld_" + "a" * 24, "ho_x", handover, ["a"], definition.clock_for(handover), start,
                           lambda: "e")
    assert len(change.state.steps) == 6


def test_a_range_bound_in_a_match_rule_is_limited_in_length():
    document = journey()
    document["handovers"][0]["route"] = {"strategy": "match", "field": "postcode", "fallback": "desk",
                                         "rules": [{"range": ["1" * 201, "2"], "owner": "a"}]}
    assert refusal(document)[0][0].startswith("handovers.0.route.match.rules.0.range")


def test_a_range_rule_accepted_by_validation_never_fails_on_a_visitor_value():
    document = journey()
    document["handovers"][0]["route"] = {"strategy": "match", "field": "postcode", "fallback": "desk",
                                         "rules": [{"range": ["1" * 200, "9" * 200], "owner": "a"}]}
    route = JourneyDefinition.model_validate(document).handovers[0].route
    assert rule_matches(route.rules[0], "5" * 200) is True  # type: ignore[union-attr]


# --- every problem in one answer, each at its path, in plain words ---------------------------------


def test_every_problem_is_reported_at_its_path_without_library_prefixes():
    document = journey(sla={"accept_within": "PT4H", "calendar": "mars-hours"},
                       escalation=[{"at": "50%", "action": "remind"}, {"at": "200%", "action": "gap"},
                                   {"at": "250%", "action": "reassign"}])
    document["language"] = "fr"
    problems = dict(refusal(document))
    assert set(problems) == {"handovers.0.sla.calendar", "handovers.0.escalation.2.at", "language"}
    assert "mars-hours" in problems["handovers.0.sla.calendar"]
    assert "after the gap step at 200%" in problems["handovers.0.escalation.2.at"]
    assert not any(message.startswith(("Value error", "Assertion failed")) for message in problems.values())


def test_a_step_at_the_gap_or_before_it_is_within_the_ladder():
    JourneyDefinition.model_validate(journey(escalation=[{"at": "PT8H", "action": "reassign"},
                                                         {"at": "200%", "action": "gap"}]))
    problems = refusal(journey(escalation=[{"at": "PT9H", "action": "reassign"}, {"at": "200%", "action": "gap"}]))
    assert [field for field, _ in problems] == ["handovers.0.escalation.0.at"]


def test_stage_on_decides_where_a_form_and_an_accept_lead_and_defaults_by_position():
    custom = JourneyDefinition.model_validate({"stages": ["new", "qualified", "offer", "won"]}).stage_rules()
    assert (custom.initial, custom.after("form_submit"), custom.after("accepted")) == ("new", "qualified", "offer")
    chosen = JourneyDefinition.model_validate({"stages": ["new", "qualified", "offer", "won"],
                                               "stage_on": {"form_submit": "offer", "accepted": "won"}}).stage_rules()
    assert (chosen.after("form_submit"), chosen.after("accepted")) == ("offer", "won")
    default = JourneyDefinition.model_validate({}).stage_rules()
    assert (default.after("form_submit"), default.after("accepted")) == ("consideration", "decision")
    short = JourneyDefinition.model_validate({"stages": ["open", "won"]}).stage_rules()
    assert (short.after("form_submit"), short.after("accepted")) == ("won", None)


@pytest.mark.parametrize(("stage_on", "field"), [({"accepted": "decision"}, "stage_on.accepted"),
                                                 ({"paid": "won"}, "stage_on.paid.[key]")])
def test_stage_on_must_name_a_stage_of_the_journey_and_a_known_trigger(stage_on, field):
    problems = refusal({"stages": ["new", "qualified", "offer", "won"], "stage_on": stage_on})
    assert [name for name, _ in problems] == [field]
