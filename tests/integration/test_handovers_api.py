"""Hand-over contracts through the HTTP API: definition, routing, ladder, actions, links, reports."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from chalicelib.domain.webhooks import new_secret
from chalicelib.services.webhook_port import Delivery
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, Api, json_body

JOURNEY: dict[str, Any] = {
    "stages": ["awareness", "consideration", "decision", "customer"],
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk", "sales-b@demo.dk"]},
        "sla": {"accept_within": "PT4H", "contact_within": "PT24H", "calendar": "dk-business-hours"},
        "escalation": [
            {"at": "50%", "action": "remind"},
            {"at": "100%", "action": "escalate", "to": "manager@demo.dk"},
            {"at": "150%", "action": "reassign"},
            {"at": "200%", "action": "gap"},
        ],
    }],
}


def _admin(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return api.client.http.request(method, path, headers=headers,
                                   body=json.dumps(body).encode() if body is not None else b"")


def _journey(api: Api, journey: dict[str, Any] | None = None) -> None:
    response = _admin(api, "PUT", "/admin/journey", journey or JOURNEY)
    assert response.status_code == 200, response.body


def _always_open(**sla: str) -> dict[str, Any]:
    journey = copy.deepcopy(JOURNEY)
    journey["handovers"][0]["sla"] = {"accept_within": "PT4H", **sla}
    return journey


def _lead(api: Api, **fields: str) -> str:
    email = f"lead-{uuid.uuid4().hex[:8]}@kunde.dk"
    response = api.client.http.post(
        "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
        body=json.dumps({"email": email, "name": "Kunde", **fields}),
    )
    assert response.status_code == 201, response.body
    return str(json_body(response)["lead_id"])


def _lead_view(api: Api, lead_id: str) -> dict[str, Any]:
    return dict(json_body(_admin(api, "GET", f"/leads/{lead_id}")))


def _handover(api: Api, lead_id: str) -> dict[str, Any]:
    (handover,) = _lead_view(api, lead_id)["handovers"]
    return dict(handover)


def _owner_key(api: Api, owner: str) -> str:
    response = _admin(api, "POST", "/admin/owners", {"owner": owner, "language": "da"})
    assert response.status_code == 201
    return str(json_body(response)["user_key"])


def _act(api: Api, handover_id: str, action: str, key: str, body: dict[str, Any] | None = None) -> Any:
    return _admin(api, "POST", f"/handovers/{handover_id}/{action}", body or {}, key=key)


def _types(api: Api, lead_id: str) -> list[str]:
    return [event["type"] for event in _lead_view(api, lead_id)["timeline"]]


# --- journey definition --------------------------------------------------------------------------


def test_the_example_definition_is_accepted_as_written_and_read_back(api: Api):
    _journey(api)
    body = json_body(_admin(api, "GET", "/admin/journey"))
    assert body["definition"]["handovers"][0]["sla"] == JOURNEY["handovers"][0]["sla"]
    assert body["version"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda j: j["handovers"][0]["sla"].update(accept_within="4 hours"), "handovers.0.sla.accept_within"),
        (lambda j: j["handovers"][0]["sla"].update(calendar="mars-hours"), "handovers.0.sla.calendar"),
        (lambda j: j.update(calendars={"mine": {"timezone": "Mars/Olympus"}}), "calendars"),
        (lambda j: j["handovers"][0]["escalation"][1].pop("to"), "handovers.0.escalation.1"),
        (lambda j: j["handovers"][0]["escalation"][0].update(at="soon"), "handovers.0.escalation.0.at"),
        (lambda j: j["handovers"][0]["route"].update(strategy="lottery"), "handovers.0.route"),
        (lambda j: j["handovers"][0]["route"].update(owners=[]), "handovers.0.route.round_robin.owners"),
        (lambda j: j.update(stages=["a", "a"]), "stages"),
    ],
)
def test_an_invalid_definition_names_the_field_and_the_previous_one_stays(api: Api, change, field):
    _journey(api)
    broken = copy.deepcopy(JOURNEY)
    change(broken)
    response = _admin(api, "PUT", "/admin/journey", broken)
    assert response.status_code == 422
    assert json_body(response)["field"] == field
    assert json_body(_admin(api, "GET", "/admin/journey"))["version"] == 1


def test_only_admins_may_change_the_journey(api: Api):
    response = api.client.http.put("/admin/journey", headers={"Content-Type": "application/json"},
                                   body=json.dumps(JOURNEY))
    assert response.status_code == 401


# --- starting and routing ------------------------------------------------------------------------


def test_form_submission_starts_a_handover_in_the_same_write(api: Api):
    _journey(api)
    lead_id = _lead(api)
    handover = _handover(api, lead_id)
    assert handover["status"] == "offered"
    assert handover["owner"] == "sales-a@demo.dk"
    # Monday 23 Nov 2026 09:30 UTC is 10:30 in Copenhagen: 4 business hours later is 14:30 local
    assert handover["due_at"] == "2026-11-23T13:30:00.000Z"
    assert _types(api, lead_id) == ["form_submit", "stage_change", "handover_started"]
    assert api.timers.started == [("demo", handover["handover_id"], "2026-11-23T09:30:00.000Z")]


def test_round_robin_gives_consecutive_leads_to_alternating_owners(api: Api):
    _journey(api)
    owners = [_handover(api, _lead(api))["owner"] for _ in range(4)]
    assert owners == ["sales-a@demo.dk", "sales-b@demo.dk", "sales-a@demo.dk", "sales-b@demo.dk"]


def test_a_form_sent_again_or_refused_for_a_reused_key_moves_nobodys_round_robin_turn(api: Api):
    _journey(api)
    sent = {"email": f"lead-{uuid.uuid4().hex[:8]}@kunde.dk", "name": "Kunde"}
    headers = {"Content-Type": "application/json", "Origin": DEMO_ORIGIN, "Idempotency-Key": "rr-" + uuid.uuid4().hex}
    first = api.client.http.post("/forms/demo", headers=headers, body=json.dumps(sent))
    assert first.status_code == 201
    # a double click sends the same form again; another person's form comes under the same key
    again = api.client.http.post("/forms/demo", headers=headers, body=json.dumps(sent))
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    other = {"email": f"other-{uuid.uuid4().hex[:8]}@kunde.dk"}  # a new person: their lead would take a turn
    reused = api.client.http.post("/forms/demo", headers=headers, body=json.dumps(other))
    assert (reused.status_code, json_body(reused)["error"]) == (422, "idempotency_key_reused")
    assert json_body(_admin(api, "GET", f"/leads?email={other['email'].replace('@', '%40')}"))["leads"] == []

    owners = [_handover(api, lead)["owner"] for lead in (str(json_body(first)["lead_id"]), _lead(api), _lead(api))]
    assert owners == ["sales-a@demo.dk", "sales-b@demo.dk", "sales-a@demo.dk"]


def test_a_returning_lead_does_not_start_a_second_handover(api: Api):
    _journey(api)
    email = f"same-{uuid.uuid4().hex[:6]}@kunde.dk"
    for message in ("first", "second"):
        api.clock.advance(minutes=5)
        api.client.http.post("/forms/demo", headers={"Content-Type": "application/json"},
                             body=json.dumps({"email": email, "message": message}))
    lead = json_body(_admin(api, "GET", f"/leads?email={email.replace('@', '%40')}"))["leads"][0]
    assert len(_lead_view(api, lead["lead_id"])["handovers"]) == 1


def test_match_route_sends_leads_by_postcode_with_a_fallback(api: Api):
    journey = _always_open()
    journey["handovers"][0]["route"] = {
        "strategy": "match", "field": "postcode",
        "rules": [{"range": ["1000", "4999"], "owner": "east@demo.dk"},
                  {"range": ["5000", "9999"], "owner": "west@demo.dk"}],
        "fallback": "desk@demo.dk",
    }
    _journey(api, journey)
    assert _handover(api, _lead(api, postcode="2100"))["owner"] == "east@demo.dk"
    assert _handover(api, _lead(api, postcode="8000"))["owner"] == "west@demo.dk"
    assert _handover(api, _lead(api))["owner"] == "desk@demo.dk"


# --- the ladder ----------------------------------------------------------------------------------


def test_the_ladder_reminds_escalates_reassigns_and_flags_a_gap_on_time(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()  # step 0: the owner is told
    assert api.mailer.sent[-1][0] == "sales-a@demo.dk"

    api.clock.advance(hours=2)
    api.run_timers()
    api.clock.advance(hours=2)
    api.run_timers()
    api.clock.advance(hours=2)
    api.run_timers()
    assert _handover(api, lead_id)["owner"] == "sales-b@demo.dk"
    api.clock.advance(hours=2)
    api.run_timers()

    assert _types(api, lead_id) == ["form_submit", "stage_change", "handover_started", "notified", "reminded",
                                    "sla_breached", "escalated", "reassigned", "notified", "gap"]
    assert _handover(api, lead_id)["status"] == "gap"
    recipients = [to for to, _, _ in api.mailer.sent]
    # the last e-mail announces the gap to the ladder's escalation target
    assert recipients == ["sales-a@demo.dk", "sales-a@demo.dk", "manager@demo.dk", "sales-b@demo.dk",
                          "manager@demo.dk"]
    assert api.timers.pending == {}


def test_nothing_fires_before_it_is_due(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(hours=1, minutes=59)
    api.run_timers()
    assert "reminded" not in _types(api, lead_id)


def test_the_deadline_handler_is_idempotent(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    api.clock.advance(hours=3)
    first = api.wiring.handovers.fire_due("demo", handover_id)
    again = api.wiring.handovers.fire_due("demo", handover_id)
    assert first == again == "2026-11-23T13:30:00.000Z"
    assert _types(api, lead_id).count("reminded") == 1


def test_a_lost_timer_is_caught_by_the_sweep(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.timers.pending.clear()  # the execution never started
    api.clock.advance(hours=2, minutes=5)
    assert api.wiring.handovers.sweep() == 1
    assert {"notified", "reminded"} <= set(_types(api, lead_id))


def test_the_sweep_lambda_and_the_deadline_lambda_run_from_their_events(api: Api):
    from app import handover_deadline, handover_sweep

    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    answer = handover_deadline({"tenant_id": "demo", "handover_id": handover_id, "due_at": "x"}, None)
    assert answer == {"tenant_id": "demo", "handover_id": handover_id, "due_at": "2026-11-23T11:30:00.000Z"}
    api.clock.advance(hours=3)
    result = api.client.lambda_.invoke(
        "handover_sweep", api.client.events.generate_cw_event("Scheduled Event", "aws.events", {}, [])
    )
    assert result.payload == {"fired": 1, "folded": 0}
    assert handover_sweep is not None


# --- actions ---------------------------------------------------------------------------------------


def test_owner_accepts_in_time_and_the_lead_moves_to_decision(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    key = _owner_key(api, "sales-a@demo.dk")
    api.clock.advance(hours=1)

    response = _act(api, handover_id, "accept", key)

    assert response.status_code == 200
    assert json_body(response)["status"] == "accepted"
    lead = _lead_view(api, lead_id)
    assert lead["stage"] == "decision"
    accepted = [event for event in lead["timeline"] if event["type"] == "accepted"][0]
    assert accepted["late"] is False and accepted["by"] == "owner"


def test_a_second_accept_changes_nothing(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    key = _owner_key(api, "sales-a@demo.dk")
    _act(api, handover_id, "accept", key)
    again = _act(api, handover_id, "accept", key)
    assert again.status_code == 200 and json_body(again)["changed"] is False
    assert _types(api, lead_id).count("accepted") == 1


def test_a_late_accept_is_allowed_and_recorded_as_late(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    api.clock.advance(hours=5)
    _act(api, handover_id, "accept", _owner_key(api, "sales-a@demo.dk"))
    assert _handover(api, lead_id)["accepted_late"] is True


def test_decline_reroutes_to_the_next_owner_and_never_back(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    a_key, b_key = _owner_key(api, "sales-a@demo.dk"), _owner_key(api, "sales-b@demo.dk")

    first = _act(api, handover_id, "decline", a_key, {"reason": "ikke mit område"})
    assert json_body(first)["owner"] == "sales-b@demo.dk"
    assert api.mailer.sent[-1][0] == "sales-b@demo.dk"
    second = _act(api, handover_id, "decline", b_key)

    assert json_body(second)["status"] == "gap"
    assert _types(api, lead_id)[-5:] == ["declined", "reassigned", "notified", "declined", "gap"]


def test_someone_else_cannot_act_on_the_handover_it_does_not_exist_for_them(api: Api):
    _journey(api, _always_open())
    handover_id = _handover(api, _lead(api))["handover_id"]
    response = _act(api, handover_id, "accept", _owner_key(api, "sales-b@demo.dk"))
    assert response.status_code == 404
    assert json_body(response)["field"] == "handover_id"


def test_an_admin_may_act_for_the_owner_and_it_is_recorded(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    _act(api, _handover(api, lead_id)["handover_id"], "accept", DEMO_KEY)
    accepted = [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == "accepted"][0]
    assert accepted["by"] == "admin"


def test_contacted_needs_an_accept_first(api: Api):
    _journey(api, _always_open(contact_within="PT24H"))
    lead_id = _lead(api)
    handover_id = _handover(api, lead_id)["handover_id"]
    key = _owner_key(api, "sales-a@demo.dk")
    assert _act(api, handover_id, "contacted", key).status_code == 409
    _act(api, handover_id, "accept", key)
    assert json_body(_act(api, handover_id, "contacted", key))["status"] == "contacted"


@pytest.mark.parametrize("key", [OTHER_KEY, DEMO_KEY])
def test_unknown_or_foreign_handovers_are_404(api: Api, key: str):
    _journey(api, _always_open())
    handover_id = _handover(api, _lead(api))["handover_id"]
    target = handover_id if key == OTHER_KEY else "ho_doesnotexist"
    response = _act(api, target, "accept", key)
    assert response.status_code == 404


def test_unknown_action_and_bad_reason_are_refused(api: Api):
    _journey(api, _always_open())
    handover_id = _handover(api, _lead(api))["handover_id"]
    assert _act(api, handover_id, "snooze", DEMO_KEY).status_code == 422
    response = _act(api, handover_id, "decline", DEMO_KEY, {"reason": "x" * 501})
    assert (response.status_code, json_body(response)["field"]) == (422, "reason")


# --- signed links ----------------------------------------------------------------------------------


def _links(api: Api, mail: int = -1) -> tuple[str, str]:
    text = api.mailer.sent[mail][2]
    urls = [word for word in text.split() if word.startswith("https://api.leadtrail.test/handovers/")]
    accept_url = next(url for url in urls if "/accept?" in url)
    decline_url = next(url for url in urls if "/decline?" in url)
    return accept_url, decline_url


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_signed_link_shows_a_page_on_get_and_acts_only_on_post(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)

    page = api.client.http.get(_path(accept_url))
    assert page.status_code == 200 and b"<form method=\"post\"" in page.body
    assert _handover(api, lead_id)["status"] == "offered"  # a link scanner's GET accepts nothing

    done = api.client.http.post(_path(accept_url), headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body="")
    assert done.status_code == 200
    handover = _handover(api, lead_id)
    assert handover["status"] == "accepted" and handover["accepted_by"] == "link"


def _post(api: Api, path: str, body: str = "") -> Any:
    return api.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _with_token(url: str, token: str) -> str:
    return f"{urlsplit(url).path}?{urlencode({'token': token})}"


def _page_text(response: Any) -> str:
    assert response.headers["Content-Type"].startswith("text/html"), response.body
    return str(response.body.decode())


def _forged(token: str, **claims: Any) -> str:
    """The token with its payload changed and its signature kept."""
    payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    return base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode() + "." + signature


def test_a_link_carries_one_token_and_the_page_does_not_leak_it(api: Api):
    _journey(api, _always_open())
    _lead(api)
    api.run_timers()
    accept_url, decline_url = _links(api)
    assert set(parse_qs(urlsplit(accept_url).query)) == {"token"} and _token(accept_url) != _token(decline_url)
    page = api.client.http.get(_path(accept_url))
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert f'action="?{urlencode({"token": _token(accept_url)})}"' in _page_text(page)


def test_a_tampered_link_is_refused_with_a_page_and_changes_nothing(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)
    token = _token(accept_url)
    for bad in (_forged(token, d={"owner": "sales-b@demo.dk", "action": "accept"}), _forged(token, e=2**40),
                token[:-2], token + "A", ""):
        for answer in (api.client.http.get(_with_token(accept_url, bad)), _post(api, _with_token(accept_url, bad))):
            assert answer.status_code == 400
            assert "This link is not valid" in _page_text(answer)
    assert _handover(api, lead_id)["status"] == "offered"


def test_an_expired_link_shows_a_page_that_says_it_has_expired_and_acts_on_nothing(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)
    api.clock.advance(days=15)
    for answer in (api.client.http.get(_path(accept_url)), _post(api, _path(accept_url))):
        assert answer.status_code == 410
        page = _page_text(answer)
        assert "This link has expired" in page and "not valid" not in page
    assert _handover(api, lead_id)["status"] == "offered"


def test_an_expired_link_answers_in_the_tenants_language(api: Api):
    _journey(api, {**_always_open(), "language": "da"})
    _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)
    api.clock.advance(days=15)
    page = _page_text(api.client.http.get(_path(accept_url)))
    assert '<html lang="da">' in page and "Linket er udløbet" in page and "expired" not in page


def test_the_link_pages_speak_the_owners_language_in_one_language(api: Api):
    _journey(api, _always_open())
    _owner_key(api, "sales-a@demo.dk")  # registered with language da; the journey is in English
    lead_id = _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)
    page = _page_text(api.client.http.get(_path(accept_url)))
    assert "Acceptér leadet" in page and "Accept lead" not in page
    done = _page_text(_post(api, _path(accept_url)))
    assert "Leadet er dit" in done and "yours" not in done
    assert _handover(api, lead_id)["status"] == "accepted"


def test_a_link_for_one_handover_or_action_never_works_for_another(api: Api):
    _journey(api, _always_open())
    first, second = _lead(api), _lead(api)
    api.run_timers()
    accept_first, decline_first = _links(api, -2)
    first_id, second_id = _handover(api, first)["handover_id"], _handover(api, second)["handover_id"]
    token = _token(accept_first)
    assert f"/handovers/{first_id}/accept?" in accept_first
    for path in (f"/handovers/{second_id}/accept", f"/handovers/{first_id}/decline",
                 f"/handovers/{first_id}/contacted"):
        assert api.client.http.get(f"{path}?token={token}").status_code == 400
        refused = _post(api, f"{path}?token={token}")
        assert refused.status_code == 400 and "This link is not valid" in _page_text(refused)
    assert _post(api, _with_token(accept_first, _token(decline_first))).status_code == 400
    assert _handover(api, first)["status"] == "offered" and _handover(api, second)["status"] == "offered"


def test_a_declined_link_asks_for_a_reason_and_hands_the_lead_on(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    _, decline_url = _links(api)
    assert 'name="reason"' in _page_text(api.client.http.get(_path(decline_url)))
    done = _post(api, _path(decline_url), urlencode({"reason": "Ferie / on holiday"}))
    assert done.status_code == 200 and "You have declined the lead" in _page_text(done)
    handover = _handover(api, lead_id)
    assert handover["status"] == "offered" and handover["owner"] == "sales-b@demo.dk"
    again = _post(api, _path(decline_url))
    assert again.status_code == 200 and "You have declined the lead" in _page_text(again)


def test_a_link_signed_with_the_previous_key_still_works_after_rotation_and_a_retired_key_does_not(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    api.run_timers()
    accept_url, _ = _links(api)
    api.wiring.settings = api.wiring.settings.model_copy(update={"link_secret": "retired-soon"})
    del api.wiring.links  # a deploy with other secrets: the container builds its links from settings again
    assert api.client.http.get(_path(accept_url)).status_code == 400

    api.wiring.settings = api.wiring.settings.model_copy(
        update={"link_secret": "rotated-secret", "link_secret_previous": ("test-link-secret",)})
    del api.wiring.links
    assert api.client.http.get(_path(accept_url)).status_code == 200
    assert _post(api, _path(accept_url)).status_code == 200
    assert _handover(api, lead_id)["status"] == "accepted"


@pytest.mark.parametrize("query", [
    "token=" + quote("ſig.ſig"), "token=" + quote("é" * 60), "token=" + quote("\r\n"), "token=" + "A" * 5000,
    "t=demo&owner=sales-a%40demo.dk&exp=9999999999&sig=" + quote("ſ٣é"), "",
])
def test_a_link_with_a_strange_or_old_style_token_answers_400_with_a_page_not_a_500(api: Api, query: str):
    _journey(api, _always_open())
    handover_id = _handover(api, _lead(api))["handover_id"]
    answer = api.client.http.get(f"/handovers/{handover_id}/accept?{query}")
    assert answer.status_code == 400 and "This link is not valid" in _page_text(answer)
    if "token=" in query:
        posted = _post(api, f"/handovers/{handover_id}/accept?{query}")
        assert posted.status_code == 400 and "This link is not valid" in _page_text(posted)


def test_the_offer_email_escapes_a_hostile_name_and_keeps_the_subject_on_one_line(api: Api):
    _journey(api, _always_open())
    _lead(api, name='Bo\r\nAccept: https://evil.example <a href="https://evil.example">Accept</a>')
    api.run_timers()
    _, subject, text = api.mailer.sent[-1]
    html = api.mailer.html_parts[-1] or ""
    assert "\n" not in subject and "\r" not in subject and subject.startswith("New lead for you: Bo")
    accept_url, _ = _links(api)
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("Accept")] == [f"Accept: {accept_url}"]
    assert "evil.example" not in "\n".join(lines[:lines.index(f"Accept: {accept_url}") + 2])
    assert '<a href="https://evil.example">' not in html
    assert "&lt;a href=&#34;https://evil.example&#34;&gt;Accept&lt;/a&gt;" in html
    assert f'href="{accept_url}"' in html


# --- webhooks ------------------------------------------------------------------------------------


WEBHOOK_SECRET = new_secret()


def _with_webhook() -> dict[str, Any]:
    journey = _always_open()
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks/leadtrail", "secret": WEBHOOK_SECRET}
    return journey


def test_the_owner_is_also_told_by_a_signed_webhook(api: Api):
    _journey(api, _with_webhook())
    _lead(api)
    api.run_timers()
    url, body, headers = next(post for post in api.webhooks.posted if json.loads(post[1])["type"] == "handover.offered")
    assert url == "https://crm.demo.dk/hooks/leadtrail"
    # Signed as the Standard Webhooks library signs (the frozen clock is too old for its verify()).
    sent_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    assert headers["webhook-signature"] == StandardWebhook(WEBHOOK_SECRET).sign(headers["webhook-id"], sent_at, body)
    assert json_body(_admin(api, "GET", "/admin/journey"))["definition"]["webhook"]["secret"] == "********"


def test_a_failing_webhook_is_retried_then_dead_lettered_and_can_be_replayed(api: Api):
    _journey(api, _with_webhook())
    _lead(api)
    api.webhooks.posted.clear()
    api.webhooks.outcomes = [500, 502, Delivery.failed("connection_failed"), 503]
    api.run_timers()
    assert len(api.webhooks.posted) == 4
    letters = json_body(_admin(api, "GET", "/admin/webhooks/dead-letters"))["dead_letters"]
    assert len(letters) == 1 and letters[0]["last_error"] == "http_503"

    replay = _admin(api, "POST", f"/admin/webhooks/dead-letters/{letters[0]['letter_id']}/replay")
    assert json_body(replay)["delivered"] is True
    # Every attempt and the replay carry one webhook-id, so the receiver can drop what it already has.
    assert len({headers["webhook-id"] for _, _, headers in api.webhooks.posted}) == 1
    assert json_body(_admin(api, "GET", "/admin/webhooks/dead-letters"))["dead_letters"] == []


# --- reports ---------------------------------------------------------------------------------------


def test_the_report_counts_outcomes_and_time_to_accept_per_owner(api: Api):
    _journey(api, _always_open())
    a_key, b_key = _owner_key(api, "sales-a@demo.dk"), _owner_key(api, "sales-b@demo.dk")
    first, second, third = (_handover(api, _lead(api))["handover_id"] for _ in range(3))
    api.clock.advance(minutes=10)
    _act(api, first, "accept", a_key)          # sales-a, in SLA after 600 s
    _act(api, second, "decline", b_key)        # sales-b declines → sales-a
    api.clock.advance(hours=5)
    _act(api, second, "accept", a_key)         # late
    # the third (sales-a) stays open

    report = json_body(_admin(api, "GET", "/reports/handovers?from=2026-11-01&to=2026-11-30"))

    assert (report["handovers"], report["accepted_in_sla"], report["accepted_late"]) == (3, 1, 1)
    assert (report["declined"], report["gaps"], report["open"]) == (1, 0, 1)
    assert report["owners"]["sales-a@demo.dk"]["accepted_in_sla"] == 1
    assert report["owners"]["sales-b@demo.dk"]["declined"] == 1
    assert 500 <= report["time_to_accept_p50"] <= 750
    assert third


@pytest.mark.parametrize(("query", "field"), [("from=yesterday", "from"), ("to=2026-13-45", "to"),
                                               ("from=2026-11-30&to=2026-11-01", "from"), ("colour=red", "colour")])
def test_bad_report_ranges_are_refused(api: Api, query: str, field: str):
    response = _admin(api, "GET", f"/reports/handovers?{query}")
    assert response.status_code == 422
    assert json_body(response)["field"] == field


def test_reports_need_the_admin_key(api: Api):
    assert api.client.http.get("/reports/handovers").status_code == 401


def test_handover_metrics_are_emitted(api: Api, capsys: pytest.CaptureFixture[str]):
    _journey(api, _always_open())
    first, second = _lead(api), _lead(api)
    capsys.readouterr()
    api.run_timers()
    api.clock.advance(minutes=30)
    _act(api, _handover(api, first)["handover_id"], "accept", _owner_key(api, "sales-a@demo.dk"))
    api.clock.advance(hours=8)
    api.run_timers()
    from chalicelib.observability import metrics

    metrics.flush_metrics()  # what the deadline Lambda does after each invocation
    output = capsys.readouterr().out
    emf = [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]
    names = {metric["Name"] for line in emf for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"HandoversAccepted", "SlaBreaches", "Gaps", "TimeToAccept"} <= names
    time_to_accept = [line["TimeToAccept"] for line in emf if "TimeToAccept" in line]
    assert time_to_accept and time_to_accept[0] in (1800.0, [1800.0])
    assert second


def test_owner_reads_their_own_handover_but_not_someone_elses(api: Api):
    _journey(api, _always_open())
    handover_id = _handover(api, _lead(api))["handover_id"]
    mine = api.client.http.get(f"/handovers/{handover_id}",
                               headers={"Authorization": f"Bearer {_owner_key(api, 'sales-a@demo.dk')}"})
    theirs = api.client.http.get(f"/handovers/{handover_id}",
                                 headers={"Authorization": f"Bearer {_owner_key(api, 'sales-b@demo.dk')}"})
    assert mine.status_code == 200 and json_body(mine)["owner"] == "sales-a@demo.dk"
    assert theirs.status_code == 404
    assert api.client.http.get(f"/handovers/{handover_id}").status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"owner": "has space"}, "owner"), ({"owner": "x", "email": "nope"}, "email"),
    ({"owner": "a@b.dk", "language": "sv"}, "language"),
    ({"owner": "a@b.dk", "email": "a@b.dk\r\nBcc: all@evil.example"}, "email"), ({"owner": "tab\there"}, "owner"),
    ({"owner": "a@b.dk", "email": "two@at@b.dk"}, "email"), ({"owner": "sales"}, "email"),
])
def test_bad_owner_registrations_name_the_field(api: Api, body: dict[str, str], field: str):
    response = _admin(api, "POST", "/admin/owners", body)
    assert response.status_code == 422 and json_body(response)["field"] == field


def test_the_offer_states_the_deadline_in_the_calendars_time_zone_and_language(api: Api):
    _journey(api, {**JOURNEY, "language": "da"})
    _lead(api)
    api.run_timers()
    to, subject, text = api.mailer.sent[-1]
    assert to == "sales-a@demo.dk" and subject.startswith("Nyt lead til dig")
    assert "Acceptér det senest 2026-11-23 14:30 CET." in text
