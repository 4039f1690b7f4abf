"""A tenant's journey definition, stored as one validated JSON document with a version."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table
from chalicelib.services.ports import JourneyRepository, StoredJourney


class DynamoJourneys(JourneyRepository):
    def __init__(self, table: Table):
        self.table = table

    def journey(self, tenant_id: str) -> StoredJourney | None:
        item = self.table.get(keys.journey(tenant_id), consistent=True)
        if item is None:
            return None
        return StoredJourney(document=json.loads(item["document"]), updated_at=item["updated_at"],
                             version=int(item["version"]))

    def save_journey(self, tenant_id: str, document: dict[str, Any], at: str) -> StoredJourney:
        pk, sk = keys.journey(tenant_id)
        answer = self.table.client.update_item(
            TableName=self.table.name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="SET #doc = :doc, updated_at = :at, kind = :kind ADD version :one",
            ExpressionAttributeNames={"#doc": "document"},
            ExpressionAttributeValues={":doc": {"S": json.dumps(document)}, ":at": {"S": at},
                                       ":kind": {"S": "journey"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        return StoredJourney(document=document, updated_at=at, version=int(answer["Attributes"]["version"]["N"]))
