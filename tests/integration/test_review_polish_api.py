"""Small API answers a reviewer found wanting: each says what to send, and an empty search is no search."""

from __future__ import annotations

import json

from chalicelib.local import gateway
from tests.conftest import DEMO_KEY, Api, json_body
from tests.integration.test_handovers_api import _admin


def test_a_rescue_without_an_owner_says_the_owner_is_required(api: Api):
    response = _admin(api, "POST", "/admin/handovers/ho_aaaaaaaaaaaaaaaaaaaaaaaa_00000000/rescue", {})

    body = json_body(response)
    assert response.status_code == 422 and body["field"] == "owner"
    assert body["message"].startswith("owner is required")


def test_an_empty_search_lists_the_leads_as_without_one(api: Api):
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}

    empty = api.client.http.get("/leads?q=", headers=headers)
    blank = api.client.http.get("/leads?q=%20%20", headers=headers)
    none = api.client.http.get("/leads", headers=headers)

    assert (empty.status_code, blank.status_code) == (200, 200)
    assert json_body(empty) == json_body(none) == json_body(blank)


def test_the_unknown_route_answer_repeats_its_field_in_fields():
    body = gateway.unknown_route_answer()["body"]

    answer = json.loads(body)
    assert answer["field"] == "path"
    assert [entry["field"] for entry in answer["fields"]] == ["path"]
