"""Capture rules: which origins a site accepts, whose clock an event gets, where a form may redirect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.capture import Site, event_time, safe_redirect

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SERVER_TIME = "2026-11-23T10:00:00.000Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000 + moment.microsecond // 1000


def shop(*origins: str) -> Site:
    return Site(site_key="solshop", tenant_id="t-solshop", allowed_origins=origins or ("https://solshop.dk",
                                                                                      "https://www.solshop.dk"))


# --- Site.allows -------------------------------------------------------------------------------------------


def test_a_request_from_an_allowed_origin_is_allowed():
    assert shop().allows("https://www.solshop.dk")


def test_a_request_without_an_origin_header_is_not_foreign():
    # A server-side call or a pixel in an e-mail sends no Origin header.
    assert shop().allows(None)


@pytest.mark.parametrize("origin", ["HTTPS://WWW.SOLSHOP.DK", "https://www.solshop.dk/"])
def test_the_origin_is_compared_in_any_letter_case_and_without_a_trailing_slash(origin):
    assert shop().allows(origin)


def test_an_allowed_origin_configured_with_a_trailing_slash_still_matches():
    assert shop("https://solshop.dk/").allows("https://solshop.dk")


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "http://www.solshop.dk",
    "https://www.solshop.dk:8443",
    "https://shop.solshop.dk",
    "https://www.solshop.dk.evil.example",
    "null",
    "",
])
def test_any_other_origin_is_foreign(origin):
    assert not shop().allows(origin)


def test_a_site_with_no_allowed_origins_accepts_no_browser_origin():
    assert not Site("bare", "t-bare").allows("https://bare.dk")


# --- event_time --------------------------------------------------------------------------------------------


def test_a_client_time_in_epoch_milliseconds_a_few_seconds_old_is_believed():
    # Given a page view the browser stamped 5 seconds before we received it
    ts = epoch_ms(datetime(2026, 11, 23, 9, 59, 55, tzinfo=UTC))

    # When the event time is decided
    at = event_time(ts, NOW)

    # Then the browser's time is used
    assert at == "2026-11-23T09:59:55.000Z"


def test_a_fractional_epoch_millisecond_float_is_believed_to_the_millisecond():
    ts = float(epoch_ms(datetime(2026, 11, 23, 9, 58, 20, 250000, tzinfo=UTC))) + 0.75

    assert event_time(ts, NOW) == "2026-11-23T09:58:20.250Z"


def test_epoch_milliseconds_sent_as_text_by_the_pixel_are_believed():
    ts = str(epoch_ms(datetime(2026, 11, 23, 9, 30, tzinfo=UTC)))

    assert event_time(ts, NOW) == "2026-11-23T09:30:00.000Z"


@pytest.mark.parametrize(("ts", "expected"), [
    ("2026-11-23T09:00:00Z", "2026-11-23T09:00:00.000Z"),
    ("2026-11-23T09:00:00.123Z", "2026-11-23T09:00:00.123Z"),
    ("2026-11-23T10:30:00+01:00", "2026-11-23T09:30:00.000Z"),
    ("2026-11-23T04:15:00-05:00", "2026-11-23T09:15:00.000Z"),
    ("2026-11-23T09:45:00", "2026-11-23T09:45:00.000Z"),
])
def test_an_iso_time_is_believed_and_stored_in_utc(ts, expected):
    assert event_time(ts, NOW) == expected


def test_a_client_time_exactly_one_day_old_is_still_believed():
    assert event_time("2026-11-22T10:00:00Z", NOW) == "2026-11-22T10:00:00.000Z"


def test_a_client_time_more_than_one_day_old_gives_the_server_time():
    # A queued event replayed days later, or a device clock set to a past date
    assert event_time("2026-11-22T09:59:59Z", NOW) == SERVER_TIME


def test_a_client_time_up_to_five_minutes_ahead_is_believed():
    assert event_time(epoch_ms(NOW + timedelta(minutes=5)), NOW) == "2026-11-23T10:05:00.000Z"


def test_a_client_time_more_than_five_minutes_ahead_gives_the_server_time():
    assert event_time(epoch_ms(NOW + timedelta(minutes=5, milliseconds=1)), NOW) == SERVER_TIME


@pytest.mark.parametrize("ts", [
    0,
    1795428000,  # seconds, not milliseconds: read as a moment in January 1970
    "2030-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
])
def test_a_skewed_client_clock_gives_the_server_time(ts):
    assert event_time(ts, NOW) == SERVER_TIME


@pytest.mark.parametrize("ts", [
    "yesterday",
    "",
    "2026-13-45T99:00:00Z",
    "²³",
    "9" * 5000,
    float("nan"),
    float("inf"),
    -float("inf"),
    10**30,
])
def test_an_unparsable_or_impossible_client_time_gives_the_server_time_not_a_crash(ts):
    assert event_time(ts, NOW) == SERVER_TIME


def test_no_client_time_gives_the_server_time():
    assert event_time(None, NOW) == SERVER_TIME


def test_the_event_time_is_written_in_utc_whatever_the_servers_time_zone():
    copenhagen_now = datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))

    assert event_time(None, copenhagen_now) == SERVER_TIME
    assert event_time(epoch_ms(NOW - timedelta(minutes=1)), copenhagen_now) == "2026-11-23T09:59:00.000Z"


# --- safe_redirect -----------------------------------------------------------------------------------------


def test_a_path_is_resolved_against_the_allowed_origin_the_form_was_sent_from():
    # Given a plain HTML form on www.solshop.dk with <input name="_next" value="/tak">
    # When it asks to be sent on to /tak
    target = safe_redirect("/tak?form=tilbud", "https://www.solshop.dk", shop())

    # Then the browser goes to /tak on that same origin
    assert target == "https://www.solshop.dk/tak?form=tilbud"


def test_a_path_from_a_foreign_origin_is_not_resolved():
    assert safe_redirect("/tak", "https://evil.example", shop()) is None


def test_a_path_without_a_request_origin_is_not_resolved():
    assert safe_redirect("/tak", None, shop()) is None


@pytest.mark.parametrize("target", [
    "https://solshop.dk/tak",
    "https://www.solshop.dk/tak?ref=form#top",
    "HTTPS://WWW.SOLSHOP.DK/tak",
])
def test_an_absolute_url_on_an_allowed_origin_passes_unchanged(target):
    assert safe_redirect(target, "https://evil.example", shop()) == target


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "http://www.solshop.dk/tak",
    "https://www.solshop.dk.evil.example/tak",
    "https://evil.example/https://www.solshop.dk/",
    "https://evil.example#@www.solshop.dk",
])
def test_a_foreign_absolute_url_is_refused(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", [
    "//evil.example/tak",
    "///evil.example/tak",
    " //evil.example/tak",
])
def test_a_protocol_relative_url_is_refused(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", [
    "/\\evil.example",
    "\\\\evil.example",
    "https://www.solshop.dk\\@evil.example",
    "/tak\\..\\x",
])
def test_any_backslash_is_refused_because_browsers_read_it_as_a_slash(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "javascript://www.solshop.dk/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
])
def test_a_script_or_data_url_is_refused(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", [
    "https://www.solshop.dk@evil.example/",
    "https://solshop.dk:x@evil.example/",
    "https://user@www.solshop.dk/tak",
])
def test_a_url_with_userinfo_is_refused(target):
    # The browser would go to the host after the @, whatever is written before it.
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", [
    "https://www.solshop.dk/\r\nSet-Cookie: session=stolen",
    "/tak\nLocation: https://evil.example",
    "/\tevil.example",
    "https://evil.example\t.www.solshop.dk",
    "/tak\x00",
    "/tak\u2028",
])
def test_a_url_with_control_characters_is_refused(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None


@pytest.mark.parametrize("target", ["tak.html", "https:evil.example", "", None])
def test_a_relative_empty_or_missing_target_gives_no_redirect(target):
    assert safe_redirect(target, "https://www.solshop.dk", shop()) is None
