"""A CRM naming a stage: the lead moves forward to it, never back, and the move says the CRM made it."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.attribution import Touch
from chalicelib.domain.crm_inbound import report_stage
from chalicelib.domain.leads import Lead

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
STAGES = ("new", "interested", "meeting", "offer", "signed")


def _lead(stage: str) -> Lead:
    return Lead(tenant_id="demo", lead_id="ld_1", email="a@kunde.dk", stage=stage,
                stage_entered_at="2026-11-01T08:00:00.000Z", lead_type="marketing", first_touch=Touch("direct"),
                last_touch=Touch("direct"), created_at="2026-11-01", updated_at="2026-11-01")


def test_a_stage_ahead_moves_the_lead_there_with_a_stage_change_by_the_crm():
    reported = report_stage(_lead("interested"), "offer", STAGES, NOW, "ev1")

    assert reported.changed and reported.reason is None
    assert (reported.lead.stage, reported.lead.stage_entered_at) == ("offer", "2026-11-23T09:30:00.000Z")
    (event,) = reported.events
    assert (event.event_id, event.type, event.at) == ("ev1", "stage_change", "2026-11-23T09:30:00.000Z")
    assert event.details == {"from": "interested", "to": "offer", "cause": "crm", "rule": "crm",
                             "entered_from_at": "2026-11-01T08:00:00.000Z"}


def test_a_stage_behind_leaves_the_lead_where_it_is_and_says_why():
    lead = _lead("offer")
    reported = report_stage(lead, "interested", STAGES, NOW, "ev1")

    assert not reported.changed and reported.lead == lead
    assert reported.reason == "the lead is in offer, past interested; a lead never moves back"


def test_the_stage_the_lead_is_in_changes_nothing():
    reported = report_stage(_lead("meeting"), "meeting", STAGES, NOW, "ev1")
    assert not reported.changed and reported.reason == "the lead is already in meeting"


def test_a_lead_in_a_stage_the_journey_no_longer_has_moves_to_the_named_one():
    reported = report_stage(_lead("retired-stage"), "new", STAGES, NOW, "ev1")
    assert reported.changed and reported.lead.stage == "new"
