"""A reseller sees only what was handed to it: every reseller route, tried with the wrong reseller's key and the
wrong producer's, answers as if the lead did not exist and changes nothing; keys are never admin keys."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, OTHER_ORIGIN, Api, json_body

JOURNEY = {"handovers": [{"name": "to-resellers", "on": "form_submit",
                          "route": {"strategy": "resellers", "match": "postcode", "others": "never"},
                          "sla": {"accept_within": "PT4H"}}]}
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("accept", {}), ("decline", {"reason": "not mine"}), ("contacted", {}),
    ("outcome", {"outcome": "won", "value": 1000}),
    ("consent", {"purpose": "share_with_producer", "granted": True, "source": "phone"}),
]


def _call(api: Api, method: str, path: str, key: str, body: Any = None) -> Any:
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {key}",
                                                          "Content-Type": "application/json"},
                                   body=json.dumps(body).encode() if body is not None else b"")


def _reseller(api: Api, admin: str, reseller_id: str, regions: list[str]) -> str:
    response = _call(api, "POST", "/admin/resellers", admin, {
        "reseller_id": reseller_id, "name": reseller_id, "contacts": [f"salg@{reseller_id}.{admin.split('-')[0]}.dk"],
        "regions": regions})
    assert response.status_code == 201, response.body
    return str(json_body(response)["api_key"])


def _lead(api: Api, site: str, origin: str, postcode: str) -> str:
    response = api.client.http.post(f"/forms/{site}", headers={"Content-Type": "application/json", "Origin": origin},
                                    body=json.dumps({"email": f"k-{uuid.uuid4().hex[:8]}@kunde.dk",
                                                     "postcode": postcode}))
    assert response.status_code == 201, response.body
    return str(json_body(response)["lead_id"])


@pytest.fixture
def world(api: Api) -> dict[str, str]:
    """Producer demo with resellers nord and syd; producer other with its reseller vest; one lead each."""
    for admin in (DEMO_KEY, OTHER_KEY):
        assert _call(api, "PUT", "/admin/journey", admin, JOURNEY).status_code == 200
    keys = {"nord": _reseller(api, DEMO_KEY, "nord", ["8000-8999"]),
            "syd": _reseller(api, DEMO_KEY, "syd", ["5000-5999"]),
            "vest": _reseller(api, OTHER_KEY, "vest", ["8000-8999"])}
    return {**keys, "nord_lead": _lead(api, "demo", DEMO_ORIGIN, "8200"),
            "vest_lead": _lead(api, "other", OTHER_ORIGIN, "8200")}


def _state(api: Api, lead_id: str, admin: str = DEMO_KEY) -> Any:
    lead = json_body(_call(api, "GET", f"/leads/{lead_id}", admin))
    return lead["handovers"], lead["outcome"], lead["consent"]


@pytest.mark.parametrize(("intruder", "victim"), [("syd", "nord_lead"), ("vest", "nord_lead"), ("nord", "vest_lead")])
def test_every_reseller_route_answers_404_for_a_lead_not_handed_to_the_key_and_changes_nothing(
        api: Api, world: dict[str, str], intruder: str, victim: str):
    lead_id = world[victim]
    admin = OTHER_KEY if victim == "vest_lead" else DEMO_KEY
    before = _state(api, lead_id, admin)

    answers = [_call(api, "GET", f"/reseller/leads/{lead_id}", world[intruder])]
    answers += [_call(api, "POST", f"/reseller/leads/{lead_id}/{action}", world[intruder], body)
                for action, body in ACTIONS]

    assert [answer.status_code for answer in answers] == [404] * (1 + len(ACTIONS))
    assert all(json_body(answer)["field"] == "lead_id" for answer in answers)
    assert _state(api, lead_id, admin) == before
    listed = json_body(_call(api, "GET", "/reseller/leads", world[intruder]))["leads"]
    assert lead_id not in {row["lead_id"] for row in listed}


def test_a_sales_report_with_another_resellers_customer_is_unmatched_and_records_nothing(
        api: Api, world: dict[str, str]):
    email = json_body(_call(api, "GET", f"/leads/{world['nord_lead']}", DEMO_KEY))["email"]

    report = json_body(_call(api, "POST", "/reseller/sales", world["syd"],
                             {"sales": [{"email": email, "outcome": "won", "value": "5000"}]}))

    assert (report["matched"], report["unmatched"]) == (0, 1)
    assert _state(api, world["nord_lead"])[1] is None


def test_a_reseller_working_for_two_producers_has_a_key_for_each_that_sees_only_that_producers_leads(
        api: Api, world: dict[str, str]):
    # "nord" of demo and "vest" of other both cover 8200: each key lists its own producer's lead only.
    assert {row["lead_id"] for row in json_body(_call(api, "GET", "/reseller/leads", world["nord"]))["leads"]} == {
        world["nord_lead"]}
    assert {row["lead_id"] for row in json_body(_call(api, "GET", "/reseller/leads", world["vest"]))["leads"]} == {
        world["vest_lead"]}
    same_id = _reseller(api, OTHER_KEY, "nord", ["9000-9999"])
    assert same_id != world["nord"], "the same reseller id at another producer has a key of its own"
    assert json_body(_call(api, "GET", "/reseller/me", same_id))["regions"] == ["9000-9999"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/resellers"), ("POST", "/admin/resellers"), ("PUT", "/admin/journey"),
    ("GET", "/producer/end-customers"), ("GET", "/reports/resellers"), ("GET", "/reports/roi"),
    ("GET", "/admin/people?email=a@b.dk"),
])
def test_a_reseller_key_opens_no_producer_route(api: Api, world: dict[str, str], method: str, path: str):
    response = _call(api, method, path, world["nord"], {} if method != "GET" else None)

    assert response.status_code == 401 and json_body(response)["field"] == "Authorization"


def test_a_lead_answers_404_to_a_reseller_key_on_the_producers_lead_route(api: Api, world: dict[str, str]):
    assert _call(api, "GET", f"/leads/{world['nord_lead']}", world["nord"]).status_code == 401


@pytest.mark.parametrize("path", ["/reseller/me", "/reseller/leads", "/reseller/sales/unmatched"])
def test_the_producers_admin_key_and_no_key_are_refused_on_reseller_routes(api: Api, world: dict[str, str],
                                                                          path: str):
    with_admin = _call(api, "GET", path, DEMO_KEY)
    without = api.client.http.get(path)

    for response in (with_admin, without):
        assert response.status_code == 401
        assert set(json_body(response)) == {"error", "message", "field", "fields"}
        assert json_body(response)["field"] == "Authorization"


def test_the_producer_sees_every_resellers_hand_over_and_never_a_key(api: Api, world: dict[str, str]):
    handovers, _, _ = _state(api, world["nord_lead"])
    listed = json_body(_call(api, "GET", "/admin/resellers", DEMO_KEY))["resellers"]

    assert handovers[0]["reseller"] == "nord" and handovers[0]["owner"].startswith("salg@nord")
    assert [row["reseller_id"] for row in listed] == ["nord", "syd"]
    assert all("api_key" not in row and "match_secret" not in row for row in listed)


def test_a_new_key_stops_the_old_one_at_once(api: Api, world: dict[str, str]):
    issued = json_body(_call(api, "POST", "/admin/resellers/nord/keys", DEMO_KEY))

    assert _call(api, "GET", "/reseller/me", world["nord"]).status_code == 401
    assert _call(api, "GET", "/reseller/me", issued["api_key"]).status_code == 200
