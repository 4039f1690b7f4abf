"""Who is asking is remembered briefly and in bounded memory: strangers' keys cannot grow a Lambda."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.capture import Site
from chalicelib.services.ports import SiteDirectory
from chalicelib.services.tenancy import MISS_TTL, Tenancy


class Directory(SiteDirectory):
    def __init__(self) -> None:
        self.sites: dict[str, Site] = {}
        self.reads = 0

    def site(self, site_key: str) -> Site | None:
        self.reads += 1
        return self.sites.get(site_key)

    def tenant_for_admin_key(self, key_hash: str) -> str | None:
        self.reads += 1
        return None

    def owner_for_key(self, key_hash: str) -> tuple[str, str] | None:
        self.reads += 1
        return None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_flood_of_unknown_keys_keeps_the_cache_at_its_bound():
    directory, clock = Directory(), Clock()
    tenancy = Tenancy(directory, clock, size=100)
    for number in range(5_000):
        try:
            tenancy.tenant_for(f"Bearer bogus-{number}")
        except Exception:  # noqa: BLE001 - every one is refused; only the memory matters here
            pass
        try:
            tenancy.site(f"site-{number}")
        except Exception:  # noqa: BLE001
            pass
    assert len(tenancy._keys) <= 100 and len(tenancy._sites) <= 100 and len(tenancy._user_keys) <= 100


def test_a_known_site_is_read_once_per_ttl_and_a_miss_only_briefly():
    directory, clock = Directory(), Clock()
    tenancy = Tenancy(directory, clock, ttl=timedelta(seconds=60))
    directory.sites["s1"] = Site("s1", "t1")
    tenancy.site("s1")
    tenancy.site("s1")
    assert directory.reads == 1
    for _ in range(3):
        try:
            tenancy.site("new")
        except Exception:  # noqa: BLE001
            pass
    assert directory.reads == 2  # the miss is remembered...
    directory.sites["new"] = Site("new", "t1")
    clock.now += MISS_TTL + timedelta(seconds=1)
    assert tenancy.site("new").tenant_id == "t1"  # ...but a new site works within seconds, not a minute
