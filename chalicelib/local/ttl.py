"""DynamoDB's TTL, locally: moto keeps expired items, so the local stack deletes them itself once a minute.

In AWS the table's ``expires_at`` TTL deletes an item some time after that epoch second; the deletion reaches the
change stream like any other, so retention (``chalicelib.consumers.retention``) runs the same way here.
"""

from __future__ import annotations

import time
from typing import Any


def expire_items(client: Any, table_name: str, now: float | None = None) -> int:
    """Delete every item whose ``expires_at`` has passed; answers how many went."""
    moment = int(time.time() if now is None else now)
    deleted = 0
    for page in client.get_paginator("scan").paginate(
            TableName=table_name, ProjectionExpression="pk, sk",
            # As DynamoDB's TTL: an ``expires_at`` that is not a number is no expiry.
            FilterExpression="attribute_type(expires_at, :number) AND expires_at < :now",
            ExpressionAttributeValues={":number": {"S": "N"}, ":now": {"N": str(moment)}}):
        for item in page["Items"]:
            client.delete_item(TableName=table_name, Key={"pk": item["pk"], "sk": item["sk"]})
            deleted += 1
    return deleted
