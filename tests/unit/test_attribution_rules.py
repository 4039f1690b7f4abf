"""Attribution, stitching and capture rules as pure functions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from chalicelib.domain.attribution import DIRECT, Attribution, Landing, Touch, attribute, merge, touch_of
from chalicelib.domain.capture import Site, event_time, safe_redirect
from chalicelib.domain.leads import Submission, apply_submission, lead_id_for
from chalicelib.domain.privacy import truncate_ip

SITE = "https://www.nordlys-solar.dk"


@pytest.mark.parametrize(("url", "referrer", "channel", "source"), [
    (f"{SITE}/?gclid=abc", "https://www.google.com/", "paid_search", "google"),
    (f"{SITE}/?msclkid=abc", None, "paid_search", "bing"),
    (f"{SITE}/?utm_source=google&utm_medium=cpc&utm_campaign=q4", None, "paid_search", "google"),
    (f"{SITE}/?utm_source=linkedin&utm_medium=cpc", None, "paid_social", "linkedin"),
    (f"{SITE}/?utm_source=facebook&utm_medium=paid_social", None, "paid_social", "facebook"),
    (f"{SITE}/?fbclid=xyz", "https://l.facebook.com/", "social", "facebook"),
    (f"{SITE}/?utm_source=newsletter&utm_medium=email", None, "email", "newsletter"),
    (f"{SITE}/?utm_source=Newsletter&utm_medium=E-Mail", None, "email", "newsletter"),
    (f"{SITE}/?utm_source=google&utm_medium=organic", None, "organic_search", "google"),
    (f"{SITE}/?utm_source=linkedin&utm_medium=social", None, "social", "linkedin"),
    (f"{SITE}/?utm_source=partner-a-s&utm_medium=referral", None, "referral", "partner-a-s"),
    (f"{SITE}/", "https://www.google.dk/", "organic_search", "google.dk"),
    (f"{SITE}/", "https://duckduckgo.com/", "organic_search", "duckduckgo.com"),
    (f"{SITE}/", "https://www.linkedin.com/feed/", "social", "linkedin.com"),
    (f"{SITE}/", "https://t.co/abc", "social", "t.co"),
    (f"{SITE}/", "https://mail.google.com/mail/u/0/", "email", "mail.google.com"),
    (f"{SITE}/", "https://www.energy-blog.dk/solar", "referral", "energy-blog.dk"),
    (f"{SITE}/", "https://t.comcast.net/x", "referral", "t.comcast.net"),
    (f"{SITE}/", None, "direct", "(direct)"),
    (f"{SITE}/priser", f"{SITE}/", "direct", "(direct)"),
])
def test_each_landing_gets_a_channel_by_the_documented_rules(url, referrer, channel, source):
    touch = touch_of(Landing(url, referrer))
    assert (touch.channel, touch.source) == (channel, source)


def test_a_malformed_url_is_direct_not_a_crash():
    assert touch_of(Landing("http://[::1", "http://[bad")) == DIRECT


def test_first_touch_is_the_first_landing_and_last_touch_the_last_non_direct():
    landings = [
        Landing(f"{SITE}/?utm_source=newsletter&utm_medium=email&utm_campaign=spring", None),
        Landing(f"{SITE}/priser", f"{SITE}/"),  # navigation, not a landing
        Landing(f"{SITE}/", "https://www.google.com/"),
        Landing(f"{SITE}/", None),  # a direct return does not steal the credit
    ]
    result = attribute(landings)
    assert (result.first_touch.channel, result.first_touch.campaign) == ("email", "spring")
    assert result.last_touch.channel == "organic_search"


def test_only_direct_visits_give_direct_touches_and_no_visits_too():
    assert attribute([Landing(f"{SITE}/", None)]) == Attribution(DIRECT, DIRECT)
    assert attribute([]) == Attribution(DIRECT, DIRECT)


def test_lead_keeps_first_touch_when_visitor_returns_from_email():
    first = Attribution(Touch("paid_search", "google", "cpc", "q4"), Touch("paid_search", "google", "cpc", "q4"))
    later = attribute([Landing(f"{SITE}/?utm_source=nl&utm_medium=email&utm_campaign=dec", None)])
    merged = merge(first, later)
    assert merged.first_touch.campaign == "q4" and merged.last_touch.campaign == "dec"
    assert merge(first, attribute([Landing(f"{SITE}/", None)])).last_touch.campaign == "q4"


def test_the_same_person_is_one_lead_per_tenant_in_any_letter_case():
    assert lead_id_for("t1", " Mette@Firma.DK ") == lead_id_for("t1", "mette@firma.dk")
    assert lead_id_for("t1", "mette@firma.dk") != lead_id_for("t2", "mette@firma.dk")


def _submit(existing=None, **fields):
    ids = itertools.count()
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    landings = fields.pop("landings", [])
    return apply_submission("t1", existing, Submission(email="a@b.dk", **fields), landings, now,
                            lambda: f"e{next(ids)}")


def test_a_referral_is_kept_apart_from_marketing_and_never_flips():
    referred = _submit(referred_by="Jens")
    assert referred.lead.lead_type == "referral"
    via_link = _submit(landings=[Landing(f"{SITE}/?utm_source=partner&utm_medium=referral", None)])
    assert via_link.lead.lead_type == "referral"
    marketing = _submit()
    assert marketing.lead.lead_type == "marketing"
    assert _submit(existing=marketing.lead, referred_by="Jens").lead.lead_type == "marketing"


def test_a_customer_is_never_moved_back_by_a_form():
    from dataclasses import replace

    customer = replace(_submit().lead, stage="customer")
    again = _submit(existing=customer)
    assert again.lead.stage == "customer"
    assert [event.type for event in again.events] == ["form_submit"]


def test_visitors_accumulate_once_and_consent_is_timestamped():
    first = _submit(visitor_id="visitor-one", consent={"marketing": True})
    second = _submit(existing=first.lead, visitor_id="visitor-one")
    third = _submit(existing=second.lead, visitor_id="visitor-two", consent={"marketing": False})
    assert third.lead.visitors == ("visitor-one", "visitor-two")
    assert third.lead.consent["marketing"] == {"granted": False, "at": "2026-11-23T10:00:00.000Z",
                                               "source": "form:contact"}


@pytest.mark.parametrize(("address", "stored"), [
    ("203.0.113.77", "203.0.113.0"), ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
    ("::ffff:198.51.100.9", "198.51.100.0"), ("not an ip", None), (None, None),
])
def test_ip_addresses_are_truncated_before_storage(address, stored):
    assert truncate_ip(address) == stored


def test_client_times_are_believed_only_within_reason():
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert event_time(int(now.timestamp() * 1000) - 5000, now) == "2026-11-23T09:59:55.000Z"
    assert event_time("2026-11-23T09:00:00Z", now) == "2026-11-23T09:00:00.000Z"
    assert event_time(0, now) == "2026-11-23T10:00:00.000Z"  # 1970 is not believable
    assert event_time("2030-01-01T00:00:00Z", now) == "2026-11-23T10:00:00.000Z"
    assert event_time(None, now) == "2026-11-23T10:00:00.000Z"


SHOP = Site("s", "t", ("https://shop.dk", "https://www.shop.dk"))


@pytest.mark.parametrize(("target", "origin", "expected"), [
    ("https://shop.dk/tak", None, "https://shop.dk/tak"),
    ("/tak", "https://www.shop.dk", "https://www.shop.dk/tak"),
    ("/tak", "https://evil.example", None),
    ("/tak", None, None),
    ("https://evil.example/", "https://shop.dk", None),
    ("//evil.example/x", "https://shop.dk", None),
    ("/\\evil.example", "https://shop.dk", None),
    ("javascript:alert(1)", "https://shop.dk", None),
    ("https://shop.dk@evil.example/", "https://shop.dk", None),
    ("https://shop.dk/\r\nSet-Cookie: x", "https://shop.dk", None),
])
def test_a_form_never_redirects_off_the_sites_own_origins(target, origin, expected):
    assert safe_redirect(target, origin, SHOP) == expected
