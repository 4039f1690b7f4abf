"""Hand-over semantics through the API: every offer is a `notified` event with its deadline, a decline is a
new offer with a full SLA clock, a ladder reassignment keeps the clock, a gap is announced, an admin can
rescue a gapped lead, and an owner's key sees only the owner's hand-overs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body
from tests.integration.test_handovers_api import (
    JOURNEY,
    _act,
    _admin,
    _always_open,
    _journey,
    _lead,
    _lead_view,
    _owner_key,
)

MANAGER = "manager@demo.dk"


def _with_webhook(journey: dict[str, Any]) -> dict[str, Any]:
    return {**journey, "webhook": {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}}


def _ladder(*steps: dict[str, str], **sla: str) -> dict[str, Any]:
    journey = _with_webhook(_always_open(**sla))
    journey["handovers"][0]["escalation"] = list(steps)
    return journey


def _handovers(api: Api, lead_id: str) -> list[dict[str, Any]]:
    return list(_lead_view(api, lead_id)["handovers"])


def _first(api: Api, lead_id: str) -> dict[str, Any]:
    return _handovers(api, lead_id)[0]


def _events(api: Api, lead_id: str, kind: str) -> list[dict[str, Any]]:
    return [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == kind]


def _hooks(api: Api, kind: str) -> list[dict[str, Any]]:
    messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    return [message["data"] for message in messages if message["type"] == kind]


def _mails_to(api: Api, to: str) -> list[tuple[str, str]]:
    return [(subject, text) for address, subject, text in api.mailer.sent if address == to]


# --- a decline is a new offer with a full SLA clock ---------------------------------------------


def test_a_decline_offers_the_lead_to_the_next_owner_with_a_full_clock_in_the_handovers_calendar(api: Api):
    _journey(api, _with_webhook(JOURNEY))  # dk-business-hours, accept within 4 h, remind at 50 %
    lead_id = _lead(api)  # Monday 10:30 in Copenhagen: due 14:30 local
    api.run_timers()
    handover_id = _first(api, lead_id)["handover_id"]
    api.clock.advance(hours=1, minutes=30)  # 12:00 local

    answer = json_body(_act(api, handover_id, "decline", _owner_key(api, "sales-a@demo.dk")))

    # 4 business hours from 12:00 is 16:00 local, 15:00 UTC: not the 14:30 the first owner had
    assert (answer["owner"], answer["due_at"]) == ("sales-b@demo.dk", "2026-11-23T15:00:00.000Z")
    assert answer["contact_due_at"] > "2026-11-24T11:00:00.000Z"  # the contact clock starts again too
    offers = _events(api, lead_id, "notified")
    assert [(event["owner"], event["step"], event["due_at"]) for event in offers] == [
        ("sales-a@demo.dk", "notify", "2026-11-23T13:30:00.000Z"),
        ("sales-b@demo.dk", "decline", "2026-11-23T15:00:00.000Z")]
    subject, text = _mails_to(api, "sales-b@demo.dk")[-1]
    assert subject.startswith("New lead for you") and "Please accept it by 2026-11-23 16:00 CET." in text
    offered = _hooks(api, "handover.offered")[-1]
    assert (offered["offered_to"], offered["owner"], offered["step"], offered["due_at"]) == (
        "sales-b@demo.dk", "sales-b@demo.dk", "decline", "2026-11-23T15:00:00.000Z")
    reassigned = _hooks(api, "handover.reassigned")[-1]
    assert (reassigned["owner"], reassigned["from"], reassigned["due_at"]) == (
        "sales-b@demo.dk", "sales-a@demo.dk", "2026-11-23T15:00:00.000Z")
    assert f"/handovers/{handover_id}/accept?token=" in reassigned["accept_url"]


def test_after_a_decline_the_ladder_runs_again_for_the_new_owner_and_not_on_the_old_times(api: Api):
    _journey(api, JOURNEY)
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(hours=1, minutes=30)  # 12:00 local: the new remind is at 14:00, the breach at 16:00
    _act(api, _first(api, lead_id)["handover_id"], "decline", DEMO_KEY)
    api.clock.advance(hours=2)  # 14:00 local: past the first owner's 14:30 deadline? not yet, and no longer theirs
    api.run_timers()
    api.clock.advance(minutes=40)  # 14:40 local: the first owner's breach time has passed
    api.run_timers()
    assert [event["owner"] for event in _events(api, lead_id, "reminded")] == ["sales-b@demo.dk"]
    assert _events(api, lead_id, "sla_breached") == []
    api.clock.advance(hours=1, minutes=20)  # 16:00 local
    api.run_timers()
    assert [event["owner"] for event in _events(api, lead_id, "sla_breached")] == ["sales-b@demo.dk"]


def test_the_new_owner_accepting_within_the_new_clock_is_in_sla(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _first(api, lead_id)["handover_id"]
    api.clock.advance(hours=3)
    _act(api, handover_id, "decline", _owner_key(api, "sales-a@demo.dk"))
    api.clock.advance(hours=3)  # 6 h after the start, 3 h into the new owner's 4
    accepted = json_body(_act(api, handover_id, "accept", _owner_key(api, "sales-b@demo.dk")))
    assert (accepted["status"], accepted["accepted_late"]) == ("accepted", False)


# --- a ladder reassignment keeps the clock ---------------------------------------------------------


def test_a_reassignment_after_the_deadline_offers_the_time_left_until_the_gap_never_a_time_gone_by(api: Api):
    _journey(api, _ladder({"at": "150%", "action": "reassign"}, {"at": "200%", "action": "gap"}))
    lead_id = _lead(api)  # 09:30 UTC: due 13:30, reassign 15:30, gap 17:30
    api.run_timers()
    api.clock.advance(hours=6)
    api.run_timers()

    handover = _first(api, lead_id)
    assert (handover["owner"], handover["due_at"]) == ("sales-b@demo.dk", "2026-11-23T13:30:00.000Z")  # same clock
    offer = _events(api, lead_id, "notified")[-1]
    assert (offer["owner"], offer["step"], offer["due_at"]) == (
        "sales-b@demo.dk", "reassign", "2026-11-23T17:30:00.000Z")
    _, text = _mails_to(api, "sales-b@demo.dk")[-1]
    assert "Please accept it by 2026-11-23 17:30 UTC." in text and "13:30" not in text
    assert _hooks(api, "handover.offered")[-1]["due_at"] == "2026-11-23T17:30:00.000Z"
    assert _hooks(api, "handover.reassigned")[-1]["due_at"] == "2026-11-23T17:30:00.000Z"
    reassigned = _events(api, lead_id, "reassigned")[-1]
    assert (reassigned["owner"], reassigned["from"], reassigned["to"], reassigned["cause"]) == (
        "sales-a@demo.dk", "sales-a@demo.dk", "sales-b@demo.dk", "sla")


def test_a_reassignment_before_the_deadline_keeps_the_slas_deadline(api: Api):
    _journey(api, _ladder({"at": "25%", "action": "reassign"}, {"at": "200%", "action": "gap"}))
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(hours=1)
    api.run_timers()
    assert _events(api, lead_id, "notified")[-1]["due_at"] == "2026-11-23T13:30:00.000Z"
    assert "Please accept it by 2026-11-23 13:30 UTC." in _mails_to(api, "sales-b@demo.dk")[-1][1]


def test_a_reassignment_with_nothing_left_on_the_ladder_asks_for_an_accept_as_soon_as_possible(api: Api):
    _journey(api, _ladder({"at": "150%", "action": "reassign"}))
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(hours=6)
    api.run_timers()
    assert _events(api, lead_id, "notified")[-1].get("due_at") is None
    _, text = _mails_to(api, "sales-b@demo.dk")[-1]
    assert "Its deadline has passed: please accept it as soon as you can." in text and "accept it by" not in text
    assert _hooks(api, "handover.offered")[-1]["due_at"] is None


def test_a_reminder_after_a_reassignment_states_the_new_owners_deadline(api: Api):
    _journey(api, _ladder({"at": "150%", "action": "reassign"}, {"at": "175%", "action": "remind"},
                          {"at": "200%", "action": "gap"}))
    _lead(api)
    api.run_timers()
    api.clock.advance(hours=7)
    api.run_timers()
    subject, text = _mails_to(api, "sales-b@demo.dk")[-1]
    assert subject.startswith("Reminder") and "Please accept it by 2026-11-23 17:30 UTC." in text


# --- every offer is a notified event ---------------------------------------------------------------


def test_every_offer_is_a_notified_event_with_an_e_mail_and_an_offered_webhook(api: Api):
    _journey(api, _ladder({"at": "150%", "action": "reassign"}, {"at": "200%", "action": "gap"}))
    owners = ["sales-a@demo.dk", "sales-b@demo.dk", "sales-a@demo.dk"]
    first, second = _lead(api), _lead(api)  # round robin: sales-a, then sales-b
    api.run_timers()
    _act(api, _first(api, second)["handover_id"], "decline", DEMO_KEY)  # sales-b -> sales-a
    api.clock.advance(hours=6)
    api.run_timers()  # the first lead: sales-a -> sales-b by the ladder
    offers = _events(api, first, "notified") + _events(api, second, "notified")
    assert [event["owner"] for event in offers] == ["sales-a@demo.dk", "sales-b@demo.dk", "sales-b@demo.dk",
                                                    "sales-a@demo.dk"]
    assert all(event["due_at"] for event in offers)
    assert len(_hooks(api, "handover.offered")) == 4
    offer_mails = [to for to, subject, _ in api.mailer.sent if subject.startswith("New lead")]
    assert sorted(offer_mails) == sorted(owners + ["sales-b@demo.dk"])


# --- a gap is announced ----------------------------------------------------------------------------


def test_a_gap_is_announced_to_the_escalation_target_by_e_mail_and_webhook(api: Api):
    _journey(api, _ladder({"at": "100%", "action": "escalate", "to": MANAGER}, {"at": "200%", "action": "gap"}))
    lead_id = _lead(api, name="Mette Hansen", company="Hansen VVS ApS")
    api.run_timers()
    api.clock.advance(hours=8)
    api.run_timers()

    subject, text = _mails_to(api, MANAGER)[-1]
    html = api.mailer.html_parts[-1] or ""
    handover_id = _first(api, lead_id)["handover_id"]
    assert subject == "Nobody took the lead: Mette Hansen"
    for part in (text, html):
        assert "The lead was last offered to sales-a@demo.dk, and nobody has taken it." in part
        assert "Its deadlines ran out" in part and handover_id in part and "Hansen VVS ApS" in part
        assert "token=" not in part
    gap = _hooks(api, "handover.gap")[-1]
    assert (gap["handover_id"], gap["owner"], gap["cause"]) == (handover_id, "sales-a@demo.dk", "sla")


def test_a_gap_after_everyone_declined_says_so_in_the_managers_language(api: Api):
    _journey(api, _ladder({"at": "100%", "action": "escalate", "to": MANAGER}))
    response = _admin(api, "POST", "/admin/owners", {"owner": MANAGER, "language": "da"})
    assert response.status_code == 201
    lead_id = _lead(api)
    handover_id = _first(api, lead_id)["handover_id"]
    _act(api, handover_id, "decline", DEMO_KEY)
    _act(api, handover_id, "decline", DEMO_KEY)
    subject, text = _mails_to(api, MANAGER)[-1]
    assert subject.startswith("Ingen tog leadet") and "Alle, det kunne gå til, har afvist det." in text
    assert "Leadet blev sidst givet til sales-b@demo.dk" in text
    assert _hooks(api, "handover.gap")[-1]["cause"] == "everyone declined"


def test_a_gap_with_no_one_to_escalate_to_still_sends_the_webhook_and_no_stray_e_mail(api: Api):
    _journey(api, _ladder({"at": "200%", "action": "gap"}))
    _lead(api)
    api.run_timers()
    api.clock.advance(hours=8)
    api.run_timers()
    assert len(_hooks(api, "handover.gap")) == 1
    assert [to for to, _, _ in api.mailer.sent] == ["sales-a@demo.dk"]  # the offer only


# --- rescuing a gapped lead ------------------------------------------------------------------------


def _gapped(api: Api, journey: dict[str, Any] | None = None) -> tuple[str, str]:
    _journey(api, journey or _ladder({"at": "100%", "action": "escalate", "to": MANAGER},
                                      {"at": "200%", "action": "gap"}))
    lead_id = _lead(api)
    api.run_timers()
    api.clock.advance(hours=8)
    api.run_timers()
    handover = _first(api, lead_id)
    assert handover["status"] == "gap"
    return lead_id, handover["handover_id"]


def _rescue(api: Api, handover_id: str, body: Any, key: str = DEMO_KEY) -> Any:
    return _admin(api, "POST", f"/admin/handovers/{handover_id}/rescue", body, key=key)


def _report(api: Api) -> dict[str, Any]:
    return dict(json_body(_admin(api, "GET", "/reports/handovers?from=2026-11-01&to=2026-11-30")))


def test_an_admin_rescues_a_gapped_lead_as_a_new_handover_offered_with_a_full_clock(api: Api):
    lead_id, gapped_id = _gapped(api)
    api.clock.advance(minutes=30)  # 18:00 UTC

    response = _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"})

    assert response.status_code == 201
    rescued = json_body(response)
    assert rescued["rescue_of"] == gapped_id and rescued["handover_id"] != gapped_id
    assert (rescued["owner"], rescued["status"], rescued["due_at"]) == (
        "sales-b@demo.dk", "offered", "2026-11-23T22:00:00.000Z")
    original, rescue = _handovers(api, lead_id)
    assert (original["handover_id"], original["status"], original["rescue_of"]) == (gapped_id, "gap", None)
    assert rescue["handover_id"] == rescued["handover_id"]
    started = _events(api, lead_id, "handover_started")[-1]
    assert started["rescue_of"] == gapped_id and started["owner"] == "sales-b@demo.dk"

    api.run_timers()  # the rescue's ladder starts as any hand-over's: the offer first
    offer = _events(api, lead_id, "notified")[-1]
    assert (offer["handover_id"], offer["owner"], offer["due_at"]) == (
        rescued["handover_id"], "sales-b@demo.dk", "2026-11-23T22:00:00.000Z")
    subject, text = _mails_to(api, "sales-b@demo.dk")[-1]
    assert subject.startswith("New lead for you") and f"/handovers/{rescued['handover_id']}/accept?token=" in text
    offered = _hooks(api, "handover.offered")[-1]
    assert (offered["handover_id"], offered["offered_to"]) == (rescued["handover_id"], "sales-b@demo.dk")
    assert _hooks(api, "handover.started")[-1]["rescue_of"] == gapped_id


def test_the_rescued_owner_accepts_and_the_gap_still_counts_in_the_report(api: Api):
    lead_id, gapped_id = _gapped(api)
    rescued = json_body(_rescue(api, gapped_id, {"owner": "sales-b@demo.dk"}))
    accepted = _act(api, rescued["handover_id"], "accept", _owner_key(api, "sales-b@demo.dk"))
    assert json_body(accepted)["status"] == "accepted"
    assert _lead_view(api, lead_id)["stage"] == "decision"
    report = _report(api)
    assert (report["gaps"], report["accepted_in_sla"], report["handovers"], report["open"]) == (1, 1, 2, 0)
    assert _first(api, lead_id)["status"] == "gap"


def test_a_repeated_rescue_answers_the_same_handover_and_makes_no_second_one(api: Api):
    lead_id, gapped_id = _gapped(api)
    first = _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"})
    api.clock.advance(minutes=5)
    again = _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert json_body(again)["handover_id"] == json_body(first)["handover_id"]
    assert json_body(again)["changed"] is False and json_body(again)["due_at"] == json_body(first)["due_at"]
    assert len(_handovers(api, lead_id)) == 2
    assert len(_events(api, lead_id, "handover_started")) == 2  # the first hand-over's and one rescue
    assert _report(api)["handovers"] == 2


def test_a_rescue_to_another_owner_after_one_was_made_is_a_conflict_naming_the_owner(api: Api):
    _, gapped_id = _gapped(api)
    _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"})
    response = _rescue(api, gapped_id, {"owner": "sales-a@demo.dk"})
    assert response.status_code == 409
    body = json_body(response)
    assert body["field"] == "owner" and "sales-b@demo.dk" in body["message"]


def test_only_a_gapped_handover_can_be_rescued_and_the_answer_names_its_state(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    handover_id = _first(api, lead_id)["handover_id"]
    response = _rescue(api, handover_id, {"owner": "sales-b@demo.dk"})
    assert response.status_code == 409 and "offered" in json_body(response)["message"]
    _act(api, handover_id, "accept", DEMO_KEY)
    response = _rescue(api, handover_id, {"owner": "sales-b@demo.dk"})
    assert response.status_code == 409 and "accepted" in json_body(response)["message"]
    assert len(_handovers(api, lead_id)) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"owner": "nobody@demo.dk"}, "owner"), ({}, "owner"), ({"owner": ""}, "owner"), ({"owner": 7}, "owner"),
    ({"owner": "sales b"}, "owner"), ({"owner": "x" * 255}, "owner"),
    ({"owner": "sales-b@demo.dk", "note": "hi"}, "note"),
])
def test_a_rescue_to_an_unknown_or_malformed_owner_is_refused_naming_the_field(api: Api, body: Any, field: str):
    lead_id, gapped_id = _gapped(api)
    response = _rescue(api, gapped_id, body)
    assert response.status_code == 422 and json_body(response)["field"] == field
    assert len(_handovers(api, lead_id)) == 1


def test_a_rescue_may_go_to_a_registered_owner_outside_the_route(api: Api):
    _, gapped_id = _gapped(api)
    _owner_key(api, "reseller@partner.dk")
    response = _rescue(api, gapped_id, {"owner": "reseller@partner.dk"})
    assert response.status_code == 201 and json_body(response)["owner"] == "reseller@partner.dk"


@pytest.mark.parametrize("handover_id", ["ho_doesnotexist", "ho_" + "a" * 24 + "_0000abcd"])
def test_rescuing_an_unknown_handover_is_404(api: Api, handover_id: str):
    _journey(api, _always_open())
    response = _rescue(api, handover_id, {"owner": "sales-b@demo.dk"})
    assert response.status_code == 404 and json_body(response)["field"] == "handover_id"


def test_another_tenants_gapped_handover_cannot_be_rescued(api: Api):
    _, gapped_id = _gapped(api)
    assert _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"}, key=OTHER_KEY).status_code == 404


def test_only_an_admin_may_rescue(api: Api):
    lead_id, gapped_id = _gapped(api)
    owner_key = _owner_key(api, "sales-a@demo.dk")
    assert _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"}, key=owner_key).status_code == 401
    no_key = api.client.http.post(f"/admin/handovers/{gapped_id}/rescue", headers={"Content-Type": "application/json"},
                                  body=json.dumps({"owner": "sales-b@demo.dk"}))
    assert no_key.status_code == 401
    assert len(_handovers(api, lead_id)) == 1


def test_a_rescue_that_gaps_again_can_be_rescued_again(api: Api):
    journey = _ladder({"at": "200%", "action": "gap"})
    lead_id, gapped_id = _gapped(api, journey)
    rescued = json_body(_rescue(api, gapped_id, {"owner": "sales-b@demo.dk"}))
    _act(api, rescued["handover_id"], "decline", DEMO_KEY)  # nobody else is a candidate of a rescue
    assert _handovers(api, lead_id)[1]["status"] == "gap"
    api.clock.advance(minutes=1)
    again = _rescue(api, rescued["handover_id"], {"owner": "sales-a@demo.dk"})
    assert again.status_code == 201 and json_body(again)["rescue_of"] == rescued["handover_id"]
    assert [handover["status"] for handover in _handovers(api, lead_id)] == ["gap", "gap", "offered"]
    assert _report(api)["gaps"] == 2


def test_a_rescue_needs_the_handover_in_the_journey_to_plan_its_clock(api: Api):
    _, gapped_id = _gapped(api)
    without = copy.deepcopy(_always_open())
    without["handovers"][0]["name"] = "renamed"
    _journey(api, without)
    response = _rescue(api, gapped_id, {"owner": "sales-b@demo.dk"})
    assert response.status_code == 409 and "marketing-to-sales" in json_body(response)["message"]


# --- permissions: another owner's key meets 404 everywhere ----------------------------------------


def _as(api: Api, method: str, path: str, key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return api.client.http.request(method, path, headers=headers, body=b"{}" if method == "POST" else b"")


ROUTES = [("GET", ""), ("POST", "/accept"), ("POST", "/decline"), ("POST", "/contacted")]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_another_owners_key_gets_404_on_every_handover_route_and_changes_nothing(api: Api, method: str,
                                                                                  suffix: str):
    _journey(api, _always_open(contact_within="PT8H"))
    lead_id = _lead(api)
    handover_id = _first(api, lead_id)["handover_id"]
    before = _lead_view(api, lead_id)["timeline"]
    response = _as(api, method, f"/handovers/{handover_id}{suffix}", _owner_key(api, "sales-b@demo.dk"))
    assert response.status_code == 404
    body = json_body(response)
    assert (body["error"], body["field"]) == ("not_found", "handover_id") and "sales-a" not in response.body.decode()
    assert _lead_view(api, lead_id)["timeline"] == before


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_an_owner_who_no_longer_holds_the_handover_gets_404_even_after_it_was_accepted(api: Api, method: str,
                                                                                      suffix: str):
    _journey(api, _always_open(contact_within="PT8H"))
    handover_id = _first(api, _lead(api))["handover_id"]
    a_key = _owner_key(api, "sales-a@demo.dk")
    _act(api, handover_id, "decline", a_key)
    _act(api, handover_id, "accept", _owner_key(api, "sales-b@demo.dk"))
    assert _as(api, method, f"/handovers/{handover_id}{suffix}", a_key).status_code == 404


@pytest.mark.parametrize(("method", "suffix", "status"), [
    ("GET", "", "offered"), ("POST", "/accept", "accepted"), ("POST", "/decline", "offered"),
])
def test_the_holder_and_the_admin_see_and_act(api: Api, method: str, suffix: str, status: str):
    _journey(api, _always_open(contact_within="PT8H"))
    handover_id = _first(api, _lead(api))["handover_id"]
    for key in (_owner_key(api, "sales-a@demo.dk"), DEMO_KEY):
        response = _as(api, method, f"/handovers/{handover_id}{suffix}", key)
        assert response.status_code == 200, response.body
        assert json_body(response)["status"] == status
        if suffix == "/decline":
            break  # the lead has moved on to sales-b; the admin's decline is the next test's
    assert _as(api, "GET", f"/handovers/{handover_id}", DEMO_KEY).status_code == 200


def test_contacted_through_the_holders_key_and_the_admins(api: Api):
    _journey(api, _always_open(contact_within="PT8H"))
    handover_id = _first(api, _lead(api))["handover_id"]
    key = _owner_key(api, "sales-a@demo.dk")
    _act(api, handover_id, "accept", key)
    assert json_body(_as(api, "POST", f"/handovers/{handover_id}/contacted", key))["status"] == "contacted"
    again = _as(api, "POST", f"/handovers/{handover_id}/contacted", DEMO_KEY)
    assert again.status_code == 200 and json_body(again)["changed"] is False


# --- routing skips owners who are inactive or away ---------------------------------------------------


def _availability(api: Api, owner: str, body: dict[str, Any]) -> None:
    _owner_key(api, owner)
    response = _admin(api, "PATCH", f"/admin/owners/{owner}", body)
    assert response.status_code == 200, response.body


def test_a_new_lead_skips_an_inactive_owner_and_one_who_is_away(api: Api):
    _journey(api, _always_open())
    _availability(api, "sales-a@demo.dk", {"active": False})
    assert [_first(api, _lead(api))["owner"] for _ in range(2)] == ["sales-b@demo.dk", "sales-b@demo.dk"]
    _availability(api, "sales-a@demo.dk", {"active": True})
    _availability(api, "sales-b@demo.dk", {"away_until": "2026-11-30T08:00:00Z"})
    assert _first(api, _lead(api))["owner"] == "sales-a@demo.dk"
    api.clock.advance(days=8)  # back from holiday
    assert {_first(api, _lead(api))["owner"] for _ in range(2)} == {"sales-a@demo.dk", "sales-b@demo.dk"}


def test_when_every_candidate_is_away_the_lead_is_offered_as_usual_and_the_timeline_says_why(api: Api):
    _journey(api, _always_open())
    for owner in ("sales-a@demo.dk", "sales-b@demo.dk"):
        _availability(api, owner, {"away_until": "2026-12-24T08:00:00Z"})
    lead_id = _lead(api)
    assert _first(api, lead_id)["owner"] == "sales-a@demo.dk"
    assert "inactive or away" in _events(api, lead_id, "handover_started")[0]["note"]
