"""Outcomes through the HTTP API: who may report, what is checked, what a won lead does, retries and corrections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body
from tests.integration.test_handovers_api import (
    _act,
    _admin,
    _always_open,
    _handover,
    _journey,
    _lead,
    _lead_view,
    _owner_key,
)

# What a ``lead.outcome`` message holds (the README's catalogue shows the same).
OUTCOME_MESSAGE_FIELDS = {"tenant_id", "lead_id", "handover_id", "handover", "owner", "outcome", "value", "currency",
                          "reason", "by", "outcome_at", "corrects", "previous", "reseller"}


def _report(api: Api, lead_id: str, body: Any, key: str = DEMO_KEY, idempotency_key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.client.http.post(f"/leads/{lead_id}/outcome", headers=headers, body=data)


def _accepted_lead(api: Api, journey: dict[str, Any] | None = None) -> tuple[str, str]:
    """A lead whose hand-over sales-a accepted, and sales-a's key."""
    _journey(api, journey or _always_open())
    lead_id = _lead(api)
    key = _owner_key(api, "sales-a@demo.dk")
    assert _act(api, _handover(api, lead_id)["handover_id"], "accept", key).status_code == 200
    api.clock.advance(minutes=10)
    return lead_id, key


def _events(api: Api, lead_id: str, *types: str) -> list[dict[str, Any]]:
    return [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] in types]


def _stored_outcome(api: Api, lead_id: str) -> Any:
    lead = api.repos.leads.lead("demo", lead_id)
    assert lead is not None
    return lead.outcome


def _outcome_messages(api: Api) -> list[dict[str, Any]]:
    messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    return [message for message in messages if message["type"] == "lead.outcome"]


# --- recording ----------------------------------------------------------------------------------------------


def test_the_owner_who_accepted_reports_a_won_deal_and_the_lead_becomes_a_customer(api: Api):
    lead_id, key = _accepted_lead(api)
    api.clock.advance(hours=3)

    response = _report(api, lead_id, {"outcome": "won", "value": 25000.5, "reason": "signed the offer"}, key=key)

    assert response.status_code == 200
    answer = json_body(response)
    assert answer["changed"] is True
    assert answer["outcome"] == "won" and answer["value"] == "25000.50" and answer["currency"] == "DKK"
    assert answer["stage"] == "customer" and answer["at"] == "2026-11-23T12:40:00.000Z"
    (recorded,) = _events(api, lead_id, "outcome_recorded")
    assert recorded["outcome"] == "won" and recorded["value"] == "25000.50" and recorded["by"] == "sales-a@demo.dk"
    assert recorded["owner"] == "sales-a@demo.dk" and recorded["reason"] == "signed the offer"
    assert recorded["outcome_at"] == "2026-11-23T12:40:00.000Z" and recorded["event_id"] == answer["event_id"]
    moved = _events(api, lead_id, "stage_change")[-1]
    assert (moved["from"], moved["to"], moved["cause"]) == ("decision", "customer", "outcome_won")
    stored = _stored_outcome(api, lead_id)
    assert (stored.outcome, stored.value, stored.currency, stored.at) == ("won", "25000.50", "DKK",
                                                                         "2026-11-23T12:40:00.000Z")


def test_a_won_lead_reaches_the_last_of_the_tenants_own_stages(api: Api):
    journey = _always_open()
    journey["stages"] = ["new", "interested", "meeting", "offer", "signed"]
    lead_id, key = _accepted_lead(api, journey)
    assert _lead_view(api, lead_id)["stage"] == "meeting"

    answer = json_body(_report(api, lead_id, {"outcome": "won"}, key=key))

    assert answer["stage"] == "signed"
    assert _events(api, lead_id, "stage_change")[-1]["to"] == "signed"


@pytest.mark.parametrize("outcome", ["lost", "disqualified"])
def test_a_lost_or_disqualified_lead_keeps_its_stage_and_has_no_default_value(api: Api, outcome: str):
    lead_id, key = _accepted_lead(api)

    answer = json_body(_report(api, lead_id, {"outcome": outcome, "reason": "chose a competitor"}, key=key))

    assert answer["stage"] == "decision" and answer["value"] is None
    assert [event["type"] for event in _events(api, lead_id, "stage_change", "outcome_recorded")][-1] == \
        "outcome_recorded"


