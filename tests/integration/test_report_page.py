"""GET /reports for managers: a magic link by e-mail, a session cookie, and a page of the tenant's own figures."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

MANAGER = "chef@nordlys-solar.dk"
OWNER = "salg@nordlys-solar.dk"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JOURNEY: dict[str, Any] = {
    "language": "da",
    "stages": ["awareness", "consideration", "decision", "customer"],
    "departments": {"awareness": "brand", "consideration": "product marketing", "decision": "sales"},
    "managers": [MANAGER],
    "manager_email": "direktion@nordlys-solar.dk",
    "handovers": [{
        "name": "marketing-to-sales", "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": [OWNER]},
        "sla": {"accept_within": "PT4H"},
    }],
}


def _admin(api: Api, method: str, path: str, body: Any = None) -> Any:
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                          "Content-Type": "application/json"},
                                   body=json.dumps(body).encode() if body is not None else b"")


def _journey(api: Api, **changes: Any) -> None:
    response = _admin(api, "PUT", "/admin/journey", {**JOURNEY, **changes})
    assert response.status_code == 200, response.body


@pytest.fixture
def tenant(api: Api) -> dict[str, str]:
    """The demo tenant with a manager, an owner, and one lead its owner accepted within the SLA."""
    _journey(api)
    owner = _admin(api, "POST", "/admin/owners", {"owner": OWNER, "language": "da"})
    assert owner.status_code == 201, owner.body
    key = json_body(owner)["user_key"]
    costs = _admin(api, "PUT", "/admin/costs", [{"campaign": "vinter", "source": "google", "medium": "cpc",
                                                 "from": "2026-11-01", "to": "2026-11-30", "amount": 3000}])
    assert costs.status_code == 200, costs.body
    lead = api.client.http.post(
        "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
        body=json.dumps({"email": f"kunde-{uuid.uuid4().hex[:6]}@kunde.dk", "name": "Kunde",
                         "page_url": f"{DEMO_ORIGIN}/tilbud?utm_source=google&utm_medium=cpc&utm_campaign=vinter"}))
    assert lead.status_code == 201, lead.body
    lead_id = json_body(lead)["lead_id"]
    (handover,) = json_body(_admin(api, "GET", f"/leads/{lead_id}"))["handovers"]
    accepted = api.client.http.request("POST", f"/handovers/{handover['handover_id']}/accept", body=b"{}", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert accepted.status_code == 200, accepted.body
    won = _admin(api, "POST", f"/leads/{lead_id}/outcome", {"outcome": "won", "value": 10000})
    assert won.status_code in (200, 201), won.body
    api.mailer.sent.clear()
    return {"owner_key": key}


def _ask(api: Api, email: str, tenant_id: str = "demo", **headers: str) -> Any:
    return api.client.http.post("/reports/sign-in", headers={**FORM, **headers},
                                body=urlencode({"email": email, "tenant": tenant_id}))


def _mails_to(api: Api, address: str) -> list[tuple[str, str, str]]:
    return [mail for mail in api.mailer.sent if mail[0] == address]


def _link_in(mail: tuple[str, str, str]) -> str:
    (link,) = re.findall(r"https://\S+/reports/sign-in/link\?token=\S+", mail[2])
    return link


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _use(api: Api, token: str) -> Any:
    return api.client.http.post("/reports/sign-in/link", headers=FORM, body=urlencode({"token": token}))


def _signed_in(api: Api, email: str = MANAGER) -> str:
    """The session cookie's value after the whole sign-in, as a browser would go through it."""
    assert _ask(api, email).status_code == 200
    token = _token(_link_in(_mails_to(api, email)[-1]))
    answer = _use(api, token)
    assert answer.status_code == 303, answer.body
    return str(answer.headers["Set-Cookie"]).split(";")[0].split("=", 1)[1]


def _page(api: Api, cookie: str, query: str = "") -> Any:
    return api.client.http.get(f"/reports{query}", headers={"Cookie": f"lt_reports={cookie}"})


