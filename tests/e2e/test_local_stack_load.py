"""The local stack (``make run``) holds a burst of forms from many clients, and its emulator keeps the change stream.

These tests start a stack process of their own, so its memory is measured without the browser tests'
traffic and its e-mails (printed for every hand-over) go to a file instead of a pipe nobody drains.
The emulator's own checks (``chalicelib.local.emulator``) run in a fresh interpreter each, because its
patches are global to a process and the other tests use moto unpatched.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ROOT, OwnStack, started_stack

pytestmark = pytest.mark.e2e

FORMS = 1000
CLIENTS = 20
TIME_BUDGET = 300.0  # seconds for all the forms; beyond it the rest are not sent and the test fails
READ_BUDGET = 120.0  # seconds to read every lead back
MAX_GROWTH_MB = 200
RUNAWAY_MB = 1500  # growth at which sending stops early, so a regression cannot exhaust the machine
DEMO_OWNERS = {"sales-a@demo.dk", "sales-b@demo.dk"}
ADMIN = {"Authorization": "Bearer demo-admin-key"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    with started_stack() as stack:
        yield stack


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
    dynamodb, streams = own_stack.dynamodb(), own_stack.streams()
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


class MemoryWatch:
    """Samples the stack's RSS twice a second; past ``RUNAWAY_MB`` of growth it tells the clients to stop."""

    def __init__(self, stack: OwnStack):
        self.stack = stack
        self.before = self.peak = stack.rss_mb()
        self.runaway = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def now(self) -> float:
        rss = self.stack.rss_mb()
        self.peak = max(self.peak, rss)
        return rss

    def _watch(self) -> None:
        while not self._done.wait(0.5) and self.stack.process.poll() is None:
            if self.now() - self.before > RUNAWAY_MB:
                self.runaway.set()


def test_a_thousand_forms_from_twenty_clients_are_each_stored_once_and_the_stack_stays_small(own_stack: OwnStack):
    # Given the stack, as `make run` starts it, and budgets of time and memory
    run = uuid.uuid4().hex[:8]
    emails = [f"load-{run}-{n}@example.dk" for n in range(FORMS)]
    with MemoryWatch(own_stack) as memory:
        send_until = time.monotonic() + TIME_BUDGET

        latencies: list[float] = []

        def post(email: str) -> int | str:
            if memory.runaway.is_set() or time.monotonic() > send_until:
                return "not sent"
            sent = time.monotonic()
            status = _call(own_stack, "POST", "/forms/demo", {"email": email, "name": f"Load {email.split('@')[0]}"},
                           {"Content-Type": "application/json", "Origin": own_stack.base_url})[0]
            latencies.append(time.monotonic() - sent)
            return status

        # When twenty clients post a thousand forms
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as clients:
            answers = Counter(clients.map(post, emails))
        elapsed = time.monotonic() - started
        after_forms = memory.now()
        latencies.sort()
        print(f"\n{FORMS} forms from {CLIENTS} clients in {elapsed:.1f} s ({FORMS / elapsed:.1f} forms/s); "
              f"each took {latencies[len(latencies) // 2]:.2f} s (median), {latencies[-len(latencies) // 100]:.2f} s "
              f"(99th percentile), {latencies[-1]:.2f} s at most; stack RSS {memory.before:.0f} MB before, "
              f"{after_forms:.0f} MB after; answers {dict(answers)}")

        # Then every form was answered 201, within the budgets
        assert answers == Counter({201: FORMS}), f"answers other than 201: {dict(answers)}"
        assert after_forms - memory.before < MAX_GROWTH_MB, f"the stack grew {after_forms - memory.before:.0f} MB"

        # And every e-mail is exactly one lead, with one form submission and one hand-over, taken in turns
        read_until = time.monotonic() + READ_BUDGET

        def read(path: str) -> tuple[int | str, Any]:
            if memory.runaway.is_set() or time.monotonic() > read_until:
                return "not read", None
            return _call(own_stack, "GET", path, headers=ADMIN)

        with ThreadPoolExecutor(CLIENTS) as clients:
            found = dict(zip(emails, clients.map(read, [f"/leads?email={quote(email)}" for email in emails]),
                             strict=True))
            lead_ids = [answer["leads"][0]["lead_id"] for status, answer in found.values()
                        if status == 200 and len(answer["leads"]) == 1]
            leads = list(clients.map(read, [f"/leads/{lead_id}" for lead_id in lead_ids]))
        after_reads = memory.now()
        print(f"every lead read back in {time.monotonic() - started - elapsed:.1f} s; "
              f"stack RSS {after_reads:.0f} MB after, peak {memory.peak:.0f} MB")

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
    assert after_reads - memory.before < MAX_GROWTH_MB, f"the stack grew {after_reads - memory.before:.0f} MB"


