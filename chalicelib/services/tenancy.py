"""Who is asking (sites by their public key, tenants by their admin key, owners by their user key), and the
tenant's owners: their keys and whether they take leads."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.capture import Site
from chalicelib.domain.clock import Clock, iso, parse_instant
from chalicelib.domain.routing import Availability
from chalicelib.errors import ForeignOrigin, InvalidInput, NotFound, Unauthorized, UnknownSite
from chalicelib.services.ports import Owner, OwnerKey, SiteDirectory, Tenant, TenantRegistry

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
        # Only a refused key is remembered: a revoked key must stop working at once, in every Lambda.
        self._user_keys.pop(key_hash, None)
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


def new_owner_key(at: str, user_key: str | None = None) -> tuple[str, OwnerKey]:
    """A user key (shown once) and what is stored of it: its hash, a public id to revoke it by, when issued."""
    key = user_key or "uk_" + secrets.token_urlsafe(24)
    key_hash = hash_admin_key(key)
    return key, OwnerKey(key_id="key_" + key_hash[:12], key_hash=key_hash, issued_at=at)


def register_owner(store: TenantRegistry, tenant_id: str, owner: str, email: str, language: str | None = None,
                   user_key: str | None = None, at: str = "") -> str:
    """Register an owner (salesperson, reseller), or again with new contact details; returns its new user key.

    The key is shown once; only its hash is stored. It becomes the owner's only key: a retry that lost the
    answer gets a key that works, and the one it never saw stops working.
    """
    key, stored = new_owner_key(at, user_key)
    store.save_owner(tenant_id, owner, email, language, stored.key_hash, stored)
    return key


def owner_summary(owner: Owner) -> dict[str, Any]:
    """An owner as the admin API shows it, with its last activity and what it was (``last_activity_kind``)."""
    at, kind = last_activity(owner)
    return {
        "owner": owner.owner, "email": owner.email, "language": owner.language, "active": owner.active,
        "away_until": owner.away_until,
        "keys": None if owner.keys is None else [{"key_id": key.key_id, "issued_at": key.issued_at}
                                                 for key in owner.keys],
        "last_activity_at": at, "last_activity_kind": kind,
    }


def last_activity(owner: Owner) -> tuple[str | None, str | None]:
    """The owner's own last accept, decline or contact report; until it has acted, when it was registered
    (``registered``) or last given a key (``key_issued``); (None, None) for an owner from before either was kept.

    A key issued after the owner acted is the admin's doing, not the owner's: it does not count once the owner
    has acted.
    """
    if owner.last_activity_at:
        return owner.last_activity_at, owner.last_activity_kind
    issued = max((key.issued_at for key in owner.keys or () if key.issued_at), default=None)
    if issued and (not owner.created_at or issued > owner.created_at):
        return issued, "key_issued"
    if owner.created_at:
        return owner.created_at, "registered"
    return None, None


def list_owners(store: TenantRegistry, tenant_id: str) -> dict[str, Any]:
    """The tenant's owners by id, with whether they take leads now and their keys' ids."""
    return {"owners": [owner_summary(owner) for owner in store.owners(tenant_id)]}


def issue_owner_key(store: TenantRegistry, tenant_id: str, owner: str, at: str) -> dict[str, Any]:
    """A new user key for the owner, shown once; every key it had before stops working."""
    key, stored = new_owner_key(at)
    previous = store.owners(tenant_id, [owner])
    updated = store.replace_owner_keys(tenant_id, owner, stored)
    if updated is None:
        raise NotFound(f"no owner {owner!r}; register it with POST /admin/owners", field="owner")
    revoked = [old.key_id for old in (previous[0].keys or ()) if old.key_id != stored.key_id] if previous else []
    return {"owner": owner, "key_id": stored.key_id, "user_key": key, "issued_at": at, "revoked": revoked}


def revoke_owner_key(store: TenantRegistry, tenant_id: str, owner: str, key_id: str) -> dict[str, Any]:
    """The key stops working; revoking it again changes nothing."""
    before = store.owners(tenant_id, [owner])
    updated = store.revoke_owner_key(tenant_id, owner, key_id)
    if updated is None or not before:
        raise NotFound(f"no owner {owner!r}", field="owner")
    had = before[0].keys is not None and key_id in {key.key_id for key in before[0].keys}
    return {**owner_summary(updated), "key_id": key_id, "changed": had}


def set_owner_availability(store: TenantRegistry, tenant_id: str, owner: str, body: dict[str, Any],
                           now: datetime) -> dict[str, Any]:
    """``active`` and ``away_until`` as given; an ``away_until`` that has passed (or null) means back now."""
    unknown = [name for name in body if name not in ("active", "away_until")]
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed here; send active and/or away_until",
                           field=unknown[0], details=[{"field": name, "message": f"{name} is not a field here"}
                                                      for name in unknown])
    if not body:
        raise InvalidInput("send active (true or false) and/or away_until (a time, or null)", field="body")
    changes: dict[str, Any] = {}
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise InvalidInput("active must be true or false", field="active")
        changes["active"] = body["active"]
    if "away_until" in body:
        changes["away_until"] = _away_until(body["away_until"], now)
    updated = store.set_owner_availability(tenant_id, owner, changes)
    if updated is None:
        raise NotFound(f"no owner {owner!r}", field="owner")
    return owner_summary(updated)


def _away_until(value: Any, now: datetime) -> str | None:
    if value is None:
        return None
    try:
        moment = parse_instant(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput("away_until must be a time like 2026-12-01T08:00:00Z (or null: back now)",
                           field="away_until")
    return iso(moment) if moment > now else None


def availability_of(store: TenantRegistry, tenant_id: str, owners: Sequence[str]) -> dict[str, Availability]:
    """Whether each registered owner of ``owners`` takes new leads (for ``routing.available_first``)."""
    return {owner.owner: Availability(active=owner.active, away_until=owner.away_until)
            for owner in store.owners(tenant_id, list(owners))}
