"""Reading leads: auth, one lead with its timeline, lists by e-mail and by stage, and the sample events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.domain.leads import lead_id_for
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, Api, json_body, load_event


def _new_lead(api: Api, email: str | None = None) -> str:
    email = email or f"lead-{uuid.uuid4().hex[:8]}@firma.dk"
    response = api.client.http.post(
        "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
        body=json.dumps({"email": email}),
    )
    return str(json_body(response)["lead_id"])


def _get(api: Api, path: str, key: str | None = DEMO_KEY) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return api.client.http.get(path, headers=headers)


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic ZGVtbzpkZW1v", "Bearer "])
def test_reading_leads_needs_a_valid_admin_key(api: Api, authorization: str | None):
    lead_id = _new_lead(api)
    headers = {"Authorization": authorization} if authorization else {}
    for path in (f"/leads/{lead_id}", "/leads?stage=consideration"):
        response = api.client.http.get(path, headers=headers)
        assert response.status_code == 401, path
        assert json_body(response)["field"] == "Authorization"


def test_unknown_lead_is_404(api: Api):
    response = _get(api, "/leads/ld_doesnotexist")
    assert response.status_code == 404
    assert json_body(response)["field"] == "lead_id"


def test_lead_answer_has_the_promised_fields_and_utc_times(api: Api):
    lead = json_body(_get(api, f"/leads/{_new_lead(api)}"))
    for name in ("lead_id", "email", "stage", "lead_type", "first_touch", "last_touch", "consent", "timeline"):
        assert name in lead
    assert all(event["at"].endswith("Z") for event in lead["timeline"])
    assert lead["first_touch"]["channel"] == "direct"


def test_find_by_email_in_any_letter_case(api: Api):
    email = f"Anne.{uuid.uuid4().hex[:6]}@Firma.dk"
    lead_id = _new_lead(api, email)
    response = _get(api, f"/leads?email={email.upper().replace('@', '%40')}")
    assert response.status_code == 200
    assert [lead["lead_id"] for lead in json_body(response)["leads"]] == [lead_id]


def test_find_by_email_of_another_tenant_finds_nothing(api: Api):
    email = f"x-{uuid.uuid4().hex[:6]}@firma.dk"
    _new_lead(api, email)
    response = _get(api, f"/leads?email={email.replace('@', '%40')}", key=OTHER_KEY)
    assert json_body(response)["leads"] == []


def test_list_by_stage_since_pages_through_every_lead_once(api: Api):
    created = []
    for _ in range(5):
        api.clock.advance(minutes=1)
        created.append(_new_lead(api))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/leads?stage=consideration&since=2026-11-23T00:00:00Z&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = json_body(_get(api, path))
        seen += [lead["lead_id"] for lead in body["leads"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == created
    assert pages >= 3


def test_since_leaves_out_older_leads(api: Api):
    old = _new_lead(api)
    api.clock.advance(days=2)
    recent = _new_lead(api)
    body = json_body(_get(api, "/leads?stage=consideration&since=2026-11-24"))
    ids = [lead["lead_id"] for lead in body["leads"]]
    assert recent in ids and old not in ids


def test_other_tenant_sees_none_of_these_leads_by_stage(api: Api):
    _new_lead(api)
    assert json_body(_get(api, "/leads?stage=consideration", key=OTHER_KEY))["leads"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "stage"), ("stage=nirvana", "stage"), ("stage=consideration&since=yesterday", "since"),
     ("stage=consideration&limit=0", "limit"), ("stage=consideration&cursor=%21%21", "cursor"),
     ("email=not-an-email", "email"), ("colour=blue", "colour")],
)
def test_bad_list_queries_are_refused_naming_the_field(api: Api, query: str, field: str):
    response = _get(api, f"/leads?{query}")
    assert response.status_code == 422
    assert json_body(response)["field"] == field


def test_a_cursor_from_another_query_is_refused(api: Api):
    for _ in range(3):
        _new_lead(api)
    cursor = json_body(_get(api, "/leads?stage=consideration&limit=1"))["next_cursor"]
    response = _get(api, f"/leads?stage=customer&cursor={cursor}")
    assert response.status_code == 422
    assert json_body(response)["field"] == "cursor"


# --- the sample events in events/ drive the real Lambda entry point ------------------------------


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from app import app

    return dict(app(event, None))


def test_sample_events_reach_every_handler(api: Api):
    assert _invoke(load_event("health"))["statusCode"] == 200
    assert _invoke(load_event("snippet"))["statusCode"] == 200
    pixel = _invoke(load_event("pixel"))
    assert pixel["statusCode"] == 200 and pixel["isBase64Encoded"] is True
    api.clock.advance(seconds=1)
    assert _invoke(load_event("collect"))["statusCode"] == 202
    assert _invoke(load_event("collect_preflight"))["statusCode"] == 204
    assert _invoke(load_event("form_preflight"))["statusCode"] == 204
    form = _invoke(load_event("form_json"))
    assert form["statusCode"] == 201
    lead_id = json.loads(form["body"])["lead_id"]
    assert lead_id == lead_id_for("demo", "mette@hansen-aps.dk")
    assert _invoke(load_event("form_urlencoded"))["statusCode"] == 303

    get_lead = load_event("get_lead")
    get_lead["pathParameters"] = {"lead_id": lead_id}
    lead = json.loads(_invoke(get_lead)["body"])
    # the sample visitor's campaign page view was stitched onto the lead
    assert [event["type"] for event in lead["timeline"]][:2] == ["pageview", "pageview"]
    assert lead["first_touch"]["channel"] == "email"
    found = json.loads(_invoke(load_event("find_leads"))["body"])
    assert lead_id in [item["lead_id"] for item in found["leads"]]
