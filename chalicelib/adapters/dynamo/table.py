"""The journey table's plumbing shared by the repositories: item (de)serialisation, get, query, batch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.adapters.dynamo.keys import Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
MAX_BATCH_ATTEMPTS = 6


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB's typed form; empty values are left out (DynamoDB refuses empty sets)."""
    return {key: _serializer.serialize(value) for key, value in data.items() if value is not None and value != {}}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return plain({key: _deserializer.deserialize(value) for key, value in item.items()})


def plain(value: Any) -> Any:
    """Numbers come back from DynamoDB as Decimal; the domain wants int (or float)."""
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    return value


def keyed(key: Key, **attributes: Any) -> dict[str, Any]:
    return {"pk": key[0], "sk": key[1], **attributes}


def expiry(at: str, ttl: timedelta) -> int:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return int((moment + ttl).timestamp())


class Table:
    """One table and its client; repositories share it."""

    def __init__(self, name: str, client: DynamoDBClient):
        self.name = name
        self.client = client

    def get(self, key: Key, consistent: bool = False) -> dict[str, Any] | None:
        answer = self.client.get_item(
            TableName=self.name, Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}}, ConsistentRead=consistent
        )
        item = answer.get("Item")
        return None if item is None else from_item(dict(item))

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=to_item(item))

    def put_new(self, item: dict[str, Any]) -> bool:
        """Put the item unless one with its key is there: True when it was put, False when there was one."""
        try:
            self.client.put_item(TableName=self.name, Item=to_item(item),
                                 ConditionExpression="attribute_not_exists(pk)")
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete(self, key: Key) -> None:
        self.client.delete_item(TableName=self.name, Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}})

    def query_pages(self, **request: Any) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
        """Each page of a query with the key to continue after it."""
        while True:
            answer = self.client.query(TableName=self.name, **request)
            last = answer.get("LastEvaluatedKey")
            yield [from_item(dict(item)) for item in answer.get("Items", [])], (dict(last) if last else None)
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def query(self, max_items: int = 10_000, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page, _ in self.query_pages(**request):
            items.extend(page)
            if len(items) >= max_items:
                break
        return items[:max_items]

    def query_partition(self, pk: str, prefix: str, max_items: int = 10_000) -> list[dict[str, Any]]:
        return self.query(
            max_items=max_items,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
        )

    def batch_get(self, keys: list[Key], consistent: bool = False) -> list[dict[str, Any]]:
        """The items of those keys that exist, in no particular order (unprocessed keys are asked again)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            chunk = dict.fromkeys(keys[start:start + 100])
            pending: list[Any] = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk]
            attempt = 0
            while pending:
                answer = self.client.batch_get_item(RequestItems={self.name: {"Keys": pending,
                                                                              "ConsistentRead": consistent}})
                found += [from_item(dict(item)) for item in answer.get("Responses", {}).get(self.name, [])]
                unprocessed: Any = answer.get("UnprocessedKeys", {}).get(self.name, {})
                pending = list(unprocessed.get("Keys", []))
                if pending:
                    attempt += 1
                    if attempt > MAX_BATCH_ATTEMPTS:
                        raise RuntimeError(f"{len(pending)} keys stayed unprocessed after {attempt} attempts")
                    time.sleep(min(0.05 * 2**attempt, 1.0))
        return found

    def batch_put(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            pending: list[Any] = [{"PutRequest": {"Item": to_item(item)}} for item in items[start:start + 25]]
            attempt = 0
            while pending:
                answer = self.client.batch_write_item(RequestItems={self.name: pending})
                pending = list(answer.get("UnprocessedItems", {}).get(self.name, []))
                if pending:
                    # Throttled items are retried with back-off; accepted data is never dropped quietly.
                    attempt += 1
                    if attempt > MAX_BATCH_ATTEMPTS:
                        raise RuntimeError(f"{len(pending)} items stayed unprocessed after {attempt} attempts")
                    time.sleep(min(0.05 * 2**attempt, 1.0))
