"""Who is asking: sites by their public key, tenants by their admin key."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.capture import Site
from chalicelib.domain.clock import Clock
from chalicelib.errors import ForeignOrigin, Unauthorized, UnknownSite
from chalicelib.services.ports import SiteDirectory, Tenant, TenantRegistry

# Anyone can send unknown site keys and bearer tokens: the caches are bounded, and a miss is
# remembered only briefly (so a new site or key works within seconds).
CACHE_SIZE = 2048
MISS_TTL = timedelta(seconds=5)


def hash_admin_key(key: str) -> str:
    """Admin keys are stored only as a SHA-256 hash: a leaked table does not leak keys."""
    return hashlib.sha256(key.encode()).hexdigest()


class Tenancy:
    """Looks up sites and admin keys, remembering answers for a short while.

    A page view must cost no read, so a warm Lambda keeps the site settings it has seen; changes
    to a site reach every Lambda within ``ttl``.
    """

    def __init__(self, directory: SiteDirectory, clock: Clock, ttl: timedelta = timedelta(seconds=60),
                 size: int = CACHE_SIZE):
        self.directory = directory
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._sites: OrderedDict[str, tuple[datetime, Any]] = OrderedDict()
        self._keys: OrderedDict[str, tuple[datetime, Any]] = OrderedDict()
        self._user_keys: OrderedDict[str, tuple[datetime, Any]] = OrderedDict()

    def site(self, site_key: str) -> Site:
        site: Site | None = self._cached(self._sites, site_key, self.directory.site)
        if site is None:
            raise UnknownSite(f"site {site_key!r} is not known", field="site")
        return site

    def site_for_origin(self, site_key: str, origin: str | None) -> Site:
        site = self.site(site_key)
        if not site.allows(origin):
            raise ForeignOrigin(f"origin {origin!r} may not send data for this site", field="Origin")
        return site

    def actor_for(self, authorization: str | None) -> tuple[str, Actor]:
        """The tenant and actor behind a bearer key: an admin key, or an owner's user key."""
        key = _bearer(authorization)
        key_hash = hash_admin_key(key)
        tenant_id = self._cached(self._keys, key_hash, self.directory.tenant_for_admin_key)
        if tenant_id is not None:
            return tenant_id, Actor(kind="admin")
        owner = self._cached(self._user_keys, key_hash, self.directory.owner_for_key)
        if owner is None:
            raise Unauthorized("the key is not valid", field="Authorization")
        return owner[0], Actor(kind="owner", owner=owner[1])

    def _cached(self, cache: OrderedDict[str, tuple[datetime, Any]], key: str, load: Callable[[str], Any]) -> Any:
        """Least recently used entries leave first; a miss (None) is kept for ``MISS_TTL`` only."""
        now = self.clock()
        cached = cache.get(key)
        if cached is not None:
            loaded_at, value = cached
            if now - loaded_at <= (self.ttl if value is not None else min(self.ttl, MISS_TTL)):
                cache.move_to_end(key)
                return value
        value = load(key)
        cache[key] = (now, value)
        cache.move_to_end(key)
        while len(cache) > self.size:
            cache.popitem(last=False)
        return value

    def tenant_for(self, authorization: str | None) -> str:
        """The tenant behind ``Authorization: Bearer <admin key>``."""
        key_hash = hash_admin_key(_bearer(authorization))
        tenant_id = self._cached(self._keys, key_hash, self.directory.tenant_for_admin_key)
        if tenant_id is None:
            raise Unauthorized("the admin key is not valid", field="Authorization")
        return str(tenant_id)


def _bearer(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send the key as 'Authorization: Bearer <key>'", field="Authorization")
    return key.strip()


def register_tenant(
    store: TenantRegistry,
    tenant: Tenant,
    sites: Sequence[Site],
    admin_keys: Sequence[str],
) -> None:
    """Create or update a tenant with its sites and admin keys (keys are stored hashed)."""
    store.save_tenant(tenant, sites, [hash_admin_key(key) for key in admin_keys])


def register_owner(store: TenantRegistry, tenant_id: str, owner: str, email: str, language: str | None = None,
                   user_key: str | None = None) -> str:
    """Give an owner (salesperson, reseller) a user key to act on their hand-overs; returns the key.

    The key is shown once; only its hash is stored.
    """
    key = user_key or "uk_" + secrets.token_urlsafe(24)
    store.save_owner(tenant_id, owner, email, language, hash_admin_key(key))
    return key
