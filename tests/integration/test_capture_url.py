"""The capture path behind a Lambda function URL answers as the API does: the pixel always a GIF, /collect with
the same origin checks and CORS, the snippet; anything else the one JSON error shape."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.conftest import DEMO_ORIGIN, OTHER_ORIGIN, Api, load_event


def _invoke(api: Api, event: dict[str, Any]) -> dict[str, Any]:
    answer = api.client.lambda_.invoke("capture", event)
    return dict(answer.payload)


def _event(method: str, path: str, body: str = "", origin: str | None = DEMO_ORIGIN,
           query: dict[str, str] | None = None) -> dict[str, Any]:
    event = load_event("capture_url_collect")
    event.update(rawPath=path, body=body, queryStringParameters=query or {},
                 headers={"origin": origin} if origin else {})
    event["requestContext"]["http"].update(method=method, path=path)
    return event


def test_a_page_view_sent_to_the_capture_url_is_stored_like_one_sent_to_the_api(api: Api):
    answer = _invoke(api, load_event("capture_url_collect"))

    assert answer["statusCode"] == 202 and json.loads(answer["body"]) == {"accepted": 1, "rejected": 0}
    assert answer["headers"]["Access-Control-Allow-Origin"] == DEMO_ORIGIN
    (view,) = api.repos.capture.visitor_pageviews("demo", "vcaptureurl00000000001")
    assert view.touch is not None and view.touch.campaign == "vinter" and view.ip == "198.51.100.0"


def test_the_pixel_answers_a_gif_even_for_an_unknown_site_and_stores_a_known_sites_view(api: Api):
    good = _invoke(api, _event("GET", "/t.gif", query={"site": "demo", "vid": "vpixelcaptureurl000001",
                                                       "url": f"{DEMO_ORIGIN}/tak"}))
    unknown = _invoke(api, _event("GET", "/t.gif", query={"site": "nope"}))

    for answer in (good, unknown):
        assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "image/gif"
        assert base64.b64decode(answer["body"]).startswith(b"GIF89a")
    assert len(api.repos.capture.visitor_pageviews("demo", "vpixelcaptureurl000001")) == 1


def test_a_foreign_origin_a_bad_body_and_an_unknown_path_get_the_json_error_shape(api: Api):
    event = load_event("capture_url_collect")["body"]
    foreign = _invoke(api, _event("POST", "/collect", event,
                                  origin=OTHER_ORIGIN))
    broken = _invoke(api, _event("POST", "/collect", "{not json"))
    unknown = _invoke(api, _event("GET", "/leads"))
    wrong_method = _invoke(api, _event("DELETE", "/collect"))

    assert (foreign["statusCode"], json.loads(foreign["body"])["field"]) == (403, "Origin")
    assert broken["statusCode"] == 400 and json.loads(broken["body"])["error"] == "malformed_input"
    assert unknown["statusCode"] == 404 and json.loads(unknown["body"])["field"] == "path"
    assert wrong_method["statusCode"] == 405


def test_the_snippet_and_the_preflight_are_served_from_the_capture_url(api: Api):
    snippet = _invoke(api, _event("GET", "/snippet.js"))
    preflight = _invoke(api, _event("OPTIONS", "/collect", query={"site": "demo"}))

    assert snippet["statusCode"] == 200 and "data-api" in snippet["body"]
    assert preflight["statusCode"] == 204 and preflight["headers"]["Access-Control-Allow-Origin"] == DEMO_ORIGIN
