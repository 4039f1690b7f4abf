"""A CRM's record ids linked to leads: one small item per id, written once (the first link wins)."""

from __future__ import annotations

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.services.ports import ExternalIds


class DynamoExternalIds(ExternalIds):
    def __init__(self, table: Table):
        self.table = table

    def lead_of(self, tenant_id: str, external_id: str) -> str | None:
        item = self.table.get(keys.external_id(tenant_id, external_id), consistent=True)
        return None if item is None else str(item["lead_id"])

    def link(self, tenant_id: str, external_id: str, lead_id: str, at: str) -> str:
        item = keyed(keys.external_id(tenant_id, external_id), kind="external_id", tenant_id=tenant_id,
                     external_id=external_id, lead_id=lead_id, at=at)
        tx = Transaction(self.table)
        tx.put("link", item, condition="attribute_not_exists(pk)")
        # The lead's own note of it: erasing the lead finds the id's item from its partition.
        tx.put("reverse", keyed(keys.external_link(tenant_id, lead_id, external_id), kind="external_link",
                                external_hash=keys.external_hash(external_id)))
        try:
            tx.commit()
        except TransactionCancelled:
            return self.lead_of(tenant_id, external_id) or lead_id
        return lead_id
