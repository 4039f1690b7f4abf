"""Atomic writes: one builder that tags each item, so a cancelled transaction names the tag that failed.

Callers never look at DynamoDB's cancellation reasons (a list in the order of the items); they ask
``TransactionCancelled.failed`` for the tags whose condition did not hold.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.dynamo.keys import Key
from chalicelib.adapters.dynamo.table import Table, from_item, to_item
from chalicelib.errors import WriteRefused

MAX_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


class TransactionCancelled(Exception):
    """The transaction wrote nothing. ``failed``: tags whose condition failed; ``old``: their items, if returned."""

    def __init__(self, failed: set[str], conflicted: set[str], old: dict[str, dict[str, Any]]):
        super().__init__(f"transaction cancelled (failed: {sorted(failed) or 'none'}, "
                         f"conflicted: {sorted(conflicted) or 'none'})")
        self.failed = failed
        self.conflicted = conflicted
        self.old = old

    @property
    def conflict(self) -> bool:
        """Another transaction was writing one of the items at the same moment."""
        return bool(self.conflicted)


class TransactionInvalid(WriteRefused):
    """The transaction wrote nothing: DynamoDB refused the items tagged ``invalid`` as they are (its cancellation
    reason ``ValidationError``, most often an item that would pass 400 KB). Trying again cannot help."""

    def __init__(self, invalid: set[str]):
        super().__init__(f"transaction refused (invalid: {sorted(invalid)})")
        self.invalid = invalid


@dataclass
class Transaction:
    table: Table
    _items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def put(self, tag: str, item: dict[str, Any], condition: str | None = None,
            values: dict[str, Any] | None = None, return_old: bool = False) -> None:
        request: dict[str, Any] = {"TableName": self.table.name, "Item": to_item(item)}
        self._condition(request, condition, values, return_old)
        self._items.append((tag, {"Put": request}))

    def update(self, tag: str, key: Key, expression: str, values: dict[str, Any] | None = None,
               names: dict[str, str] | None = None, condition: str | None = None) -> None:
        request: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
            "UpdateExpression": expression,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        self._condition(request, condition, values, False)
        self._items.append((tag, {"Update": request}))

    def add_counts(self, tag: str, key: Key, counts: dict[str, int], kind: str) -> None:
        """``ADD`` each named count to the item (creating it), marking it with ``kind``."""
        names = {f"#c{index}": name for index, name in enumerate(counts)}
        values: dict[str, Any] = {f":c{index}": value for index, value in enumerate(counts.values())}
        values[":kind"] = kind
        additions = ", ".join(f"#c{index} :c{index}" for index in range(len(counts)))
        self.update(tag, key, f"ADD {additions} SET kind = :kind", values=values, names=names)

    def commit_once(self, once_tag: str, attempts: int = 5) -> bool:
        """Commit; False when ``once_tag``'s condition failed (done before). A conflict with a concurrent
        writer of the same items is tried again after a short jittered wait; any other cancellation raises."""
        for attempt in range(attempts):
            try:
                self.commit()
            except TransactionCancelled as cancelled:
                if once_tag in cancelled.failed:
                    return False
                if not cancelled.conflict or attempt == attempts - 1:
                    raise
                time.sleep(random.random() * 0.05 * 2**attempt)
                continue
            return True
        return True

    def delete(self, tag: str, key: Key) -> None:
        request: dict[str, Any] = {"TableName": self.table.name, "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}}}
        self._items.append((tag, {"Delete": request}))

    @staticmethod
    def _condition(request: dict[str, Any], condition: str | None, values: dict[str, Any] | None,
                   return_old: bool) -> None:
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = to_item(values)
        if return_old:
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"

    def __len__(self) -> int:
        return len(self._items)

    def commit(self) -> None:
        if not self._items:
            return
        if len(self._items) > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items, not {len(self._items)}")
        client = self.table.client
        try:
            requests: list[Any] = [request for _, request in self._items]
            client.transact_write_items(TransactItems=requests)
        except client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            failed: set[str] = set()
            old: dict[str, dict[str, Any]] = {}
            conflicted: set[str] = set()
            invalid: set[str] = set()
            for (tag, _), reason in zip(self._items, reasons, strict=False):
                code = reason.get("Code")
                if code == "ConditionalCheckFailed":
                    failed.add(tag)
                    if reason.get("Item"):
                        old[tag] = from_item(dict(reason["Item"]))
                elif code == "TransactionConflict":
                    conflicted.add(tag)
                elif code == "ValidationError":
                    invalid.add(tag)
            if failed or conflicted:
                raise TransactionCancelled(failed, conflicted, old) from error
            if invalid:
                raise TransactionInvalid(invalid) from error
            raise
