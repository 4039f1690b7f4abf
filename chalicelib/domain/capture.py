"""What is captured from a website: page views, rejected input, and the sites that may send them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from chalicelib.domain.attribution import Landing, Touch, touch_of
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.retention import DEFAULT_PAGE_VIEW_RETENTION, expires_at, parse_period

# A client clock further off than this is not believed; the server's receive time is used instead.
MAX_CLIENT_SKEW_PAST = timedelta(days=1)
MAX_CLIENT_SKEW_FUTURE = timedelta(minutes=5)
# The made-up visitor of a pixel view that came without a visitor id. A visitor id that is sent never holds a
# "." (``VISITOR_ID``), so no browser's visitor is taken for a pixel's.
PIXEL_VISITOR_PREFIX = "px."

ViewIdentity = tuple[str, str, str]
"""A page view's tenant, visitor and event id: an event id is unique only per visitor."""


@dataclass(frozen=True)
class Site:
    site_key: str
    tenant_id: str
    allowed_origins: tuple[str, ...] = ()
    language: str = "en"
    # How long a page view is kept unless its visitor becomes a lead (the tenant's journey sets it).
    page_view_retention: str = DEFAULT_PAGE_VIEW_RETENTION

    def allows(self, origin: str | None) -> bool:
        """A request without an Origin header (a server, a pixel in an e-mail) is not foreign."""
        if origin is None:
            return True
        return origin.rstrip("/").lower() in {allowed.rstrip("/").lower() for allowed in self.allowed_origins}


@dataclass(frozen=True)
class PageView:
    tenant_id: str
    visitor_id: str
    event_id: str
    at: str
    url: str
    type: str = "pageview"
    referrer: str | None = None
    title: str | None = None
    touch: Touch | None = None
    ip: str | None = None
    # The epoch second the view expires (a DynamoDB TTL); None once its visitor is a lead.
    expires_at: int | None = None

    def landing(self) -> Landing:
        return Landing(url=self.url, referrer=self.referrer)

    @property
    def identity(self) -> ViewIdentity:
        return self.tenant_id, self.visitor_id, self.event_id

    @property
    def pixel_only(self) -> bool:
        """A pixel's view without a visitor id (a no-JS page, an e-mail): its made-up visitor is never a lead."""
        return self.visitor_id.startswith(PIXEL_VISITOR_PREFIX)


def new_pageview(
    tenant_id: str,
    visitor_id: str,
    event_id: str,
    url: str,
    at: str,
    type: str = "pageview",
    referrer: str | None = None,
    title: str | None = None,
    ip: str | None = None,
    kept_for: str | None = None,
) -> PageView:
    """A page view; ``kept_for`` (a period such as P13M) sets when it expires."""
    landing = Landing(url=url, referrer=referrer or None)
    return PageView(
        tenant_id=tenant_id,
        visitor_id=visitor_id,
        event_id=event_id,
        at=at,
        url=url,
        type=type,
        referrer=referrer or None,
        title=title or None,
        touch=touch_of(landing),
        ip=ip,
        expires_at=expires_at(parse_iso(at), parse_period(kept_for)) if kept_for else None,
    )


@dataclass(frozen=True)
class RejectedInput:
    """Input we did not accept, kept for a while with the reason so nothing vanishes unexplained."""

    reason: str
    at: str
    source: str
    body: str
    tenant_id: str | None = None
    field: str | None = None
    # Who sent it (the truncated address): what the daily cap on rejected records per sender counts by.
    sender: str | None = None


def event_time(ts: int | float | str | None, now: datetime) -> str:
    """The client's time when it is believable, else the time we received the event."""
    if ts is None:
        return iso(now)
    try:
        if isinstance(ts, str):
            moment = parse_iso(ts) if not ts.isdigit() else datetime.fromtimestamp(int(ts) / 1000, now.tzinfo)
        else:
            moment = datetime.fromtimestamp(float(ts) / 1000, now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return iso(now)
    if now - MAX_CLIENT_SKEW_PAST <= moment <= now + MAX_CLIENT_SKEW_FUTURE:
        return iso(moment)
    return iso(now)


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def safe_redirect(next_url: str | None, request_origin: str | None, site: Site) -> str | None:
    """Where a plain HTML form may send the browser: only to the site's own origins, never elsewhere.

    A path (``/thanks``) is resolved against the form page's origin when that origin is allowed.
    """
    if not next_url or not next_url.isprintable() or "\\" in next_url:
        return None
    if next_url.startswith("/") and not next_url.startswith("//"):
        if request_origin and request_origin in {o.rstrip("/").lower() for o in site.allowed_origins}:
            return request_origin + next_url
        return None
    target = origin_of(next_url)
    if target and site.allows(target):
        return next_url
    return None
