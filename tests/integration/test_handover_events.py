"""The hand-over handlers driven by the sample events in events/, as Lambda would call them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.local.provision import TEMPLATE, template
from chalicelib.services.ports import JourneyStore
from tests.conftest import Api, load_event


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from app import app

    return dict(app(event, None))


def test_sample_events_drive_the_journey_owner_and_report_handlers(api: Api):
    assert _invoke(load_event("put_journey"))["statusCode"] == 200
    assert json.loads(_invoke(load_event("get_journey"))["body"])["version"] == 1
    created = _invoke(load_event("create_owner"))
    assert created["statusCode"] == 201 and json.loads(created["body"])["user_key"].startswith("uk_")

    form = json.loads(_invoke(load_event("form_json"))["body"])
    lead = api.store.lead("demo", form["lead_id"])
    assert lead is not None
    handover_id = lead.handovers["marketing-to-sales"]

    deadline = load_event("handover_deadline")
    deadline["handover_id"] = handover_id
    from app import handover_deadline, handover_sweep

    answer = handover_deadline(deadline, None)
    assert answer["handover_id"] == handover_id and answer["due_at"] > "2026-11-23T09:30"
    assert handover_sweep(load_event("handover_sweep"), None) == {"fired": 0}

    accept = load_event("handover_accept")
    accept["pathParameters"]["handover_id"] = handover_id
    accept["headers"]["Authorization"] = accept["multiValueHeaders"]["Authorization"][0] = "Bearer demo-admin-key"
    assert json.loads(_invoke(accept)["body"])["status"] == "accepted"
    report = json.loads(_invoke(load_event("handover_report"))["body"])
    assert report["handovers"] == 1 and report["accepted_in_sla"] == 1


def test_round_robin_turns_are_atomic_under_concurrency(any_store: JourneyStore):
    with ThreadPoolExecutor(max_workers=8) as pool:
        turns = list(pool.map(lambda _: any_store.next_turn("t1", "to-sales"), range(40)))
    assert sorted(turns) == list(range(1, 41))


def test_the_state_machine_in_the_template_is_the_documented_loop():
    machine = template()["Resources"]["HandoverTimer"]["Properties"]
    asl = json.loads((TEMPLATE.parent / "handover_timer.asl.json").read_text())
    assert machine["Definition"] == asl
    assert machine["StateMachineType"] == "STANDARD"
    states = asl["States"]
    assert states["WaitUntilDue"] == {"Type": "Wait", "TimestampPath": "$.due_at", "Next": "FireDueSteps"}
    assert states["FireDueSteps"]["Next"] == "AnotherStepDue"
    assert states["AnotherStepDue"]["Choices"][0]["Next"] == "WaitUntilDue"
    assert machine["DefinitionSubstitutions"]["DeadlineFunctionArn"] == {"Fn::GetAtt": ["HandoverDeadline", "Arn"]}


def test_the_template_alarms_on_gaps_and_failed_timers():
    resources = template()["Resources"]
    assert resources["GapsAlarm"]["Properties"]["MetricName"] == "Gaps"
    failed = resources["TimerFailuresAlarm"]["Properties"]
    assert (failed["Namespace"], failed["MetricName"]) == ("AWS/States", "ExecutionsFailed")
