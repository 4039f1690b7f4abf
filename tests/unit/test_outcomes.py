"""The outcome rules: a first report, a repeat, a correction, and where a won lead goes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from chalicelib.domain.attribution import Touch
from chalicelib.domain.leads import Lead
from chalicelib.domain.outcomes import Report, money, present_outcome, record_outcome, repeats
from chalicelib.domain.stages import StageRules

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _lead(stage: str = "decision") -> Lead:
    return Lead(tenant_id="demo", lead_id="ld_1", email="a@kunde.dk", stage=stage, stage_entered_at="2026-11-01",
                lead_type="marketing", first_touch=Touch("direct"), last_touch=Touch("direct"), created_at="2026-11-01",
                updated_at="2026-11-01")


def _ids():
    numbers = count(1)
    return lambda: f"ev{next(numbers)}"


def test_money_is_text_with_two_decimals_however_it_was_sent():
    assert money(Decimal("25000.5")) == "25000.50"
    assert money(Decimal("7")) == "7.00"


def test_a_first_won_report_records_it_and_moves_the_lead_to_the_last_stage():
    recorded = record_outcome(_lead(), Report("won", "900.00", "DKK"), "sales-a", "sales-a", NOW, _ids())
    assert [event.type for event in recorded.events] == ["outcome_recorded", "stage_change"]
    assert recorded.events[1].details == {"from": "decision", "to": "customer", "cause": "outcome_won",
                                          "rule": "event:outcome_won", "entered_from_at": _lead().stage_entered_at,
                                          "outcome_event_id": "ev1"}
    assert recorded.lead.stage == "customer" and recorded.lead.outcome is not None
    assert recorded.lead.outcome.event_id == "ev1" and recorded.lead.outcome.at == "2026-11-23T09:30:00.000Z"


def test_a_won_lead_already_in_the_last_stage_does_not_move():
    recorded = record_outcome(_lead("customer"), Report("won", None, "DKK"), "admin", None, NOW, _ids())
    assert [event.type for event in recorded.events] == ["outcome_recorded"]


def test_a_won_lead_goes_to_the_tenants_own_last_stage():
    stages = StageRules.of(("new", "talking", "signed"))
    recorded = record_outcome(_lead("talking"), Report("won", None, "EUR"), "admin", None, NOW, _ids(), stages)
    assert recorded.lead.stage == "signed"


def test_a_lost_lead_keeps_its_stage():
    recorded = record_outcome(_lead(), Report("lost", None, "DKK", "too expensive"), "admin", None, NOW, _ids())
    assert recorded.lead.stage == "decision" and [event.type for event in recorded.events] == ["outcome_recorded"]


def test_the_same_report_again_changes_nothing_and_a_time_left_out_repeats_any_time():
    first = record_outcome(_lead(), Report("won", "900.00", "DKK"), "admin", None, NOW, _ids()).lead
    again = record_outcome(first, Report("won", "900.00", "DKK"), "admin", None, NOW, _ids())
    assert not again.changed and again.lead is first
    assert not repeats(first.outcome, Report("won", "900.00", "DKK", at="2026-11-01T00:00:00.000Z"))
    assert not repeats(first.outcome, Report("won", "900.00", "EUR"))


def test_a_correction_names_the_event_it_corrects_and_what_it_said():
    first = record_outcome(_lead(), Report("won", "900.00", "DKK"), "admin", None, NOW, _ids()).lead
    corrected = record_outcome(first, Report("lost", None, "DKK", "cancelled"), "sales-a", "sales-a", NOW,
                               lambda: "ev9")
    (event,) = corrected.events
    assert event.type == "outcome_corrected" and event.details["corrects"] == "ev1"
    assert event.details["previous"]["outcome"] == "won" and event.details["previous"]["value"] == "900.00"
    assert corrected.lead.stage == "customer"  # never back
    assert present_outcome(corrected.lead.outcome) == {
        "outcome": "lost", "value": None, "currency": "DKK", "reason": "cancelled", "at": "2026-11-23T09:30:00.000Z",
        "event_id": "ev9"}
