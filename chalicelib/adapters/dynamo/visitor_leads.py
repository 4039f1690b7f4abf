"""A visitor's links to the leads it became: the items a form submission writes beside its lead."""

from __future__ import annotations

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table
from chalicelib.services.ports import VisitorLeads

# A browser shared by a household or an office may become a few leads; more than this is not one person's.
MAX_LEADS_PER_VISITOR = 20


class DynamoVisitorLeads(VisitorLeads):
    def __init__(self, table: Table):
        self.table = table

    def visitor_leads(self, tenant_id: str, visitor_id: str) -> list[str]:
        partition, prefix = keys.visitor_leads(tenant_id, visitor_id)
        items = self.table.query_partition(partition, prefix, max_items=MAX_LEADS_PER_VISITOR)
        return [str(item["lead_id"]) for item in items if item.get("lead_id")]
