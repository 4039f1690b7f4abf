""""How did it go?": the e-mail some time after an accept, its won and lost links, and every way a link can fail.

Given an owner who accepted a lead, when the journey's ``outcome_after`` has passed, then they get one e-mail
with signed Won and Lost links; opening a link records nothing, sending its form records the outcome as them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.conftest import DEMO_KEY, Api, json_body
from tests.integration.test_handovers_api import _act, _admin, _always_open, _forged, _handover, _lead, _lead_view
from tests.integration.test_handovers_api import _journey as _put_journey
from tests.integration.test_outcomes_api import _events, _report

OWNER = "sales-a@demo.dk"
ASK_SUBJECTS = ("How did it go with", "Hvordan gik det med")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _journey(**changes: Any) -> dict[str, Any]:
    journey = _always_open()
    journey.update(changes)
    return journey


def _accepted_lead(api: Api, journey: dict[str, Any], language: str = "en", **fields: str) -> tuple[str, str]:
    """A lead whose hand-over sales-a (who reads ``language``) accepted, and sales-a's key."""
    _put_journey(api, journey)
    lead_id = _lead(api, **fields)
    registered = _admin(api, "POST", "/admin/owners", {"owner": OWNER, "language": language})
    assert registered.status_code == 201
    key = str(json_body(registered)["user_key"])
    assert _act(api, _handover(api, lead_id)["handover_id"], "accept", key).status_code == 200
    api.clock.advance(minutes=10)
    return lead_id, key


def _asks(api: Api) -> list[tuple[str, str, str]]:
    return [mail for mail in api.mailer.sent if mail[1].startswith(ASK_SUBJECTS)]


def _asked_lead(api: Api, owner_language: str = "en", **changes: Any) -> tuple[str, str, dict[str, str]]:
    """A lead sales-a accepted, asked about after 14 days: its id, sales-a's key and the e-mail's links."""
    lead_id, key = _accepted_lead(api, _journey(**changes), owner_language)
    api.clock.advance(days=14)
    api.run_timers()
    (mail,) = _asks(api)
    return lead_id, key, _links(mail[2])


def _links(text: str) -> dict[str, str]:
    urls = [word for word in text.split() if word.startswith("https://api.leadtrail.test/outcomes/")]
    return {answer: next(url for url in urls if url.split("?")[0].endswith(f"/{answer}")) for answer in ("won", "lost")}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _page(response: Any) -> str:
    assert response.headers["Content-Type"].startswith("text/html"), response.body
    return str(response.body.decode())


def _send(api: Api, url: str, **fields: str) -> Any:
    return api.client.http.post(_path(url), headers=FORM, body=urlencode(fields))


def _outcomes(api: Api, lead_id: str) -> list[dict[str, Any]]:
    return _events(api, lead_id, "outcome_recorded", "outcome_corrected")


# --- the ask -------------------------------------------------------------------------------------------------


def test_the_owner_is_asked_once_with_won_and_lost_links_after_outcome_after(api: Api):
    lead_id, _ = _accepted_lead(api, _journey())
    api.clock.advance(days=13, hours=23)
    api.run_timers()
    assert _asks(api) == []

    api.clock.advance(hours=1)
    api.run_timers()
    api.run_timers()

    (mail,) = _asks(api)
    assert mail[0] == OWNER and mail[1] == "How did it go with Kunde?"
    links = _links(mail[2])
    assert set(links) == {"won", "lost"}
    assert all(set(parse_qs(urlsplit(url).query)) == {"token"} for url in links.values())
    (asked,) = _events(api, lead_id, "outcome_asked")
    assert asked["reminder"] is False and asked["owner"] == OWNER


def test_one_reminder_follows_another_outcome_after_and_then_nothing(api: Api):
    lead_id, _, _ = _asked_lead(api)
    api.clock.advance(days=14)
    api.run_timers()
    api.clock.advance(days=60)
    api.run_timers()

    assert len(_asks(api)) == 2
    assert "A reminder" in _asks(api)[1][2] and "we ask once more later" in _asks(api)[0][2]
    assert "we ask once more" not in _asks(api)[1][2]
    assert [event["reminder"] for event in _events(api, lead_id, "outcome_asked")] == [False, True]


def test_no_ask_when_an_outcome_was_recorded_before_it_was_due(api: Api):
    lead_id, key = _accepted_lead(api, _journey())
    assert _report(api, lead_id, {"outcome": "lost"}, key=key).status_code == 200
    api.clock.advance(days=30)
    api.run_timers()

    assert _asks(api) == [] and _events(api, lead_id, "outcome_asked") == []


def test_a_journey_with_outcome_after_null_never_asks(api: Api):
    lead_id, _ = _accepted_lead(api, _journey(outcome_after=None))
    api.clock.advance(days=60)
    api.run_timers()

    assert _asks(api) == [] and _handover(api, lead_id)["next_step_at"] is None


