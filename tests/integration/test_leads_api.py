"""Reading leads: auth, one lead with its timeline, lists by e-mail and by stage, and the sample events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.domain.leads import lead_id_for
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, Api, json_body, load_event


def _new_lead(api: Api, email: str | None = None, **details: str) -> str:
    email = email or f"lead-{uuid.uuid4().hex[:8]}@firma.dk"
    response = api.client.http.post(
        "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
        body=json.dumps({"email": email, **details}),
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


def _all_pages(api: Api, path: str, key: str = DEMO_KEY) -> tuple[list[str], int]:
    """Every lead id of a list, following next_cursor; and how many pages it took."""
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        body = json_body(_get(api, path + (f"&cursor={cursor}" if cursor else ""), key=key))
        seen += [lead["lead_id"] for lead in body["leads"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_list_by_stage_since_pages_through_every_lead_once_latest_first(api: Api):
    created = []
    for _ in range(5):
        api.clock.advance(minutes=1)
        created.append(_new_lead(api))
    seen, pages = _all_pages(api, "/leads?stage=consideration&since=2026-11-23T00:00:00Z&limit=2")
    assert seen == created[::-1]
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
    [("stage=nirvana", "stage"), ("stage=consideration&since=yesterday", "since"), ("since=2026-02-30", "since"),
     (f"q={'x' * 201}", "q"), ("limit=many", "limit"), ("limit=201", "limit"),
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


def test_without_a_filter_every_lead_of_the_tenant_is_listed_once_newest_first(api: Api):
    created = []
    for _ in range(5):
        api.clock.advance(minutes=1)
        created.append(_new_lead(api))
    _new_lead_of_other = api.client.http.post(
        "/forms/other", headers={"Content-Type": "application/json", "Origin": "https://other.example"},
        body=json.dumps({"email": "someone@other.example"}))
    assert _new_lead_of_other.status_code == 201
    seen, pages = _all_pages(api, "/leads?limit=2")
    assert seen == created[::-1]
    assert pages == 3
    first = json_body(_get(api, "/leads"))
    assert [lead["lead_id"] for lead in first["leads"]] == created[::-1] and first["next_cursor"] is None


def test_since_without_a_stage_lists_the_leads_created_since(api: Api):
    old = _new_lead(api)
    api.clock.advance(days=2)
    recent = _new_lead(api)
    ids = [lead["lead_id"] for lead in json_body(_get(api, "/leads?since=2026-11-24"))["leads"]]
    assert ids == [recent] and old not in ids


def test_q_finds_leads_by_name_company_or_email_in_any_letter_case(api: Api):
    tag = uuid.uuid4().hex[:6]
    by_name = _new_lead(api, name=f"Søren Østergaard {tag}")
    by_company = _new_lead(api, company=f"ØSTERGAARD Solenergi {tag}")
    by_email = _new_lead(api, email=f"ostergaard-{tag}@firma.dk")
    _new_lead(api, name="Someone Else")
    for q, expected in (("østergaard", {by_name, by_company}), (f"østergaard {tag}", {by_name}),
                        (f"ØSTERGAARD%20SOLENERGI%20{tag}", {by_company}),
                        (f"ostergaard-{tag}", {by_email}), (tag, {by_name, by_company, by_email})):
        ids = {lead["lead_id"] for lead in json_body(_get(api, f"/leads?q={q}"))["leads"]}
        assert ids == expected, q


def test_q_keeps_accents_as_typed(api: Api):
    tag = uuid.uuid4().hex[:6]
    lead = _new_lead(api, name=f"René {tag}")
    assert [found["lead_id"] for found in json_body(_get(api, f"/leads?q=rené {tag}"))["leads"]] == [lead]
    assert json_body(_get(api, f"/leads?q=rene {tag}"))["leads"] == []


def test_q_pages_correctly_when_a_page_holds_fewer_matches_than_the_limit(api: Api):
    tag = uuid.uuid4().hex[:6]
    wanted = []
    for index in range(6):
        api.clock.advance(minutes=1)
        lead = _new_lead(api, company=f"Match {tag}" if index % 3 == 0 else "Other ApS")
        if index % 3 == 0:
            wanted.append(lead)
    seen, pages = _all_pages(api, f"/leads?q=match {tag}&limit=2")
    assert seen == wanted[::-1]
    assert pages == 3  # a page may be short, or empty, and the cursor still goes on


def test_filters_combine_email_stage_since_and_q(api: Api):
    email = f"kim-{uuid.uuid4().hex[:6]}@firma.dk"
    lead = _new_lead(api, email=email, name="Kim Holm")
    address = email.replace("@", "%40")
    assert [found["lead_id"] for found in json_body(_get(
        api, f"/leads?email={address}&stage=consideration&since=2026-11-23&q=holm"))["leads"]] == [lead]
    for query in (f"email={address}&stage=decision", f"email={address}&q=jensen", f"email={address}&since=2026-12-01",
                  "stage=consideration&q=jensen", "since=2026-12-01&q=holm"):
        assert json_body(_get(api, f"/leads?{query}"))["leads"] == [], query
    found = json_body(_get(api, "/leads?stage=consideration&q=kim holm"))["leads"]
    assert [one["lead_id"] for one in found] == [lead]


def test_a_bad_since_says_the_expected_format_in_plain_words(api: Api):
    body = json_body(_get(api, "/leads?since=yesterday"))
    assert body["field"] == "since"
    assert body["message"] == "since must be a date or time like 2026-11-25 or 2026-11-25T10:00:00Z"
    assert "^" not in body["message"] and "pattern" not in body["message"]
    assert body["error"] == "invalid_input" and body["fields"] == [{"field": "since", "message": body["message"]}]


def test_unknown_parameters_are_refused_naming_each_and_every_problem_is_listed(api: Api):
    body = json_body(_get(api, "/leads?colour=blue&size=xl&limit=0"))
    assert [problem["field"] for problem in body["fields"]] == ["colour", "size", "limit"]
    assert "colour is not a parameter" in body["message"] and "q" in body["message"]


def test_a_stage_list_cursor_does_not_continue_the_list_of_every_lead(api: Api):
    for _ in range(3):
        _new_lead(api)
    cursor = json_body(_get(api, "/leads?stage=consideration&limit=1"))["next_cursor"]
    response = _get(api, f"/leads?cursor={cursor}")
    assert response.status_code == 422
    assert json_body(response)["field"] == "cursor"


def test_a_timeline_query_names_its_parameters_too(api: Api):
    lead_id = _new_lead(api)
    body = json_body(_get(api, f"/leads/{lead_id}/timeline?limit=0&colour=blue"))
    assert [problem["field"] for problem in body["fields"]] == ["colour", "cursor", "limit"]


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
