"""Visitors in the funnel: distinct visitors per day, in the groups of their first landing that day."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body


def _view(api: Api, vid: str, url: str, ref: str = "") -> None:
    api.clock.advance(minutes=1)
    event = {"type": "pageview", "url": url, "ref": ref, "title": "Side", "ts": None, "id": uuid.uuid4().hex[:12]}
    response = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"site": "demo", "vid": vid, "events": [event]}))
    assert response.status_code == 202


def _funnel(api: Api, by: str) -> dict[str, Any]:
    response = api.client.http.get(f"/reports/funnel?by={by}&from=2026-11-01&to=2026-11-30",
                                   headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def _visitors(report: dict[str, Any]) -> dict[str, int]:
    return {group["group"]: group["visitors"] for group in report["groups"]}


def test_a_visitor_counts_once_a_day_in_the_groups_of_the_first_landing(api: Api):
    spring = f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    summer = f"{DEMO_ORIGIN}/batteri?utm_source=google&utm_medium=cpc&utm_campaign=summer"
    anna, bo = "v" + uuid.uuid4().hex[:20], "v" + uuid.uuid4().hex[:20]

    _view(api, anna, spring)
    _view(api, anna, f"{DEMO_ORIGIN}/priser", f"{DEMO_ORIGIN}/solceller")  # a click inside the site
    _view(api, anna, summer)  # a second landing the same day: Anna is already counted
    _view(api, bo, f"{DEMO_ORIGIN}/", "")  # typed the address

    assert _visitors(_funnel(api, "campaign")) == {"spring": 1, "(none)": 1}
    assert _visitors(_funnel(api, "landing_page")) == {"/solceller": 1, "/": 1}
    assert _visitors(_funnel(api, "channel")) == {"paid_search": 1, "direct": 1}
    assert _funnel(api, "campaign")["total"]["visitors"] == 2
    # By owner or lead type there are no visitors to show: they are not leads.
    assert _funnel(api, "lead_type")["groups"] == [] and _funnel(api, "owner")["total"]["visitors"] == 2

    api.clock.advance(hours=24)
    _view(api, anna, summer)  # the next day she counts again, now for summer
    assert _visitors(_funnel(api, "campaign")) == {"spring": 1, "summer": 1, "(none)": 1}
    assert _funnel(api, "campaign")["dead_ends"]["no_leads"] == [
        {"by": "campaign", "group": "spring", "visitors": 1}, {"by": "campaign", "group": "summer", "visitors": 1},
        {"by": "landing_page", "group": "/", "visitors": 1}, {"by": "landing_page", "group": "/batteri", "visitors": 1},
        {"by": "landing_page", "group": "/solceller", "visitors": 1}]


def test_redelivered_page_views_count_no_visitor_twice(api: Api):
    from tests.conftest import StreamTap, drain

    vid = "v" + uuid.uuid4().hex[:20]
    _view(api, vid, f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign=spring")
    before = _funnel(api, "campaign")

    drain(StreamTap(api.repos.table_name), api.wiring)  # every record again, from the start

    assert _funnel(api, "campaign") == before


def test_report_parameters_are_checked(api: Api):
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    for query, field in [("by=colour", "by"), ("model=last_click", "model"), ("from=yesterday", "from"),
                         ("from=2026-11-20&to=2026-11-01", "from"), ("colour=red", "colour")]:
        response = api.client.http.get(f"/reports/roi?{query}", headers=headers)
        assert response.status_code == 422 and json_body(response)["field"] == field, (query, response.body)
    assert api.client.http.get("/reports/funnel?by=owner&model=linear", headers=headers).status_code == 422
    assert api.client.http.get("/reports/funnel").status_code == 401
    assert api.client.http.get("/reports/roi", headers={"Authorization": "Bearer nope"}).status_code == 401
