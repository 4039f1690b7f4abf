"""Whichever encoding a plain HTML form chooses (a file input makes it multipart, enctype="text/plain" sends
lines), the visitor's lead arrives as from any other form; a body we cannot take gets a page, not JSON."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.domain.leads import lead_id_for
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api

BOUNDARY = "----LeadtrailFormBoundary7MA4YWxk"


def _email() -> str:
    return f"kunde-{uuid.uuid4().hex[:8]}@firma.dk"


def _multipart(*parts: tuple[str, bytes, str | None]) -> bytes:
    """A body as a browser builds it: ``(name, value, filename)``; a filename makes the part a file."""
    chunks = []
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/octet-stream\r\n"
        chunks.append(head.encode() + b"\r\n" + value + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def _post(api: Api, body: bytes, content_type: str, accept: str | None = None):
    headers = {"Content-Type": content_type, "Origin": DEMO_ORIGIN, "Referer": f"{DEMO_ORIGIN}/kontakt"}
    if accept:
        headers["Accept"] = accept
    return api.client.http.post("/forms/demo", body=body, headers=headers)


def _post_multipart(api: Api, *parts: tuple[str, bytes, str | None]):
    return _post(api, _multipart(*parts), f"multipart/form-data; boundary={BOUNDARY}")


def _page(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def _submitted_event(api: Api, lead_id: str) -> dict:
    response = api.client.http.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    return next(event for event in json.loads(response.body)["timeline"] if event["type"] == "form_submit")


# --- multipart/form-data ----------------------------------------------------------------------------------


def test_a_multipart_form_makes_a_lead_and_goes_to_the_sites_next_page(api: Api):
    email = _email()

    response = _post_multipart(api, ("email", email.encode(), None), ("name", "Søren Æbelø".encode(), None),
                               ("message", b"Ring gerne\r\nefter kl. 16", None), ("_next", b"/tak", None))

    assert (response.status_code, response.headers["Location"]) == (303, f"{DEMO_ORIGIN}/tak")
    lead = api.repos.leads.lead("demo", lead_id_for("demo", email))
    assert lead is not None and lead.name == "Søren Æbelø"
    assert _submitted_event(api, lead.lead_id)["message"] == "Ring gerne\r\nefter kl. 16"


def test_a_file_sent_with_the_form_is_not_kept_and_its_field_is_flagged(api: Api):
    email = _email()

    response = _post_multipart(api, ("email", email.encode(), None), ("cv", b"\xff\xd8\xff\x00" * 40_000, "cv.jpg"),
                               ("photo", b"", ""))

    assert response.status_code == 200 and "Tak" in _page(response)  # the thank-you page: no _next
    lead_id = lead_id_for("demo", email)
    event = _submitted_event(api, lead_id)
    assert event["fields_flagged"] == ["cv"]  # the empty file input lost nothing, so it is not flagged
    assert "\xff" not in json.dumps(api.items(f"LEAD#{lead_id}"), default=str)


def test_an_invalid_multipart_form_gets_the_danish_page_naming_the_field(api: Api):
    before = len(api.items())

    response = _post_multipart(api, ("email", b"ikke-en-adresse", None), ("cv", b"%PDF", "cv.pdf"))

    assert response.status_code == 422 and response.headers["Content-Type"].startswith("text/html")
    assert "Tjek venligst formularen" in _page(response) and "<strong>E-mail</strong>" in _page(response)
    assert len(api.items()) == before


def test_an_invalid_multipart_form_goes_to_the_sites_error_page(api: Api):
    response = _post_multipart(api, ("email", b"nope", None), ("_error", b"/fejl", None))

    assert response.status_code == 303
    assert response.headers["Location"] == f"{DEMO_ORIGIN}/fejl?error=invalid&fields=email"


def test_a_multipart_body_without_its_boundary_gets_the_page_saying_the_form_could_not_be_read(api: Api):
    response = _post(api, _multipart(("email", b"bo@kunde.dk", None)), "multipart/form-data")

    assert response.status_code == 400 and "Formularen kunne ikke læses" in _page(response)


def test_a_multipart_form_whose_text_fields_are_too_large_is_refused_with_a_page(api: Api):
    response = _post_multipart(api, ("email", b"bo@kunde.dk", None), ("message", b"x" * 40_000, None))

    assert response.status_code == 413 and response.headers["Content-Type"].startswith("text/html")


# --- text/plain ---------------------------------------------------------------------------------------------


def test_a_text_plain_form_makes_a_lead_with_a_message_over_several_lines(api: Api):
    email = _email()
    body = f"email={email}\r\nname=Bo Ø\r\nmessage=Første linje\r\nanden linje\r\n_next=/tak\r\n".encode()

    response = _post(api, body, "text/plain")

    assert (response.status_code, response.headers["Location"]) == (303, f"{DEMO_ORIGIN}/tak")
    lead = api.repos.leads.lead("demo", lead_id_for("demo", email))
    assert lead is not None and lead.name == "Bo Ø"
    assert _submitted_event(api, lead.lead_id)["message"] == "Første linje\nanden linje"


def test_an_invalid_text_plain_form_gets_the_page_not_json(api: Api):
    response = _post(api, b"email=nope\r\n", "text/plain; charset=UTF-8")

    assert response.status_code == 422 and "Tjek venligst formularen" in _page(response)


def test_a_text_plain_body_that_is_not_a_form_is_refused_with_a_page(api: Api):
    response = _post(api, b"just some words\r\n", "text/plain")

    assert response.status_code == 400 and "Formularen kunne ikke læses" in _page(response)


# --- a content type no form sends -----------------------------------------------------------------------------


def test_a_browser_posting_another_content_type_gets_the_sites_error_page(api: Api):
    response = _post(api, b"<lead/>", "application/xml", accept="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 415 and response.headers["Content-Type"].startswith("text/html")
    assert 'lang="da"' in _page(response)


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_a_program_posting_another_content_type_gets_json(api: Api, accept):
    response = _post(api, b"<lead/>", "application/xml", accept=accept)

    assert response.status_code == 415
    body = json.loads(response.body)
    assert body["error"] == "unsupported_media_type" and body["field"] == "Content-Type"


def test_the_page_for_another_content_type_links_back_only_to_the_sites_own_page(api: Api):
    headers = {"Content-Type": "application/xml", "Origin": DEMO_ORIGIN, "Accept": "text/html",
               "Referer": "https://evil.example/form"}
    foreign = api.client.http.post("/forms/demo", body=b"<lead/>", headers=headers)
    own = _post(api, b"<lead/>", "application/xml", accept="text/html")

    assert "evil.example" not in _page(foreign)
    assert f'href="{DEMO_ORIGIN}/kontakt"' in _page(own)


def test_another_content_type_for_an_unknown_site_gets_an_english_page(api: Api):
    response = api.client.http.post("/forms/no-such-site", body=b"x", headers={
        "Content-Type": "application/xml", "Accept": "text/html"})

    assert response.status_code == 415 and 'lang="en"' in _page(response)


def test_the_redirect_after_a_plain_form_is_not_labelled_json(api: Api):
    response = _post(api, f"email={_email()}\r\n_next=/tak\r\n".encode(), "text/plain")

    assert response.status_code == 303
    assert response.headers["Content-Type"].startswith("text/plain")  # the gateway's default would be JSON