def _text(response: Any) -> str:
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    return html.unescape(re.sub(r"\s+", " ", body))


def test_a_manager_signs_in_with_the_emailed_link_and_reads_the_figures_in_the_tenants_language(api: Api, tenant):
    # Given a manager asking for a link (with the address typed in capitals)
    asked = _ask(api, "Chef@Nordlys-Solar.dk")
    assert asked.status_code == 200
    assert "Se i din indbakke" in _text(asked)

    # Then one e-mail in Danish carries the link
    (mail,) = api.mailer.sent
    assert mail[0] == MANAGER and mail[1] == "Dit login-link til rapporterne"
    link = _link_in(mail)
    assert link.startswith("https://api.leadtrail.test/reports/sign-in/link?token=")

    # Opening the link shows a button and records nothing (a mail scanner may open it first)
    before = api.items("T#demo#SIGNIN")
    opened = api.client.http.get(_path(link))
    assert opened.status_code == 200
    assert 'action="/reports/sign-in/link"' in _text(opened) and "Log ind" in _text(opened)
    assert MANAGER in _text(opened)
    assert api.items("T#demo#SIGNIN") == before

    # Pressing it sets the session cookie and goes to the report
    answer = _use(api, _token(link))
    assert answer.status_code == 303 and answer.headers["Location"] == "/reports"
    cookie = str(answer.headers["Set-Cookie"])
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("lt_reports=") and len(attributes[0]) > 40
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/reports", "Max-Age=43200"} <= set(attributes[1:])

    page = _page(api, attributes[0].split("=", 1)[1])
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    text = _text(page)
    assert '<html lang="da">' in text and "Tragten" in text and f"Logget ind som {MANAGER}" in text
    # The seeded lead: one lead, in the awareness stage, its step owned by brand, one hand-over accepted in time
    assert re.search(r"<tspan[^>]*>awareness</tspan> · 1<", text)
    assert "ejes af brand" in text
    sla_row = re.search(rf"<tr><th scope=\"row\">{re.escape(OWNER)}</th>(.*?)</tr>", text)
    assert sla_row is not None
    assert re.findall(r"<td>([^<]*)</td>", sla_row.group(1)) == ["1", "1", "0", "0", "0", "0"]
    # The campaign: 3,000 over November, 23 of its days in the range (24 Oct to 23 Nov) cost 2,300; one lead won
    # for 10,000: ROI (10,000 − 2,300) / 2,300 = 335 %
    campaign_row = re.search(r'id="roi-campaign-marketing-table".*?<th scope="row">vinter</th>(.*?)</tr>', text)
    assert campaign_row is not None
    assert re.findall(r"<td[^>]*>([^<]*)</td>", campaign_row.group(1)) == [
        "2.300", "0", "1", "1", "100,0 %", "10.000", "2.300", "2.300", "335 %"]
    assert 'role="img"' in text and "<table" in text


def test_someone_not_listed_as_manager_gets_the_same_answer_and_no_email(api: Api, tenant):
    manager = _ask(api, MANAGER)
    stranger = _ask(api, "nysgerrig@example.com")
    nobody = _ask(api, MANAGER, tenant_id="no-such-tenant")

    assert manager.status_code == stranger.status_code == 200
    assert _text(stranger) == _text(manager).replace(MANAGER, "nysgerrig@example.com")
    assert nobody.status_code == 200 and "If chef@nordlys-solar.dk is one of the managers" in _text(nobody)
    assert [mail[0] for mail in api.mailer.sent] == [MANAGER]


def test_the_journeys_manager_email_may_sign_in_too(api: Api, tenant):
    _ask(api, "direktion@nordlys-solar.dk")

    assert len(_mails_to(api, "direktion@nordlys-solar.dk")) == 1


def test_asking_twice_in_the_same_minute_sends_one_email(api: Api, tenant):
    _ask(api, MANAGER)
    _ask(api, MANAGER)
    api.clock.advance(minutes=1)
    _ask(api, MANAGER)

    assert len(_mails_to(api, MANAGER)) == 2


