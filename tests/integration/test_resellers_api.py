"""Resellers through the HTTP API: the producer registers them, leads are routed to them by postcode, their people
get the offers, they act with their own key, report sales (one by one, in bulk, by keyed hash), register their own
deals, and the producer sees outcomes and (with consent) the end customer."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest

from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

NORTH_REGIONS = ["8000-9999"]
SOUTH_REGIONS = ["5000-7999"]


def _call(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY,
          content_type: str = "application/json", accept: str = "application/json", raw: bytes | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type, "Accept": accept}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return api.client.http.request(method, path, headers=headers, body=data)


def _journey(api: Api, **route: Any) -> None:
    journey = {
        "channel_manager": "channel@demo.dk",
        "handovers": [{
            "name": "to-resellers", "on": "form_submit",
            "route": {"strategy": "resellers", "match": "postcode", **route},
            "sla": {"accept_within": "PT4H", "contact_within": "PT24H"},
            "escalation": [{"at": "100%", "action": "escalate", "to": "reseller_manager"},
                           {"at": "150%", "action": "reassign"},
                           {"at": "300%", "action": "escalate", "to": "channel_manager"},
                           {"at": "400%", "action": "gap"}],
        }],
    }
    response = _call(api, "PUT", "/admin/journey", journey)
    assert response.status_code == 200, response.body


def _reseller(api: Api, reseller_id: str, regions: list[str], **extra: Any) -> dict[str, Any]:
    body = {"reseller_id": reseller_id, "name": reseller_id.title() + " El ApS", "regions": regions,
            "contacts": [f"salg@{reseller_id}.dk"], **extra}
    response = _call(api, "POST", "/admin/resellers", body)
    assert response.status_code == 201, response.body
    return dict(json_body(response))


def _form(api: Api, postcode: str, **fields: Any) -> str:
    form = {"email": f"kunde-{uuid.uuid4().hex[:8]}@kunde.dk", "name": "Kunde", "postcode": postcode, **fields}
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                    body=json.dumps(form))
    assert response.status_code == 201, response.body
    return str(json_body(response)["lead_id"])


def _lead(api: Api, lead_id: str) -> dict[str, Any]:
    return dict(json_body(_call(api, "GET", f"/leads/{lead_id}")))


def _handover(api: Api, lead_id: str) -> dict[str, Any]:
    (handover,) = _lead(api, lead_id)["handovers"]
    return dict(handover)


@pytest.fixture
def two_resellers(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    _journey(api)
    north = _reseller(api, "nord", NORTH_REGIONS, contacts=["anna@nord.dk", "bo@nord.dk"], manager="chef@nord.dk")
    south = _reseller(api, "syd", SOUTH_REGIONS, inbox="leads@syd.dk", contacts=[], language="en")
    return north, south


# --- the producer registers its resellers -------------------------------------------------------------------


def test_a_new_reseller_gets_its_key_and_match_secret_once_and_is_listed_without_them(api: Api):
    created = _reseller(api, "vest", ["6000-6999"], products=["Solceller"], manager="chef@vest.dk")

    assert created["api_key"].startswith("rk_") and created["match_secret"].startswith("ms_")
    listed = json_body(_call(api, "GET", "/admin/resellers"))["resellers"]
    assert [row["reseller_id"] for row in listed] == ["vest"]
    assert "api_key" not in listed[0] and "match_secret" not in listed[0]
    assert listed[0]["regions"] == ["6000-6999"] and listed[0]["key_id"] == created["key_id"]
    me = json_body(_call(api, "GET", "/reseller/me", key=created["api_key"]))
    assert me["reseller_id"] == "vest" and me["match_secret"] == created["match_secret"]


def test_registering_the_same_reseller_again_is_a_retry_with_a_new_key_and_another_definition_a_conflict(api: Api):
    body = {"reseller_id": "retry", "name": "Retry ApS", "contacts": ["x@retry.dk"], "regions": ["1000-1999"]}
    first = json_body(_call(api, "POST", "/admin/resellers", body))

    again = _call(api, "POST", "/admin/resellers", body)
    other = _call(api, "POST", "/admin/resellers", {**body, "name": "Someone Else ApS"})

    assert again.status_code == 200
    assert json_body(again)["api_key"] != first["api_key"] and json_body(again)["revoked"] == [first["key_id"]]
    assert _call(api, "GET", "/reseller/me", key=first["api_key"]).status_code == 401
    assert _call(api, "GET", "/reseller/me", key=json_body(again)["api_key"]).status_code == 200
    assert other.status_code == 409 and json_body(other)["field"] == "reseller_id"


@pytest.mark.parametrize(("change", "field"), [
    ({"regions": ["9999-8000"]}, "regions"),
    ({"regions": ["Aarhus"]}, "regions"),
    ({"contacts": ["not an address"]}, "contacts.0"),
    ({"contacts": [], "inbox": None}, "body"),
    ({"reseller_id": "Has Spaces"}, "reseller_id"),
    ({"language": "de"}, "language"),
    ({"calendar": "no-such-calendar"}, "calendar"),
    ({"colour": "blue"}, "colour"),
])
def test_a_reseller_definition_that_does_not_hold_is_refused_naming_the_field_and_nothing_is_stored(
        api: Api, change: dict[str, Any], field: str):
    body = {"reseller_id": "bad", "name": "Bad ApS", "contacts": ["x@bad.dk"], "regions": ["1000"], **change}

    response = _call(api, "POST", "/admin/resellers", body)

    assert response.status_code == 422, response.body
    named = {problem["field"] for problem in json_body(response)["fields"]}
    assert field in named or json_body(response)["field"] == field, response.body
    assert json_body(_call(api, "GET", "/admin/resellers"))["resellers"] == []


def test_a_person_works_for_one_reseller_and_never_for_the_producer_itself(api: Api):
    _reseller(api, "nord", NORTH_REGIONS, contacts=["anna@nord.dk"])
    assert _call(api, "POST", "/admin/owners", {"owner": "own@demo.dk"}).status_code == 201

    shared = _call(api, "POST", "/admin/resellers", {"reseller_id": "syd", "name": "Syd", "contacts": ["anna@nord.dk"]})
    own = _call(api, "POST", "/admin/resellers", {"reseller_id": "syd", "name": "Syd", "contacts": ["own@demo.dk"]})

    assert shared.status_code == 409 and "nord" in json_body(shared)["message"]
    assert own.status_code == 409 and "own owners" in json_body(own)["message"]
    assert _call(api, "GET", "/admin/resellers/syd").status_code == 404


def test_a_reseller_is_changed_and_deactivated_with_patch_and_routing_passes_a_deactivated_one_by(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    changed = _call(api, "PATCH", "/admin/resellers/nord", {"active": False})
    unchanged = _call(api, "PATCH", "/admin/resellers/nord", {"active": False})
    refused = _call(api, "PATCH", "/admin/resellers/nord", {"reseller_id": "other"})

    assert json_body(changed)["changed"] is True and json_body(changed)["active"] is False
    assert json_body(unchanged)["changed"] is False
    assert refused.status_code == 422 and json_body(refused)["field"] == "reseller_id"
    handover = _handover(api, _form(api, "8200"))
    assert handover["owner"] == "leads@syd.dk", "a lead of the north goes to the only active reseller"


# --- routing, offers and the ladder -------------------------------------------------------------------------


def test_a_lead_goes_to_the_reseller_of_its_postcode_and_its_people_take_turns(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    owners = [_handover(api, _form(api, postcode))["owner"] for postcode in ("8200", "9000", "8000", "5000")]
    api.run_timers()

    assert owners == ["anna@nord.dk", "bo@nord.dk", "anna@nord.dk", "leads@syd.dk"]
    offers = [to for to, subject, _ in api.mailer.sent]
    assert offers == owners, "each offer e-mail goes to the reseller's person or inbox"
    danish, english = api.mailer.sent[0][2], api.mailer.sent[3][2]
    assert "Dette lead kommer fra Nordlys Solar ApS, som du er forhandler for." in danish
    assert "This lead comes from Nordlys Solar ApS" in english, "syd's people read English"


def test_a_decline_goes_to_the_next_reseller_and_never_back(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, south = two_resellers
    lead_id = _form(api, "8200")

    declined = _call(api, "POST", f"/reseller/leads/{lead_id}/decline", {"reason": "no capacity"}, key=north["api_key"])
    declined_again = _call(api, "POST", f"/reseller/leads/{lead_id}/decline", {}, key=south["api_key"])

    assert declined.status_code == 200 and json_body(declined)["owner"] == "leads@syd.dk"
    assert json_body(declined_again)["status"] == "gap", "after the last reseller says no, it is a gap, not back"
    timeline = _lead(api, lead_id)["timeline"]
    moved = next(event for event in timeline if event["type"] == "reassigned")
    assert (moved["reseller"], moved["to_reseller"], moved["cause"]) == ("nord", "syd", "declined")
    gap = next(event for event in timeline if event["type"] == "gap")
    assert gap["reseller"] == "syd" and gap["cause"] == "everyone declined"


def test_the_ladder_escalates_to_the_resellers_manager_reassigns_then_tells_the_channel_manager(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    lead_id = _form(api, "8200")
    api.run_timers()
    for hours in (4, 2, 6, 4):
        api.clock.advance(hours=hours)
        api.run_timers()

    recipients = [to for to, _, _ in api.mailer.sent]
    assert recipients[:2] == ["anna@nord.dk", "chef@nord.dk"], "offer, then the reseller's manager"
    assert "leads@syd.dk" in recipients and "channel@demo.dk" in recipients
    timeline = _lead(api, lead_id)["timeline"]
    assert [event["reseller"] for event in timeline if event["type"] == "reassigned"] == ["nord"]
    assert any(event["type"] == "gap" and event["reseller"] == "syd" for event in timeline)


# --- what a reseller does with its key ----------------------------------------------------------------------


def test_a_reseller_lists_its_leads_by_status_and_sees_contact_details_only_once_it_accepted(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    first, second = _form(api, "8200"), _form(api, "9000")

    offered = json_body(_call(api, "GET", "/reseller/leads?status=offered", key=north["api_key"]))["leads"]
    accepted = _call(api, "POST", f"/reseller/leads/{first}/accept", {}, key=north["api_key"])
    contacted = _call(api, "POST", f"/reseller/leads/{first}/contacted", {}, key=north["api_key"])
    listed = json_body(_call(api, "GET", "/reseller/leads", key=north["api_key"]))["leads"]
    rows = {row["lead_id"]: row for row in listed}

    assert {row["lead_id"] for row in offered} == {first, second}
    assert all("email" not in row for row in offered), "an offer names the lead but not how to reach it"
    assert accepted.status_code == 200 and contacted.status_code == 200
    assert rows[first]["status"] == "contacted" and rows[first]["email"].startswith("kunde-")
    assert "email" not in rows[second]
    assert _call(api, "GET", "/reseller/leads?status=sold", key=north["api_key"]).status_code == 422


def test_a_reseller_reports_an_outcome_and_the_producer_sees_it_in_roi_by_reseller(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    lead_id = _form(api, "8200")
    _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=north["api_key"])

    won = _call(api, "POST", f"/reseller/leads/{lead_id}/outcome", {"outcome": "won", "value": "40000"},
                key=north["api_key"])

    assert won.status_code == 200 and json_body(won)["stage"] == "customer"
    outcome = next(event for event in _lead(api, lead_id)["timeline"] if event["type"] == "outcome_recorded")
    assert (outcome["by"], outcome["reseller"], outcome["owner"]) == ("reseller:nord", "nord", "anna@nord.dk")
    roi = json_body(_call(api, "GET", "/reports/roi?from=2026-11-01&to=2026-11-30&by=reseller"))
    (row,) = roi["marketing"]["groups"]
    assert (row["group"], row["leads"], row["won"], row["revenue"], row["visitors"]) == (
        "nord", "1.00", "1.00", "40000.00", None)


def test_a_reseller_records_the_customers_consent_as_a_timeline_event_and_the_same_again_changes_nothing(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    lead_id = _form(api, "8200")
    body = {"purpose": "share_with_producer", "granted": True, "source": "phone call 2026-11-23"}

    first = _call(api, "POST", f"/reseller/leads/{lead_id}/consent", body, key=north["api_key"])
    again = _call(api, "POST", f"/reseller/leads/{lead_id}/consent", body, key=north["api_key"])
    bad = _call(api, "POST", f"/reseller/leads/{lead_id}/consent", {"granted": "perhaps", "source": ""},
                key=north["api_key"])

    assert json_body(first)["changed"] is True and json_body(again)["changed"] is False
    events = [event for event in _lead(api, lead_id)["timeline"] if event["type"] == "consent_changed"]
    assert len(events) == 1 and events[0]["granted"] is True and events[0]["by"] == "reseller:nord"
    assert events[0]["source"] == "reseller:nord: phone call 2026-11-23"
    assert bad.status_code == 422 and {p["field"] for p in json_body(bad)["fields"]} == {"granted", "source"}


# --- deal registration --------------------------------------------------------------------------------------


def test_a_registered_deal_is_a_referral_of_the_reseller_and_its_retry_changes_nothing(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, south = two_resellers
    body = {"email": "fundet@kunde.dk", "name": "Fundet Selv", "postcode": "8600", "product": "Varmepumpe"}

    registered = _call(api, "POST", "/reseller/leads", body, key=north["api_key"])
    retried = _call(api, "POST", "/reseller/leads", body, key=north["api_key"])
    elsewhere = _call(api, "POST", "/reseller/leads", body, key=south["api_key"])

    assert registered.status_code == 201 and json_body(registered)["registered"] is True
    assert retried.status_code == 200 and json_body(retried)["changed"] is False
    assert elsewhere.status_code == 409
    assert json_body(elsewhere)["fields"][0]["rule"] == "registered_by_another_reseller"
    lead = _lead(api, json_body(registered)["lead_id"])
    assert lead["lead_type"] == "referral" and lead["stage"] == "decision"
    assert lead["withheld"] is True and lead["email"] is None and lead["name"] is None
    assert lead["fields"]["postcode_area"] == "86xx"
    assert not any(message[0] == "salg@nord.dk" for message in api.mailer.sent), "nobody is offered its own deal"


def test_a_registration_of_a_customer_handed_to_another_reseller_or_held_by_the_producer_is_refused(api: Api):
    _journey(api)
    north = _reseller(api, "nord", NORTH_REGIONS)
    _reseller(api, "syd", SOUTH_REGIONS)
    email = f"kendt-{uuid.uuid4().hex[:6]}@kunde.dk"
    api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                         body=json.dumps({"email": email, "postcode": "5000"}))

    handed = _call(api, "POST", "/reseller/leads", {"email": email}, key=north["api_key"])
    api.clock.advance(days=91)
    later = _call(api, "POST", "/reseller/leads", {"email": email}, key=north["api_key"])

    assert handed.status_code == 409 and json_body(handed)["fields"][0]["rule"] == "handed_to_another_reseller"
    assert later.status_code == 201, "after 90 days the customer is free to register"


def test_a_customer_who_agreed_to_share_is_shown_to_the_producer(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    body = {"email": "deler@kunde.dk", "name": "Deler Gerne", "postcode": "8000",
            "consent": {"granted": True, "source": "signed order form"}}

    lead_id = json_body(_call(api, "POST", "/reseller/leads", body, key=north["api_key"]))["lead_id"]

    lead = _lead(api, lead_id)
    assert lead["email"] == "deler@kunde.dk" and lead["name"] == "Deler Gerne" and "withheld" not in lead
    assert lead["consent"]["share_with_producer"]["source"] == "reseller:nord: signed order form"


# --- sales in bulk, by e-mail or keyed hash ------------------------------------------------------------------


def _hash(secret: str, email: str) -> str:
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def test_bulk_sales_by_keyed_hash_match_the_resellers_leads_and_the_rest_are_kept_as_unmatched(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    lead_id = _form(api, "8200", email="Solgt@Kunde.dk")
    sales = {"sales": [
        {"email_hash": _hash(north["match_secret"], "solgt@kunde.dk"), "outcome": "won", "value": "55000.00",
         "at": "2026-11-23T09:00:00Z"},
        {"email_hash": _hash(north["match_secret"], "someone-else@kunde.dk"), "outcome": "won", "value": "9000"},
    ]}

    first = json_body(_call(api, "POST", "/reseller/sales", sales, key=north["api_key"]))
    again = json_body(_call(api, "POST", "/reseller/sales", sales, key=north["api_key"]))

    assert (first["matched"], first["recorded"], first["unmatched"]) == (1, 1, 1)
    assert (again["matched"], again["recorded"], again["unchanged"], again["unmatched"]) == (1, 0, 1, 1)
    assert first["results"][0] == {"row": 0, "result": "recorded", "lead_id": lead_id}
    lead = _lead(api, lead_id)
    assert lead["outcome"]["value"] == "55000.00" and lead["handovers"][0]["status"] == "accepted"
    unmatched = json_body(_call(api, "GET", "/reseller/sales/unmatched", key=north["api_key"]))["unmatched"]
    assert len(unmatched) == 1 and unmatched[0]["value"] == "9000.00", "the same row twice is one record"
    card = json_body(_call(api, "GET", "/reports/resellers?from=2026-11-23&to=2026-11-23"))
    nord = next(row for row in card["resellers"] if row["reseller_id"] == "nord")
    assert (nord["won"], nord["revenue"], nord["unmatched_sales"], nord["accepted_late"]) == (1, "55000.00", 1, 0)


def test_bulk_sales_as_a_danish_spreadsheet_and_a_bad_row_changes_nothing(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    won_id, lost_id = _form(api, "8200", email="a@kunde.dk"), _form(api, "9000", email="b@kunde.dk")
    bad = "email;outcome;value\r\na@kunde.dk;won;12.500,00\r\nb@kunde.dk;maybe;\r\n".encode("cp1252")
    good = b"email;outcome;value;reason\r\na@kunde.dk;won;12500,50;\r\nb@kunde.dk;lost;;valgte en anden\r\n"

    refused = _call(api, "POST", "/reseller/sales", raw=bad, content_type="text/csv", key=north["api_key"])
    assert refused.status_code == 422
    assert {problem["field"] for problem in json_body(refused)["fields"]} == {"rows.2.value", "rows.3.outcome"}
    assert _lead(api, won_id)["outcome"] is None

    answer = json_body(_call(api, "POST", "/reseller/sales", raw=good, content_type="text/csv", key=north["api_key"]))

    assert answer["recorded"] == 2
    assert _lead(api, won_id)["outcome"]["value"] == "12500.50"
    assert (_lead(api, lost_id)["outcome"]["outcome"], _lead(api, lost_id)["outcome"]["reason"]) == (
        "lost", "valgte en anden")


# --- the producer's feed ------------------------------------------------------------------------------------


def test_the_producers_feed_shows_contact_details_exactly_for_customers_who_consented(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    journey = json_body(_call(api, "GET", "/admin/journey"))["definition"]
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}
    assert _call(api, "PUT", "/admin/journey", journey).status_code == 200
    shared = _form(api, "8200", email="ja@kunde.dk", consent_share_with_producer=True)
    private = _form(api, "8300", email="nej@kunde.dk")
    for lead_id, value in ((shared, "10000"), (private, "20000")):
        _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=north["api_key"])
        _call(api, "POST", f"/reseller/leads/{lead_id}/outcome", {"outcome": "won", "value": value},
              key=north["api_key"])

    feed = json_body(_call(api, "GET", "/producer/end-customers"))["end_customers"]
    csv_text = _call(api, "GET", "/producer/end-customers", accept="text/csv").body.decode()

    by_lead = {item["lead_id"]: item for item in feed}
    assert by_lead[shared]["shared"] is True and by_lead[shared]["email"] == "ja@kunde.dk"
    assert by_lead[private]["shared"] is False and by_lead[private]["email"] is None
    assert by_lead[private]["postcode_area"] == "83xx" and by_lead[private]["value"] == "20000.00"
    assert "ja@kunde.dk" in csv_text and "nej@kunde.dk" not in csv_text
    reported = [json.loads(body)["data"] for _, body, _ in api.webhooks.posted
                if json.loads(body)["type"] == "end_customer.reported"]
    assert {item["lead_id"]: item.get("email") for item in reported} == {shared: "ja@kunde.dk", private: None}


def test_the_feed_pages_with_a_cursor_and_refuses_unknown_parameters(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    for postcode in ("8100", "8200", "8300"):
        lead_id = _form(api, postcode)
        _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=north["api_key"])
        api.clock.advance(minutes=1)
        _call(api, "POST", f"/reseller/leads/{lead_id}/outcome", {"outcome": "lost"}, key=north["api_key"])

    first = json_body(_call(api, "GET", "/producer/end-customers?limit=2"))
    rest = json_body(_call(api, "GET", f"/producer/end-customers?limit=2&cursor={first['next_cursor']}"))

    assert len(first["end_customers"]) == 2 and first["next_cursor"]
    assert len(rest["end_customers"]) == 1
    assert _call(api, "GET", "/producer/end-customers?page=2").status_code == 422
    assert _call(api, "GET", "/producer/end-customers?since=yesterday").status_code == 422


# --- the scorecard ------------------------------------------------------------------------------------------


def test_the_scorecard_counts_each_resellers_hand_overs_outcomes_and_times(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, south = two_resellers
    quick, declined = _form(api, "8200"), _form(api, "9000")
    api.clock.advance(minutes=30)
    _call(api, "POST", f"/reseller/leads/{quick}/accept", {}, key=north["api_key"])
    _call(api, "POST", f"/reseller/leads/{declined}/decline", {"reason": "too far"}, key=north["api_key"])
    api.clock.advance(minutes=90)
    _call(api, "POST", f"/reseller/leads/{declined}/accept", {}, key=south["api_key"])
    _call(api, "POST", f"/reseller/leads/{quick}/outcome", {"outcome": "won", "value": "30000"}, key=north["api_key"])
    _call(api, "POST", f"/reseller/leads/{declined}/outcome", {"outcome": "lost"}, key=south["api_key"])

    card = json_body(_call(api, "GET", "/reports/resellers?from=2026-11-23&to=2026-11-23"))

    rows = {row["reseller_id"]: row for row in card["resellers"]}
    assert (rows["nord"]["leads_received"], rows["nord"]["accepted_in_sla"], rows["nord"]["declined"]) == (2, 1, 1)
    assert rows["nord"]["time_to_accept_p50"] == 1800.0 and rows["nord"]["win_rate"] == 1.0
    assert (rows["syd"]["leads_received"], rows["syd"]["accepted_in_sla"], rows["syd"]["lost"]) == (1, 1, 1)
    assert rows["syd"]["time_to_accept_p50"] == 7200.0, "the time runs from the hand-over's start"
    assert (card["total"]["won"], card["total"]["revenue"], card["total"]["win_rate"]) == (1, "30000.00", 0.5)
    assert rows["nord"]["name"] == "Nord El ApS"
    csv_text = _call(api, "GET", "/reports/resellers?from=2026-11-23&to=2026-11-23", accept="text/csv").body.decode()
    assert csv_text.splitlines()[2].startswith("nord,Nord El ApS,2,1,0,1,")


def test_the_accepted_page_reports_contact_with_one_button_and_opening_it_changes_nothing(
        api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    import re

    lead_id = _form(api, "8200")
    api.run_timers()
    accept = re.search(r"(/handovers/\S+/accept\?token=\S+)", api.mailer.sent[-1][2])
    assert accept is not None
    accepted = api.client.http.post(accept.group(1), headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=b"")
    button = re.search(r'action="contacted\?(token=[^"]+)"', accepted.body.decode())
    assert accepted.status_code == 200 and button is not None, "the accepted page offers the contact button"
    path = f"/handovers/{_handover(api, lead_id)['handover_id']}/contacted?{button.group(1).replace('&amp;', '&')}"

    opened = api.client.http.get(path)
    assert opened.status_code == 200 and _handover(api, lead_id)["contacted_at"] is None
    pressed = api.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"")

    assert pressed.status_code == 200 and _handover(api, lead_id)["status"] == "contacted"
    assert "action=\"contacted?" not in pressed.body.decode(), "once reported, the button is gone"


def test_a_resellers_sla_runs_on_its_own_calendar(api: Api):
    _journey(api)
    _reseller(api, "nord", NORTH_REGIONS, calendar="dk-business-hours")
    _reseller(api, "syd", SOUTH_REGIONS)
    api.clock.advance(days=5)  # Saturday 28 November 2026, 09:30 UTC

    north, south = _handover(api, _form(api, "8200")), _handover(api, _form(api, "5000"))

    # Danish business hours (08:00-16:00 Copenhagen): four hours from Monday's opening, 11:00 UTC.
    assert (north["reseller"], north["due_at"]) == ("nord", "2026-11-30T11:00:00.000Z")
    assert (south["reseller"], south["due_at"]) == ("syd", "2026-11-28T13:30:00.000Z"), "24/7 without a calendar"


def test_the_report_page_shows_the_reseller_scorecard(api: Api, two_resellers: tuple[dict[str, Any], dict[str, Any]]):
    north, _ = two_resellers
    lead_id = _form(api, "8200")
    _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=north["api_key"])

    page = _call(api, "GET", "/reports?tenant=demo&from=2026-11-23&to=2026-11-23", accept="text/html")

    html = page.body.decode()
    assert page.status_code == 200 and 'id="resellers"' in html
    assert "Resellers: who picks up the leads" in html and "Nord El ApS" in html and "Syd El ApS" in html
