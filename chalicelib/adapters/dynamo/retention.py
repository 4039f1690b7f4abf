"""Retention marks and page-view expiry (``chalicelib.domain.retention``); keys in ``keys.py``."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table
from chalicelib.services.ports import RetentionStore

MAX_PAGE_VIEWS = 5000


class DynamoRetention(RetentionStore):
    def __init__(self, table: Table):
        self.table = table

    def mark(self, tenant_id: str, lead_id: str, last_event_at: str, expires_at: int) -> bool:
        """Move the lead's mark to a later last event; an earlier one (a late redelivery) changes nothing."""
        pk, sk = keys.retention_mark(tenant_id, lead_id)
        try:
            self.table.client.put_item(
                TableName=self.table.name,
                Item={"pk": {"S": pk}, "sk": {"S": sk}, "kind": {"S": "retention"},
                      "last_event_at": {"S": last_event_at}, "expires_at": {"N": str(expires_at)}},
                ConditionExpression="attribute_not_exists(pk) OR last_event_at < :at",
                ExpressionAttributeValues={":at": {"S": last_event_at}})
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def last_event_at(self, tenant_id: str, lead_id: str) -> str | None:
        items = self.table.query(
            max_items=1, Limit=1, ScanIndexForward=False,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": keys.lead_partition(tenant_id, lead_id)},
                                       ":prefix": {"S": keys.EVENT_PREFIX}})
        return str(items[0]["at"]) if items else None

    def keep_page_views(self, tenant_id: str, visitors: Sequence[str]) -> int:
        """Take the expiry off the visitors' page views (they belong to a lead now); answers how many."""
        kept = 0
        for visitor_id in visitors:
            pk = keys.visitor(tenant_id, visitor_id)
            expiring = self.table.query(
                max_items=MAX_PAGE_VIEWS, ProjectionExpression="pk, sk",
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                FilterExpression="attribute_exists(expires_at)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": keys.PAGEVIEW_PREFIX}})
            kept += sum(self._keep(item["pk"], item["sk"]) for item in expiring)
        return kept

    def keep_page_view(self, tenant_id: str, visitor_id: str, event_id: str) -> bool:
        """Take the expiry off one page view of a visitor who is a lead; False when it is gone (or was kept)."""
        return self._keep(*keys.pageview(tenant_id, visitor_id, event_id))

    def _keep(self, pk: str, sk: str) -> bool:
        try:
            self.table.client.update_item(
                TableName=self.table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                UpdateExpression="REMOVE expires_at",
                ConditionExpression="attribute_exists(pk) AND attribute_exists(expires_at)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False  # expired and deleted meanwhile, or kept already
        return True
