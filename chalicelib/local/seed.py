"""The demo tenants every local stack starts with."""

from __future__ import annotations

from chalicelib.domain.capture import Site
from chalicelib.services.ports import JourneyStore, Tenant
from chalicelib.services.tenancy import register_tenant

DEMO_ADMIN_KEY = "demo-admin-key"
OTHER_ADMIN_KEY = "other-admin-key"


def seed(store: JourneyStore, api_origin: str) -> None:
    """``demo`` (site ``demo``, served from the local API itself) and ``other``, to try tenant isolation."""
    origins = {api_origin, api_origin.replace("127.0.0.1", "localhost")}
    register_tenant(
        store,
        Tenant(tenant_id="demo", name="Nordlys Solar ApS (demo)", language="da"),
        [Site(site_key="demo", tenant_id="demo", allowed_origins=tuple(sorted(origins)), language="da")],
        [DEMO_ADMIN_KEY],
    )
    register_tenant(
        store,
        Tenant(tenant_id="other", name="Other Company A/S", language="en"),
        [Site(site_key="other", tenant_id="other", allowed_origins=("https://other.example",), language="en")],
        [OTHER_ADMIN_KEY],
    )
