"""The emulator's item reads (``answer_item_reads_as_json``) answer exactly what moto's own serialiser writes."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler, DynamoResult

from chalicelib.local import emulator

ITEM = {
    "pk": {"S": "p"}, "sk": {"S": "01"}, "text": {"S": "æøå \"quoted\" \u2028"}, "number": {"N": "-12.50"},
    "blob": {"B": b"\x00\xffbinary"}, "blobs": {"BS": [b"a", b"\x01\x02"]}, "words": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]}, "yes": {"BOOL": True}, "nothing": {"NULL": True},
    "list": {"L": [{"S": "x"}, {"N": "3"}, {"B": b"in a list"}, {"M": {"deep": {"L": []}}}]},
    "map": {"M": {"inner": {"M": {"b": {"B": b"in a map"}, "n": {"NULL": True}}}, "empty": {"M": {}}}},
}


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], tuple[Any, ...], bool]]:
    """Each DynamoDB answer of the test as (operation, the emulator's answer, moto's serialiser's answer, whether
    the emulator's answer went through moto's serialiser)."""
    emulator.answer_item_reads_as_json()
    patched = DynamoHandler.serialized
    original = getattr(patched, "__wrapped__", None)
    assert original is not None, "the emulator's patch is not installed"
    serialise = DynamoResult.execute_result
    serialised = []

    def counted(self: Any, context: Any) -> Any:
        serialised.append(self)
        return serialise(self, context)

    monkeypatch.setattr(DynamoResult, "execute_result", counted)
    seen: list[tuple[str, tuple[Any, ...], tuple[Any, ...], bool]] = []

    def both(self: Any, action_result: Any) -> Any:
        before = len(serialised)
        answer = patched(self, action_result)
        by_moto = len(serialised) > before
        status, headers, body = answer  # kept as it was answered: moto adds its request id to the headers later
        seen.append((self._get_action(), (status, dict(headers), body), original(self, action_result),
                     by_moto))
        return answer

    monkeypatch.setattr(DynamoHandler, "serialized", both)
    return seen


def _reads(client: Any) -> None:
    string = lambda name: {"AttributeName": name, "AttributeType": "S"}  # noqa: E731
    client.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=[string("pk"), string("sk"), string("g")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "byg", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
    client.put_item(TableName="t", Item=ITEM)
    for n in range(2, 6):
        client.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": f"{n:02d}"}, "g": {"S": "all"}})
    key = {"pk": {"S": "p"}, "sk": {"S": "01"}}
    client.get_item(TableName="t", Key=key)
    client.get_item(TableName="t", Key=key, ReturnConsumedCapacity="TOTAL", ProjectionExpression="#b, #m.inner",
                    ExpressionAttributeNames={"#b": "blob", "#m": "map"})
    client.get_item(TableName="t", Key={"pk": {"S": "p"}, "sk": {"S": "none"}})
    client.batch_get_item(RequestItems={"t": {"Keys": [key, {"pk": {"S": "p"}, "sk": {"S": "02"}},
                                                       {"pk": {"S": "q"}, "sk": {"S": "01"}}]}},
                          ReturnConsumedCapacity="INDEXES")
    partition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}
    client.query(TableName="t", **partition)
    client.query(TableName="t", Limit=2, ScanIndexForward=False, ReturnConsumedCapacity="TOTAL", **partition)
    client.query(TableName="t", Select="COUNT", **partition)
    client.query(TableName="t", IndexName="byg", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "all"}}, Limit=3)
    client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}})
    client.scan(TableName="t")
    client.scan(TableName="t", Limit=2, FilterExpression="attribute_exists(g)")
    client.scan(TableName="t", FilterExpression="attribute_exists(nowhere)")


def test_item_reads_answer_what_motos_serialiser_writes_for_every_attribute_type(answers):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        _reads(client)
        # Reading the items back through boto3 gives what was written, binary values included
        assert client.get_item(TableName="t", Key={"pk": {"S": "p"}, "sk": {"S": "01"}})["Item"] == ITEM

    reads = [answer for answer in answers if answer[0] in emulator.ITEM_READS]
    assert {operation for operation, *_ in reads} == emulator.ITEM_READS
    for operation, (status, headers, body), (moto_status, moto_headers, moto_body), by_moto in reads:
        assert (operation, status, headers) == (operation, moto_status, moto_headers)
        # as JSON values, types included (1 is not 1.0 to a client, though equal in Python)
        assert json.dumps(json.loads(body), sort_keys=True) == json.dumps(json.loads(moto_body), sort_keys=True)
        assert not by_moto, f"{operation} went through moto's serialiser"


def test_other_operations_and_refused_reads_are_answered_by_motos_serialiser(answers):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        _reads(client)
        with pytest.raises(client.exceptions.ClientError, match="ValidationException"):
            client.query(TableName="t", KeyConditionExpression="nowhere = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}})

    others = [answer for answer in answers if answer[0] not in emulator.ITEM_READS or answer[1][0] != 200]
    assert {"CreateTable", "PutItem"} <= {operation for operation, *_ in others}
    for operation, ours, moto, by_moto in others:
        assert (operation, ours, by_moto) == (operation, moto, True)
