"""Tenants, sites, admin keys, owners and user keys (keys are stored only as hashes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.table import Table, from_item, keyed, to_item
from chalicelib.domain.capture import Site
from chalicelib.domain.retention import DEFAULT_PAGE_VIEW_RETENTION
from chalicelib.services.ports import Owner, OwnerKey, SiteDirectory, Tenant, TenantRegistry

MAX_OWNERS = 1000


def site_item(site: Site) -> dict[str, Any]:
    return keyed(keys.site(site.site_key), kind="site", tenant_id=site.tenant_id, site_key=site.site_key,
                 allowed_origins=list(site.allowed_origins), language=site.language,
                 page_view_retention=site.page_view_retention)


def site_from(item: dict[str, Any]) -> Site:
    return Site(site_key=item["site_key"], tenant_id=item["tenant_id"],
                allowed_origins=tuple(item.get("allowed_origins", [])), language=item.get("language", "en"),
                page_view_retention=item.get("page_view_retention") or DEFAULT_PAGE_VIEW_RETENTION)


def owner_fields(owner: Owner) -> dict[str, Any]:
    """What registering an owner and changing its keys write: all but its last activity, which only
    ``record_owner_activity`` moves (and only forwards)."""
    # Owners written before the owners' index existed get its keys when they are next written.
    gsi1pk, gsi1sk = keys.owners_index(owner.tenant_id, owner.owner)
    return {
        "kind": "owner", "gsi1pk": gsi1pk, "gsi1sk": gsi1sk,
        "tenant_id": owner.tenant_id, "owner": owner.owner, "email": owner.email, "language": owner.language,
        "active": owner.active, "away_until": owner.away_until, "created_at": owner.created_at,
        "keys": None if owner.keys is None else [
            {"key_id": key.key_id, "key_hash": key.key_hash, "issued_at": key.issued_at} for key in owner.keys],
    }


def owner_from(tenant_id: str, item: dict[str, Any]) -> Owner:
    stored_keys = item.get("keys")
    return Owner(
        tenant_id=tenant_id, owner=str(item["owner"]), email=str(item["email"]), language=item.get("language"),
        active=bool(item.get("active", True)), away_until=item.get("away_until"), created_at=item.get("created_at"),
        keys=None if stored_keys is None else tuple(
            OwnerKey(key_id=key["key_id"], key_hash=key["key_hash"], issued_at=key["issued_at"])
            for key in stored_keys),
        last_activity_at=item.get("last_activity_at"), last_activity_kind=item.get("last_activity_kind"),
    )


class DynamoTenancy(SiteDirectory, TenantRegistry):
    def __init__(self, table: Table):
        self.table = table

    def save_tenant(self, tenant: Tenant, sites: Sequence[Site], admin_key_hashes: Sequence[str]) -> None:
        items = [keyed(keys.tenant(tenant.tenant_id), kind="tenant", tenant_id=tenant.tenant_id, name=tenant.name,
                       language=tenant.language, sites=[site.site_key for site in sites])]
        items += [site_item(site) for site in sites]
        items += [keyed(keys.admin_key(key_hash), kind="admin_key", tenant_id=tenant.tenant_id)
                  for key_hash in admin_key_hashes]
        self.table.batch_put(items)

    def set_page_view_retention(self, tenant_id: str, period: str) -> int:
        """Every site of the tenant keeps its page views for ``period`` from now on; answers how many sites."""
        tenant = self.table.get(keys.tenant(tenant_id))
        changed = 0
        for site_key in (tenant or {}).get("sites") or []:
            pk, sk = keys.site(str(site_key))
            try:
                self.table.client.update_item(
                    TableName=self.table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                    UpdateExpression="SET page_view_retention = :period", ConditionExpression="tenant_id = :tenant",
                    ExpressionAttributeValues={":period": {"S": period}, ":tenant": {"S": tenant_id}})
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                continue  # the site is gone, or another tenant's now
            changed += 1
        return changed

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

    # --- owners ---------------------------------------------------------------------------------

    def _owner(self, tenant_id: str, owner: str) -> Owner | None:
        item = self.table.get(keys.owner(tenant_id, owner), consistent=True)
        return None if item is None else owner_from(tenant_id, item)

    def save_owner(self, tenant_id: str, owner: str, email: str, language: str | None, key_hash: str,
                   key: OwnerKey | None = None) -> None:
        previous = self._owner(tenant_id, owner)
        registered = Owner(
            tenant_id=tenant_id, owner=owner, email=email, language=language,
            active=previous.active if previous else True, away_until=previous.away_until if previous else None,
            created_at=(previous.created_at if previous else None) or (key.issued_at if key else None),
            keys=(key,) if key else None,
        )
        self._write_keys(registered, previous, key_hash)

    def _write_keys(self, owner: Owner, previous: Owner | None, key_hash: str) -> None:
        """The new key first, then the owner that lists it, then the revoked keys' lookups go."""
        self.table.put(keyed(keys.user_key(key_hash), kind="user_key", tenant_id=owner.tenant_id, owner=owner.owner))
        self._update_owner(owner.tenant_id, owner.owner, owner_fields(owner))
        kept = {key.key_hash for key in owner.keys or ()} | {key_hash}
        for old in (previous.keys or ()) if previous else ():
            if old.key_hash not in kept:
                self.table.delete(keys.user_key(old.key_hash))

    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        item = self.table.get(keys.user_key(key_hash))
        if item is None:
            return None
        tenant_id, owner_id = str(item["tenant_id"]), str(item["owner"])
        owner = self._owner(tenant_id, owner_id)
        # An owner from before key ids lists no keys: its one key stands until a key is issued or revoked.
        if owner is None or (owner.keys is not None and key_hash not in {key.key_hash for key in owner.keys}):
            return None
        return tenant_id, owner_id

    def owner_contact(self, tenant_id: str, owner: str) -> tuple[str, str | None] | None:
        item = self.table.get(keys.owner(tenant_id, owner))
        return None if item is None else (str(item["email"]), item.get("language"))

    def owners(self, tenant_id: str, names: Sequence[str] | None = None) -> list[Owner]:
        if names is not None:
            items = self.table.batch_get([keys.owner(tenant_id, name) for name in names])
        else:
            items = self.table.query(
                max_items=MAX_OWNERS, IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.owners_partition(tenant_id)}},
            )
        return sorted((owner_from(tenant_id, item) for item in items), key=lambda owner: owner.owner)

    def replace_owner_keys(self, tenant_id: str, owner: str, key: OwnerKey) -> Owner | None:
        previous = self._owner(tenant_id, owner)
        if previous is None:
            return None
        updated = replace(previous, keys=(key,))
        self._write_keys(updated, previous, key.key_hash)
        return updated

    def revoke_owner_key(self, tenant_id: str, owner: str, key_id: str) -> Owner | None:
        previous = self._owner(tenant_id, owner)
        if previous is None or previous.keys is None or key_id not in {key.key_id for key in previous.keys}:
            return previous
        remaining = tuple(key for key in previous.keys if key.key_id != key_id)
        updated = replace(previous, keys=remaining)
        self._update_owner(tenant_id, owner, owner_fields(updated))
        for key in previous.keys:
            if key.key_id == key_id:
                self.table.delete(keys.user_key(key.key_hash))
        return updated

    def set_owner_availability(self, tenant_id: str, owner: str, changes: dict[str, Any]) -> Owner | None:
        gsi1pk, gsi1sk = keys.owners_index(tenant_id, owner)
        item = self._update_owner(tenant_id, owner, {"gsi1pk": gsi1pk, "gsi1sk": gsi1sk, **changes},
                                  condition="attribute_exists(pk)")
        return None if item is None else owner_from(tenant_id, item)

    def record_owner_activity(self, tenant_id: str, owner: str, at: str, kind: str) -> bool:
        # Times are fixed-width UTC text, so an older or repeated delivery fails the condition and writes nothing;
        # an owner that was never registered fails it too, and gets no item.
        return self._update_owner(
            tenant_id, owner, {"last_activity_at": at, "last_activity_kind": kind},
            condition="attribute_exists(pk) AND (attribute_not_exists(#last_activity_at)"
                      " OR #last_activity_at < :last_activity_at)",
        ) is not None

    def _update_owner(self, tenant_id: str, owner: str, changes: dict[str, Any],
                      condition: str | None = None) -> dict[str, Any] | None:
        """Sets the given attributes (None removes one) and leaves the others; None when ``condition`` fails.

        An update, never a put: a put would drop what another writer set meanwhile (the last activity).
        """
        pk, sk = keys.owner(tenant_id, owner)
        sets = {name: value for name, value in changes.items() if value is not None}
        removes = [name for name, value in changes.items() if value is None]
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removes)
        request: dict[str, Any] = {
            "TableName": self.table.name, "Key": {"pk": {"S": pk}, "sk": {"S": sk}}, "UpdateExpression": expression,
            "ExpressionAttributeNames": {f"#{name}": name for name in [*sets, *removes]},
            "ExpressionAttributeValues": to_item({f":{name}": value for name, value in sets.items()}),
            "ReturnValues": "ALL_NEW",
        }
        if condition:
            request["ConditionExpression"] = condition
        try:
            answer = self.table.client.update_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return from_item(dict(answer["Attributes"]))
