"""Who is asking: sites by their public key, tenants by their admin key."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain.capture import Site
from chalicelib.domain.clock import Clock
from chalicelib.errors import ForeignOrigin, Unauthorized, UnknownSite
from chalicelib.services.ports import JourneyStore, Tenant


def hash_admin_key(key: str) -> str:
    """Admin keys are stored only as a SHA-256 hash: a leaked table does not leak keys."""
    return hashlib.sha256(key.encode()).hexdigest()


class Tenancy:
    """Looks up sites and admin keys, remembering answers for a short while.

    A page view must cost no read, so a warm Lambda keeps the site settings it has seen; changes
    to a site reach every Lambda within ``ttl``.
    """

    def __init__(self, store: JourneyStore, clock: Clock, ttl: timedelta = timedelta(seconds=60)):
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self._sites: dict[str, tuple[datetime, Site | None]] = {}
        self._keys: dict[str, tuple[datetime, str | None]] = {}

    def site(self, site_key: str) -> Site:
        now = self.clock()
        cached = self._sites.get(site_key)
        if cached is None or now - cached[0] > self.ttl:
            cached = (now, self.store.site(site_key))
            self._sites[site_key] = cached
        if cached[1] is None:
            raise UnknownSite(f"site {site_key!r} is not known", field="site")
        return cached[1]

    def site_for_origin(self, site_key: str, origin: str | None) -> Site:
        site = self.site(site_key)
        if not site.allows(origin):
            raise ForeignOrigin(f"origin {origin!r} may not send data for this site", field="Origin")
        return site

    def tenant_for(self, authorization: str | None) -> str:
        """The tenant behind ``Authorization: Bearer <admin key>``."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("send the admin key as 'Authorization: Bearer <key>'", field="Authorization")
        key_hash = hash_admin_key(key.strip())
        now = self.clock()
        cached = self._keys.get(key_hash)
        if cached is None or now - cached[0] > self.ttl:
            cached = (now, self.store.tenant_for_admin_key(key_hash))
            self._keys[key_hash] = cached
        if cached[1] is None:
            raise Unauthorized("the admin key is not valid", field="Authorization")
        return cached[1]


def register_tenant(
    store: JourneyStore,
    tenant: Tenant,
    sites: Sequence[Site],
    admin_keys: Sequence[str],
) -> None:
    """Create or update a tenant with its sites and admin keys (keys are stored hashed)."""
    store.save_tenant(tenant, sites, [hash_admin_key(key) for key in admin_keys])
