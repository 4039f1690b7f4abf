"""Page views, rejected input and spam: the capture path's writes (a page view is one put, no read)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, expiry, keyed
from chalicelib.domain.attribution import Touch
from chalicelib.domain.capture import PageView, RejectedInput
from chalicelib.services.ports import PageViewLog, Spam, SpamLog

REJECTED_TTL = timedelta(days=14)
# At most this many rejected records per sender (truncated address), endpoint and day; the rest are counted
# (metric RejectedInputCapped) but not kept, so a flood of bad input cannot fill the table.
REJECTED_PER_SENDER_PER_DAY = 200
CAP_TTL = timedelta(days=2)
SPAM_TTL = timedelta(days=30)
MAX_REJECTED_BODY = 2048
# Page views are keyed by their event id (their identity), so a read is in no time order: read them all,
# up to a bound that only a bot reaches, and sort.
MAX_PAGEVIEWS_PER_VISITOR = 5000


def pageview_item(view: PageView) -> dict[str, Any]:
    # Short attribute names: a page view is the hot path and should stay well under 1 KB.
    touch = view.touch
    return keyed(
        keys.pageview(view.tenant_id, view.visitor_id, view.event_id),
        kind="pv", at=view.at, ty=view.type, u=view.url, r=view.referrer, ti=view.title, ip=view.ip,
        ch=touch.channel if touch else None, so=touch.source if touch else None,
        me=touch.medium if touch else None, ca=touch.campaign if touch else None, expires_at=view.expires_at,
    )


def pageview_from(tenant_id: str, visitor_id: str, item: dict[str, Any]) -> PageView:
    touch = Touch(item["ch"], item.get("so"), item.get("me"), item.get("ca")) if "ch" in item else None
    return PageView(
        tenant_id=tenant_id, visitor_id=visitor_id, event_id=item["sk"].removeprefix(keys.PAGEVIEW_PREFIX),
        at=item["at"], url=item["u"], type=item.get("ty", "pageview"), referrer=item.get("r"),
        title=item.get("ti"), touch=touch, ip=item.get("ip"),
        expires_at=int(item["expires_at"]) if item.get("expires_at") is not None else None,
    )


def rejected_item(rejected: RejectedInput) -> dict[str, Any]:
    return keyed(
        keys.rejected(rejected.tenant_id, rejected.at, secrets.token_hex(6)),
        kind="rejected", reason=rejected.reason, source=rejected.source, field=rejected.field, at=rejected.at,
        body=rejected.body[:MAX_REJECTED_BODY], expires_at=expiry(rejected.at, REJECTED_TTL),
    )


class DynamoCapture(PageViewLog, SpamLog):
    def __init__(self, table: Table):
        self.table = table

    def record_pageviews(self, views: Sequence[PageView], rejected: Sequence[RejectedInput] = ()) -> None:
        items = [pageview_item(view) for view in views] + [rejected_item(r) for r in rejected if self._within_cap(r)]
        if len(items) == 1:
            self.table.put(items[0])
        elif items:
            # One batch holds each key once: a batch that repeats an event id keeps its last copy.
            unique = {(item["pk"], item["sk"]): item for item in items}
            self.table.batch_put(list(unique.values()))

    def record_rejected(self, rejected: RejectedInput) -> None:
        if self._within_cap(rejected):
            self.table.put(rejected_item(rejected))

    def _within_cap(self, rejected: RejectedInput) -> bool:
        """Count the record against its sender's daily cap; False (not kept) once the cap is reached."""
        pk, sk = keys.rejected_cap(rejected.tenant_id, rejected.at[:10],
                                   f"{rejected.sender or '-'}\n{rejected.source}")
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :expires)",
                ConditionExpression="attribute_not_exists(n) OR n < :cap",
                ExpressionAttributeValues={":one": {"N": "1"}, ":cap": {"N": str(REJECTED_PER_SENDER_PER_DAY)},
                                           ":expires": {"N": str(expiry(rejected.at, CAP_TTL))}})
        except client.exceptions.ConditionalCheckFailedException:
            from chalicelib.observability import count

            count("RejectedInputCapped", source=rejected.source)
            return False
        return True

    def record_spam(self, spam: Spam) -> None:
        self.table.put(keyed(
            keys.spam(spam.tenant_id, spam.at, secrets.token_hex(6)),
            kind="spam", site_key=spam.site_key, at=spam.at,
            fields=json.dumps(spam.fields, default=str)[:MAX_REJECTED_BODY], expires_at=expiry(spam.at, SPAM_TTL),
        ))

    def visitor_pageviews(self, tenant_id: str, visitor_id: str) -> list[PageView]:
        items = self.table.query_partition(keys.visitor(tenant_id, visitor_id), keys.PAGEVIEW_PREFIX,
                                           max_items=MAX_PAGEVIEWS_PER_VISITOR)
        views = [pageview_from(tenant_id, visitor_id, item) for item in items]
        return sorted(views, key=lambda view: (view.at, view.event_id))