def test_an_address_that_is_not_one_is_asked_for_again(api: Api, tenant):
    answer = _ask(api, "chef at nordlys")

    assert answer.status_code == 422
    assert "Skriv din e-mailadresse" in _text(answer) and 'aria-invalid="true"' in _text(answer)
    assert api.mailer.sent == []


def test_a_sign_in_without_a_tenant_asks_for_the_account_name(api: Api, tenant):
    first = api.client.http.get("/reports", headers={"Accept-Language": "da"})
    answer = _ask(api, MANAGER, tenant_id="", **{"Accept-Language": "da"})

    assert first.status_code == 200 and 'name="tenant"' in _text(first) and "Jeres Leadtrail-konto" in _text(first)
    assert answer.status_code == 422 and "Skriv jeres kontonavn" in _text(answer)
    assert api.mailer.sent == []


def test_the_sign_in_page_knows_the_tenant_from_the_shared_link(api: Api, tenant):
    page = api.client.http.get("/reports?tenant=demo")

    assert page.status_code == 200
    text = _text(page)
    assert "Log ind på rapporterne" in text and '<input type="hidden" name="tenant" value="demo">' in text


def test_a_link_is_used_once(api: Api, tenant):
    _ask(api, MANAGER)
    token = _token(_link_in(api.mailer.sent[-1]))

    assert _use(api, token).status_code == 303
    again = _use(api, token)
    opened = api.client.http.get(f"/reports/sign-in/link?{urlencode({'token': token})}")

    assert again.status_code == 409 and "Linket er brugt" in _text(again)
    assert "Set-Cookie" not in again.headers
    assert opened.status_code == 409 and 'href="/reports?tenant=demo"' in _text(opened)


def test_an_expired_link_says_so_in_the_tenants_language(api: Api, tenant):
    _ask(api, MANAGER)
    token = _token(_link_in(api.mailer.sent[-1]))
    api.clock.advance(minutes=15)

    answer = _use(api, token)

    assert answer.status_code == 410 and "Linket er udløbet" in _text(answer)
    assert "Set-Cookie" not in answer.headers


def test_a_tampered_link_is_refused_in_the_browsers_language(api: Api, tenant):
    _ask(api, MANAGER)
    token = _token(_link_in(api.mailer.sent[-1]))
    payload, signature = token.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature

    for bad in (forged, "", "not-a-token", token + "x"):
        opened = api.client.http.get(f"/reports/sign-in/link?{urlencode({'token': bad})}",
                                     headers={"Accept-Language": "en-GB,en;q=0.9"})
        used = _use(api, bad)
        assert opened.status_code == used.status_code == 400, bad
        assert "This link does not work" in _text(opened)
        assert "Set-Cookie" not in used.headers


def test_a_form_larger_than_any_sign_in_form_gets_the_refusal_page_not_an_error(api: Api, tenant):
    # Found by the contract run: a 9 KB token form was a 500
    for body in (urlencode({"token": "*" * 9000}), "token=" + "&x=1" * 30):
        used = api.client.http.post("/reports/sign-in/link", headers={**FORM, "Accept-Language": "en"}, body=body)
        asked = api.client.http.post("/reports/sign-in", headers={**FORM, "Accept-Language": "en"}, body=body)

        assert used.status_code == 400 and "This link does not work" in _text(used)
        assert "Set-Cookie" not in used.headers
        assert asked.status_code == 422 and api.mailer.sent == []


def test_a_session_is_not_a_sign_in_link_and_a_link_is_not_a_session(api: Api, tenant):
    session = _signed_in(api)
    _ask(api, MANAGER)
    api.clock.advance(minutes=1)
    link_token = _token(_link_in(api.mailer.sent[-1]))

    assert _use(api, session).status_code == 400
    assert 'name="email"' in _text(_page(api, link_token))


