"""Hand-overs (in their lead's partition), the sweep's index of due steps, and round-robin rotations."""

from __future__ import annotations

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.handover_codec import handover_from, put_handover_change
from chalicelib.adapters.dynamo.lead_codec import put_events, put_lead
from chalicelib.adapters.dynamo.table import Table
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.handover import Change, HandoverState, lead_id_of
from chalicelib.errors import ConcurrentUpdate
from chalicelib.services.ports import HandoverRepository, LeadUpdate


class DynamoHandovers(HandoverRepository):
    def __init__(self, table: Table):
        self.table = table

    def handover(self, tenant_id: str, handover_id: str) -> HandoverState | None:
        lead_id = lead_id_of(handover_id)
        if lead_id is None:
            return None
        item = self.table.get(keys.handover(tenant_id, lead_id, handover_id), consistent=True)
        return None if item is None else handover_from(item)

    def lead_handovers(self, tenant_id: str, lead_id: str) -> list[HandoverState]:
        items = self.table.query_partition(keys.lead_partition(tenant_id, lead_id), keys.HANDOVER_PREFIX)
        return sorted((handover_from(item) for item in items), key=lambda state: state.started_at)

    def save_handover_change(self, change: Change, expected_version: int | None,
                             lead: LeadUpdate | None = None) -> None:
        tx = Transaction(self.table)
        put_handover_change(tx, change, expected_version)
        if lead is not None:
            put_lead(tx, lead.lead, lead.expected_version)
            put_events(tx, lead.lead.tenant_id, lead.lead.lead_id, lead.events)
        try:
            tx.commit()
        except TransactionCancelled as cancelled:
            raise ConcurrentUpdate(change.state.handover_id) from cancelled

    def due_handovers(self, until: str, limit: int = 100) -> list[tuple[str, str]]:
        due: list[tuple[str, str, str]] = []
        for shard in range(keys.DUE_SHARDS):
            answer = self.table.client.query(
                TableName=self.table.name,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :pk AND gsi1sk <= :until",
                ExpressionAttributeValues={":pk": {"S": keys.due_shard(shard)}, ":until": {"S": f"{until}#~"}},
                Limit=limit,
            )
            for item in answer.get("Items", []):
                at, tenant_id, handover_id = item["gsi1sk"]["S"].split("#", 2)
                due.append((at, tenant_id, handover_id))
        return [(tenant_id, handover_id) for _, tenant_id, handover_id in sorted(due)[:limit]]

    def take_turn(self, tenant_id: str, rotation: str) -> int:
        pk, sk = keys.turn(tenant_id, rotation)
        answer = self.table.client.update_item(
            TableName=self.table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="ADD turn :one SET kind = :kind",
            ExpressionAttributeValues={":one": {"N": "1"}, ":kind": {"S": "turn"}}, ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["turn"]["N"])

    def current_turn(self, tenant_id: str, rotation: str) -> int:
        item = self.table.get(keys.turn(tenant_id, rotation), consistent=True)
        return int(item.get("turn", 0)) if item else 0
