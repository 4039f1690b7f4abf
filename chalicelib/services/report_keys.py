"""Agencies' read-only report keys: funnel and ROI for the tenant's campaigns they name, and nothing else.

A key is shown once, when it is issued; only its SHA-256 hash is stored (as with admin and owner keys), with a
public id to list and revoke it by. A revoked key stops at once: lookups are never cached.
"""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.ports import ReportAccessStore, ReportKey
from chalicelib.services.tenancy import hash_admin_key

MAX_CAMPAIGNS = 100
MAX_NAME = 100
MAX_CAMPAIGN = 200
KEY_PREFIX = "rk_"


def key_summary(key: ReportKey) -> dict[str, Any]:
    """A key as the admin API lists it: never the key itself, nor its hash."""
    return {"key_id": key.key_id, "name": key.name, "campaigns": list(key.campaigns), "issued_at": key.issued_at}


def _campaigns(body: dict[str, Any]) -> tuple[str, ...]:
    campaigns = body.get("campaigns")
    if not isinstance(campaigns, list) or not campaigns:
        raise InvalidInput("campaigns must be a list of the campaign names the key may see, such as "
                           '["spring-sale"]', field="campaigns")
    if len(campaigns) > MAX_CAMPAIGNS:
        raise InvalidInput(f"a key sees at most {MAX_CAMPAIGNS} campaigns", field="campaigns")
    named: list[str] = []
    for index, campaign in enumerate(campaigns):
        if not isinstance(campaign, str) or not campaign.strip() or len(campaign) > MAX_CAMPAIGN:
            raise InvalidInput(f"campaigns[{index}] must be a campaign name (text of 1 to {MAX_CAMPAIGN} "
                               "characters)", field=f"campaigns[{index}]")
        named.append(campaign.strip())
    return tuple(dict.fromkeys(named))


def issue_report_key(store: ReportAccessStore, tenant_id: str, body: dict[str, Any], at: str) -> dict[str, Any]:
    """A new read-only key for ``campaigns`` (and a ``name`` to know it by), shown this once."""
    unknown = sorted(set(body) - {"name", "campaigns"})
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a field here; send name and campaigns", field=unknown[0])
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise InvalidInput(f"name must be text of at most {MAX_NAME} characters, such as the agency's name",
                           field="name")
    campaigns = _campaigns(body)
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    key_hash = hash_admin_key(key)
    stored = ReportKey(tenant_id=tenant_id, key_id="rkey_" + key_hash[:12], key_hash=key_hash, name=name.strip(),
                       campaigns=campaigns, issued_at=at)
    store.save_report_key(stored)
    return {**key_summary(stored), "report_key": key}


def list_report_keys(store: ReportAccessStore, tenant_id: str) -> dict[str, Any]:
    return {"report_keys": [key_summary(key) for key in store.report_keys(tenant_id)]}


def revoke_report_key(store: ReportAccessStore, tenant_id: str, key_id: str) -> dict[str, Any]:
    """The key stops working at once; a key the tenant does not have (any more) is ``NotFound``."""
    if not store.delete_report_key(tenant_id, key_id):
        raise NotFound(f"no report key {key_id!r}; GET /admin/report-keys lists the keys", field="key_id")
    return {"key_id": key_id, "revoked": True}


def tenant_of_report_key(store: ReportAccessStore, key: str) -> ReportKey | None:
    """The stored key behind a report key, if it was issued and not revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    return store.report_key(hash_admin_key(key))
