"""A tenant's CRM reports outcomes and stage changes to POST /inbound/{tenant}/crm, signed the Standard Webhooks
way with the journey's crm.secret; whatever is refused changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, OTHER_KEY, Api, json_body
from tests.integration.test_handovers_api import _admin, _always_open, _journey, _lead, _lead_view


def _with_crm(api: Api, secret: str | None = None, key: str = DEMO_KEY) -> str:
    """The tenant's journey with a CRM secret; the secret."""
    secret = secret or new_secret()
    journey = {**_always_open(), "crm": {"secret": secret}}
    if key == DEMO_KEY:
        _journey(api, journey)
    else:
        assert _admin(api, "PUT", "/admin/journey", journey, key=key).status_code == 200
    return secret


def _signed(api: Api, secret: str, body: str, message_id: str | None = None,
            at_offset: timedelta = timedelta(0)) -> dict[str, str]:
    """The headers the Standard Webhooks library writes for ``body``."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    at = api.clock() + at_offset
    return {"Content-Type": "application/json", "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": str(StandardWebhook(secret).sign(message_id, at, body))}


def _post(api: Api, headers: dict[str, str], body: str, tenant: str = "demo") -> Any:
    return api.client.http.post(f"/inbound/{tenant}/crm", headers=headers, body=body.encode())


def _send(api: Api, secret: str, payload: dict[str, Any], message_id: str | None = None,
          tenant: str = "demo") -> Any:
    body = json.dumps(payload)
    return _post(api, _signed(api, secret, body, message_id), body, tenant)


def _email_of(api: Api, lead_id: str, tenant: str = "demo") -> str:
    lead = api.repos.leads.lead(tenant, lead_id)
    assert lead is not None
    return lead.email


def _events(api: Api, lead_id: str, *types: str) -> list[dict[str, Any]]:
    return [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] in types]


def _state(api: Api, tenant: str = "demo") -> list[dict[str, Any]]:
    """Every item of the tenant's (to prove a refused call stored nothing)."""
    return sorted((item for item in api.items(f"T#{tenant}#") if not item["pk"]["S"].endswith("#FUNNEL")),
                  key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _refused(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    answer: dict[str, Any] = json_body(response)
    assert answer["field"] == field, answer
    return answer


@pytest.fixture
def crm(api: Api) -> tuple[str, str]:
    """A tenant with a CRM secret and one lead (from a form, in consideration): the secret and the lead id."""
    secret = _with_crm(api)
    return secret, _lead(api)


# --- outcomes ---------------------------------------------------------------------------------------------


def test_a_won_deal_signed_by_the_standard_webhooks_library_is_recorded_as_the_crm(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    api.clock.advance(hours=2)

    response = _send(api, secret, {"type": "outcome", "email": _email_of(api, lead_id).upper(), "outcome": "won",
                                   "value": 48000, "currency": "eur", "reason": "signed in HubSpot"})

    assert response.status_code == 200, response.body
    answer = json_body(response)
    assert answer["changed"] is True and answer["lead_id"] == lead_id and answer["matched_by"] == "email"
    assert (answer["outcome"], answer["value"], answer["currency"], answer["stage"]) == ("won", "48000.00", "EUR",
                                                                                          "customer")
    (recorded,) = _events(api, lead_id, "outcome_recorded")
    assert recorded["by"] == "crm" and recorded["reason"] == "signed in HubSpot"
    moved = _events(api, lead_id, "stage_change")[-1]
    assert (moved["from"], moved["to"], moved["cause"]) == ("consideration", "customer", "outcome_won")
    messages = [json.loads(body) for _, body, _ in api.webhooks.posted]
    assert not [message for message in messages if message["type"] == "lead.outcome"]  # the journey posts none


def test_a_redelivered_call_changes_nothing_and_answers_the_same_outcome(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    payload = {"type": "outcome", "lead_id": lead_id, "outcome": "lost", "reason": "went with a competitor"}
    first = json_body(_send(api, secret, payload, message_id="msg_redelivered"))
    api.clock.advance(minutes=3)

    again = _send(api, secret, payload, message_id="msg_redelivered")

    assert again.status_code == 200
    assert {**json_body(again), "changed": True} == first
    assert len(_events(api, lead_id, "outcome_recorded", "outcome_corrected")) == 1


def test_a_redelivery_after_a_later_correction_does_not_undo_it(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    lost = {"type": "outcome", "lead_id": lead_id, "outcome": "lost"}
    assert _send(api, secret, lost, message_id="msg_lost").status_code == 200
    won = _send(api, secret, {"type": "outcome", "lead_id": lead_id, "outcome": "won", "value": 900},
                message_id="msg_won")
    assert json_body(won)["changed"] is True
    (corrected,) = _events(api, lead_id, "outcome_corrected")
    assert corrected["previous"]["outcome"] == "lost" and corrected["by"] == "crm"

    late = _send(api, secret, lost, message_id="msg_lost")

    assert late.status_code == 200 and json_body(late)["changed"] is False
    assert api.repos.leads.lead("demo", lead_id).outcome.outcome == "won"  # type: ignore[union-attr]


def test_a_webhook_id_reused_for_another_report_is_refused(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    assert _send(api, secret, {"type": "outcome", "lead_id": lead_id, "outcome": "lost"},
                 message_id="msg_same").status_code == 200
    before = _state(api)

    reused = _send(api, secret, {"type": "outcome", "lead_id": lead_id, "outcome": "won"}, message_id="msg_same")

    _refused(reused, 422, "webhook-id")
    assert _state(api) == before


def test_an_outcome_in_the_future_is_refused_naming_at(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    before = _state(api)
    _refused(_send(api, secret, {"type": "outcome", "lead_id": lead_id, "outcome": "won",
                                 "at": "2030-01-01T00:00:00Z", "external_id": "hs-deal-1"}), 422, "at")
    assert _state(api) == before


# --- matching -----------------------------------------------------------------------------------------------


def test_an_external_id_named_once_with_the_email_finds_the_lead_on_its_own_later(api: Api,
                                                                                   crm: tuple[str, str]):
    secret, lead_id = crm
    first = _send(api, secret, {"type": "stage", "email": _email_of(api, lead_id), "external_id": "hs-4711",
                                "stage": "decision"})
    assert first.status_code == 200, first.body

    later = _send(api, secret, {"type": "outcome", "external_id": "hs-4711", "outcome": "won", "value": 1200})

    assert later.status_code == 200, later.body
    assert json_body(later)["lead_id"] == lead_id and json_body(later)["matched_by"] == "external_id"


def test_an_unknown_external_id_is_not_found_and_says_how_to_make_it_known(api: Api, crm: tuple[str, str]):
    secret, _ = crm
    answer = _refused(_send(api, secret, {"type": "outcome", "external_id": "hs-unknown", "outcome": "won"}),
                      404, "external_id")
    assert "lead_id or an email" in answer["message"]


def test_an_external_id_of_one_lead_cannot_be_moved_to_another(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    other_lead = _lead(api)
    assert _send(api, secret, {"type": "stage", "lead_id": lead_id, "external_id": "hs-1",
                               "stage": "decision"}).status_code == 200
    before = _state(api)

    taken = _send(api, secret, {"type": "outcome", "lead_id": other_lead, "external_id": "hs-1", "outcome": "won"})

    _refused(taken, 409, "external_id")
    assert _state(api) == before


@pytest.mark.parametrize(("named", "field"), [
    ({"lead_id": "ld_nobody"}, "lead_id"),
    ({"email": "nobody@kunde.dk"}, "email"),
])
def test_a_lead_that_does_not_exist_is_not_found_naming_the_field(api: Api, crm: tuple[str, str],
                                                                   named: dict[str, str], field: str):
    secret, _ = crm
    before = _state(api)
    _refused(_send(api, secret, {"type": "outcome", "outcome": "won", **named}), 404, field)
    assert _state(api) == before


def test_a_verified_call_for_another_tenant_can_never_touch_its_lead(api: Api, crm: tuple[str, str]):
    _, lead_id = crm
    other_secret = _with_crm(api, key=OTHER_KEY)
    email = _email_of(api, lead_id)
    before = _state(api)

    for named in ({"lead_id": lead_id}, {"email": email}):
        answer = _send(api, other_secret, {"type": "outcome", "outcome": "won", **named}, tenant="other")
        assert answer.status_code == 404, answer.body

    assert _state(api) == before
    assert api.repos.leads.lead("demo", lead_id).outcome is None  # type: ignore[union-attr]


# --- stage changes ------------------------------------------------------------------------------------------


def test_the_crm_moves_a_lead_forward_and_the_timeline_names_it(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    entered = api.repos.leads.lead("demo", lead_id).stage_entered_at  # type: ignore[union-attr]
    api.clock.advance(hours=5)

    response = _send(api, secret, {"type": "stage", "lead_id": lead_id, "stage": "decision"})

    assert response.status_code == 200, response.body
    assert json_body(response) == {"lead_id": lead_id, "stage": "decision", "matched_by": "lead_id", "changed": True}
    moved = _events(api, lead_id, "stage_change")[-1]
    assert (moved["from"], moved["to"], moved["cause"], moved["rule"]) == ("consideration", "decision", "crm", "crm")
    assert moved["entered_from_at"] == entered
    assert api.repos.leads.lead("demo", lead_id).stage_entered_at == "2026-11-23T14:30:00.000Z"  # type: ignore


def test_a_stage_behind_the_leads_is_answered_without_moving_it_back(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    before = _state(api)

    response = _send(api, secret, {"type": "stage", "lead_id": lead_id, "stage": "awareness"})

    assert response.status_code == 200
    answer = json_body(response)
    assert answer["changed"] is False and answer["stage"] == "consideration"
    assert "never moves back" in answer["reason"]
    assert _state(api) == before


def test_a_redelivered_stage_change_moves_the_lead_once(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    payload = {"type": "stage", "lead_id": lead_id, "stage": "decision"}
    assert json_body(_send(api, secret, payload, message_id="msg_stage"))["changed"] is True

    again = _send(api, secret, payload, message_id="msg_stage")

    assert again.status_code == 200 and json_body(again)["changed"] is False
    assert len([e for e in _events(api, lead_id, "stage_change") if e["cause"] == "crm"]) == 1


def test_an_unknown_stage_is_refused_naming_stage(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    before = _state(api)
    answer = _refused(_send(api, secret, {"type": "stage", "lead_id": lead_id, "stage": "closedwon"}), 422, "stage")
    assert "awareness, consideration, decision, customer" in answer["message"]
    assert _state(api) == before


# --- refused calls ------------------------------------------------------------------------------------------


def test_a_tampered_body_is_refused_and_changes_nothing(api: Api, crm: tuple[str, str]):
    secret, lead_id = crm
    body = json.dumps({"type": "outcome", "lead_id": lead_id, "outcome": "won", "value": 100})
    headers = _signed(api, secret, body)
    before = _state(api)

    answer = _refused(_post(api, headers, body.replace("100", "100000")), 401, "webhook-signature")

    assert answer["error"] == "unauthorized"
    assert _state(api) == before


def test_a_call_signed_with_another_secret_is_refused(api: Api, crm: tuple[str, str]):
    _, lead_id = crm
    _refused(_send(api, new_secret(), {"type": "outcome", "lead_id": lead_id, "outcome": "won"}), 401,
             "webhook-signature")


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_call_without_a_signature_header_is_refused_naming_it(api: Api, crm: tuple[str, str], missing: str):
    secret, lead_id = crm
    body = json.dumps({"type": "outcome", "lead_id": lead_id, "outcome": "won"})
    headers = {name: value for name, value in _signed(api, secret, body).items() if name != missing}
    before = _state(api)
    _refused(_post(api, headers, body), 401, missing)
    assert _state(api) == before


@pytest.mark.parametrize("offset", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_a_stale_or_future_timestamp_is_refused_even_when_signed(api: Api, crm: tuple[str, str], offset: timedelta):
    secret, lead_id = crm
    body = json.dumps({"type": "outcome", "lead_id": lead_id, "outcome": "won"})
    before = _state(api)
    answer = _refused(_post(api, _signed(api, secret, body, at_offset=offset), body), 401, "webhook-timestamp")
    assert "5 minutes" in answer["message"]
    assert _state(api) == before


def test_a_tenant_without_a_crm_secret_has_no_crm_inbound(api: Api):
    _journey(api, _always_open())
    body = json.dumps({"type": "outcome", "lead_id": "ld_x", "outcome": "won"})
    for tenant in ("demo", "no-such-tenant"):
        answer = _refused(_post(api, _signed(api, new_secret(), body), body, tenant), 404, "tenant")
        assert "no CRM inbound configured" in answer["message"]


def test_a_body_that_is_not_json_is_refused_naming_the_body(api: Api, crm: tuple[str, str]):
    secret, _ = crm
    body = "type=outcome&outcome=won"
    before = _state(api)
    _refused(_post(api, _signed(api, secret, body), body), 400, "body")
    assert _state(api) == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"lead_id": "ld_x", "outcome": "won"}, "type"),
    ({"type": "deal", "lead_id": "ld_x", "outcome": "won"}, "type"),
    ({"type": "outcome", "outcome": "won"}, "lead_id"),
    ({"type": "outcome", "lead_id": "ld_x"}, "outcome"),
    ({"type": "outcome", "lead_id": "ld_x", "outcome": "maybe"}, "outcome"),
    ({"type": "outcome", "lead_id": "ld_x", "outcome": "won", "value": "lots"}, "value"),
    ({"type": "outcome", "lead_id": "ld_x", "outcome": "won", "currency": "XXY"}, "currency"),
    ({"type": "outcome", "lead_id": "ld_x", "outcome": "won", "stage": "decision"}, "stage"),
    ({"type": "stage", "lead_id": "ld_x"}, "stage"),
    ({"type": "stage", "lead_id": "ld_x", "stage": "decision", "value": 10}, "value"),
    ({"type": "outcome", "lead_id": "ld_x", "outcome": "won", "dealstage": "closedwon"}, "dealstage"),
])
def test_a_body_of_the_wrong_shape_is_refused_naming_the_field(api: Api, crm: tuple[str, str],
                                                               payload: dict[str, Any], field: str):
    secret, _ = crm
    before = _state(api)
    _refused(_send(api, secret, payload), 422, field)
    assert _state(api) == before


# --- the secret in the journey ------------------------------------------------------------------------------


def test_the_crm_secret_is_masked_in_every_answer_and_kept_when_sent_back_masked(api: Api):
    secret = new_secret()
    stored = _admin(api, "PUT", "/admin/journey", {**_always_open(), "crm": {"secret": secret}})
    read = _admin(api, "GET", "/admin/journey")
    for answer in (stored, read):
        assert answer.status_code == 200
        assert secret not in answer.body.decode()
        assert json_body(answer)["definition"]["crm"] == {"secret": "********"}

    document = json_body(read)
    document["definition"]["language"] = "da"
    assert _admin(api, "PUT", "/admin/journey", document).status_code == 200

    crm = api.wiring.journeys.definition("demo").crm
    assert crm is not None and crm.secret == secret
    lead_id = _lead(api)
    assert _send(api, secret, {"type": "stage", "lead_id": lead_id, "stage": "decision"}).status_code == 200


def test_a_crm_stage_change_is_posted_as_lead_stage_changed_with_its_documented_fields(api: Api):
    secret = new_secret()
    _journey(api, {**_always_open(), "crm": {"secret": secret},
                   "webhook": {"url": "https://hooks.demo.dk/leadtrail", "secret": new_secret()}})
    lead_id = _lead(api)
    api.webhooks.posted.clear()

    assert _send(api, secret, {"type": "stage", "lead_id": lead_id, "stage": "decision"}).status_code == 200

    (message,) = [json.loads(body) for _, body, _ in api.webhooks.posted]
    assert message["type"] == "lead.stage_changed"
    assert set(message["data"]) == {"tenant_id", "lead_id", "handover_id", "handover", "owner", "reseller", "from",
                                    "to", "cause", "rule", "entered_from_at"}
    assert (message["data"]["cause"], message["data"]["rule"], message["data"]["to"]) == ("crm", "crm", "decision")


def test_a_crm_outcome_is_charged_to_the_owner_holding_the_lead(api: Api, crm: tuple[str, str]):
    from tests.integration.test_handovers_api import _act, _handover, _owner_key

    secret, lead_id = crm
    key = _owner_key(api, "sales-a@demo.dk")
    assert _act(api, _handover(api, lead_id)["handover_id"], "accept", key).status_code == 200

    response = _send(api, secret, {"type": "outcome", "lead_id": lead_id, "outcome": "won", "value": 1000})

    assert response.status_code == 200, response.body
    (recorded,) = _events(api, lead_id, "outcome_recorded")
    assert (recorded["by"], recorded["owner"]) == ("crm", "sales-a@demo.dk")