def test_signing_out_clears_the_cookie(api: Api, tenant):
    cookie = _signed_in(api)

    answer = api.client.http.post("/reports/sign-out", headers={**FORM, "Cookie": f"lt_reports={cookie}"}, body="")

    assert answer.status_code == 303 and answer.headers["Location"] == "/reports?tenant=demo"
    cleared = [part.strip() for part in str(answer.headers["Set-Cookie"]).split(";")]
    assert cleared[0] == "lt_reports=" and "Max-Age=0" in cleared and "Path=/reports" in cleared


def test_a_session_ends_after_12_hours_and_when_the_address_is_no_longer_a_managers(api: Api, tenant):
    cookie = _signed_in(api)
    api.clock.advance(hours=11, minutes=59)
    assert "Tragten" in _text(_page(api, cookie))

    api.clock.advance(minutes=1)
    assert 'name="email"' in _text(_page(api, cookie))

    again = _signed_in(api)
    _journey(api, managers=["en-anden@nordlys-solar.dk"])
    assert 'name="email"' in _text(_page(api, again))


def test_a_made_up_cookie_gets_the_sign_in_page(api: Api, tenant):
    page = _page(api, "eyJrIjoiMSJ9.c2lnbmF0dXJl")

    assert page.status_code == 200 and 'name="email"' in _text(page)


def test_the_admin_key_opens_the_page_and_a_wrong_key_is_told_in_json(api: Api, tenant):
    page = api.client.http.get("/reports", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    wrong = api.client.http.get("/reports", headers={"Authorization": "Bearer not-a-key"})

    assert page.status_code == 200 and "Åbnet med administratornøglen" in _text(page)
    assert "Log ud" not in _text(page)
    assert wrong.status_code == 401 and json_body(wrong)["field"] == "Authorization"


def test_the_range_grouping_and_model_come_from_the_query(api: Api, tenant):
    cookie = _signed_in(api)

    page = _text(_page(api, cookie, "?from=2026-11-01&to=2026-11-23&by=campaign&model=linear"))

    assert '<option value="campaign" selected>' in page and '<option value="linear" selected>' in page
    assert "2026-11-01 til 2026-11-23" in page and "Udfald af overdragelser pr. dag" in page
    weekly = _text(_page(api, cookie, "?from=2026-06-01&to=2026-11-23"))
    assert "Udfald af overdragelser pr. uge" in weekly


@pytest.mark.parametrize(("query", "words"), [
    ("?from=yesterday", "Startdatoen er ikke rigtig"),
    ("?from=2026-11-23&to=2026-11-01", "Startdatoen er ikke rigtig"),
    ("?to=soon", "Slutdatoen er ikke rigtig"),
    ("?by=weather", "Vælg en af grupperingerne"),
    ("?model=astrology", "Vælg en af fordelingsmodellerne"),
    ("?colour=blue", "Adressen indeholder noget"),
])
def test_a_wrong_choice_gets_the_page_saying_what_to_choose(api: Api, tenant, query: str, words: str):
    cookie = _signed_in(api)

    page = _page(api, cookie, query)

    assert page.status_code == 422
    text = _text(page)
    assert words in text and "Tragten" not in text and '<form method="get" action="/reports"' in text


def test_a_range_without_figures_explains_instead_of_drawing(api: Api, tenant):
    cookie = _signed_in(api)

    text = _text(_page(api, cookie, "?from=2026-01-01&to=2026-01-31"))

    assert "Ingen besøgende eller leads i perioden endnu" in text
    assert "Ingen overdragelser startede i perioden" in text
    assert "Intet at tegne" in text
    assert 'role="img"' not in text


def test_an_english_tenant_reads_english(api: Api, tenant):
    _journey(api, language="en")
    cookie = _signed_in(api)

    text = _text(_page(api, cookie))

    assert '<html lang="en">' in text and "The funnel" in text and "owned by brand" in text
    assert api.mailer.sent[-1][1] == "Your sign-in link to the reports"
