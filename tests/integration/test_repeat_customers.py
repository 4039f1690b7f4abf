"""Repeat customers: a lead whose last hand-over is over starts a new cycle when it sends a form again."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body
from tests.integration.test_handovers_api import _act, _admin, _always_open, _journey, _lead_view, _owner_key

EMAIL = "gentagelse@kunde.dk"


def _form(api: Api, message: str, headers: dict[str, str] | None = None) -> str:
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json",
                                                            "Origin": DEMO_ORIGIN, **(headers or {})},
                                    body=json.dumps({"email": EMAIL, "name": "Kunde", "message": message}))
    assert response.status_code in (200, 201), response.body
    return str(json_body(response)["lead_id"])


def _handovers(api: Api, lead_id: str) -> list[dict[str, Any]]:
    return list(_lead_view(api, lead_id)["handovers"])


def _starts(api: Api, lead_id: str) -> list[dict[str, Any]]:
    return [event for event in _lead_view(api, lead_id)["timeline"] if event["type"] == "handover_started"]


def _handover_count(api: Api) -> int:
    response = api.client.http.get("/reports/handovers?from=2026-11-01&to=2027-03-01",
                                   headers={"Authorization": f"Bearer {DEMO_KEY}"})
    return int(json_body(response)["handovers"])


def test_a_form_while_the_hand_over_runs_is_part_of_the_same_cycle(api: Api):
    _journey(api, _always_open())
    lead_id = _form(api, "Første henvendelse")
    key = _owner_key(api, "sales-a@demo.dk")
    (first,) = _handovers(api, lead_id)
    assert _act(api, first["handover_id"], "accept", key).status_code == 200

    api.clock.advance(days=30)
    _form(api, "Et spørgsmål mere")

    assert [handover["handover_id"] for handover in _handovers(api, lead_id)] == [first["handover_id"]]


def test_a_customer_back_after_cycle_after_starts_a_new_cycle_counted_on_its_own(api: Api):
    _journey(api, {**_always_open(), "cycle_after": "P60D"})
    lead_id = _form(api, "Første henvendelse")
    key = _owner_key(api, "sales-a@demo.dk")
    (first,) = _handovers(api, lead_id)
    assert _act(api, first["handover_id"], "accept", key).status_code == 200

    api.clock.advance(days=61)
    _form(api, "Nu vil vi også have batterier")

    handovers = _handovers(api, lead_id)
    assert len(handovers) == 2 and handovers[0]["handover_id"] != handovers[1]["handover_id"]
    second = next(h for h in handovers if h["handover_id"] != first["handover_id"])
    assert second["status"] == "offered"
    start = _starts(api, lead_id)[-1]
    assert (start["handover_id"], start["previous_handover_id"], start["new_cycle"]) == (
        second["handover_id"], first["handover_id"], "accepted long ago")
    assert _handover_count(api) == 2


def test_a_lost_lead_that_comes_back_starts_a_new_cycle_and_a_retry_starts_no_third(api: Api):
    _journey(api, _always_open())
    lead_id = _form(api, "Første henvendelse")
    key = _owner_key(api, "sales-a@demo.dk")
    (first,) = _handovers(api, lead_id)
    assert _act(api, first["handover_id"], "accept", key).status_code == 200
    lost = _admin(api, "POST", f"/leads/{lead_id}/outcome", {"outcome": "lost", "reason": "for dyrt"})
    assert lost.status_code == 200

    api.clock.advance(days=2)
    retry = {"Idempotency-Key": "kom-tilbage-1"}
    _form(api, "Vi prøver igen", retry)
    _form(api, "Vi prøver igen", retry)  # the same request again: no third cycle

    starts = _starts(api, lead_id)
    assert len(_handovers(api, lead_id)) == 2 and len(starts) == 2
    assert starts[-1]["new_cycle"] == "lost"


def test_a_gap_ends_the_cycle_and_the_next_form_starts_another(api: Api):
    _journey(api)  # the default ladder: a gap at 200 % of 4 business hours
    lead_id = _form(api, "Første henvendelse")
    for _ in range(6):
        api.clock.advance(hours=12)
        api.run_timers()
    (first,) = _handovers(api, lead_id)
    assert first["status"] == "gap"

    _form(api, "Hallo? Vi hørte aldrig fra jer")

    assert _starts(api, lead_id)[-1]["new_cycle"] == "gap"
    assert sorted(handover["status"] for handover in _handovers(api, lead_id)) == ["gap", "offered"]
