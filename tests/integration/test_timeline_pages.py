"""A lead's timeline is never cut: a long one comes a page at a time, page views merged in by time."""

from __future__ import annotations

import json
from urllib.parse import quote

from chalicelib.domain.leads import lead_id_for
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

VID = "visitor-timeline-01"


def _get(api: Api, path: str) -> dict:
    response = api.client.http.get(path, headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def test_a_timeline_longer_than_a_page_is_read_whole_through_its_cursor(api: Api, monkeypatch):
    monkeypatch.setattr("chalicelib.services.leads.TIMELINE_PAGE", 7)
    api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=json.dumps({
        "site": "demo", "vid": VID,
        "events": [{"type": "pageview", "url": f"https://www.nordlys-solar.dk/{n}", "id": f"pv{n}"} for n in range(3)],
    }))
    for number in range(10):
        api.clock.advance(minutes=1)
        response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json",
                                                                "Origin": DEMO_ORIGIN},
                                        body=json.dumps({"email": "lang@kunde.dk", "et_vid": VID,
                                                         "message": f"besked {number}"}))
        assert response.status_code == 201
    lead_id = lead_id_for("demo", "lang@kunde.dk")

    page = _get(api, f"/leads/{lead_id}")
    entries, cursor, pages = page["timeline"], page["timeline_next_cursor"], 1
    while cursor:
        page = _get(api, f"/leads/{lead_id}/timeline?cursor={quote(cursor)}")
        entries += page["timeline"]
        cursor, pages = page["next_cursor"], pages + 1

    assert pages > 1
    types = [entry["type"] for entry in entries]
    assert types.count("form_submit") == 10 and types.count("pageview") == 3 and types.count("stage_change") == 1
    assert len({entry["event_id"] for entry in entries}) == len(entries)  # nothing twice
    assert [entry["at"] for entry in entries] == sorted(entry["at"] for entry in entries)


def test_a_crafted_timeline_cursor_is_a_422_naming_the_cursor(api: Api):
    api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                         body=json.dumps({"email": "kort@kunde.dk"}))
    lead_id = lead_id_for("demo", "kort@kunde.dk")
    for cursor in ("nonsense", "~2026-01-01T00:00:00Z", "eyJwayI6W119~2026-01-01", "x" * 5000):
        response = api.client.http.get(f"/leads/{lead_id}/timeline?cursor={quote(cursor)}",
                                       headers={"Authorization": f"Bearer {DEMO_KEY}"})
        assert response.status_code == 422, (cursor, response.status_code)
        assert json_body(response)["field"] == "cursor"
