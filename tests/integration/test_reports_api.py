"""GET /reports/handovers tells the truth: real hand-overs through the API, counted per owner and in total."""

from __future__ import annotations

import json
import uuid
from collections import Counter as Tally
from typing import Any

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, Api, json_body

OWNERS = ("sales-a@demo.dk", "sales-b@demo.dk")
RESCUER = "rescue-desk@demo.dk"
# The demo journey's hand-over, on a clock that never closes so the test can count hours.
JOURNEY: dict[str, Any] = {
    "stages": ["awareness", "consideration", "decision", "customer"],
    "handovers": [{
        "name": "marketing-to-sales",
        "on": "form_submit",
        "route": {"strategy": "round_robin", "owners": list(OWNERS)},
        "sla": {"accept_within": "PT4H", "contact_within": "PT24H"},
        "escalation": [
            {"at": "50%", "action": "remind"},
            {"at": "100%", "action": "escalate", "to": "manager@demo.dk"},
            {"at": "150%", "action": "reassign"},
            {"at": "200%", "action": "gap"},
        ],
    }],
}


def _call(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return api.client.http.request(method, path, headers=headers,
                                   body=json.dumps(body).encode() if body is not None else b"")


def _report(api: Api, query: str = "from=2026-11-23&to=2026-11-24") -> dict[str, Any]:
    response = _call(api, "GET", f"/reports/handovers?{query}")
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def _owner_key(api: Api, owner: str) -> str:
    response = _call(api, "POST", "/admin/owners", {"owner": owner, "language": "da"})
    assert response.status_code == 201, response.body
    return str(json_body(response)["user_key"])


def _handover_of_new_lead(api: Api) -> dict[str, Any]:
    response = api.client.http.post(
        "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
        body=json.dumps({"email": f"lead-{uuid.uuid4().hex[:8]}@kunde.dk", "name": "Kunde"}),
    )
    assert response.status_code == 201, response.body
    lead = json_body(_call(api, "GET", f"/leads/{json_body(response)['lead_id']}"))
    (handover,) = lead["handovers"]
    return dict(handover)


def _act(api: Api, handover_id: str, action: str, key: str) -> None:
    response = _call(api, "POST", f"/handovers/{handover_id}/{action}", {}, key=key)
    assert response.status_code == 200, response.body


def _after(api: Api, **delta: float) -> None:
    api.clock.advance(**delta)
    api.run_timers()


def _nearest_rank(samples: list[float], p: int) -> float | None:
    ordered = sorted(samples)
    return ordered[-(-p * len(ordered) // 100) - 1] if ordered else None


@pytest.fixture
def journey(api: Api) -> dict[str, str]:
    response = _call(api, "PUT", "/admin/journey", JOURNEY)
    assert response.status_code == 200, response.body
    return {owner: _owner_key(api, owner) for owner in (*OWNERS, RESCUER)}


def test_every_outcome_is_counted_for_the_owner_who_held_the_hand_over_and_in_total(api: Api, journey):
    keys = journey
    other = {OWNERS[0]: OWNERS[1], OWNERS[1]: OWNERS[0]}
    expected: dict[str, Tally[str]] = {owner: Tally() for owner in (*OWNERS, RESCUER)}
    accept_times: dict[str, list[float]] = {owner: [] for owner in expected}
    contact_times: dict[str, list[float]] = {owner: [] for owner in expected}

    # Monday 09:30: three leads arrive and their owners are told.
    first, second, third = (_handover_of_new_lead(api) for _ in range(3))
    api.run_timers()

    # The first owner accepts after 21.1 s and calls the customer half an hour after the lead came in.
    _after(api, seconds=21.1)
    _act(api, first["handover_id"], "accept", keys[first["owner"]])
    _after(api, seconds=1800 - 21.1)
    _act(api, first["handover_id"], "contacted", keys[first["owner"]])
    expected[first["owner"]].update(handovers=1, accepted_in_sla=1, contacted=1)
    accept_times[first["owner"]].append(21.1)
    contact_times[first["owner"]].append(1800.0)

    # The second is declined, offered to the other owner, accepted 40 minutes after it arrived, never contacted.
    decliner = second["owner"]
    _act(api, second["handover_id"], "decline", keys[decliner])
    _after(api, seconds=600)
    _act(api, second["handover_id"], "accept", keys[other[decliner]])
    expected[decliner].update(handovers=1, declined=1)
    expected[other[decliner]].update(handovers=1, accepted_in_sla=1, contact_breaches=1)
    accept_times[other[decliner]].append(2400.0)

    # The third is left alone: breached at 4 h, taken from its owner at 6 h, a gap at 8 h with the next.
    for _ in range(4):
        _after(api, hours=2)
    expected[third["owner"]].update(handovers=1, breaches=1, reassigned=1)
    expected[other[third["owner"]]].update(handovers=1, gaps=1)

    # A day after the first leads the second's contact deadline has passed.
    _after(api, hours=16, minutes=1)

    # Tuesday: the gap is rescued by the desk, and a new lead waits for its owner.
    rescue = _call(api, "POST", f"/admin/handovers/{third['handover_id']}/rescue", {"owner": RESCUER})
    assert rescue.status_code == 201, rescue.body
    expected[RESCUER].update(handovers=1, open=1, rescues=1)
    waiting = _handover_of_new_lead(api)
    api.run_timers()
    expected[waiting["owner"]].update(handovers=1, open=1)

    report = _report(api)

    assert report["percentile_method"] == "nearest-rank"
    totals = {name: report[name] for name in ("handovers", "open", "accepted_in_sla", "accepted_late", "declined",
                                               "reassigned", "gaps", "rescues", "breaches", "contacted",
                                               "contact_breaches")}
    assert totals == {"handovers": 5, "open": 2, "accepted_in_sla": 2, "accepted_late": 0, "declined": 1,
                      "reassigned": 1, "gaps": 1, "rescues": 1, "breaches": 1, "contacted": 1,
                      "contact_breaches": 1}
    assert (report["time_to_accept_p50"], report["time_to_accept_p90"]) == (21.1, 2400.0)
    assert (report["time_to_contact_p50"], report["time_to_contact_p90"]) == (1800.0, 1800.0)
    assert set(report["owners"]) == set(expected)
    for owner, counts in expected.items():
        row = report["owners"][owner]
        assert set(row) == set(report) - {"from", "to", "percentile_method", "owners"}, owner
        assert {name: row[name] for name in totals} == {name: counts[name] for name in totals}, owner
        for name, times in (("time_to_accept", accept_times[owner]), ("time_to_contact", contact_times[owner])):
            assert (row[f"{name}_p50"], row[f"{name}_p90"]) == (_nearest_rank(times, 50), _nearest_rank(times, 90))

    # The stream delivers everything again (a retried batch): nothing is counted twice.
    api.tap.position = 0
    api.drain()
    assert _report(api) == report


def test_one_accept_after_21_1_seconds_is_every_percentile(api: Api, journey):
    handover = _handover_of_new_lead(api)
    api.run_timers()
    _after(api, seconds=21.1)
    _act(api, handover["handover_id"], "accept", journey[handover["owner"]])

    report = _report(api)

    for scope in (report, report["owners"][handover["owner"]]):
        assert (scope["time_to_accept_p50"], scope["time_to_accept_p90"]) == (21.1, 21.1)
        assert (scope["accepted_in_sla"], scope["open"]) == (1, 0)
        assert scope["time_to_contact_p50"] is None


def test_a_report_counts_the_hand_overs_started_in_its_range(api: Api, journey):
    monday = _handover_of_new_lead(api)
    api.clock.advance(days=1)
    tuesday = _handover_of_new_lead(api)
    # Accepting Monday's hand-over on Tuesday counts for Monday, where the hand-over started.
    _act(api, monday["handover_id"], "accept", journey[monday["owner"]])

    assert (_report(api, "from=2026-11-23&to=2026-11-23")["handovers"],
            _report(api, "from=2026-11-23&to=2026-11-23")["accepted_late"]) == (1, 1)
    only_tuesday = _report(api, "from=2026-11-24&to=2026-11-24")
    assert (only_tuesday["handovers"], only_tuesday["open"], only_tuesday["accepted_late"]) == (1, 1, 0)
    assert list(only_tuesday["owners"]) == [tuesday["owner"]]


def test_a_report_reads_the_range_in_one_query(api: Api, journey, monkeypatch):
    for _ in range(3):
        _handover_of_new_lead(api)
        api.clock.advance(days=1)
    table = api.wiring.repositories.counters.table  # the one the report service reads

    class CountingClient:
        def __init__(self, client: Any):
            self.client, self.queries = client, 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def query(self, **request: Any) -> Any:
            self.queries += 1
            return self.client.query(**request)

    counting = CountingClient(table.client)
    monkeypatch.setattr(table, "client", counting)
    assert _report(api, "from=2026-11-01&to=2026-11-30")["handovers"] == 3
    assert counting.queries == 1


def test_an_empty_range_reports_zeroes_and_no_percentiles(api: Api):
    report = _report(api, "from=2025-01-01&to=2025-01-31")
    assert report["handovers"] == report["open"] == report["contacted"] == 0
    assert report["time_to_accept_p50"] is None and report["owners"] == {}
    assert (report["from"], report["to"]) == ("2025-01-01", "2025-01-31")


def test_a_time_in_the_range_counts_as_its_whole_day_and_the_answer_names_the_days(api: Api):
    report = _report(api, "from=2025-01-01T15:00:00Z&to=2025-01-31T08:00:00Z")
    assert (report["from"], report["to"]) == ("2025-01-01", "2025-01-31")
    refused = json_body(_call(api, "GET", "/reports/handovers?to=soon"))
    assert refused["message"].startswith("to must be a day like 2026-11-25 (a time counts as its whole day)")


@pytest.mark.parametrize(("query", "field"), [
    ("from=yesterday", "from"),
    ("to=2026-13-45", "to"),
    ("from=2026-11-30&to=2026-11-01", "from"),
    ("from=2024-01-01&to=2026-11-01", "from"),
    ("from=2026-02-30", "from"),
    ("colour=red", "colour"),
])
def test_a_bad_range_is_refused_naming_the_field(api: Api, query, field):
    response = _call(api, "GET", f"/reports/handovers?{query}")
    assert response.status_code == 422
    body = json_body(response)
    assert body["field"] == field and body["error"] == "invalid_input" and field in body["message"]


def test_a_report_needs_the_admin_key_not_an_owner_key(api: Api, journey):
    assert api.client.http.get("/reports/handovers").status_code == 401
    assert _call(api, "GET", "/reports/handovers", key=journey[OWNERS[0]]).status_code in (401, 403)


def test_each_tenant_sees_only_its_own_counts(api: Api, journey):
    _handover_of_new_lead(api)
    other = json_body(_call(api, "GET", "/reports/handovers?from=2026-11-23&to=2026-11-23", key=OTHER_KEY))
    assert other["handovers"] == 0 and other["owners"] == {}
    assert _report(api)["handovers"] == 1
