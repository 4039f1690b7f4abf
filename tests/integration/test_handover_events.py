"""The hand-over handlers driven by the sample events in events/, as Lambda would call them."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.local.provision import TEMPLATE, template
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
    lead = api.repos.leads.lead("demo", form["lead_id"])
    assert lead is not None
    handover_id = lead.handovers["marketing-to-sales"]

    deadline = load_event("handover_deadline")
    deadline["handover_id"] = handover_id
    from app import handover_deadline, handover_sweep

    answer = handover_deadline(deadline, None)
    assert answer["handover_id"] == handover_id and answer["due_at"] > "2026-11-23T09:30"
    assert handover_sweep(load_event("handover_sweep"), None) == {"fired": 0, "folded": 0}

    api.drain()  # what the change stream does after each of those writes (counters, timers, e-mails)
    assert api.timers.started and api.mailer.sent
    accept = load_event("handover_accept")
    accept["pathParameters"]["handover_id"] = handover_id
    accept["headers"]["Authorization"] = accept["multiValueHeaders"]["Authorization"][0] = "Bearer demo-admin-key"
    assert json.loads(_invoke(accept)["body"])["status"] == "accepted"
    api.drain()
    report = json.loads(_invoke(load_event("handover_report"))["body"])
    assert report["handovers"] == 1 and report["accepted_in_sla"] == 1


def test_the_change_stream_handler_takes_a_lambda_batch_and_reports_no_failures(api: Api):
    from app import change_stream

    form = _invoke(load_event("form_json"))
    assert form["statusCode"] == 201
    records = api.tap.new_records()
    assert any(record["dynamodb"]["NewImage"].get("kind", {}).get("S") == "event" for record in records)
    event = load_event("change_stream")
    event["Records"] = records + event["Records"]  # the sample record (a page view) is ignored by every consumer
    assert change_stream(event, None) == {"batchItemFailures": []}
    # the form's own events were counted by the projection: nothing is counted twice on redelivery
    assert change_stream({"Records": records}, None) == {"batchItemFailures": []}


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


def test_the_template_feeds_the_change_stream_consumer_with_retries_a_failure_queue_and_alarms():
    resources = template()["Resources"]
    assert resources["JourneyTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    events = resources["ChangeStream"]["Properties"]["Events"]
    # Two mappings, split by their filters (test_change_stream checks the split): change events, and page views.
    assert set(events) == {"ChangeStreamDynamodbEventSource", "PageViewStreamDynamodbEventSource"}
    for event in events.values():
        source = event["Properties"]
        assert source["Stream"] == {"Fn::GetAtt": ["JourneyTable", "StreamArn"]}
        assert source["BisectBatchOnFunctionError"] is True
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["ChangeStreamFailures", "Arn"]}
        assert source["FilterCriteria"]["Filters"]
    # A page view's batch is at most a minute late: well inside the iterator-age alarm's five minutes.
    windows = [event["Properties"]["MaximumBatchingWindowInSeconds"] for event in events.values()]
    assert max(windows) * 1000 < resources["ChangeStreamIteratorAgeAlarm"]["Properties"]["Threshold"]
    queue_alarm = resources["ChangeStreamFailuresAlarm"]["Properties"]
    assert queue_alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ChangeStreamFailures", "QueueName"]}
    assert resources["ChangeStreamIteratorAgeAlarm"]["Properties"]["MetricName"] == "IteratorAge"
    # Only the consumer sends e-mail and starts timers: a request cannot wait on either.
    def actions(role: str) -> set[str]:
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        return {action for statement in statements for action in statement["Action"]}

    assert {"ses:SendEmail", "states:StartExecution"} <= actions("ChangeStreamRole")
    requests = actions("ApiHandlerRole") | actions("HandoverDeadlineRole")
    assert not {"ses:SendEmail", "states:StartExecution"} & requests


def test_a_full_stream_batch_of_slow_webhook_receivers_still_fits_the_consumers_timeout():
    from chalicelib.adapters.webhooks import HttpWebhookTransport
    from chalicelib.local.provision import stream_batch_size

    config = json.loads((TEMPLATE.parents[1] / ".chalice" / "config.json").read_text())
    timeouts = [stage["lambda_functions"]["change_stream"]["lambda_timeout"] for stage in config["stages"].values()
                if "change_stream" in stage.get("lambda_functions", {})]
    slowest_delivery = HttpWebhookTransport().timeout

    assert timeouts and stream_batch_size() * slowest_delivery * 2 <= min(timeouts)
