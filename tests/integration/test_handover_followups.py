"""Issue 8's hand-over loose ends through the API: a tenant's own stages on every path, the manager hears of a
gap nobody is escalated to, an accept after the contact deadline is a contact breach, the report counts without
reading each hand-over back, and a decline's new ladder fires on its own times."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chalicelib.adapters.dynamo.counters import DynamoCounters
from chalicelib.consumers.events import ChangeEvent
from chalicelib.consumers.projections import CounterProjection
from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body
from tests.integration.test_handovers_api import (
    JOURNEY,
    _act,
    _admin,
    _always_open,
    _journey,
    _lead,
    _lead_view,
    _owner_key,
)

OWNER_A, OWNER_B = "sales-a@demo.dk", "sales-b@demo.dk"
MANAGER = "chef@demo.dk"
ESCALATION = "teamlead@demo.dk"


def _handover(api: Api, lead_id: str) -> dict[str, Any]:
    return dict(_lead_view(api, lead_id)["handovers"][0])


def _events(api: Api, lead_id: str, kind: str) -> list[dict[str, Any]]:
    return [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == kind]


def _listed(api: Api, stage: str) -> list[str]:
    response = _admin(api, "GET", f"/leads?stage={stage}")
    assert response.status_code == 200, response.body
    return [lead["lead_id"] for lead in json_body(response)["leads"]]


def _report(api: Api) -> dict[str, Any]:
    response = _admin(api, "GET", "/reports/handovers?from=2026-11-23&to=2026-11-25")
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def _hooks(api: Api, kind: str) -> list[dict[str, Any]]:
    messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    return [message["data"] for message in messages if message["type"] == kind]


# --- a tenant's own stages, on a form submit and on an accept -------------------------------------


@pytest.mark.parametrize("stages", [["new", "qualified", "offer", "won"],
                                    # positions would say "contacted" and "qualified": stage_on decides
                                    ["new", "contacted", "qualified", "offer", "won"]])
def test_a_journeys_own_stages_move_the_lead_on_a_form_and_on_an_accept(api: Api, stages: list[str]):
    journey = {**_always_open(), "stages": stages, "stage_on": {"form_submit": "qualified", "accepted": "offer"}}
    _journey(api, journey)

    lead_id = _lead(api)

    assert _lead_view(api, lead_id)["stage"] == "qualified"
    assert lead_id in _listed(api, "qualified")
    _act(api, _handover(api, lead_id)["handover_id"], "accept", _owner_key(api, OWNER_A))
    assert _lead_view(api, lead_id)["stage"] == "offer"
    assert lead_id in _listed(api, "offer") and lead_id not in _listed(api, "qualified")
    assert [(event["from"], event["to"], event["cause"]) for event in _events(api, lead_id, "stage_change")] == [
        ("new", "qualified", "form_submit"), ("qualified", "offer", "handover_accepted")]


def test_an_accept_that_leads_to_the_stage_the_lead_is_in_moves_nothing(api: Api):
    stages = ["new", "qualified", "offer", "won"]
    _journey(api, {**_always_open(), "stages": stages, "stage_on": {"form_submit": "offer", "accepted": "qualified"}})
    lead_id = _lead(api)
    answer = _act(api, _handover(api, lead_id)["handover_id"], "accept", DEMO_KEY)
    assert answer.status_code == 200 and json_body(answer)["status"] == "accepted"
    assert _lead_view(api, lead_id)["stage"] == "offer"  # never back
    assert [event["to"] for event in _events(api, lead_id, "stage_change")] == ["offer"]


def test_the_default_journey_still_moves_leads_to_consideration_and_decision(api: Api):
    _journey(api, JOURNEY)
    lead_id = _lead(api)
    assert _lead_view(api, lead_id)["stage"] == "consideration"
    _act(api, _handover(api, lead_id)["handover_id"], "accept", DEMO_KEY)
    assert _lead_view(api, lead_id)["stage"] == "decision"
    assert lead_id in _listed(api, "decision")


def test_a_journey_that_cannot_be_read_costs_no_lead_it_gets_the_default_stages(api: Api, monkeypatch):
    _journey(api, {**_always_open(), "stages": ["new", "qualified", "offer", "won"]})

    def unreadable(tenant_id: str) -> Any:
        raise ValueError("the stored journey no longer validates")

    monkeypatch.setattr(api.wiring.journeys, "definition", unreadable)
    response = api.raw_http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                 body=json.dumps({"email": "unlucky@kunde.dk"}))
    monkeypatch.undo()  # the stream's consumers read the journey again later

    assert response.status_code == 201, response.body
    view = _lead_view(api, json_body(response)["lead_id"])
    assert view["stage"] == "consideration"
    assert [event["type"] for event in view["timeline"]] == ["form_submit", "stage_change", "handover_failed"]


# --- a gap nobody is escalated to is announced to the tenant's manager ----------------------------


def test_the_manager_email_is_kept_through_a_journey_round_trip(api: Api):
    stored = json_body(_admin(api, "PUT", "/admin/journey", {**JOURNEY, "manager_email": MANAGER}))
    read = json_body(_admin(api, "GET", "/admin/journey"))
    assert read == stored and read["definition"]["manager_email"] == MANAGER
    again = _admin(api, "PUT", "/admin/journey", read)
    assert again.status_code == 200 and json_body(again)["version"] == read["version"]
    assert api.wiring.journeys.definition("demo").manager_email == MANAGER


@pytest.mark.parametrize("address", ["chef", "chef@demo", "chef @demo.dk", "Chef <chef@demo.dk>", "", "a@b.dk,c@d.dk"])
def test_a_manager_email_that_is_no_address_is_refused_naming_the_field(api: Api, address: str):
    _journey(api)
    response = _admin(api, "PUT", "/admin/journey", {**JOURNEY, "manager_email": address})
    assert response.status_code == 422
    body = json_body(response)
    assert body["field"] == "manager_email" and "e-mail address" in body["message"]
    assert "pattern" not in body["message"] and "Value error" not in body["message"]
    assert "manager_email" not in json_body(_admin(api, "GET", "/admin/journey"))["definition"]


def _gap_with(api: Api, *steps: dict[str, str]) -> str:
    journey = {**_always_open(), "manager_email": MANAGER}
    journey["handovers"][0]["escalation"] = [*steps, {"at": "200%", "action": "gap"}]
    _journey(api, journey)
    lead_id = _lead(api, name="Mette Hansen")
    api.run_timers()
    api.clock.advance(hours=8)
    api.run_timers()
    assert _handover(api, lead_id)["status"] == "gap"
    return lead_id


def test_a_gap_with_no_escalate_step_is_e_mailed_to_the_tenants_manager(api: Api):
    _gap_with(api)
    gap_mails = [(to, subject) for to, subject, _ in api.mailer.sent if subject.startswith("Nobody took the lead")]
    assert gap_mails == [(MANAGER, "Nobody took the lead: Mette Hansen")]


def test_a_gap_with_an_escalate_step_goes_to_its_target_not_the_manager(api: Api):
    _gap_with(api, {"at": "100%", "action": "escalate", "to": ESCALATION})
    gap_mails = [to for to, subject, _ in api.mailer.sent if subject.startswith("Nobody took the lead")]
    assert gap_mails == [ESCALATION]
    assert MANAGER not in {to for to, _, _ in api.mailer.sent}


# --- an accept after the contact deadline is a contact breach, counted once -----------------------


def test_an_accept_after_the_contact_deadline_is_a_contact_breach_for_the_accepting_owner(api: Api):
    journey = _always_open(contact_within="PT1H")  # accept within 4 h, contact within 1 h of the start
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}
    _journey(api, journey)
    key = _owner_key(api, OWNER_A)
    lead_id = _lead(api)
    handover = _handover(api, lead_id)
    api.run_timers()
    api.clock.advance(hours=2)  # the contact deadline passed an hour ago, the accept deadline is ahead

    _act(api, handover["handover_id"], "accept", key)

    (breach,) = _events(api, lead_id, "sla_breached")
    assert (breach["sla"], breach["owner"], breach["step"], breach["due_at"]) == (
        "contact", OWNER_A, "contact_breach", handover["contact_due_at"])
    assert breach["at"] == "2026-11-23T11:30:00.000Z"
    hook = _hooks(api, "handover.sla_breached")[-1]
    assert (hook["sla"], hook["owner"], hook["step"]) == ("contact", OWNER_A, "contact_breach")
    # No contact_breach step left to fire again: the next step is the "How did it go?" ask, 14 days on.
    assert _handover(api, lead_id)["next_step_at"] == "2026-12-07T11:30:00.000Z"
    for _ in range(3):
        api.clock.advance(hours=12)
        api.run_timers()
    _act(api, handover["handover_id"], "contacted", key)
    report = _report(api)
    assert (report["contact_breaches"], report["accepted_in_sla"], report["contacted"], report["breaches"]) == (
        1, 1, 1, 0)
    assert report["owners"][OWNER_A]["contact_breaches"] == 1
    assert len(_events(api, lead_id, "sla_breached")) == 1


def test_an_accept_at_the_contact_deadline_itself_is_a_contact_breach(api: Api):
    _journey(api, _always_open(contact_within="PT1H"))
    lead_id = _lead(api)
    api.clock.advance(hours=1)
    _act(api, _handover(api, lead_id)["handover_id"], "accept", DEMO_KEY)
    assert [event["sla"] for event in _events(api, lead_id, "sla_breached")] == ["contact"]
    assert _report(api)["contact_breaches"] == 1


def test_an_accept_before_the_contact_deadline_breaches_only_when_the_deadline_passes(api: Api):
    _journey(api, _always_open(contact_within="PT1H"))
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(minutes=30)
    _act(api, _handover(api, lead_id)["handover_id"], "accept", DEMO_KEY)
    assert _events(api, lead_id, "sla_breached") == []
    api.clock.advance(hours=1)
    api.run_timers()
    api.run_timers()
    assert [event["sla"] for event in _events(api, lead_id, "sla_breached")] == ["contact"]
    assert _report(api)["contact_breaches"] == 1


# --- every hand-over event names the hand-over's first start --------------------------------------


def test_every_handover_event_carries_the_first_start_and_the_report_reads_no_handover_back(api: Api, monkeypatch):
    reads: list[str] = []
    original = DynamoCounters.handover_started_at

    def counted(self: DynamoCounters, tenant_id: str, lead_id: str, handover_id: str) -> str | None:
        reads.append(handover_id)
        return original(self, tenant_id, lead_id, handover_id)

    monkeypatch.setattr(DynamoCounters, "handover_started_at", counted)
    journey = copy.deepcopy(_always_open(contact_within="PT24H"))
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}
    journey["handovers"][0]["escalation"] = [{"at": "50%", "action": "remind"}]
    _journey(api, journey)
    lead_id = _lead(api)
    started_at = _handover(api, lead_id)["started_at"]
    api.run_timers()
    api.clock.advance(hours=3)
    api.run_timers()
    handover_id = _handover(api, lead_id)["handover_id"]
    _act(api, handover_id, "decline", _owner_key(api, OWNER_A))  # a new clock, the same first start
    api.clock.advance(hours=1)
    _act(api, handover_id, "accept", _owner_key(api, OWNER_B))
    _act(api, handover_id, "contacted", _owner_key(api, OWNER_B))

    handover_events = [event for event in _lead_view(api, lead_id)["timeline"]
                       if event.get("handover_id") and event["type"] != "stage_change"]
    assert {event["type"] for event in handover_events} >= {
        "handover_started", "notified", "reminded", "declined", "reassigned", "accepted", "contacted"}
    assert {event["started_at"] for event in handover_events} == {started_at}
    assert reads == []
    report = _report(api)
    assert (report["handovers"], report["declined"], report["accepted_in_sla"], report["contacted"]) == (1, 1, 1, 1)
    assert all("started_at" not in message for message in _hooks(api, "handover.accepted"))
    assert all("started_at" not in message for message in _hooks(api, "handover.reminded"))


def test_an_event_written_before_it_named_the_start_is_counted_on_its_handovers_start_day(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover = _handover(api, lead_id)
    api.clock.advance(days=1)  # the accept comes a day later: it still counts on the start day
    projection = CounterProjection(api.wiring.repositories.counters)

    projection(ChangeEvent(tenant_id="demo", lead_id=lead_id, event_id="ev-old-accept", type="accepted",
                           at="2026-11-24T09:30:00.000Z",
                           details={"handover_id": handover["handover_id"], "owner": OWNER_A, "late": True}))

    rows = api.wiring.repositories.counters.counter_rows("demo", "2026-11-23", "2026-11-24")
    totals = dict(rows)
    assert totals[None]["accepted_late"] == 1 and totals[OWNER_A]["accepted_late"] == 1
    assert _report(api)["accepted_late"] == 1


# --- after a decline the new ladder fires on its own times ----------------------------------------


def test_after_a_decline_the_new_ladders_first_step_fires_at_its_own_time(api: Api):
    journey = _always_open()  # accept within 4 h, around the clock
    journey["handovers"][0]["escalation"] = [{"at": "25%", "action": "remind"}]
    _journey(api, journey)
    lead_id = _lead(api)  # 09:30: remind 10:30, breach 13:30
    handover_id = _handover(api, lead_id)["handover_id"]
    api.run_timers()
    api.clock.advance(hours=1)
    api.run_timers()  # the first owner is reminded; the timer sleeps until the breach at 13:30
    api.clock.advance(minutes=15)

    _act(api, handover_id, "decline", _owner_key(api, OWNER_A))  # 10:45: the new remind is at 11:45

    assert ("demo", handover_id, "2026-11-23T11:45:00.000Z") in api.timers.started
    api.clock.advance(hours=1)
    api.run_timers()
    reminded = _events(api, lead_id, "reminded")
    assert [(event["owner"], event["at"]) for event in reminded] == [
        (OWNER_A, "2026-11-23T10:30:00.000Z"), (OWNER_B, "2026-11-23T11:45:00.000Z")]
    api.clock.advance(hours=3)  # 14:45: the new owner's deadline, not the first owner's 13:30
    api.run_timers()
    (breach,) = _events(api, lead_id, "sla_breached")
    assert (breach["owner"], breach["due_at"]) == (OWNER_B, "2026-11-23T14:45:00.000Z")


def test_a_decline_that_ends_in_a_gap_starts_no_timer(api: Api):
    journey = _always_open()
    journey["handovers"][0]["route"]["owners"] = [OWNER_A]
    _journey(api, journey)
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    started = len(api.timers.started)
    _act(api, handover_id, "decline", DEMO_KEY)
    assert _handover(api, lead_id)["status"] == "gap"
    assert len(api.timers.started) == started
