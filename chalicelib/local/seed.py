"""The demo tenants every local stack starts with."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.capture import Site
from chalicelib.domain.journey import JourneyDefinition
from chalicelib.services.ports import JourneyRepository, Tenant, TenantRegistry
from chalicelib.services.tenancy import register_owner, register_tenant

DEMO_ADMIN_KEY = "demo-admin-key"
OTHER_ADMIN_KEY = "other-admin-key"
DEMO_OWNER_KEYS = {"sales-a@demo.dk": "sales-a-key", "sales-b@demo.dk": "sales-b-key"}

DEMO_JOURNEY: dict[str, Any] = {
    "stages": ["awareness", "consideration", "decision", "customer"],
    "language": "da",
    # Who owns each stage (and the transition out of it): the funnel report names them.
    "departments": {"awareness": "brand", "consideration": "marketing", "decision": "sales"},
    "managers": ["manager@demo.dk"],
    "default_deal_value": "25000.00",
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk", "sales-b@demo.dk"]},
        "sla": {"accept_within": "PT4H", "contact_within": "PT24H", "calendar": "dk-business-hours"},
        "escalation": [
            {"at": "50%", "action": "remind"},
            {"at": "100%", "action": "escalate", "to": "manager@demo.dk"},
            {"at": "150%", "action": "reassign"},
            {"at": "200%", "action": "gap"},
        ],
    }],
}


def seed(tenancy: TenantRegistry, journeys: JourneyRepository, api_origin: str) -> None:
    """``demo`` (site ``demo``, served from the local API itself) and ``other``, to try tenant isolation."""
    origins = {api_origin, api_origin.replace("127.0.0.1", "localhost")}
    register_tenant(
        tenancy,
        Tenant(tenant_id="demo", name="Nordlys Solar ApS (demo)", language="da"),
        [Site(site_key="demo", tenant_id="demo", allowed_origins=tuple(sorted(origins)), language="en")],
        [DEMO_ADMIN_KEY],
    )
    journey = JourneyDefinition.model_validate(DEMO_JOURNEY).model_dump(mode="json", exclude_none=True)
    journeys.save_journey("demo", journey, "2026-01-01T00:00:00.000Z")
    for owner, key in DEMO_OWNER_KEYS.items():
        register_owner(tenancy, "demo", owner, owner, "da", user_key=key, at="2026-01-01T00:00:00.000Z")
    register_tenant(
        tenancy,
        Tenant(tenant_id="other", name="Other Company A/S", language="en"),
        [Site(site_key="other", tenant_id="other", allowed_origins=("https://other.example",), language="en")],
        [OTHER_ADMIN_KEY],
    )
