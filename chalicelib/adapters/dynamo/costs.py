"""Campaign costs: one item per cost row and one for the currency, all in the tenant's ``COSTS`` partition.

Amounts are stored as text with two decimals ("1234.50"), so they come back exactly as they went in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import MAX_BATCH_ATTEMPTS, Table, keyed, to_item
from chalicelib.domain.costs import CostBook, CostRow, money
from chalicelib.errors import ConcurrentUpdate
from chalicelib.services.ports import CostLedger


def cost_item(tenant_id: str, row: CostRow) -> dict[str, Any]:
    start, end = row.start.isoformat(), row.end.isoformat()
    return keyed(keys.cost_row(tenant_id, row.campaign, row.source, row.medium, start, end), kind="cost",
                 tenant_id=tenant_id, campaign=row.campaign, source=row.source, medium=row.medium,
                 start=start, end=end, amount=money(row.amount), updated_at=row.updated_at)


def cost_from(item: dict[str, Any]) -> CostRow:
    return CostRow(campaign=str(item["campaign"]), source=str(item["source"]), medium=str(item["medium"]),
                   start=date.fromisoformat(item["start"]), end=date.fromisoformat(item["end"]),
                   amount=Decimal(str(item["amount"])), updated_at=item.get("updated_at"))


class DynamoCosts(CostLedger):
    def __init__(self, table: Table):
        self.table = table

    def cost_book(self, tenant_id: str, campaign: str | None = None) -> CostBook:
        currency_item = self.table.get(keys.cost_currency(tenant_id), consistent=True)
        prefix = keys.COST_ROW_PREFIX if campaign is None else keys.cost_campaign_prefix(campaign)
        items = self.table.query(
            max_items=1_000_000, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": keys.costs_partition(tenant_id)}, ":prefix": {"S": prefix}},
        )
        rows = sorted((cost_from(item) for item in items), key=lambda row: (row.start, row.end, *row.identity[:3]))
        return CostBook(currency=currency_item["currency"] if currency_item else None,
                        rows=tuple(row for row in rows if campaign is None or row.campaign == campaign))

    def save_costs(self, tenant_id: str, currency_before: str | None, currency: str, put: Sequence[CostRow],
                   remove: Sequence[CostRow]) -> None:
        if currency != currency_before:
            self._set_currency(tenant_id, currency_before, currency)
        requests = [{"PutRequest": {"Item": to_item(cost_item(tenant_id, row))}} for row in put]
        for row in remove:
            pk, sk = keys.cost_row(tenant_id, row.campaign, row.source, row.medium, row.start.isoformat(),
                                   row.end.isoformat())
            requests.append({"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}})
        self._write(requests)

    def _set_currency(self, tenant_id: str, before: str | None, currency: str) -> None:
        """Only over the currency this change was decided on: two first uploads cannot both set theirs."""
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"} if before is None else
            {"ConditionExpression": "currency = :before", "ExpressionAttributeValues": {":before": {"S": before}}})
        try:
            self.table.client.put_item(TableName=self.table.name, Item=to_item(keyed(
                keys.cost_currency(tenant_id), kind="cost_currency", tenant_id=tenant_id, currency=currency)),
                **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConcurrentUpdate("the costs' currency changed meanwhile") from None
            raise

    def _write(self, requests: list[Any]) -> None:
        for start in range(0, len(requests), 25):
            pending = requests[start:start + 25]
            attempt = 0
            while pending:
                answer = self.table.client.batch_write_item(RequestItems={self.table.name: pending})
                pending = list(answer.get("UnprocessedItems", {}).get(self.table.name, []))
                if pending:
                    attempt += 1
                    if attempt > MAX_BATCH_ATTEMPTS:
                        raise RuntimeError(f"{len(pending)} cost rows stayed unwritten after {attempt} attempts")
                    time.sleep(min(0.05 * 2**attempt, 1.0))
