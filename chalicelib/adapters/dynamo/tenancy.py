"""Tenants, sites, admin keys, owners and user keys (keys are stored only as hashes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, keyed
from chalicelib.domain.capture import Site
from chalicelib.services.ports import SiteDirectory, Tenant, TenantRegistry


def site_item(site: Site) -> dict[str, Any]:
    return keyed(keys.site(site.site_key), kind="site", tenant_id=site.tenant_id, site_key=site.site_key,
                 allowed_origins=list(site.allowed_origins), language=site.language)


def site_from(item: dict[str, Any]) -> Site:
    return Site(site_key=item["site_key"], tenant_id=item["tenant_id"],
                allowed_origins=tuple(item.get("allowed_origins", [])), language=item.get("language", "en"))


class DynamoTenancy(SiteDirectory, TenantRegistry):
    def __init__(self, table: Table):
        self.table = table

    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None:
        items = [keyed(keys.tenant(tenant.tenant_id), kind="tenant", tenant_id=tenant.tenant_id, name=tenant.name,
                       language=tenant.language)]
        items += [site_item(site) for site in sites]
        items += [keyed(keys.admin_key(key_hash), kind="admin_key", tenant_id=tenant.tenant_id)
                  for key_hash in admin_key_hashes]
        self.table.batch_put(items)

    def site(self, site_key: str) -> Site | None:
        item = self.table.get(keys.site(site_key))
        return None if item is None else site_from(item)

    def tenant(self, tenant_id: str) -> Tenant | None:
        item = self.table.get(keys.tenant(tenant_id))
        if item is None:
            return None
        return Tenant(tenant_id=item["tenant_id"], name=item["name"], language=item.get("language", "en"))

    def tenant_for_admin_key(self, key_hash: str) -> str | None:
        item = self.table.get(keys.admin_key(key_hash))
        return None if item is None else str(item["tenant_id"])

    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str) -> None:
        self.table.batch_put([
            keyed(keys.owner(tenant_id, owner), kind="owner", owner=owner, email=email, language=language),
            keyed(keys.user_key(key_hash), kind="user_key", tenant_id=tenant_id, owner=owner),
        ])

    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        item = self.table.get(keys.user_key(key_hash))
        return None if item is None else (str(item["tenant_id"]), str(item["owner"]))

    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        item = self.table.get(keys.owner(tenant_id, owner))
        return None if item is None else (str(item["email"]), item.get("language"))
