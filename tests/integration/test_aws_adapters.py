"""The AWS adapters against moto: SES e-mail, Step Functions timers (webhooks: test_webhook_delivery)."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from chalicelib.adapters.notify import SesMailer
from chalicelib.adapters.timers import StepFunctionsTimers, execution_name
from chalicelib.local.provision import TEMPLATE


def test_ses_mailer_sends_from_the_verified_sender(dynamodb: Any):
    ses = boto3.client("ses", region_name="eu-west-1")
    ses.verify_email_identity(EmailAddress="leads@nordlys-solar.dk")
    SesMailer(ses, "leads@nordlys-solar.dk").send("sales-a@demo.dk", "Nyt lead til dig", "Acceptér: https://x")
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    (message,) = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages
    assert message.destinations["ToAddresses"] == ["sales-a@demo.dk"]
    assert message.subject == "Nyt lead til dig"


def test_ses_mailer_sends_the_text_part_and_the_html_part():
    ses = boto3.client("ses", region_name="eu-west-1")
    with Stubber(ses) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, {
            "Source": "leads@nordlys-solar.dk", "Destination": {"ToAddresses": ["sales-a@demo.dk"]},
            "Message": {"Subject": {"Data": "Nyt lead til dig", "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": "Acceptér: https://x", "Charset": "UTF-8"},
                                 "Html": {"Data": '<a href="https://x">Acceptér</a>', "Charset": "UTF-8"}}},
        })
        SesMailer(ses, "leads@nordlys-solar.dk").send("sales-a@demo.dk", "Nyt lead til dig", "Acceptér: https://x",
                                                      '<a href="https://x">Acceptér</a>')
        stub.assert_no_pending_responses()


def _timer_machine() -> tuple[Any, str]:
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    definition = (TEMPLATE.parent / "handover_timer.asl.json").read_text()
    machine = sfn.create_state_machine(name="handover-timer", definition=definition,
                                       roleArn="arn:aws:iam::123456789012:role/timer")["stateMachineArn"]
    return sfn, machine


def test_a_timer_is_one_execution_per_handover_and_due_time_and_a_repeat_is_harmless(dynamodb: Any):
    sfn, machine = _timer_machine()
    timers = StepFunctionsTimers(sfn, machine)
    timers.start("demo", "ho_abc_123", "2026-11-23T11:30:00.000Z")
    timers.start("demo", "ho_abc_123", "2026-11-23T11:30:00.000Z")
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [execution["name"] for execution in executions] == [
        execution_name("ho_abc_123", "2026-11-23T11:30:00.000Z")]
    assert executions[0]["name"].startswith("ho_abc_123-") and len(executions[0]["name"]) <= 80
    started = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"]) == {"tenant_id": "demo", "handover_id": "ho_abc_123",
                                            "due_at": "2026-11-23T11:30:00.000Z"}


def test_a_ladder_planned_again_starts_an_execution_of_its_own_for_its_first_due_time(dynamodb: Any):
    sfn, machine = _timer_machine()
    timers = StepFunctionsTimers(sfn, machine)
    timers.start("demo", "ho_abc_123", "2026-11-23T13:30:00.000Z")
    timers.start("demo", "ho_abc_123", "2026-11-23T11:45:00.000Z")  # after a decline, due before the first
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    inputs = sorted(json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])["due_at"]
                    for execution in executions)
    assert inputs == ["2026-11-23T11:45:00.000Z", "2026-11-23T13:30:00.000Z"]
