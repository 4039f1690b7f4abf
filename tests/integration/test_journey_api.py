"""GET /admin/journey answers what PUT takes: a round trip changes nothing, the secret stays masked and kept,
and a refused journey lists every problem at its path."""

from __future__ import annotations

import copy
import json
from typing import Any

from chalicelib.domain.webhooks import new_secret
from chalicelib.local.seed import DEMO_JOURNEY
from tests.conftest import DEMO_KEY, Api, json_body


def _admin(api: Api, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}
    return api.client.http.request(method, path, headers=headers, body=json.dumps(body).encode() if body else b"")


def test_a_journey_read_and_stored_again_as_it_is_is_accepted_and_unchanged(api: Api):
    secret = new_secret()
    stored = json_body(_admin(api, "PUT", "/admin/journey", {**DEMO_JOURNEY, "stage_on": {"accepted": "decision"},
                                                             "webhook": {"url": "https://crm.demo.dk/h",
                                                                         "secret": secret}}))
    read = json_body(_admin(api, "GET", "/admin/journey"))
    assert read == stored and read["definition"]["webhook"]["secret"] == "********"
    again = _admin(api, "PUT", "/admin/journey", read)
    assert again.status_code == 200
    assert json_body(again) == read  # same version: nothing was written
    assert json_body(_admin(api, "PUT", "/admin/journey", read["definition"])) == read
    webhook = api.wiring.journeys.definition("demo").webhook
    assert webhook is not None and webhook.secret == secret


def test_the_journey_of_a_new_tenant_round_trips_too(api: Api):
    read = json_body(_admin(api, "GET", "/admin/journey"))
    assert read["version"] == 0
    answer = _admin(api, "PUT", "/admin/journey", read)
    assert answer.status_code == 200 and json_body(answer)["definition"] == read["definition"]


def test_a_new_secret_replaces_the_stored_one(api: Api):
    first, second = new_secret(), new_secret()
    _admin(api, "PUT", "/admin/journey", {"webhook": {"url": "https://crm.demo.dk/h", "secret": first}})
    _admin(api, "PUT", "/admin/journey", {"webhook": {"url": "https://crm.demo.dk/h", "secret": second}})
    webhook = api.wiring.journeys.definition("demo").webhook
    assert webhook is not None and webhook.secret == second


def test_a_document_read_before_someone_else_changed_the_journey_is_refused(api: Api):
    _admin(api, "PUT", "/admin/journey", DEMO_JOURNEY)
    read = json_body(_admin(api, "GET", "/admin/journey"))
    changed = copy.deepcopy(DEMO_JOURNEY)
    changed["language"] = "en"
    _admin(api, "PUT", "/admin/journey", changed)
    stale = _admin(api, "PUT", "/admin/journey", read)
    assert stale.status_code == 409 and json_body(stale)["field"] == "version"
    assert json_body(_admin(api, "GET", "/admin/journey"))["definition"]["language"] == "en"


def test_a_refused_journey_lists_every_problem_at_its_path(api: Api):
    broken = copy.deepcopy(DEMO_JOURNEY)
    broken["handovers"][0]["sla"]["calendar"] = "mars-hours"
    broken["handovers"][0]["escalation"].append({"at": "250%", "action": "remind"})
    response = _admin(api, "PUT", "/admin/journey", broken)
    body = json_body(response)
    assert response.status_code == 422
    assert [problem["field"] for problem in body["fields"]] == ["handovers.0.sla.calendar",
                                                                "handovers.0.escalation.4.at"]
    assert body["field"] == "handovers.0.sla.calendar" and "1 more problem" in body["message"]
    assert not any("Value error" in problem["message"] for problem in body["fields"])
    assert json_body(_admin(api, "GET", "/admin/journey"))["version"] == 0


def test_a_journey_with_its_own_stages_lists_leads_in_them(api: Api):
    stages = {"stages": ["new", "qualified", "offer", "won"]}
    assert _admin(api, "PUT", "/admin/journey", stages).status_code == 200
    ok = api.client.http.get("/leads?stage=qualified", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert ok.status_code == 200
    refused = api.client.http.get("/leads?stage=consideration", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert refused.status_code == 422 and "qualified" in json_body(refused)["message"]
