"""The pages behind an owner's signed links: the lead card, the outcome, and every dead end, in one language.

Given a lead handed over by the journey, when the owner opens the link from the e-mail (or a program asks for
JSON), then they see what they need, and every way the link can no longer act says why and what to do.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

OWNER_A, OWNER_B = "sales-a@demo.dk", "sales-b@demo.dk"
JOURNEY: dict[str, Any] = {
    "stages": ["awareness", "consideration", "decision", "customer"],
    "language": "da",
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": [OWNER_A, OWNER_B]},
        "sla": {"accept_within": "PT4H", "contact_within": "PT24H", "calendar": "dk-business-hours"},
        "escalation": [{"at": "150%", "action": "reassign"}, {"at": "300%", "action": "gap"}],
    }],
}
# The clock stands at Monday 23 November 2026 09:30 UTC, 10:30 in Copenhagen: four business hours on.
DEADLINE_DA = "mandag 23. november kl. 14:30 (Europe/Copenhagen)"
# Twenty-four business hours of 08-16 from 10:30 Monday: Thursday 10:30.
CONTACT_DA = "torsdag 26. november kl. 10:30 (Europe/Copenhagen)"


def _journey(api: Api, **changes: Any) -> None:
    journey = copy.deepcopy(JOURNEY)
    journey.update(changes)
    response = api.client.http.put("/admin/journey", body=json.dumps(journey).encode(), headers={
        "Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})
    assert response.status_code == 200, response.body


def _without_calendar(api: Api, language: str = "en") -> None:
    journey = copy.deepcopy(JOURNEY)
    journey["handovers"][0]["sla"] = {"accept_within": "PT4H", "contact_within": "PT2H"}
    _journey(api, handovers=journey["handovers"], language=language)


def _pageviews(api: Api, visitor: str, pages: list[tuple[str, str | None]]) -> None:
    events = [{"type": "pageview", "url": url, "title": title, "id": f"pv-{uuid.uuid4().hex[:10]}"}
              for url, title in pages]
    for event in events:
        api.clock.advance(seconds=30)
        answer = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                      body=json.dumps({"site": "demo", "vid": visitor, "events": [event]}))
        assert answer.status_code in (200, 202, 204), answer.body


def _lead(api: Api, visitor: str | None = None, **fields: str) -> tuple[str, str]:
    """A form post by a new person; the lead's id and e-mail."""
    email = f"lead-{uuid.uuid4().hex[:8]}@kunde.dk"
    body = {"email": email, "name": "Mette Hansen", "company": "Hansen ApS", "phone": "+45 12 34 56 78",
            "message": "Vi vil gerne have et tilbud\npå solceller.", **fields}
    if visitor:
        body["et_vid"] = visitor
    answer = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                  body=json.dumps(body))
    assert answer.status_code == 201, answer.body
    api.run_timers()
    return str(json_body(answer)["lead_id"]), email


def _links(api: Api, owner: str = OWNER_A) -> tuple[str, str]:
    """The accept and decline links of the newest offer e-mail to ``owner``, as paths."""
    text = next(mail[2] for mail in reversed(api.mailer.sent) if mail[0] == owner)
    urls = re.findall(r"https://api\.leadtrail\.test(/handovers/\S+)", text)
    return next(url for url in urls if "/accept?" in url), next(url for url in urls if "/decline?" in url)


def _handover(api: Api, lead_id: str) -> dict[str, Any]:
    answer = api.client.http.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    (handover,) = json_body(answer)["handovers"]
    return dict(handover)


def _get(api: Api, path: str, **headers: str) -> Any:
    return api.client.http.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", **headers})