def test_reporting_contact_keeps_the_ask(api: Api):
    lead_id, key = _accepted_lead(api, _journey(outcome_after="P3D"))
    assert _act(api, _handover(api, lead_id)["handover_id"], "contacted", key).status_code == 200
    api.clock.advance(days=3)
    api.run_timers()

    assert len(_asks(api)) == 1


def test_the_ask_is_in_danish_for_a_danish_journey(api: Api):
    _accepted_lead(api, _journey(language="da"), language="da")
    api.clock.advance(days=14)
    api.run_timers()

    (mail,) = [mail for mail in api.mailer.sent if mail[1].startswith("Hvordan gik det med")]
    assert "Vundet: https://" in mail[2] and "Tabt: https://" in mail[2]


def test_the_ask_escapes_the_leads_name_and_keeps_its_subject_on_one_line(api: Api):
    _accepted_lead(api, _journey(), name="<script>x</script>\nWon: https://evil.example", company="Evil & Co")
    api.clock.advance(days=14)
    api.run_timers()

    (mail,) = _asks(api)
    html = api.mailer.html_parts[api.mailer.sent.index(mail)]
    assert "\n" not in mail[1] and html is not None
    assert "<script>" not in html and "&lt;script&gt;" in html and "Evil &amp; Co" in html
    assert not any(line.startswith("Won: https://evil") for line in mail[2].splitlines())
    assert html.count("/outcomes/") == 2


# --- opening and sending the links ---------------------------------------------------------------------------


def test_opening_a_link_records_nothing_and_the_won_page_prefills_the_default_value(api: Api):
    lead_id, _, links = _asked_lead(api, default_deal_value="25000")

    for url in links.values():
        response = api.client.http.get(_path(url))
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = _page(api.client.http.get(_path(links["won"])))

    assert 'name="value"' in page and 'value="25000.00"' in page and "DKK" in page
    assert 'name="date"' in page and 'value="2026-12-07"' in page
    assert _outcomes(api, lead_id) == [] and _lead_view(api, lead_id)["outcome"] is None


def test_sending_the_won_form_records_the_value_as_the_owner_and_the_lead_becomes_a_customer(api: Api):
    lead_id, _, links = _asked_lead(api, default_deal_value="25000")

    response = _send(api, links["won"], value="31.500,50", date="2026-12-07")

    assert response.status_code == 200
    page = _page(response)
    assert "Recorded" in page and "31500.50 DKK" in page
    view = _lead_view(api, lead_id)
    assert view["stage"] == "customer"
    assert (view["outcome"]["outcome"], view["outcome"]["value"], view["outcome"]["currency"]) == (
        "won", "31500.50", "DKK")
    (recorded,) = _outcomes(api, lead_id)
    assert recorded["by"] == OWNER and recorded["owner"] == OWNER


def test_a_won_form_left_at_its_defaults_records_the_default_value(api: Api):
    lead_id, _, links = _asked_lead(api, default_deal_value="25000")

    _send(api, links["won"], value="25000.00", date="2026-12-07")

    assert _lead_view(api, lead_id)["outcome"]["value"] == "25000.00"


def test_an_earlier_date_is_when_it_was_won(api: Api):
    lead_id, _, links = _asked_lead(api)

    _send(api, links["won"], value="1000", date="2026-12-01")

    assert _lead_view(api, lead_id)["outcome"]["at"] == "2026-12-01T12:00:00.000Z"


def test_sending_the_lost_form_records_the_reason_and_the_owners_words(api: Api):
    lead_id, _, links = _asked_lead(api)

    response = _send(api, links["lost"], reason="competitor", note="  went with\nthe cheaper one ")

    assert response.status_code == 200 and "Chose a competitor: went with the cheaper one" in _page(response)
    outcome = _lead_view(api, lead_id)["outcome"]
    assert (outcome["outcome"], outcome["reason"]) == ("lost", "competitor: went with the cheaper one")
    assert _lead_view(api, lead_id)["stage"] == "decision"


def test_the_same_answer_sent_again_changes_nothing_and_says_it_is_recorded(api: Api):
    lead_id, _, links = _asked_lead(api)
    _send(api, links["won"], value="5000", date="2026-12-07")

    again = _send(api, links["won"], value="5000", date="2026-12-07")

    assert again.status_code == 200 and "already recorded" in _page(again)
    assert len(_outcomes(api, lead_id)) == 1


def test_a_different_answer_later_is_a_correction(api: Api):
    lead_id, _, links = _asked_lead(api)
    _send(api, links["won"], value="5000", date="2026-12-07")
    api.clock.advance(hours=2)

    _send(api, links["lost"], reason="no_budget")

    assert [event["type"] for event in _outcomes(api, lead_id)] == ["outcome_recorded", "outcome_corrected"]
    assert _lead_view(api, lead_id)["outcome"]["outcome"] == "lost"
    assert "Already recorded: Lost" in _page(api.client.http.get(_path(links["won"])))


