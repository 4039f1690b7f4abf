"""The AWS adapters against moto: SES e-mail, Step Functions timers, the webhook transport."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.notify import HttpWebhookTransport, SesMailer
from chalicelib.adapters.timers import StepFunctionsTimers
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


def test_a_timer_is_one_execution_named_by_the_handover_and_a_repeat_is_harmless(dynamodb: Any):
    sfn = boto3.client("stepfunctions", region_name="eu-west-1")
    definition = (TEMPLATE.parent / "handover_timer.asl.json").read_text()
    machine = sfn.create_state_machine(name="handover-timer", definition=definition,
                                       roleArn="arn:aws:iam::123456789012:role/timer")["stateMachineArn"]
    timers = StepFunctionsTimers(sfn, machine)
    timers.start("demo", "ho_abc_123", "2026-11-23T11:30:00.000Z")
    timers.start("demo", "ho_abc_123", "2026-11-23T11:30:00.000Z")
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [execution["name"] for execution in executions] == ["ho_abc_123"]
    started = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"]) == {"tenant_id": "demo", "handover_id": "ho_abc_123",
                                            "due_at": "2026-11-23T11:30:00.000Z"}


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, str]] = []
    status = 204

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((self.path, body, self.headers["Leadtrail-Signature"]))
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_webhook_transport_posts_and_reports_the_status(receiver: str):
    transport = HttpWebhookTransport()
    _Receiver.status = 204
    assert transport.post(f"{receiver}/hook", '{"a":1}', {"Content-Type": "application/json",
                                                        "Leadtrail-Signature": "t=1,v1=x"}) == 204
    _Receiver.status = 503
    assert transport.post(f"{receiver}/hook", "{}", {"Leadtrail-Signature": "t=1,v1=y"}) == 503
    assert [(path, body) for path, body, _ in _Receiver.received] == [("/hook", b'{"a":1}'), ("/hook", b"{}")]


def test_an_unreachable_webhook_raises_an_os_error():
    with pytest.raises(OSError):
        HttpWebhookTransport().post("http://127.0.0.1:9/nothing-listens", "{}", {})
