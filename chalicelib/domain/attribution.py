"""Channel attribution, modelled on GA4's default channel grouping.

A *touch* is where a visit came from: ``channel``, ``source``, ``medium``, ``campaign``.
It is derived from one landing (a page view URL and its referrer) by these rules, first match wins:

1. ``gclid`` or ``msclkid`` in the URL: **paid_search** (source google / bing, medium cpc),
   unless UTM fields say otherwise about source and medium.
2. ``utm_medium`` is paid (``cpc``, ``ppc``, ``paid*``, ``retargeting``, anything containing ``cp``):
   **paid_social** when the source is a social network (or an ``fbclid`` is present), else
   **paid_search**. (GA4 would call a paid non-search, non-social source "Paid Other"; we fold it into
   paid_search so the seven channels stay exhaustive.)
3. ``utm_medium`` or ``utm_source`` is e-mail (``email``, ``e-mail``, ``e_mail``, ``newsletter``):
   **email**.
4. ``utm_medium`` is ``organic`` or the source is a search engine: **organic_search**.
5. ``utm_medium`` is social (``social``, ``social-network``, ``social-media``, ``sm``) or the source is a
   social network: **social**.
6. Any other ``utm_source``/``utm_medium`` (``referral``, ``affiliate``, a partner's name): **referral**.
7. No UTM fields: an ``fbclid`` means **social** (facebook); otherwise the referrer decides: a search
   engine is **organic_search**, a social network **social**, a webmail host **email**, any other
   foreign host **referral**.
8. No referrer, or the site itself: **direct**.

A lead's ``first_touch`` is its first landing; its ``last_touch`` is the last landing that was not
direct (GA4's last non-direct click), or direct when every landing was direct. Navigation inside the
site (the referrer is the same host, no campaign fields) is not a landing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

CHANNELS = ("paid_search", "paid_social", "email", "organic_search", "social", "referral", "direct")

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CLICK_IDS = ("gclid", "fbclid", "msclkid")

_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_EMAIL = {"email", "e-mail", "e_mail", "e mail", "newsletter", "mail"}
_SOCIAL_MEDIUM = {"social", "social-network", "social-media", "sm", "social network", "social media"}

# Host fragments, matched against the registrable part of a host name (``www.`` dropped).
_SEARCH_ENGINES = (
    "google", "bing", "duckduckgo", "yahoo", "ecosia", "baidu", "yandex", "qwant", "startpage",
    "search.brave", "jubii", "msn",
)
_SOCIAL_NETWORKS = (
    "facebook", "fb.com", "instagram", "linkedin", "lnkd.in", "t.co", "twitter", "x.com", "youtube",
    "pinterest", "reddit", "tiktok", "threads.net", "bsky", "mastodon", "snapchat", "xing",
)
_WEBMAIL = ("mail.google.", "outlook.live.", "outlook.office", "mail.yahoo.", "webmail.", "mail.proton.")


@dataclass(frozen=True)
class Touch:
    channel: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"channel": self.channel, "source": self.source, "medium": self.medium, "campaign": self.campaign}

    @classmethod
    def from_dict(cls, data: dict[str, str | None] | None) -> Touch:
        if not data or data.get("channel") not in CHANNELS:
            return DIRECT
        return cls(
            channel=str(data["channel"]),
            source=data.get("source"),
            medium=data.get("medium"),
            campaign=data.get("campaign"),
        )


DIRECT = Touch(channel="direct", source="(direct)", medium="(none)")


@dataclass(frozen=True)
class Landing:
    """One observed arrival: the page URL, the referrer the browser reported and when (ISO time, if known)."""

    url: str
    referrer: str | None = None
    at: str | None = None


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _matches(host: str, fragments: Iterable[str]) -> bool:
    labels = host.split(".")
    for fragment in fragments:
        if fragment.endswith("."):
            if host.startswith(fragment):
                return True
        elif "." in fragment:
            if host == fragment or host.endswith("." + fragment):
                return True
        elif fragment in labels:
            return True
    return False


def campaign_fields(url: str) -> dict[str, str]:
    """UTM fields and click ids of a URL, lower-cased where GA4 compares them case-insensitively."""
    try:
        query = parse_qs(urlsplit(url).query, keep_blank_values=False)
    except ValueError:
        return {}
    fields: dict[str, str] = {}
    for name in UTM_FIELDS + CLICK_IDS:
        values = query.get(name)
        if values and values[0].strip():
            value = values[0].strip()[:200]
            fields[name] = value if name in CLICK_IDS or name == "utm_campaign" else value.lower()
    return fields


def is_internal(landing: Landing) -> bool:
    """A click from one page of the site to another is navigation, not a new arrival."""
    ref_host = _host(landing.referrer)
    if not ref_host or ref_host != _host(landing.url):
        return False
    fields = campaign_fields(landing.url)
    return not any(name in fields for name in UTM_FIELDS + CLICK_IDS)


def touch_of(landing: Landing) -> Touch:
    """The touch one landing represents, by the rules in this module's docstring."""
    fields = campaign_fields(landing.url)
    source = fields.get("utm_source")
    medium = fields.get("utm_medium")
    campaign = fields.get("utm_campaign")

    if "gclid" in fields or "msclkid" in fields:
        default_source = "google" if "gclid" in fields else "bing"
        return Touch("paid_search", source or default_source, medium or "cpc", campaign)

    if source or medium:
        source_host = source or ""
        social_source = _matches(source_host, _SOCIAL_NETWORKS) or "fbclid" in fields
        if medium and _PAID_MEDIUM.match(medium):
            return Touch("paid_social" if social_source else "paid_search", source, medium, campaign)
        if (medium in _EMAIL) or (source in _EMAIL):
            return Touch("email", source, medium or "email", campaign)
        if medium == "organic" or _matches(source_host, _SEARCH_ENGINES):
            return Touch("organic_search", source, medium or "organic", campaign)
        if (medium in _SOCIAL_MEDIUM) or social_source:
            return Touch("social", source, medium or "social", campaign)
        return Touch("referral", source, medium or "referral", campaign)

    if "fbclid" in fields:
        return Touch("social", "facebook", "social", campaign)

    ref_host = _host(landing.referrer)
    if not ref_host or ref_host == _host(landing.url):
        return DIRECT
    if _matches(ref_host, _WEBMAIL):
        return Touch("email", ref_host, "email", None)
    if _matches(ref_host, _SEARCH_ENGINES):
        return Touch("organic_search", ref_host, "organic", None)
    if _matches(ref_host, _SOCIAL_NETWORKS):
        return Touch("social", ref_host, "social", None)
    return Touch("referral", ref_host, "referral", None)


@dataclass(frozen=True)
class Attribution:
    first_touch: Touch
    last_touch: Touch


def attribute(landings: Iterable[Landing]) -> Attribution:
    """First and last-non-direct touch of a visitor's landings, given oldest first."""
    touches = [touch_of(landing) for landing in landings if not is_internal(landing)]
    if not touches:
        return Attribution(DIRECT, DIRECT)
    non_direct = [touch for touch in touches if touch.channel != "direct"]
    return Attribution(first_touch=touches[0], last_touch=non_direct[-1] if non_direct else DIRECT)


def merge(previous: Attribution | None, new: Attribution) -> Attribution:
    """A returning lead keeps its first touch; a new non-direct touch becomes its last touch."""
    if previous is None:
        return new
    last = new.last_touch if new.last_touch.channel != "direct" else previous.last_touch
    return Attribution(first_touch=previous.first_touch, last_touch=last)