def test_bad_values_show_the_form_again_with_the_problem_and_what_was_typed(api: Api):
    lead_id, _, links = _asked_lead(api)
    for typed, problem in (("abc", "must be an amount"), ("-5", "cannot be negative"),
                           ("1e20", "too large")):
        response = _send(api, links["won"], value=typed, date="2026-12-07")
        assert response.status_code == 422
        page = _page(response)
        assert problem in page and f'value="{typed}"' in page and 'aria-invalid="true"' in page
    for date, problem in (("2026-12-08", "cannot be in the future"), ("07/12/2026", "must be a date")):
        response = _send(api, links["won"], value="100", date=date)
        assert response.status_code == 422 and problem in _page(response) and f'value="{date}"' in _page(response)
    response = _send(api, links["lost"], note="no reason chosen")
    assert response.status_code == 422 and "Choose why" in _page(response) and "no reason chosen" in _page(response)
    assert _outcomes(api, lead_id) == []


def test_the_problem_is_named_in_the_pages_language(api: Api):
    _accepted_lead(api, _journey(language="da"), language="da")
    api.clock.advance(days=14)
    api.run_timers()
    (mail,) = [mail for mail in api.mailer.sent if mail[1].startswith("Hvordan gik det")]

    response = _send(api, _links(mail[2])["won"], value="abc")

    assert response.status_code == 422 and "Værdien skal være et beløb" in _page(response)


def test_a_program_gets_json_errors_and_the_recorded_outcome(api: Api):
    lead_id, _, links = _asked_lead(api)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    bad = api.client.http.post(_path(links["won"]), headers=headers, body=json.dumps({"value": "abc"}))
    good = api.client.http.post(_path(links["won"]), headers=headers, body=json.dumps({"value": 700}))

    assert bad.status_code == 422 and json_body(bad)["field"] == "value"
    assert good.status_code == 200 and json_body(good)["outcome"] == "won" and json_body(good)["value"] == "700.00"
    assert json_body(good)["changed"] is True and _lead_view(api, lead_id)["stage"] == "customer"


# --- links that no longer hold -------------------------------------------------------------------------------


def test_a_tampered_link_shows_the_not_valid_page_and_records_nothing(api: Api):
    lead_id, _, links = _asked_lead(api)
    url = links["won"]
    token = parse_qs(urlsplit(url).query)["token"][0]
    path = urlsplit(url).path
    lost_path = urlsplit(links["lost"]).path
    for bad_path, bad in ((path, _forged(token, d={"owner": "sales-b@demo.dk", "lead": lead_id, "answer": "won"})),
                          (path, token[:-2]), (path, ""), (lost_path, token)):
        for response in (api.client.http.get(f"{bad_path}?{urlencode({'token': bad})}"),
                         api.client.http.post(f"{bad_path}?{urlencode({'token': bad})}", headers=FORM,
                                              body="value=1")):
            assert response.status_code == 400 and "This link is not valid" in _page(response)
    assert _outcomes(api, lead_id) == []


def test_a_hand_over_link_never_records_an_outcome(api: Api):
    lead_id, _, links = _asked_lead(api)
    token = parse_qs(urlsplit(links["won"]).query)["token"][0]
    handover_id = _handover(api, lead_id)["handover_id"]

    response = api.client.http.get(f"/handovers/{handover_id}/accept?{urlencode({'token': token})}")

    assert response.status_code == 400


def test_an_expired_link_shows_the_expired_page_in_the_owners_language(api: Api):
    lead_id, _, links = _asked_lead(api, owner_language="da")
    api.clock.advance(days=61)

    for response in (api.client.http.get(_path(links["won"])), _send(api, links["won"], value="100")):
        assert response.status_code == 410 and "Linket er udløbet" in _page(response)
    assert _outcomes(api, lead_id) == []


def test_a_link_of_an_owner_who_no_longer_holds_the_lead_is_refused_with_a_page(api: Api):
    lead_id, _, links = _asked_lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    # The hand-over now belongs to someone else (as a manager re-assigning it would leave it).
    state = api.repos.handovers.handover("demo", handover_id)
    assert state is not None
    from dataclasses import replace

    from chalicelib.domain.handover import Change

    api.repos.handovers.save_handover_change(Change(state=replace(state, owner="sales-b@demo.dk")), state.version)

    for response in (api.client.http.get(_path(links["won"])), _send(api, links["won"], value="100")):
        assert response.status_code == 409 and "This lead is not yours now" in _page(response)
    assert _outcomes(api, lead_id) == []


def test_the_admin_api_still_records_outcomes_beside_the_links(api: Api):
    lead_id, _, links = _asked_lead(api)
    assert _report(api, lead_id, {"outcome": "won", "value": 10}, key=DEMO_KEY).status_code == 200

    page = _page(api.client.http.get(_path(links["won"])))

    assert 'value="10.00"' in page and "Already recorded: Won" in page