def test_the_admin_reports_for_the_owner_holding_the_lead_and_a_time_in_the_past(api: Api):
    lead_id, _ = _accepted_lead(api)

    answer = json_body(_report(api, lead_id, {"outcome": "won", "value": "1200", "currency": "eur",
                                              "at": "2026-11-20T10:00:00+01:00"}))

    assert answer["currency"] == "EUR" and answer["value"] == "1200.00" and answer["at"] == "2026-11-20T09:00:00.000Z"
    (recorded,) = _events(api, lead_id, "outcome_recorded")
    assert recorded["by"] == "admin" and recorded["owner"] == "sales-a@demo.dk"


def test_the_admin_may_report_a_lead_nobody_accepted(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    answer = json_body(_report(api, lead_id, {"outcome": "disqualified", "reason": "a student project"}))
    assert answer["outcome"] == "disqualified"
    (recorded,) = _events(api, lead_id, "outcome_recorded")
    assert "owner" not in recorded  # no one holds it


def test_the_currency_defaults_to_the_currency_of_the_tenants_costs(api: Api):
    lead_id, key = _accepted_lead(api)
    costs = {"currency": "EUR", "rows": [{"campaign": "spring", "source": "google", "medium": "cpc",
                                          "from": "2026-11-01", "to": "2026-11-30", "amount": "100"}]}
    assert _admin(api, "PUT", "/admin/costs", costs).status_code == 200

    assert json_body(_report(api, lead_id, {"outcome": "won", "value": 10}, key=key))["currency"] == "EUR"


# --- who may report -----------------------------------------------------------------------------------------


def test_an_owner_who_only_was_offered_the_lead_finds_no_such_lead(api: Api):
    _journey(api, _always_open())
    lead_id = _lead(api)
    key = _owner_key(api, "sales-a@demo.dk")  # offered, not accepted

    response = _report(api, lead_id, {"outcome": "won"}, key=key)

    assert response.status_code == 404 and json_body(response)["field"] == "lead_id"
    assert _stored_outcome(api, lead_id) is None


def test_another_owner_and_another_tenant_find_no_such_lead(api: Api):
    lead_id, _ = _accepted_lead(api)
    other_owner = _owner_key(api, "sales-b@demo.dk")
    assert _report(api, lead_id, {"outcome": "won"}, key=other_owner).status_code == 404
    assert _report(api, lead_id, {"outcome": "won"}, key=OTHER_KEY).status_code == 404
    assert _report(api, "ld_nosuchlead", {"outcome": "won"}).status_code == 404
    assert _stored_outcome(api, lead_id) is None


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "Basic abc"])
def test_without_a_valid_key_nothing_is_recorded(api: Api, authorization: str | None):
    lead_id, _ = _accepted_lead(api)
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    response = api.client.http.post(f"/leads/{lead_id}/outcome", headers=headers, body=b'{"outcome": "won"}')
    assert response.status_code == 401
    assert _stored_outcome(api, lead_id) is None


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({}, "outcome"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "won", "value": -1}, "value"),
    ({"outcome": "won", "value": "12.345"}, "value"),
    ({"outcome": "won", "value": "lots"}, "value"),
    ({"outcome": "won", "value": "NaN"}, "value"),
    ({"outcome": "won", "value": True}, "value"),
    ({"outcome": "won", "value": 10**13}, "value"),
    ({"outcome": "won", "currency": "KRONER"}, "currency"),
    ({"outcome": "won", "currency": 208}, "currency"),
    ({"outcome": "lost", "reason": "x" * 501}, "reason"),
    ({"outcome": "won", "at": "yesterday"}, "at"),
    ({"outcome": "won", "at": "2026-11-23T10:30:00Z"}, "at"),  # 50 minutes after now
    ({"outcome": "won", "stage": "customer"}, "stage"),
])
def test_a_bad_report_names_the_field_and_changes_nothing(api: Api, body: dict[str, Any], field: str):
    lead_id, key = _accepted_lead(api)

    response = _report(api, lead_id, body, key=key)

    assert response.status_code == 422, response.body
    assert json_body(response)["field"] == field
    assert _stored_outcome(api, lead_id) is None and not _events(api, lead_id, "outcome_recorded")


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]"])
def test_a_body_that_is_no_json_object_is_refused(api: Api, body: bytes):
    lead_id, key = _accepted_lead(api)
    response = _report(api, lead_id, body, key=key)
    assert response.status_code == 400 and json_body(response)["field"] == "body"


