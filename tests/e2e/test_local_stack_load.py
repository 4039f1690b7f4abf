"""The local stack (``make run``) holds a burst of forms from many clients, and its emulator keeps the change stream.

These tests start a stack process of their own, so its memory is measured without the browser tests'
traffic and its e-mails (printed for every hand-over) go to a file instead of a pipe nobody drains.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

FORMS = 1000
CLIENTS = 20
TIME_BUDGET = 180.0  # seconds for all the forms; beyond it the rest are not sent and the test fails
MAX_GROWTH_MB = 200
RUNAWAY_MB = 1500  # growth at which sending stops early, so a regression cannot exhaust the machine
DEMO_OWNERS = {"sales-a@demo.dk", "sales-b@demo.dk"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OwnStack:
    base_url: str
    aws_endpoint: str
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS in /proc/<pid>/status")

    def aws(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name="eu-west-1",
                            aws_access_key_id="local", aws_secret_access_key="local")


def _call(stack: OwnStack, method: str, path: str, body: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> tuple[int | str, Any]:
    """Status and JSON answer; a failed connection answers its exception's name instead of a status."""
    request = urllib.request.Request(stack.base_url + path, method=method, headers=headers or {},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read()[:300]
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return type(reason).__name__, str(reason)


@pytest.fixture(scope="module")
def own_stack() -> Iterator[OwnStack]:
    port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "LOCAL_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen([sys.executable, "-m", "chalicelib.local.stack"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)

        def printed() -> str:
            output.seek(0)
            return output.read().decode(errors="replace")[-4000:]

        stack = OwnStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", process)
        deadline = time.monotonic() + 60
        while _call(stack, "GET", "/health")[0] != 200:
            if process.poll() is not None:
                pytest.fail(f"the local stack exited early:\n{printed()}")
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the local stack did not answer /health within 60 s:\n{printed()}")
            time.sleep(0.2)
        yield stack
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"Ctrl-C did not stop the local stack within 30 s:\n{printed()}")


