"""Forms become leads: JSON and plain HTML forms, idempotency, spam, stitching and attribution."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

import pytest

from chalicelib.domain.leads import lead_id_for
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, OTHER_ORIGIN, Api, json_body


def _email() -> str:
    return f"kunde-{uuid.uuid4().hex[:8]}@firma.dk"


def _vid() -> str:
    return "v" + uuid.uuid4().hex[:20]


def _submit_json(api: Api, fields: Mapping[str, object], headers: dict[str, str] | None = None, site: str = "demo"):
    return api.client.http.post(
        f"/forms/{site}",
        headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN, **(headers or {})},
        body=json.dumps(fields),
    )


def _submit_form(api: Api, fields: dict[str, str], origin: str | None = DEMO_ORIGIN):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{DEMO_ORIGIN}/kontakt"}
    if origin:
        headers["Origin"] = origin
    return api.client.http.post("/forms/demo", headers=headers, body=urlencode(fields))


def _lead(api: Api, lead_id: str, key: str = DEMO_KEY):
    return api.client.http.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {key}"})


def _visit(api: Api, vid: str, *urls_and_refs: tuple[str, str]) -> None:
    events = [{"type": "pageview", "url": url, "ref": ref, "title": "Side", "ts": None} for url, ref in urls_and_refs]
    for index, event in enumerate(events):
        api.clock.advance(seconds=1)
        event["id"] = f"e{index}"
        body = json.dumps({"site": "demo", "vid": vid, "events": [event]})
        api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=body)


def test_json_submission_creates_a_lead_in_consideration(api: Api):
    email = _email()
    response = _submit_json(api, {"email": email, "name": "Mette Hansen", "company": "Hansen ApS"})

    assert response.status_code == 201
    lead_id = json_body(response)["lead_id"]
    assert lead_id == lead_id_for("demo", email)
    lead = json_body(_lead(api, lead_id))
    assert (lead["email"], lead["stage"], lead["lead_type"]) == (email, "consideration", "marketing")
    assert [event["type"] for event in lead["timeline"]] == ["form_submit", "stage_change"]
    change = lead["timeline"][1]
    assert (change["from"], change["to"], change["cause"]) == ("awareness", "consideration", "form_submit")


def test_lead_carries_the_visitors_earlier_page_views_and_their_campaign(api: Api):
    vid, email = _vid(), _email()
    campaign = f"{DEMO_ORIGIN}/?utm_source=linkedin&utm_medium=paid_social&utm_campaign=solceller-q4"
    _visit(api, vid, (campaign, "https://www.linkedin.com/"), (f"{DEMO_ORIGIN}/priser", f"{DEMO_ORIGIN}/"))
    api.clock.advance(seconds=5)

    lead_id = json_body(_submit_json(api, {"email": email, "et_vid": vid}))["lead_id"]

    lead = json_body(_lead(api, lead_id))
    assert [event["type"] for event in lead["timeline"]] == ["pageview", "pageview", "form_submit", "stage_change"]
    assert lead["timeline"][0]["url"] == campaign
    assert lead["first_touch"] == {"channel": "paid_social", "source": "linkedin", "medium": "paid_social",
                                   "campaign": "solceller-q4"}
    assert lead["last_touch"]["campaign"] == "solceller-q4"
    assert lead["visitors"] == [vid]


def test_returning_person_in_any_letter_case_is_the_same_lead_with_a_new_event(api: Api):
    email = _email()
    first = json_body(_submit_json(api, {"email": email, "message": "Hej"}))["lead_id"]
    api.clock.advance(days=3)
    second = json_body(_submit_json(api, {"email": email.upper(), "message": "Er I der?"}))["lead_id"]

    assert first == second
    lead = json_body(_lead(api, first))
    assert [event["type"] for event in lead["timeline"]] == ["form_submit", "stage_change", "form_submit"]
    assert len([item for item in api.items("T#demo#L#") if item["sk"]["S"] == "LEAD"]) == 1


def test_retry_with_the_same_idempotency_key_gives_the_same_answer_and_no_second_submission(api: Api):
    fields = {"email": _email(), "message": "Ring venligst"}
    first = _submit_json(api, fields, headers={"Idempotency-Key": "abc-123"})
    api.clock.advance(seconds=30)
    again = _submit_json(api, fields, headers={"Idempotency-Key": "abc-123"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert json_body(first) == json_body(again)
    assert again.headers["Idempotent-Replayed"] == "true"
    lead = json_body(_lead(api, json_body(first)["lead_id"]))
    assert [event["type"] for event in lead["timeline"]].count("form_submit") == 1


def test_same_payload_within_24_hours_is_one_submission_but_a_day_later_it_counts_again(api: Api):
    fields = {"email": _email(), "message": "Tilbud?"}
    _submit_json(api, fields)
    api.clock.advance(hours=23)
    _submit_json(api, fields)
    lead_id = lead_id_for("demo", str(fields["email"]))
    assert [event["type"] for event in json_body(_lead(api, lead_id))["timeline"]].count("form_submit") == 1
    api.clock.advance(hours=2)
    _submit_json(api, fields)
    assert [event["type"] for event in json_body(_lead(api, lead_id))["timeline"]].count("form_submit") == 2


def test_idempotency_key_reused_for_another_payload_is_refused(api: Api):
    _submit_json(api, {"email": _email()}, headers={"Idempotency-Key": "k-1"})
    response = _submit_json(api, {"email": _email()}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 422
    assert json_body(response)["field"] == "Idempotency-Key"


def test_referred_leads_are_kept_apart_from_marketing_leads(api: Api):
    referred = json_body(_submit_json(api, {"email": _email(), "referred_by": "Jens fra Solvarme A/S"}))["lead_id"]
    assert json_body(_lead(api, referred))["lead_type"] == "referral"


def test_consent_flags_are_recorded_with_the_lead(api: Api):
    lead_id = json_body(_submit_json(api, {"email": _email(), "consent_marketing": True}))["lead_id"]
    consent = json_body(_lead(api, lead_id))["consent"]
    assert consent["marketing"]["granted"] is True
    assert consent["marketing"]["at"] == "2026-11-23T09:30:00.000Z"


def test_plain_html_form_redirects_to_next_on_an_allowed_origin(api: Api):
    response = _submit_form(api, {"email": _email(), "_next": f"{DEMO_ORIGIN}/tak", "postcode": "8000"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/tak"


def test_plain_html_form_resolves_a_relative_next_against_its_origin(api: Api):
    response = _submit_form(api, {"email": _email(), "_next": "/tak"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/tak"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"])
def test_plain_html_form_never_redirects_elsewhere(api: Api, target: str):
    email = _email()
    response = _submit_form(api, {"email": email, "_next": target})
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Tak" in response.body.decode()  # the demo tenant writes Danish
    assert api.repos.leads.lead("demo", lead_id_for("demo", email)) is not None


def test_extra_form_fields_are_kept_on_the_lead(api: Api):
    email = _email()
    _submit_form(api, {"email": email, "postcode": "8000", "product": "solceller"})
    lead = api.repos.leads.lead("demo", lead_id_for("demo", email))
    assert lead is not None and lead.fields == {"postcode": "8000", "product": "solceller"}


def test_honeypot_filled_is_answered_as_success_stored_as_spam_and_never_a_lead(api: Api):
    email = _email()
    response = _submit_json(api, {"email": email, "_gotcha": "http://spam.example"})
    assert response.status_code == 201
    assert "lead_id" in json_body(response)
    assert api.repos.leads.lead("demo", lead_id_for("demo", email)) is None
    assert api.kinds().count("spam") == 1
    assert api.kinds().count("lead") == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Uden Email"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ["a@b.dk"]}, "email"),
        ({"email": "nope", "phone": "ring mig", "Bad Field": "x"}, "email"),
    ],
)
def test_invalid_submission_is_422_naming_the_field_and_stores_nothing(api: Api, fields, field):
    before = api.kinds()
    response = _submit_json(api, fields)
    assert response.status_code == 422
    body = json_body(response)
    assert body["field"] == field
    assert body["error"] == "invalid_input"
    assert api.kinds() == before


@pytest.mark.parametrize("body", ["{broken", "[1, 2]", "\"just a string\""])
def test_unreadable_json_is_400_naming_the_body(api: Api, body: str):
    before = api.kinds()
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json"}, body=body)
    assert response.status_code == 400
    assert json_body(response)["field"] == "body"
    assert api.kinds() == before


def test_unsupported_content_type_is_refused(api: Api):
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "text/csv"}, body="email\na@b.dk")
    assert response.status_code == 415
    assert api.kinds().count("lead") == 0


def test_unknown_site_and_foreign_origin_are_forbidden(api: Api):
    unknown = _submit_json(api, {"email": _email()}, site="nosuch")
    foreign = _submit_json(api, {"email": _email()}, headers={"Origin": OTHER_ORIGIN})
    assert (unknown.status_code, json_body(unknown)["field"]) == (403, "site")
    assert (foreign.status_code, json_body(foreign)["field"]) == (403, "Origin")
    assert api.kinds().count("lead") == 0


def test_bad_idempotency_key_is_refused(api: Api):
    response = _submit_json(api, {"email": _email()}, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 422
    assert json_body(response)["field"] == "Idempotency-Key"


def test_other_tenants_admin_key_cannot_read_the_lead(api: Api):
    lead_id = json_body(_submit_json(api, {"email": _email()}))["lead_id"]
    response = _lead(api, lead_id, key=OTHER_KEY)
    assert response.status_code == 404
    assert json_body(response)["field"] == "lead_id"


def test_a_sites_own_pages_may_post_json_forms_from_the_browser(api: Api):
    ok = api.client.http.request("OPTIONS", "/forms/demo", headers={"Origin": DEMO_ORIGIN}, body=b"")
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN
    assert "Idempotency-Key" in ok.headers["Access-Control-Allow-Headers"]
    refused = api.client.http.request("OPTIONS", "/forms/demo", headers={"Origin": OTHER_ORIGIN}, body=b"")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    created = _submit_json(api, {"email": _email()})
    assert created.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN


# --- only the e-mail decides: a field that does not fit is kept and flagged ------------------------------------


def _submitted_event(api: Api, lead_id: str) -> dict:
    return next(event for event in json_body(_lead(api, lead_id))["timeline"] if event["type"] == "form_submit")


def test_a_phone_that_is_no_number_still_makes_a_lead_that_keeps_it_as_given(api: Api):
    # Given a visitor who writes when to call instead of a number
    email = _email()

    # When the form is sent
    response = _submit_json(api, {"email": email, "name": "Mette", "phone": "ring efter kl. 16"})

    # Then it is a lead, the phone is kept as given, and the answer and the timeline say it was flagged
    assert response.status_code == 201
    body = json_body(response)
    assert body["fields_flagged"] == ["phone"]
    lead = json_body(_lead(api, body["lead_id"]))
    assert (lead["email"], lead["phone"], lead["stage"]) == (email, "ring efter kl. 16", "consideration")
    event = _submitted_event(api, body["lead_id"])
    assert event["fields_flagged"] == ["phone"] and "flagged_values" not in event


def test_a_good_form_answers_an_empty_list_of_flagged_fields_and_its_event_names_none(api: Api):
    response = _submit_json(api, {"email": _email(), "phone": "+45 20 30 40 50"})

    assert json_body(response)["fields_flagged"] == []
    assert "fields_flagged" not in _submitted_event(api, json_body(response)["lead_id"])


def test_values_that_cannot_sit_on_the_lead_are_kept_in_the_submitted_event(api: Api):
    # Given a form full of things that do not fit
    fields = {"email": _email(), "consent_marketing": "maybe", "Bad Field": "x", "et_vid": "short",
              "page_url": "javascript:alert(1)", "name": "N" * 250, "notes": ["a", "b"]}

    # When it is sent
    response = _submit_json(api, fields)

    # Then the lead is made, each field is named, and what the lead cannot hold is in its submitted event
    assert response.status_code == 201
    flagged = ["consent_marketing", "Bad Field", "et_vid", "page_url", "name", "notes"]
    assert json_body(response)["fields_flagged"] == flagged
    lead = json_body(_lead(api, json_body(response)["lead_id"]))
    assert lead["name"] == "N" * 200 and lead["consent"] == {} and lead["visitors"] == []
    event = _submitted_event(api, lead["lead_id"])
    assert event["fields_flagged"] == flagged
    assert event["flagged_values"] == {"consent_marketing": "maybe", "Bad Field": "x", "et_vid": "short",
                                       "page_url": "javascript:alert(1)", "name": "N" * 250,
                                       "notes": '["a", "b"]'}


def test_a_bad_page_url_is_no_landing_and_the_referer_is_used_instead(api: Api):
    email = _email()

    response = _submit_form(api, {"email": email, "page_url": "not a url"})

    assert response.status_code == 200  # the thank-you page: no _next
    event = _submitted_event(api, lead_id_for("demo", email))
    assert event["page_url"] == f"{DEMO_ORIGIN}/kontakt"
    assert (event["fields_flagged"], event["flagged_values"]) == (["page_url"], {"page_url": "not a url"})


def test_a_repeated_submission_with_the_same_key_answers_the_same_flagged_fields(api: Api):
    fields = {"email": _email(), "phone": "ring efter kl. 16"}
    key = {"Idempotency-Key": "flag-" + uuid.uuid4().hex}

    first, again = _submit_json(api, fields, headers=key), _submit_json(api, fields, headers=key)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert json_body(first) == json_body(again)
    assert json_body(again)["fields_flagged"] == ["phone"]


def test_a_flagged_plain_html_form_still_follows_next(api: Api):
    response = _submit_form(api, {"email": _email(), "phone": "efter 16", "_next": "/tak"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/tak"


def test_a_filled_honeypot_with_a_bad_phone_is_still_spam_and_no_lead(api: Api):
    email = _email()

    response = _submit_json(api, {"email": email, "phone": "ring", "_gotcha": "x"})

    assert response.status_code == 201
    assert api.repos.leads.lead("demo", lead_id_for("demo", email)) is None


def test_a_refused_json_form_answers_the_sites_own_page_with_cors_headers(api: Api):
    response = _submit_json(api, {"email": "nope"})

    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == DEMO_ORIGIN


def test_a_refused_json_form_from_a_foreign_origin_gets_no_cors_headers(api: Api):
    response = _submit_json(api, {"email": "nope"}, headers={"Origin": OTHER_ORIGIN})

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
