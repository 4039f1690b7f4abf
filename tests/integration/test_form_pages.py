"""A person who sends a plain HTML form never meets JSON: refusals come back as a page in the site's language."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from chalicelib.errors import Conflict
from tests.conftest import DEMO_ORIGIN, Api


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