def _stream_events(streams: Any, iterator: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for _ in range(20):
        page = streams.get_records(ShardIterator=iterator, Limit=100)
        records += page["Records"]
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            break
    return records


def test_every_committed_write_reaches_the_table_stream_and_a_cancelled_transaction_leaves_no_trace(
    own_stack: OwnStack,
):
    # Given a table with a stream on the local stack's emulator, read from its latest point
    dynamodb, streams = own_stack.aws("dynamodb"), own_stack.aws("dynamodbstreams")
    table = f"stream-check-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    try:
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]

        def key(pk: str) -> dict[str, Any]:
            return {"pk": {"S": pk}, "sk": {"S": "item"}}

        # When it takes a put, an update, a batch, a transaction, a cancelled transaction and one more transaction
        dynamodb.put_item(TableName=table, Item={**key("a"), "n": {"N": "0"}})
        dynamodb.update_item(TableName=table, Key=key("a"), UpdateExpression="SET n = :n",
                             ExpressionAttributeValues={":n": {"N": "1"}})
        dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": key("b")}}]})
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**key("c"), "n": {"N": "3"}}}},
            {"Update": {"TableName": table, "Key": key("a"), "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "2"}}}},
        ])
        with pytest.raises(ClientError) as cancelled:
            dynamodb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": key("d")}},
                {"Update": {"TableName": table, "Key": key("c"), "UpdateExpression": "SET n = :n",
                            "ExpressionAttributeValues": {":n": {"N": "99"}}}},
                {"ConditionCheck": {"TableName": table, "Key": key("a"),
                                    "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        dynamodb.transact_write_items(TransactItems=[
            {"Delete": {"TableName": table, "Key": key("b")}},
            {"Put": {"TableName": table, "Item": key("e")}},
        ])

        # Then every committed write is in the stream, in order, and the cancelled one left nothing behind
        assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
        records = _stream_events(streams, iterator)
        assert [(record["eventName"], record["dynamodb"]["Keys"]["pk"]["S"]) for record in records] == [
            ("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "b"),
            ("INSERT", "c"), ("MODIFY", "a"),
            ("REMOVE", "b"), ("INSERT", "e"),
        ]
        assert records[3]["dynamodb"]["NewImage"]["n"] == {"N": "3"}
        assert records[4]["dynamodb"]["OldImage"]["n"] == {"N": "1"}
        assert "Item" not in dynamodb.get_item(TableName=table, Key=key("d"))
        assert dynamodb.get_item(TableName=table, Key=key("c"))["Item"]["n"] == {"N": "3"}
    finally:
        dynamodb.delete_table(TableName=table)


def test_a_thousand_forms_from_twenty_clients_are_each_stored_once_and_the_stack_stays_small(own_stack: OwnStack):
    # Given the stack, as `make run` starts it, and a budget of time and memory
    run = uuid.uuid4().hex[:8]
    emails = [f"load-{run}-{n}@example.dk" for n in range(FORMS)]
    rss_before = own_stack.rss_mb()
    peak = [rss_before]
    stop = threading.Event()
    deadline = time.monotonic() + TIME_BUDGET

    def watch_memory() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], own_stack.rss_mb())
            if peak[0] - rss_before > RUNAWAY_MB:
                stop.set()

    def post(email: str) -> int | str:
        if stop.is_set() or time.monotonic() > deadline:
            return "not sent"
        return _call(own_stack, "POST", "/forms/demo", {"email": email, "name": f"Load {email.split('@')[0]}"},
                     {"Content-Type": "application/json", "Origin": own_stack.base_url})[0]

    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()

    # When twenty clients post a thousand forms
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as clients:
        answers = Counter(clients.map(post, emails))
    elapsed = time.monotonic() - started
    rss_after_forms = own_stack.rss_mb()

    def find(email: str) -> tuple[int | str, Any]:
        return _call(own_stack, "GET", f"/leads?email={quote(email)}", headers={"Authorization": "Bearer demo-admin-key"})

    def lead(lead_id: str) -> tuple[int | str, Any]:
        return _call(own_stack, "GET", f"/leads/{lead_id}", headers={"Authorization": "Bearer demo-admin-key"})

    with ThreadPoolExecutor(CLIENTS) as clients:
        found = dict(zip(emails, clients.map(find, emails), strict=True))
        lead_ids = [answer["leads"][0]["lead_id"] for status, answer in found.values()
                    if status == 200 and len(answer["leads"]) == 1]
        leads = list(clients.map(lead, lead_ids))
    stop.set()
    watcher.join()
    rss_after = own_stack.rss_mb()
    print(f"\n{FORMS} forms from {CLIENTS} clients in {elapsed:.1f} s ({FORMS / elapsed:.1f} forms/s); "
          f"stack RSS {rss_before:.0f} MB before, {rss_after_forms:.0f} MB after the forms, "
          f"{rss_after:.0f} MB after reading every lead back (peak {peak[0]:.0f} MB); answers {dict(answers)}")

    # Then every form was answered 201, within the budgets
    assert answers == Counter({201: FORMS}), f"answers other than 201: {dict(answers)}"
    assert rss_after - rss_before < MAX_GROWTH_MB, f"the stack grew {rss_after - rss_before:.0f} MB"
    # And every e-mail is exactly one lead, with one form submission and one hand-over, taken in turns
    wrong = {email: answer for email, answer in found.items()
             if answer[0] != 200 or [found_lead["email"] for found_lead in answer[1]["leads"]] != [email]}
    assert not wrong, f"{len(wrong)} e-mails are not exactly one lead, e.g. {list(wrong.items())[:3]}"
    assert len(set(lead_ids)) == FORMS
    assert all(status == 200 for status, _ in leads), Counter(status for status, _ in leads)
    submissions = Counter([event["type"] for event in answer["timeline"]].count("form_submit") for _, answer in leads)
    assert submissions == Counter({1: FORMS}), f"form submissions per lead: {dict(submissions)}"
    owners = Counter(handover["owner"] for _, answer in leads for handover in answer["handovers"])
    assert sum(owners.values()) == FORMS and set(owners) == DEMO_OWNERS, f"hand-overs by owner: {dict(owners)}"
    assert max(owners.values()) - min(owners.values()) <= 1, f"round robin is uneven: {dict(owners)}"
