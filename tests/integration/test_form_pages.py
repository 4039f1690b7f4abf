"""A person who sends a plain HTML form never meets JSON: refusals come back as a page in the site's language."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.domain.leads import lead_id_for
from chalicelib.errors import Conflict
from tests.conftest import DEMO_ORIGIN, OTHER_ORIGIN, Api


def _post(api: Api, site: str, **fields: str):
    return api.client.http.post(f"/forms/{site}", body=urlencode(fields), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": DEMO_ORIGIN})


def test_an_invalid_plain_form_gets_a_danish_page_naming_the_field_and_stores_nothing(api: Api):
    before = len(api.items())
    response = _post(api, "demo", email="ikke-en-adresse", name="Bo")
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert "Tjek venligst formularen" in page and "<strong>E-mail</strong>" in page
    assert "navn@firma.dk" in page and 'lang="da"' in page
    assert "Tilbage til formularen" in page
    assert len(api.items()) == before


def test_a_plain_form_for_an_unknown_site_gets_an_english_page(api: Api):
    response = _post(api, "no-such-site", email="bo@kunde.dk")
    assert response.status_code == 403 and response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert "This form cannot be sent here" in page


def test_a_plain_form_that_keeps_colliding_gets_a_page_asking_to_send_again(api: Api, monkeypatch):
    def busy(request):
        raise Conflict("the lead kept changing while this submission was saved; try again", field="email")

    monkeypatch.setattr(api.wiring.forms, "submit", busy)
    response = _post(api, "demo", email="bo@kunde.dk")
    assert response.status_code == 409 and response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert "Send venligst formularen igen" in page


def test_a_json_form_still_gets_json_errors(api: Api):
    response = api.client.http.post("/forms/demo", body='{"email": "nope"}', headers={
        "Content-Type": "application/json", "Origin": DEMO_ORIGIN})
    assert response.status_code == 422
    assert json.loads(response.body)["field"] == "email"


def _page(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def _post_from(api: Api, fields: dict[str, str], referer: str | None = f"{DEMO_ORIGIN}/kontakt",
               origin: str = DEMO_ORIGIN):
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    if referer:
        headers["Referer"] = referer
    return api.client.http.post("/forms/demo", body=urlencode(fields), headers=headers)


def test_the_error_page_goes_back_in_history_and_links_the_form_page(api: Api):
    response = _post_from(api, {"email": "nope"})

    page = _page(response)
    assert 'onclick="history.back(); return false;"' in page
    assert f'href="{DEMO_ORIGIN}/kontakt"' in page and "Åbn formularsiden igen" in page


def test_the_error_page_prefers_the_forms_own_page_url_when_it_is_on_the_site(api: Api):
    response = _post_from(api, {"email": "nope", "page_url": f"{DEMO_ORIGIN}/tilbud?x=1"}, referer=None)

    assert f'href="{DEMO_ORIGIN}/tilbud?x=1"' in _page(response)


def test_the_error_page_links_no_page_outside_the_site(api: Api):
    response = _post_from(api, {"email": "nope", "page_url": "https://evil.example/phish"},
                          referer="https://evil.example/form")

    page = _page(response)
    assert "evil.example" not in page
    assert 'href="javascript:history.back()"' in page and "Åbn formularsiden igen" not in page


def test_an_error_url_on_the_site_gets_a_303_naming_the_fields(api: Api):
    before = len(api.items())

    response = _post_from(api, {"email": "nope", "phone": "ring", "_error": "/kontakt?fejl=1#form"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/kontakt?fejl=1&error=invalid&fields=email#form"
    assert not response.headers["Content-Type"].startswith("application/json")  # an empty redirect, not JSON
    assert len(api.items()) == before


def test_an_error_url_given_in_full_on_an_allowed_origin_is_followed(api: Api):
    response = _post_from(api, {"_error": f"{DEMO_ORIGIN}/fejl?error=old&fields=old"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/fejl?error=invalid&fields=email"


def test_a_busy_store_sends_the_visitor_to_the_error_url_without_fields(api: Api, monkeypatch):
    def busy(request):
        raise Conflict("try again", field="email")

    monkeypatch.setattr(api.wiring.forms, "submit", busy)
    response = _post_from(api, {"email": "bo@kunde.dk", "_error": "/fejl"})

    assert (response.status_code, response.headers["Location"]) == (303, f"{DEMO_ORIGIN}/fejl?error=busy")


@pytest.mark.parametrize("error_url", ["https://evil.example/fejl", "//evil.example/fejl", "javascript:alert(1)",
                                       "/fejl\\x", ""])
def test_an_error_url_outside_the_site_is_ignored_and_the_page_shown(api: Api, error_url):
    response = _post_from(api, {"email": "nope", "_error": error_url})

    assert response.status_code == 422
    assert "Tjek venligst formularen" in _page(response) and "evil.example" not in _page(response)


def test_an_error_url_path_from_a_foreign_page_is_not_followed(api: Api):
    response = _post_from(api, {"email": "nope", "_error": "/fejl"}, origin=OTHER_ORIGIN, referer=None)

    assert response.status_code == 403
    assert "This form cannot be sent here" not in _page(response)  # the demo site is Danish
    assert "Formularen kan ikke sendes herfra" in _page(response)


def test_an_unreadable_body_gets_the_page_naming_the_form(api: Api):
    response = api.client.http.post("/forms/demo", body=b"email=\xff\xfe", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": DEMO_ORIGIN})

    assert response.status_code == 400 and "Formularen kunne ikke læses" in _page(response)


def test_a_plain_form_with_a_note_for_a_phone_is_a_lead_not_an_error_page(api: Api):
    response = _post_from(api, {"email": "ring-mig@kunde.dk", "phone": "ring efter kl. 16", "_next": "/tak"})

    assert (response.status_code, response.headers["Location"]) == (303, f"{DEMO_ORIGIN}/tak")
    lead = api.repos.leads.lead("demo", lead_id_for("demo", "ring-mig@kunde.dk"))
    assert lead is not None and lead.phone == "ring efter kl. 16"