def test_a_report_of_the_wrong_media_type_is_refused(api: Api):
    lead_id, key = _accepted_lead(api)
    response = api.client.http.post(f"/leads/{lead_id}/outcome", body=b"outcome=won", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert _stored_outcome(api, lead_id) is None


# --- retries and corrections --------------------------------------------------------------------------------


def test_the_same_report_again_answers_the_same_and_adds_nothing(api: Api):
    lead_id, key = _accepted_lead(api)
    first = json_body(_report(api, lead_id, {"outcome": "won", "value": 900}, key=key))
    api.clock.advance(minutes=5)

    again = json_body(_report(api, lead_id, {"outcome": "won", "value": "900.00"}, key=key))

    assert again == {**first, "changed": False}
    assert len(_events(api, lead_id, "outcome_recorded", "outcome_corrected")) == 1


def test_a_retry_with_the_same_idempotency_key_answers_the_first_result_even_after_a_correction(api: Api):
    lead_id, key = _accepted_lead(api)
    first = json_body(_report(api, lead_id, {"outcome": "won", "value": 900}, key=key, idempotency_key="deal-1"))
    _report(api, lead_id, {"outcome": "lost"}, key=key)

    again = _report(api, lead_id, {"outcome": "won", "value": 900}, key=key, idempotency_key="deal-1")

    assert again.status_code == 200 and json_body(again) == {**first, "changed": False}
    assert _stored_outcome(api, lead_id).outcome == "lost"
    assert len(_events(api, lead_id, "outcome_recorded", "outcome_corrected")) == 2


def test_an_idempotency_key_reused_for_another_report_is_refused(api: Api):
    lead_id, key = _accepted_lead(api)
    _report(api, lead_id, {"outcome": "won", "value": 900}, key=key, idempotency_key="deal-1")
    response = _report(api, lead_id, {"outcome": "won", "value": 1900}, key=key, idempotency_key="deal-1")
    assert response.status_code == 422 and json_body(response)["field"] == "Idempotency-Key"
    assert _stored_outcome(api, lead_id).value == "900.00"


def test_an_unusable_idempotency_key_is_refused(api: Api):
    lead_id, key = _accepted_lead(api)
    response = _report(api, lead_id, {"outcome": "won"}, key=key, idempotency_key="x" * 256)
    assert response.status_code == 422 and json_body(response)["field"] == "Idempotency-Key"


def test_a_correction_is_a_new_event_naming_the_one_it_corrects_and_never_moves_the_lead_back(api: Api):
    lead_id, key = _accepted_lead(api)
    won = json_body(_report(api, lead_id, {"outcome": "won", "value": 900}, key=key))
    api.clock.advance(days=2)

    lost = json_body(_report(api, lead_id, {"outcome": "lost", "reason": "the customer cancelled"}, key=key))

    assert lost["changed"] is True and lost["outcome"] == "lost" and lost["stage"] == "customer"
    (corrected,) = _events(api, lead_id, "outcome_corrected")
    assert corrected["corrects"] == won["event_id"] and corrected["event_id"] == lost["event_id"]
    assert corrected["previous"] == {"outcome": "won", "value": "900.00", "currency": "DKK", "reason": None,
                                     "outcome_at": won["at"]}
    assert len(_events(api, lead_id, "outcome_recorded")) == 1
    assert _stored_outcome(api, lead_id).outcome == "lost"


def test_a_different_value_is_a_correction_too(api: Api):
    lead_id, key = _accepted_lead(api)
    _report(api, lead_id, {"outcome": "won", "value": 900}, key=key)
    answer = json_body(_report(api, lead_id, {"outcome": "won", "value": 950}, key=key))
    assert answer["changed"] is True and answer["value"] == "950.00"
    assert len(_events(api, lead_id, "outcome_corrected")) == 1
    assert len([event for event in _events(api, lead_id, "stage_change") if event["cause"] == "outcome_won"]) == 1


# --- webhook ------------------------------------------------------------------------------------------------


def test_the_tenants_webhook_hears_each_outcome_once_with_the_same_fields(api: Api):
    journey = _always_open()
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}
    lead_id, key = _accepted_lead(api, journey)

    _report(api, lead_id, {"outcome": "won"}, key=key)
    _report(api, lead_id, {"outcome": "won"}, key=key)
    _report(api, lead_id, {"outcome": "lost", "reason": "cancelled"}, key=key)
    api.drain()

    recorded, corrected = _outcome_messages(api)
    assert set(recorded["data"]) == set(corrected["data"]) == OUTCOME_MESSAGE_FIELDS
    assert recorded["data"]["outcome"] == "won" and recorded["data"]["value"] is None
    assert recorded["data"]["owner"] == "sales-a@demo.dk" and recorded["data"]["corrects"] is None
    assert corrected["data"]["corrects"] == _events(api, lead_id, "outcome_recorded")[0]["event_id"]
    assert corrected["data"]["previous"]["outcome"] == "won"
    stage_messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    assert [message["data"]["cause"] for message in stage_messages
            if message["type"] == "lead.stage_changed"][-1] == "outcome_won"