def _python(script: str) -> Any:
    """Run a script in a fresh interpreter (the patches are global to a process) and answer its JSON."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "eu-west-1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


EMULATOR_WITH_TEN_STREAM_RECORDS = """
import json, socket, boto3
from chalicelib.local import emulator
emulator.STREAM_RECORDS_KEPT = 10
emulator.STREAM_UNREAD_KEPT = 20
emulator.install()
from moto.server import ThreadedMotoServer
from moto.dynamodb.models.dynamo_type import Item
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
endpoint = f"http://127.0.0.1:{port}"
dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
streams = boto3.client("dynamodbstreams", endpoint_url=endpoint)
string = lambda name: {"AttributeName": name, "AttributeType": "S"}
dynamodb.create_table(
    TableName="t", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[string("pk"), string("sk"), string("g")],
    GlobalSecondaryIndexes=[{"IndexName": "byg", "Projection": {"ProjectionType": "ALL"},
                             "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}]}],
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
)
arn = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
oldest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
for n in reversed(range(40)):
    dynamodb.put_item(TableName="t", Item={"pk": {"S": f"p{n % 3}"}, "sk": {"S": f"{n:02d}"}, "g": {"S": "all"}})

def pages(**request):
    found, start = [], {}
    while True:
        answer = dynamodb.query(TableName="t", Limit=7, **request, **start)
        found += [(item["pk"]["S"], item["sk"]["S"]) for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return found
        start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}

p1 = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}}
behind_answer = streams.get_records(ShardIterator=oldest)
behind = behind_answer["Records"]
for n in range(41, 56):  # fifteen more than the reader has read: unread, so kept although ten is the bound
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "lag"}, "sk": {"S": f"{n:02d}"}, "g": {"S": "lag"}})
lagging = streams.get_records(ShardIterator=behind_answer["NextShardIterator"])
latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
dynamodb.put_item(TableName="t", Item={"pk": {"S": "new"}, "sk": {"S": "40"}, "g": {"S": "all"}})
print(json.dumps({
    "partition": pages(**p1),
    "partition_backwards": pages(ScanIndexForward=False, **p1),
    "partition_range": pages(KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                             ExpressionAttributeValues={":p": {"S": "p1"}, ":a": {"S": "10"}, ":b": {"S": "20"}}),
    "missing_partition": pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p9"}}),
    "index": pages(IndexName="byg", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "all"}}),
    "behind": [(record["dynamodb"]["Keys"]["sk"]["S"], int(record["dynamodb"]["SequenceNumber"])) for record in behind],
    "lagging": [record["dynamodb"]["Keys"]["sk"]["S"] for record in lagging["Records"]],
    "latest": [record["dynamodb"]["Keys"]["pk"]["S"] for record in streams.get_records(ShardIterator=latest)["Records"]
               ],
    "tracked_items": len(Item.instances_tracked),
}))
server.stop()
"""


def test_emulator_queries_answer_as_moto_does_and_streams_keep_every_unread_record():
    # Given the patched emulator, keeping ten read and twenty unread stream records, and 40 items in three
    # partitions and one index
    answer = _python(EMULATOR_WITH_TEN_STREAM_RECORDS)

    # Then a partition's query pages hold exactly its items in range-key order, either way
    p1 = [("p1", f"{n:02d}") for n in range(40) if n % 3 == 1]
    assert [tuple(item) for item in answer["partition"]] == p1
    assert [tuple(item) for item in answer["partition_backwards"]] == p1[::-1]
    assert [tuple(item) for item in answer["partition_range"]] == [item for item in p1 if "10" <= item[1] <= "20"]
    assert answer["missing_partition"] == []
    # And an index query pages through every item in the index's key order
    assert [tuple(item) for item in answer["index"]] == [(f"p{n % 3}", f"{n:02d}") for n in range(40)] + [("new", "40")]
    # And a reader from before the trim of unread records reads on from the oldest kept record, in sequence
    behind = answer["behind"]
    assert 20 <= len(behind) <= 22
    assert [sk for sk, _ in behind] == [f"{n:02d}" for n in reversed(range(len(behind)))]
    assert [sequence for _, sequence in behind] == sorted({sequence for _, sequence in behind})
    # And records written while the reader lags are all there for it, though more than ten
    assert answer["lagging"] == [f"{n:02d}" for n in range(41, 56)]
    assert answer["latest"] == ["new"]
    # And moto no longer keeps every item it ever made
    assert answer["tracked_items"] == 0


def test_emulator_leaves_moto_alone_on_a_version_it_was_not_written_for():
    answer = _python("""
import json, warnings, moto
moto.__version__ = "0.0.0"
from chalicelib.local import emulator
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    emulator.install()
from chalice.local import ThreadedHTTPServer
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
print(json.dumps({"warnings": [str(warning.message) for warning in caught],
                  "transactions_patched": hasattr(DynamoDBBackend.transact_write_items, "_leadtrail_emulator_patch"),
                  "reads_patched": hasattr(DynamoHandler.serialized, "_leadtrail_emulator_patch"),
                  "backlog": ThreadedHTTPServer.request_queue_size}))
""")
    assert any("moto 5.2.5" in warning and "0.0.0" in warning for warning in answer["warnings"]), answer
    assert answer["transactions_patched"] is False
    assert answer["reads_patched"] is False
    assert answer["backlog"] >= 128
