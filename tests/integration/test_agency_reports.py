"""An agency's report key reads funnel and ROI for its own campaigns only, and nothing about people."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body


def _call(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY) -> Any:
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {key}",
                                                          "Content-Type": "application/json"},
                                   body=json.dumps(body).encode() if body is not None else b"")


def _lead_from(api: Api, campaign: str) -> str:
    vid = "v" + uuid.uuid4().hex[:20]
    url = f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign={campaign}"
    event = {"type": "pageview", "url": url, "ref": "", "title": "Side", "ts": None, "id": uuid.uuid4().hex[:12]}
    api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                         body=json.dumps({"site": "demo", "vid": vid, "events": [event]}))
    api.clock.advance(minutes=1)
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"email": f"{campaign}-{vid}@firma.dk", "et_vid": vid}))
    assert response.status_code == 201
    return str(json_body(response)["lead_id"])


def test_a_report_key_sees_its_campaigns_and_nothing_else(api: Api):
    _lead_from(api, "spring")
    _lead_from(api, "summer")
    costs = [{"campaign": name, "source": "google", "medium": "cpc", "from": "2026-11-01", "to": "2026-11-30",
              "amount": 3000} for name in ("spring", "summer")]
    assert _call(api, "PUT", "/admin/costs", {"currency": "DKK", "rows": costs}).status_code == 200
    issued = json_body(_call(api, "POST", "/admin/report-keys", {"name": "Bureauet", "campaigns": ["spring"]}))
    agency = issued["report_key"]

    roi = json_body(_call(api, "GET", "/reports/roi?from=2026-11-01&to=2026-11-30&model=linear", key=agency))
    assert [group["group"] for group in roi["marketing"]["groups"]] == ["spring"]
    assert roi["marketing"]["total"]["cost"] == "3000.00" and roi["marketing"]["total"]["leads"] == "1.00"
    assert "referral" not in roi
    funnel = json_body(_call(api, "GET", "/reports/funnel?from=2026-11-01&to=2026-11-30", key=agency))
    assert funnel["by"] == "campaign" and [group["group"] for group in funnel["groups"]] == ["spring"]
    assert funnel["total"]["leads"] == 1 and funnel["total"]["visitors"] == 1
    assert "@" not in json.dumps(funnel) + json.dumps(roi)  # no personal data

    # The admin sees both campaigns.
    everything = json_body(_call(api, "GET", "/reports/roi?from=2026-11-01&to=2026-11-30"))
    assert [group["group"] for group in everything["marketing"]["groups"]] == ["spring", "summer"]


def test_a_report_key_groups_by_campaign_only_and_reads_no_other_report(api: Api):
    agency = json_body(_call(api, "POST", "/admin/report-keys", {"name": "Bureauet", "campaigns": ["spring"]}))[
        "report_key"]

    refused = _call(api, "GET", "/reports/roi?by=channel", key=agency)
    assert refused.status_code == 422 and json_body(refused)["field"] == "by"
    assert _call(api, "GET", "/reports/funnel?by=owner", key=agency).status_code == 422
    assert _call(api, "GET", "/reports/handovers", key=agency).status_code == 401
    assert _call(api, "GET", "/leads", key=agency).status_code == 401
