"""End-customer surveys through the HTTP API: planned after an accept, sent once by the timers to people who may be
asked, answered page by page behind a signed link, single use, and counted per owner, reseller and survey; a
customer saying nobody called is a disputed contact."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _admin(api: Api, method: str, path: str, body: Any = None, accept: str = "application/json") -> Any:
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {DEMO_KEY}", "Accept": accept,
                                                          "Content-Type": "application/json"},
                                   body=json.dumps(body).encode() if body is not None else b"")


def _journey(api: Api, basis: str = "legitimate_interest", **survey: Any) -> None:
    journey = {
        "survey_basis": basis, "manager_email": "chef@demo.dk",
        "surveys": [{"name": "after-accept", "after": "handover_accepted", "delay": "P1D", "reminder": "P2D",
                     "expires": "P7D", **survey}],
        "handovers": [{"name": "to-sales", "on": "form_submit",
                       "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk"]},
                       "sla": {"accept_within": "PT4H"}}],
    }
    response = _admin(api, "PUT", "/admin/journey", journey)
    assert response.status_code == 200, response.body


def _accepted_lead(api: Api, email: str | None = None, **fields: Any) -> tuple[str, str]:
    email = email or f"kunde-{uuid.uuid4().hex[:8]}@kunde.dk"
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"email": email, "name": "Karen Holm", **fields}))
    lead_id = str(json_body(response)["lead_id"])
    (handover,) = json_body(_admin(api, "GET", f"/leads/{lead_id}"))["handovers"]
    assert _admin(api, "POST", f"/handovers/{handover['handover_id']}/accept", {}).status_code == 200
    return lead_id, email


def _surveys_to(api: Api, email: str) -> list[str]:
    return [text for to, _, text in api.mailer.sent if to == email]


def _link(text: str, answer: str | None = None) -> str:
    pattern = rf"(/s/[^?\s]+)\?step=0&answer={answer}" if answer else r"(/s/[^?\s]+)\s"
    found = re.search(pattern, text)
    assert found is not None, text
    return found.group(1)


def _post(api: Api, path: str, **fields: str) -> Any:
    return api.client.http.post(path, headers=FORM, body="&".join(f"{k}={v}" for k, v in fields.items()).encode())


def _timeline(api: Api, lead_id: str) -> list[dict[str, Any]]:
    return list(json_body(_admin(api, "GET", f"/leads/{lead_id}"))["timeline"])


def _day_later(api: Api) -> None:
    api.clock.advance(days=1, minutes=1)
    api.run_timers()


def test_a_survey_goes_out_a_day_after_the_accept_with_the_first_question_inline_and_a_one_click_unsubscribe(
        api: Api):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    api.run_timers()
    assert _surveys_to(api, email) == [], "not before its delay"

    _day_later(api)

    (text,) = _surveys_to(api, email)
    assert "Did Nordlys Solar ApS contact you?" in text and "Dear Karen Holm," in text
    assert _link(text, "yes") and _link(text, "no")
    headers = api.mailer.headers[-1]
    assert re.fullmatch(r"<https://api\.leadtrail\.test/u/\S+>", headers["List-Unsubscribe"])
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [event["type"] for event in _timeline(api, lead_id)].count("survey_sent") == 1


def test_opening_every_link_of_the_email_records_nothing(api: Api):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    _day_later(api)
    (text,) = _surveys_to(api, email)

    for url in re.findall(r"https://api\.leadtrail\.test(/\S+)", text):
        answer = api.client.http.get(url)
        assert answer.status_code == 200, url

    types = [event["type"] for event in _timeline(api, lead_id)]
    assert "survey_answered" not in types and "contact_disputed" not in types
    assert json_body(_admin(api, "GET", "/reports/surveys?from=2026-11-23&to=2026-11-30"))["total"]["answered"] == 0
    scored = api.client.http.get(_link(text, "no") + "?step=0&answer=no").body.decode()
    assert 'value="no" checked' in scored, "the e-mail's answer is chosen on the page, not recorded"


def test_the_page_keeps_each_answer_resumes_where_the_person_stopped_and_is_single_use(api: Api):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    _day_later(api)
    link = _link(_surveys_to(api, email)[0])

    first = _post(api, link, step="0", answer="yes", action="next")
    resumed = api.client.http.get(link)

    assert first.status_code == 303 and first.headers["Location"].endswith("?step=1")
    assert "Question 2 of 4" in resumed.body.decode(), "reopening the link resumes at the first unanswered question"
    assert _post(api, link, step="1", answer="week", action="next").status_code == 303
    assert _post(api, link, step="2", answer="10", action="next").status_code == 303
    done = _post(api, link, step="3", answer="Hurtig og venlig betjening", action="send")
    again = _post(api, link, step="2", answer="0", action="next")

    assert done.status_code == 200 and "Thank you for your answers" in done.body.decode()
    assert again.status_code == 200 and "You have already answered" in again.body.decode()
    answered = [event for event in _timeline(api, lead_id) if event["type"] == "survey_answered"]
    assert [(event["question"], event["answer"]) for event in answered] == [
        ("contacted", "yes"), ("how_quickly", "week"), ("recommend", 10),
        ("anything_else", "Hurtig og venlig betjening")]
    report = json_body(_admin(api, "GET", "/reports/surveys?from=2026-11-23&to=2026-11-30&by=owner"))
    (owner,) = report["groups"]
    assert (owner["group"], owner["sent"], owner["answered"], owner["completed"], owner["nps"]) == (
        "sales-a@demo.dk", 1, 1, 1, 100.0)
    assert owner["contacted_yes_rate"] == 1.0 and owner["response_rate"] == 1.0


def test_a_first_answer_counts_even_when_the_person_leaves_and_a_changed_score_replaces_the_first(api: Api):
    _journey(api)
    _, email = _accepted_lead(api)
    _day_later(api)
    link = _link(_surveys_to(api, email)[0])

    _post(api, link, step="0", answer="yes", action="next")
    _post(api, link, step="1", answer="same_day", action="next")
    _post(api, link, step="2", answer="3", action="next")
    _post(api, link, step="2", answer="9", action="back")

    total = json_body(_admin(api, "GET", "/reports/surveys?from=2026-11-23&to=2026-11-30"))["total"]
    assert (total["answered"], total["completed"], total["promoters"], total["detractors"], total["nps"]) == (
        1, 0, 1, 0, 100.0)
    handovers = json_body(_admin(api, "GET", "/reports/handovers?from=2026-11-23&to=2026-11-23"))
    assert (handovers["nps_promoters"], handovers["nps_detractors"], handovers["nps"]) == (1, 0, 100.0)


def test_a_customer_saying_nobody_called_disputes_the_accepted_hand_over(api: Api):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    _day_later(api)
    link = _link(_surveys_to(api, email)[0])

    _post(api, link, step="0", answer="no", action="next")
    _post(api, link, step="0", answer="no", action="next")

    disputed = [event for event in _timeline(api, lead_id) if event["type"] == "contact_disputed"]
    assert len(disputed) == 1 and disputed[0]["owner"] == "sales-a@demo.dk", "once, however often it is sent"
    (told,) = [(to, subject) for to, subject, _ in api.mailer.sent if to == "chef@demo.dk"]
    assert told[1].startswith("The customer says nobody contacted them")
    report = json_body(_admin(api, "GET", "/reports/handovers?from=2026-11-23&to=2026-11-23"))
    assert report["contact_disputes"] == 1 and report["owners"]["sales-a@demo.dk"]["contact_disputes"] == 1
    hooks = [json.loads(body)["type"] for _, body, _ in api.webhooks.posted]
    assert hooks == [], "no webhook configured, none sent"


def test_a_survey_goes_only_to_people_who_may_be_asked_and_once_per_person_in_thirty_days(api: Api):
    _journey(api, basis="consent")
    _, without = _accepted_lead(api)
    _, refused = _accepted_lead(api, consent_survey=False)
    _, willing = _accepted_lead(api, consent_survey=True)
    _day_later(api)

    assert _surveys_to(api, without) == [] and _surveys_to(api, refused) == []
    assert len(_surveys_to(api, willing)) == 1

    api.clock.advance(days=10)
    _accepted_lead(api, email=willing.upper())  # the same person comes back: a new lead's hand-over, same address
    _day_later(api)
    assert len(_surveys_to(api, willing)) == 1, "surveyed ten days ago: this one is skipped"


def test_one_click_unsubscribe_is_honoured_for_every_later_survey_and_its_page_asks_first(api: Api):
    _journey(api, reminder=None)
    _, email = _accepted_lead(api)
    _day_later(api)
    text = _surveys_to(api, email)[0]
    unsubscribe = urlsplit(re.search(r"https://api\.leadtrail\.test(/u/\S+)", text).group(1)).path  # type: ignore

    page = api.client.http.get(unsubscribe)
    clicked = api.client.http.post(unsubscribe, headers=FORM, body=b"List-Unsubscribe=One-Click")
    again = api.client.http.post(unsubscribe, headers=FORM, body=b"List-Unsubscribe=One-Click")

    assert page.status_code == 200 and "No more surveys?" in page.body.decode()
    assert clicked.status_code == 200 and "You will get no more surveys" in clicked.body.decode()
    assert again.status_code == 200
    api.clock.advance(days=40)
    _accepted_lead(api, email=email)
    _day_later(api)
    assert len(_surveys_to(api, email)) == 1, "unsubscribed: no later survey"


def test_one_reminder_goes_out_while_nothing_is_answered(api: Api):
    _journey(api)
    _, email = _accepted_lead(api)
    _day_later(api)
    api.clock.advance(days=2)
    api.run_timers()
    api.clock.advance(days=2)
    api.run_timers()

    texts = _surveys_to(api, email)
    assert len(texts) == 2 and "We would still like to hear" in texts[1]


@pytest.mark.parametrize("mangle", ["tamper", "truncate", "other_purpose"])
def test_a_tampered_or_foreign_link_gets_a_friendly_page_and_records_nothing(api: Api, mangle: str):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    _day_later(api)
    text = _surveys_to(api, email)[0]
    link = _link(text)
    token = link.removeprefix("/s/")
    bad = {"tamper": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"), "truncate": token[:40],
           "other_purpose": re.search(r"/u/(\S+)", text).group(1)}[mangle]  # type: ignore[union-attr]

    opened = api.client.http.get(f"/s/{bad}", headers={"Accept": "text/html"})
    posted = _post(api, f"/s/{bad}", step="0", answer="no", action="next")

    assert opened.status_code == 400 and "This link does not work" in opened.body.decode()
    assert opened.headers["Content-Type"].startswith("text/html")
    assert posted.status_code == 400
    assert "survey_answered" not in [event["type"] for event in _timeline(api, lead_id)]


def test_an_expired_link_says_so_in_the_surveys_language(api: Api):
    _journey(api, language="da")
    _, email = _accepted_lead(api)
    _day_later(api)
    link = _link(_surveys_to(api, email)[0])
    api.clock.advance(days=8)

    page = api.client.http.get(link)

    assert page.status_code == 410 and "Linket er udløbet" in page.body.decode() and 'lang="da"' in page.body.decode()


def test_an_answer_that_is_not_one_shows_the_question_again_naming_the_problem(api: Api):
    _journey(api)
    lead_id, email = _accepted_lead(api)
    _day_later(api)
    link = _link(_surveys_to(api, email)[0])

    refused = _post(api, link, step="2", answer="11", action="next")

    assert refused.status_code == 422 and "Choose a score from 0 to 10." in refused.body.decode()
    assert "survey_answered" not in [event["type"] for event in _timeline(api, lead_id)]


def test_a_journey_with_a_survey_that_does_not_hold_is_refused_naming_the_field(api: Api):
    bad = {"surveys": [{"name": "x", "after": "handover_accepted", "delay": "tomorrow",
                        "questions": [{"id": "q", "type": "choice", "text": {"da": "Hvad?"}}]}]}

    response = _admin(api, "PUT", "/admin/journey", bad)

    assert response.status_code == 422
    fields = {problem["field"] for problem in json_body(response)["fields"]}
    assert {"surveys.0.delay", "surveys.0.questions.0"} <= fields, fields


def test_a_custom_survey_asks_its_own_questions_with_the_placeholders_filled(api: Api):
    _journey(api, questions=[
        {"id": "service", "type": "csat", "text": {"en": "How happy are you with {company}?"}},
        {"id": "called", "type": "yes_no", "text": {"en": "Did {owner} call?"}, "checks_contact": True}])
    _, email = _accepted_lead(api)
    _day_later(api)
    text = _surveys_to(api, email)[0]
    link = _link(text, "4")

    _post(api, link, step="0", answer="4", action="next")
    _post(api, link, step="1", answer="yes", action="send")

    assert "How happy are you with Nordlys Solar ApS?" in text
    total = json_body(_admin(api, "GET", "/reports/surveys?from=2026-11-23&to=2026-11-30"))["total"]
    assert (total["csat"], total["csat_answers"], total["contacted_yes_rate"], total["completed"]) == (1.0, 1, 1.0, 1)
    csv_text = _admin(api, "GET", "/reports/surveys?from=2026-11-23&to=2026-11-30", accept="text/csv").body.decode()
    assert csv_text.splitlines()[0].startswith("survey,sent,answered,completed,response_rate,nps")


def test_the_email_lets_the_customer_withdraw_consent_which_stops_later_surveys(api: Api):
    _journey(api, reminder=None)
    lead_id, email = _accepted_lead(api, consent_survey=True)
    _day_later(api)
    found = re.search(r"https://api\.leadtrail\.test(/c/\S+)", _surveys_to(api, email)[0])
    assert found is not None, "every e-mail to a customer carries the withdraw link"

    opened = api.client.http.get(found.group(1), headers={"Accept-Language": "da"})
    consent_before = json_body(_admin(api, "GET", f"/leads/{lead_id}"))["consent"]
    pressed = api.client.http.post(found.group(1), headers={**FORM, "Accept-Language": "da"}, body=b"")

    assert opened.status_code == 200 and "Træk mit samtykke tilbage" in opened.body.decode()
    assert consent_before["survey"]["granted"] is True, "opening the link changed nothing"
    assert pressed.status_code == 200 and "Dit samtykke er trukket tilbage" in pressed.body.decode()
    lead = json_body(_admin(api, "GET", f"/leads/{lead_id}"))
    assert lead["consent"]["survey"]["granted"] is False and lead["consent"]["share_with_producer"]["granted"] is False
    assert sorted(event["purpose"] for event in lead["timeline"] if event["type"] == "consent_changed") == [
        "share_with_producer", "survey"]
    api.clock.advance(days=40)
    _accepted_lead(api, email=email)
    _day_later(api)
    assert len(_surveys_to(api, email)) == 1, "withdrawn: no later survey"
    assert api.client.http.get(found.group(1) + "x").status_code == 400
