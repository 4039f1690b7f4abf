"""schemathesis hooks for the contract run (``tests/e2e/test_api_contract.py``): a refusal changes nothing.

Before every call the table is read whole; after a 4xx answer it is read again, and any item that came, went or
changed fails the run, naming the items. Only what a refusal is meant to write is let through: the rejected-input
records and their daily cap (kept so nothing sent is lost quietly) and the spam log.

The local stack's stream consumers and timers write too, a moment after the request that caused it. So when the
table did change, the check waits until it is quiet, sends the same request again and looks once more: only a
refusal that writes each time it is sent fails.

The stack is named by ``CONTRACT_BASE_URL``, ``CONTRACT_AWS_ENDPOINT``, ``CONTRACT_TABLE`` and ``CONTRACT_KEY``;
``CONTRACT_RESELLER_KEY`` is sent instead on the reseller's own routes (``/reseller/...``).
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import boto3
import schemathesis

MEANT_FOR_REFUSALS = re.compile(r"(^|#)(REJECTED|REJECTCAP|SPAM)#")
QUIET_FOR = 0.4  # seconds without a change: the stream reader polls every 0.1 s
QUIET_WITHIN = 15.0

Snapshot = dict[tuple[str, str], str]
_seen: dict[str, Snapshot] = {}


def _table() -> tuple[Any, str]:
    client = boto3.client("dynamodb", endpoint_url=os.environ["CONTRACT_AWS_ENDPOINT"], region_name="eu-west-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    return client, os.environ["CONTRACT_TABLE"]


def snapshot() -> Snapshot:
    """Every item of the table, by key, as text that compares equal when the item is unchanged."""
    client, table = _table()
    items: Snapshot = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            key = (item["pk"]["S"], item["sk"]["S"])
            items[key] = json.dumps(item, sort_keys=True, default=str)
    return items


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """The items a refusal must not have touched that came, went or changed, named ``PK / SK (how)``."""
    named = []
    for key in sorted(set(before) | set(after)):
        if MEANT_FOR_REFUSALS.search(key[0]):
            continue
        if key not in before:
            named.append(f"{key[0]} / {key[1]} (added)")
        elif key not in after:
            named.append(f"{key[0]} / {key[1]} (removed)")
        elif before[key] != after[key]:
            named.append(f"{key[0]} / {key[1]} (changed)")
    return named


def quiet_snapshot() -> Snapshot:
    """The table once nothing has changed in it for ``QUIET_FOR`` seconds."""
    deadline = time.monotonic() + QUIET_WITHIN
    last = snapshot()
    while time.monotonic() < deadline:
        time.sleep(QUIET_FOR)
        now = snapshot()
        if now == last:
            return now
        last = now
    return last


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    reseller_key = os.environ.get("CONTRACT_RESELLER_KEY")
    if reseller_key and case.path.startswith("/reseller/"):
        # The reseller's own routes answer a reseller's key: with the admin key they would only ever say 401.
        bearer = f"Bearer {reseller_key}"
        case.headers = {**(case.headers or {}), "Authorization": bearer}
        if isinstance(kwargs.get("headers"), dict):
            kwargs["headers"]["Authorization"] = bearer
    _seen["before"] = snapshot()


@schemathesis.check
def refusal_changes_nothing(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx answer leaves every item of the table as it was."""
    if not 400 <= response.status_code < 500:
        return None
    if "before" not in _seen:
        raise AssertionError("the before_call hook did not run: the table was not read before the call")
    changed = changes(_seen.pop("before"), snapshot())
    if not changed:
        return True
    quiet = quiet_snapshot()
    again = case.call(base_url=os.environ["CONTRACT_BASE_URL"],
                      headers={"Authorization": f"Bearer {os.environ['CONTRACT_KEY']}"})
    changed = changes(quiet, snapshot()) if 400 <= again.status_code < 500 else []
    if changed:
        raise AssertionError(f"a {again.status_code} answer changed the table: {', '.join(changed[:10])}")
    return True