def _post(api: Api, path: str, body: dict[str, str] | None = None, **headers: str) -> Any:
    return api.client.http.post(path, body=urlencode(body or {}), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html,*/*;q=0.8", **headers})


def _page(answer: Any) -> str:
    """The page as a person reads it: tags gone, entities decoded, white space folded."""
    assert answer.headers["Content-Type"].startswith("text/html"), answer.body
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", answer.body.decode())).split())


def _forms(answer: Any) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', answer.body.decode())


def _form_path(link: str, action: str) -> str:
    """Where a form on the page at ``link`` posts to (a relative address resolved as a browser does)."""
    base, action = urlsplit(link).path, unescape(action)
    return base + action if action.startswith("?") else base.rsplit("/", 1)[0] + "/" + action


def _decline_to_owner_b(api: Api) -> None:
    _, decline = _links(api, OWNER_A)
    assert _post(api, decline).status_code == 200


# --- the lead card ----------------------------------------------------------------------------------


def test_the_accept_link_opens_a_lead_card_in_the_tenants_language_with_the_deadline_in_the_calendars_zone(
        api: Api):
    _journey(api)
    visitor = f"vid-{uuid.uuid4().hex[:10]}"
    _pageviews(api, visitor, [
        ("https://www.nordlys-solar.dk/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-offer", "Forside"),
        ("https://www.nordlys-solar.dk/priser", "Priser"),
        ("https://www.nordlys-solar.dk/priser", "Priser"),
        ("https://www.nordlys-solar.dk/kontakt", None),
    ])
    api.clock.advance(minutes=-2)  # the page views stand just before the form, on the frozen Monday
    lead_id, email = _lead(api, visitor=visitor)
    accept, _ = _links(api)

    answer = _get(api, accept)
    page = _page(answer)
    assert answer.status_code == 200 and '<html lang="da">' in answer.body.decode()
    assert "Nyt lead til dig" in page and "Mette Hansen" in page and "Hansen ApS" in page
    assert "Vi vil gerne have et tilbud" in page and "på solceller." in page
    assert f"Acceptér senest {DEADLINE_DA}" in page
    assert "Modtaget mandag 23. november kl." in page
    assert "Kom først fra E-mail · kampagne spring-offer" in page
    # Pages viewed: one row per address, how often, the newest first.
    assert page.index("https://www.nordlys-solar.dk/kontakt") < page.index("Priser 2 gange") < page.index("Forside")
    assert "Priser 2 gange · senest mandag 23. november" in page
    # One language, and no contact details before the lead is accepted.
    assert "Accept the lead" not in page and "Pages viewed" not in page
    assert email not in page and "12 34 56 78" not in page and "mailto:" not in answer.body.decode()
    assert _handover(api, lead_id)["status"] == "offered"  # opening the page changes nothing


def test_the_card_shows_the_deadline_in_utc_when_the_hand_over_has_no_calendar(api: Api):
    _without_calendar(api)
    _lead(api)
    page = _page(_get(api, _links(api)[0]))
    assert "Accept by Monday 23 November at 13:30 (UTC)" in page
    assert "New lead for you" in page and "Nyt lead" not in page
    assert "No page views were recorded for this lead." in page


def test_the_card_lists_at_most_eight_pages_and_says_how_many_more(api: Api):
    _journey(api)
    visitor = f"vid-{uuid.uuid4().hex[:10]}"
    _pageviews(api, visitor, [(f"https://www.nordlys-solar.dk/side-{number}", f"Side {number}")
                              for number in range(11)])
    api.clock.advance(minutes=-10)
    _lead(api, visitor=visitor)
    page = _page(_get(api, _links(api)[0]))
    assert "Side 10" in page and "Side 3" in page and "Side 2 " not in page
    assert "og 3 sider mere" in page


def test_the_card_escapes_what_the_visitor_typed(api: Api):
    _journey(api)
    _lead(api, name='<script>alert("x")</script>', message='<img src=x onerror="alert(1)">')
    body = _get(api, _links(api)[0]).body.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body and "&lt;img src=x" in body


def test_the_accept_page_also_offers_decline_with_a_reason_and_both_forms_act(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, _ = _links(api)
    answer = _get(api, accept)
    body = answer.body.decode()
    assert '<label for="reason">Begrundelse (valgfri)</label>' in body and 'id="reason" name="reason"' in body
    own, other = _forms(answer)
    assert own.startswith("?token=") and other.startswith("decline?token=")

    declined = _post(api, _form_path(accept, other), {"reason": "Ferie"})
    assert declined.status_code == 200 and "Du har afvist leadet" in _page(declined)
    handover = _handover(api, lead_id)
    assert handover["owner"] == OWNER_B and OWNER_A in handover["declined_by"]


# --- accepting ----------------------------------------------------------------------------------------


def test_accepting_shows_the_contact_details_and_the_next_promise_in_the_calendars_zone(api: Api):
    _journey(api)
    lead_id, email = _lead(api)
    accept, _ = _links(api)
    done = _post(api, accept)
    page, body = _page(done), done.body.decode()
    assert done.status_code == 200 and "Leadet er dit" in page and "Tak. Her er kontaktoplysningerne." in page
    assert f'<a href="mailto:{email}">{email}</a>' in body
    assert '<a href="tel:+4512345678">+45 12 34 56 78</a>' in body
    assert f"Kontakt Mette Hansen inden for 24 timer: senest {CONTACT_DA}." in page
    assert "Kun kalenderens åbningstid tæller med." in page
    assert _handover(api, lead_id)["status"] == "accepted"


def test_a_phone_that_is_not_a_number_is_shown_but_not_dialled_and_no_contact_sla_still_gives_a_promise(api: Api):
    journey = copy.deepcopy(JOURNEY)
    journey["handovers"][0]["sla"] = {"accept_within": "PT4H"}
    _journey(api, handovers=journey["handovers"], language="en")
    _lead(api, phone="ring efter kl. 16")
    done = _post(api, _links(api)[0])
    body = done.body.decode()
    assert "ring efter kl. 16" in body and "tel:" not in body
    assert "Contact Mette Hansen as soon as you can." in _page(done)


def test_opening_the_accept_link_again_shows_when_you_accepted_and_the_contact_details(api: Api):
    _journey(api)
    _, email = _lead(api)
    accept, _ = _links(api)
    _post(api, accept)
    api.clock.advance(hours=1)
    for again in (_get(api, accept), _post(api, accept)):  # a second press changes nothing
        page = _page(again)
        assert again.status_code == 200
        assert "Du accepterede dette lead mandag 23. november kl. 10:30 (Europe/Copenhagen)." in page
        assert email in page
    assert [mail for mail in api.mailer.sent if mail[0] == OWNER_B] == []


def test_the_decline_link_after_accepting_says_it_can_no_longer_be_declined(api: Api):
    _journey(api)
    lead_id, email = _lead(api)
    accept, decline = _links(api)
    _post(api, accept)
    for answer in (_get(api, decline), _post(api, decline, {"reason": "for sent"})):
        page = _page(answer)
        assert answer.status_code == 409 and "Du har allerede accepteret dette lead" in page and email in page
    assert _handover(api, lead_id)["status"] == "accepted"


def test_a_lead_accepted_by_someone_else_names_them_and_when_and_shows_no_contact_details(api: Api):
    _journey(api)
    lead_id, email = _lead(api)
    accept_a, _ = _links(api, OWNER_A)
    _decline_to_owner_b(api)
    api.clock.advance(minutes=20)
    accept_b, _ = _links(api, OWNER_B)
    assert _post(api, accept_b).status_code == 200

    for answer in (_get(api, accept_a), _post(api, accept_a)):
        page, body = _page(answer), answer.body.decode()
        assert answer.status_code == 409
        assert "En anden har taget dette lead" in page
        assert f"{OWNER_B} accepterede det mandag 23. november kl. 10:50 (Europe/Copenhagen)." in page
        assert email not in body and "12 34 56 78" not in body and "Hansen ApS" not in body
    assert _handover(api, lead_id)["owner"] == OWNER_B


# --- dead ends ------------------------------------------------------------------------------------------


def test_after_declining_the_decline_link_confirms_it_and_the_accept_link_says_you_declined(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, decline = _links(api)
    assert _post(api, decline, {"reason": "Ferie"}).status_code == 200
    for again in (_get(api, decline), _post(api, decline)):  # a retry is safe and says the same
        assert again.status_code == 200 and "Du har afvist leadet" in _page(again)
    for answer in (_get(api, accept), _post(api, accept)):
        page = _page(answer)
        assert answer.status_code == 409 and "Du har afvist dette lead" in page and "din leder" in page
    handover = _handover(api, lead_id)
    assert handover["owner"] == OWNER_B and handover["status"] == "offered"


def test_a_lead_handed_on_by_the_ladder_says_to_whom(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, _ = _links(api)
    api.clock.advance(hours=23)  # past 150 % of four business hours (Tuesday 08:30), before 300 %
    api.run_timers()
    assert _handover(api, lead_id)["owner"] == OWNER_B
    for answer in (_get(api, accept), _post(api, accept)):
        page = _page(answer)
        assert answer.status_code == 409 and "Leadet er gået videre til en anden" in page and OWNER_B in page
    assert _handover(api, lead_id)["status"] == "offered"


def test_the_owner_the_ladder_hands_the_lead_to_sees_the_time_left_not_a_deadline_already_passed(api: Api):
    _journey(api)
    _lead(api)
    api.clock.advance(hours=23)  # Tuesday 09:30 in Copenhagen: past 150 %, so the ladder hands it to sales-b
    api.run_timers()
    accept, _ = _links(api, OWNER_B)
    page = _page(_get(api, accept))
    # The gap at 300 %: twelve business hours from Monday 10:30 is Tuesday 14:30, still ahead.
    assert "tirsdag 24. november kl. 14:30 (Europe/Copenhagen)" in page
    assert "Fristen er overskredet" not in page and DEADLINE_DA not in page


def test_a_lead_that_ended_in_a_gap_says_so_and_what_to_do(api: Api):
    _without_calendar(api, language="da")
    lead_id, _ = _lead(api)
    accept, decline = _links(api)
    api.clock.advance(hours=13)  # past 300 % of four hours
    api.run_timers()
    assert _handover(api, lead_id)["status"] == "gap"
    for answer in (_get(api, accept), _post(api, accept), _get(api, decline)):
        page = _page(answer)
        assert answer.status_code == 409 and "Ingen nåede at tage dette lead" in page
        assert "Bed din leder om at give dig leadet" in page
    assert _handover(api, lead_id)["status"] == "gap"


def test_an_expired_link_is_a_410_page_in_the_owners_language_that_acts_on_nothing(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, _ = _links(api)
    api.clock.advance(days=15)
    for answer in (_get(api, accept), _post(api, accept)):
        page = _page(answer)
        assert answer.status_code == 410 and "Linket er udløbet" in page and "nyere e-mail" in page
        assert '<html lang="da">' in answer.body.decode()
    assert _handover(api, lead_id)["status"] == "offered"


@pytest.mark.parametrize("spoil", ["cut", "changed", "empty", "other action"])
def test_a_link_that_is_not_valid_is_a_400_page_that_acts_on_nothing(api: Api, spoil: str):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, decline = _links(api)
    token = parse_qs(urlsplit(accept).query)["token"][0]
    bad = {"cut": token[:-3], "changed": token[:-1] + ("A" if token[-1] != "A" else "B"), "empty": "",
           "other action": parse_qs(urlsplit(decline).query)["token"][0]}[spoil]
    path = f"{urlsplit(accept).path}?{urlencode({'token': bad})}"
    for answer in (_get(api, path), _post(api, path)):
        page = _page(answer)
        assert answer.status_code == 400 and "This link is not valid" in page
        assert "make sure the whole address was copied" in page
    assert _handover(api, lead_id)["status"] == "offered"


@pytest.mark.parametrize(("accept_language", "language", "says"), [
    ("da-DK,da;q=0.9,en;q=0.8", "da", "Linket er ikke gyldigt"),
    ("en-GB,en;q=0.9,da;q=0.5", "en", "This link is not valid"),
    ("de-DE,de;q=0.9", "en", "This link is not valid"),
    ("en;q=0.2, da;q=0.7", "da", "Linket er ikke gyldigt"),
])
def test_a_link_that_does_not_say_whose_it_is_speaks_the_browsers_language(
        api: Api, accept_language: str, language: str, says: str):
    _journey(api)
    _lead(api)
    accept, _ = _links(api)
    path = f"{urlsplit(accept).path}?token=not-a-token"
    answer = _get(api, path, **{"Accept-Language": accept_language})
    assert answer.status_code == 400 and says in _page(answer)
    assert f'<html lang="{language}">' in answer.body.decode()


def test_a_genuine_link_to_a_hand_over_that_does_not_exist_is_a_404_page(api: Api):
    _journey(api)
    link = api.wiring.links.handover_link("demo", "ho_aaaaaaaaaaaaaaaaaaaaaaaa_00000000", OWNER_A, "accept")
    path = link.removeprefix("https://api.leadtrail.test")
    for answer in (_get(api, path), _post(api, path)):
        page = _page(answer)
        assert answer.status_code == 404 and "Denne overdragelse findes ikke" in page and "din leder" in page


def test_a_reason_that_is_too_long_changes_nothing_and_says_what_to_do(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    _, decline = _links(api)
    answer = _post(api, decline, {"reason": "x" * 501})
    assert answer.status_code == 422 and "Begrundelsen er for lang" in _page(answer)
    assert 'name="reason"' in answer.body.decode()
    assert _handover(api, lead_id)["owner"] == OWNER_A


def test_every_link_page_is_kept_from_caches_search_engines_and_referrers(api: Api):
    _journey(api)
    _lead(api)
    accept, decline = _links(api)
    answers = [_get(api, accept), _get(api, accept.replace("token=", "token=x")), _post(api, decline),
               _get(api, decline)]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Robots-Tag"] == "noindex"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert '<meta name="robots" content="noindex">' in answer.body.decode()


# --- programs that ask for JSON -------------------------------------------------------------------------


def test_a_program_that_asks_for_json_gets_the_one_error_shape_with_the_same_status(api: Api):
    _without_calendar(api)
    lead_id, _ = _lead(api)
    accept, decline = _links(api)
    as_json = {"Accept": "application/json"}

    opened = _get(api, accept, **as_json)
    assert opened.status_code == 200 and opened.headers["Content-Type"].startswith("application/json")
    assert json_body(opened)["page"] == "open" and json_body(opened)["status"] == "offered"

    bad = _get(api, accept.replace("token=", "token=x"), **as_json)
    assert bad.status_code == 400 and json_body(bad) == {
        "error": "link_invalid", "message": "the link is not valid", "field": "token",
        "fields": [{"field": "token", "message": "the link is not valid"}]}

    long_reason = api.client.http.post(decline, body=json.dumps({"reason": "x" * 501}), headers={
        "Content-Type": "application/json", **as_json})
    assert long_reason.status_code == 422 and json_body(long_reason)["field"] == "reason"

    accepted = api.client.http.post(accept, body=b"", headers={"Content-Type": "application/json", **as_json})
    assert accepted.status_code == 200 and json_body(accepted)["status"] == "accepted"
    assert json_body(accepted)["changed"] is True

    moved = api.client.http.post(decline, body=b"", headers={"Content-Type": "application/json", **as_json})
    assert moved.status_code == 409 and json_body(moved)["error"] == "wrong_state"
    assert json_body(moved)["field"] == "handover_id"

    api.clock.advance(days=15)
    expired = _get(api, accept, **as_json)
    assert expired.status_code == 410 and json_body(expired)["error"] == "link_expired"
    assert expired.headers["Cache-Control"] == "no-store"
    assert _handover(api, lead_id)["status"] == "accepted"


def test_a_browser_never_gets_json_from_a_link(api: Api):
    _journey(api)
    _lead(api)
    accept, _ = _links(api)
    for headers in ({"Accept": "text/html,application/json"}, {"Accept": "*/*"}, {}):
        answer = api.client.http.get(accept.replace("token=", "token=x"), headers=headers)
        assert answer.status_code == 400 and answer.headers["Content-Type"].startswith("text/html")


def test_a_card_opened_after_the_deadline_says_it_has_passed_and_can_still_be_accepted(api: Api):
    _without_calendar(api, language="da")
    lead_id, _ = _lead(api)
    accept, _ = _links(api)
    api.clock.advance(hours=5)  # past four hours, before the reassignment at six
    api.run_timers()
    answer = _get(api, accept)
    assert answer.status_code == 200 and "Fristen er overskredet, men du kan stadig acceptere leadet." in _page(answer)
    assert _post(api, accept).status_code == 200
    assert _handover(api, lead_id)["accepted_late"] is True


def test_the_accepted_page_says_when_contact_was_reported(api: Api):
    _journey(api)
    lead_id, _ = _lead(api)
    accept, _ = _links(api)
    _post(api, accept)
    api.clock.advance(hours=2)
    handover_id = _handover(api, lead_id)["handover_id"]
    reported = api.client.http.post(f"/handovers/{handover_id}/contacted", body=b"{}", headers={
        "Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})
    assert reported.status_code == 200, reported.body
    page = _page(_get(api, accept))
    assert "Du registrerede kontakt mandag 23. november kl. 12:30 (Europe/Copenhagen)." in page
    assert "inden for 24 timer" not in page
