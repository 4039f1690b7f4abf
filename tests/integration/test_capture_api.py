"""Capture: the snippet, the pixel and POST /collect, through the HTTP API on moto."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.http import PIXEL
from tests.conftest import DEMO_ORIGIN, OTHER_ORIGIN, Api, json_body


def _vid() -> str:
    return "v" + uuid.uuid4().hex[:20]


def _collect(api: Api, body: object, origin: str | None = DEMO_ORIGIN, content_type: str = "text/plain") -> Any:
    headers = {"Content-Type": content_type}
    if origin:
        headers["Origin"] = origin
    raw = body if isinstance(body, str) else json.dumps(body)
    return api.client.http.post("/collect", headers=headers, body=raw)


def _pageview(url: str = "https://www.nordlys-solar.dk/", **extra: object) -> dict[str, object]:
    return {"type": "pageview", "url": url, "ref": "", "title": "Forside", **extra}


def test_snippet_is_small_javascript_that_can_be_cached():
    # Given the API, when a website loads the snippet
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        response = client.http.get("/snippet.js")
    # Then it is JavaScript of at most 6 KB
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert 0 < len(response.body) <= 6 * 1024
    assert b"sendBeacon" in response.body and b"et_vid" in response.body


def test_collected_page_views_are_stored_under_the_visitor_with_their_campaign(api: Api):
    vid = _vid()
    url = "https://www.nordlys-solar.dk/?utm_source=newsletter&utm_medium=email&utm_campaign=spring"
    response = _collect(api, {"site": "demo", "vid": vid, "events": [_pageview(url), _pageview()]})

    assert response.status_code == 202
    assert json_body(response) == {"accepted": 2, "rejected": 0}
    assert response.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN
    views = api.repos.capture.visitor_pageviews("demo", vid)
    assert [view.url for view in views] == [url, "https://www.nordlys-solar.dk/"] or len(views) == 2
    campaign_view = next(view for view in views if view.url == url)
    assert campaign_view.touch is not None
    assert (campaign_view.touch.channel, campaign_view.touch.campaign) == ("email", "spring")


def test_a_resent_batch_does_not_duplicate_page_views(api: Api):
    vid = _vid()
    batch = {"site": "demo", "vid": vid, "events": [_pageview(ts=1795426200000, id="evt1")]}
    _collect(api, batch)
    _collect(api, batch)
    assert len(api.repos.capture.visitor_pageviews("demo", vid)) == 1


def test_ip_address_is_truncated_before_it_is_stored(api: Api):
    vid = _vid()
    _collect(api, {"site": "demo", "vid": vid, "events": [_pageview()]})
    (item,) = api.items(f"T#demo#V#{vid}")
    # chalice's test client reports 127.0.0.1; the stored address keeps only its /24
    assert item["ip"]["S"] == "127.0.0.0"


def test_page_view_item_stays_under_one_kilobyte(api: Api):
    vid = _vid()
    url = "https://www.nordlys-solar.dk/pricing?utm_source=google&utm_medium=cpc&utm_campaign=solar-2026&gclid=abc123"
    _collect(api, {"site": "demo", "vid": vid, "events": [_pageview(url, title="Priser – Nordlys Solar")]})
    (item,) = api.items(f"T#demo#V#{vid}")
    assert len(json.dumps(item)) < 1024


def test_one_bad_event_is_rejected_alone_and_kept_with_its_reason(api: Api):
    vid = _vid()
    events = [_pageview(), {"type": "pageview", "url": "javascript:alert(1)"}, {"type": "click", "url": "https://x.dk"}]
    response = _collect(api, {"site": "demo", "vid": vid, "events": events})

    assert response.status_code == 202
    assert json_body(response) == {"accepted": 1, "rejected": 2}
    rejected = api.items("T#demo#REJECTED#")
    assert sorted(item["field"]["S"] for item in rejected) == ["events.1.url", "events.2.type"]
    assert all(item["reason"]["S"] == "invalid_event" and "expires_at" in item for item in rejected)


def test_malformed_json_is_a_400_naming_the_body_and_stores_no_page_view(api: Api):
    response = _collect(api, "{not json")
    assert response.status_code == 400
    assert json_body(response)["field"] == "body"
    assert api.kinds().count("pv") == 0
    assert [item["reason"]["S"] for item in api.items("REJECTED#")] == ["malformed_json"]


def test_missing_visitor_id_is_a_400_naming_vid(api: Api):
    response = _collect(api, {"site": "demo", "events": [_pageview()]})
    assert response.status_code == 400
    assert json_body(response)["field"] == "vid"
    assert api.kinds().count("pv") == 0


def test_more_than_25_events_is_too_large(api: Api):
    response = _collect(api, {"site": "demo", "vid": _vid(), "events": [_pageview()] * 26})
    assert response.status_code == 413
    assert json_body(response)["field"] == "events"
    assert api.kinds().count("pv") == 0


def test_a_body_over_16_kb_is_too_large(api: Api):
    body = json.dumps({"site": "demo", "vid": _vid(), "events": [_pageview(title="x" * 17000)]})
    response = _collect(api, body)
    assert response.status_code == 413
    assert json_body(response)["field"] == "body"
    assert api.kinds().count("pv") == 0


def test_unknown_site_is_forbidden(api: Api):
    response = _collect(api, {"site": "nosuchsite", "vid": _vid(), "events": [_pageview()]})
    assert response.status_code == 403
    assert json_body(response)["field"] == "site"
    assert api.kinds().count("pv") == 0


def test_a_foreign_origin_is_forbidden_and_gets_no_cors_header(api: Api):
    response = _collect(api, {"site": "demo", "vid": _vid(), "events": [_pageview()]}, origin=OTHER_ORIGIN)
    assert response.status_code == 403
    assert json_body(response)["field"] == "Origin"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert api.kinds().count("pv") == 0


def test_preflight_allows_only_the_sites_origins(api: Api):
    ok = api.client.http.request("OPTIONS", "/collect?site=demo", headers={"Origin": DEMO_ORIGIN}, body=b"")
    refused = api.client.http.request("OPTIONS", "/collect?site=demo", headers={"Origin": OTHER_ORIGIN}, body=b"")
    assert ok.status_code == 204 and ok.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_pixel_records_a_valid_page_view_and_answers_a_gif(api: Api):
    vid = _vid()
    response = api.client.http.get(
        f"/t.gif?site=demo&vid={vid}&e=pageview&url=https%3A%2F%2Fwww.nordlys-solar.dk%2F%3Futm_source%3Dnl"
        "%26utm_medium%3Demail&ref=",
        headers={"Accept": "image/*"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/gif"
    assert response.headers["Cache-Control"].startswith("no-store")
    assert response.body == PIXEL
    (view,) = api.repos.capture.visitor_pageviews("demo", vid)
    assert view.touch is not None and view.touch.channel == "email"


def test_pixel_answers_a_gif_for_any_input_and_stores_only_valid_events(api: Api):
    queries = ["", "?site=demo", "?site=nosuch&vid=abcdefgh12&url=https%3A%2F%2Fx.dk", "?site=demo&url=notaurl",
               "?%ff%fe=%00", "?site=demo&vid=bad vid&url=https%3A%2F%2Fx.dk"]
    for query in queries:
        response = api.client.http.get(f"/t.gif{query}", headers={"Accept": "*/*"})
        assert response.status_code == 200, query
        assert response.headers["Content-Type"] == "image/gif", query
        assert response.body == PIXEL
    # even a client that sends no Accept header at all gets the GIF
    assert api.client.http.get("/t.gif?site=demo").headers["Content-Type"] == "image/gif"
    assert api.kinds().count("pv") == 0
    assert api.kinds().count("rejected") == len(queries) + 1


def test_pixel_without_visitor_id_still_counts_the_page_view(api: Api):
    api.client.http.get("/t.gif?site=demo&url=https%3A%2F%2Fwww.nordlys-solar.dk%2Fnews", headers={"Accept": "*/*"})
    assert api.kinds().count("pv") == 1
