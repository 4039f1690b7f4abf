"""A person's data (GDPR): everything held about them in one document, and an erasure after which the whole
table holds neither their e-mail nor their visitor ids, while the reports still add up."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from chalicelib.domain.webhooks import new_secret
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

FORM = {"Content-Type": "application/json", "Origin": DEMO_ORIGIN}


def _admin(api: Api, method: str, path: str, body: Any = None, key: str = DEMO_KEY) -> Any:
    return api.client.http.request(method, path, headers={"Authorization": f"Bearer {key}",
                                                          "Content-Type": "application/json"},
                                   body=json.dumps(body).encode() if body is not None else b"")


def _everything_about(api: Api, email: str, visitor: str) -> str:
    """A customer who browses from a campaign, sends two forms (one refused), is handed over, accepted, surveyed,
    answers, is reported won by the reseller and linked from the CRM; a webhook to them fails for good."""
    crm_secret = new_secret()
    journey = {"survey_basis": "legitimate_interest", "crm": {"secret": crm_secret},
               "webhook": {"url": "https://hooks.demo.dk/leadtrail", "secret": new_secret()},
               "surveys": [{"name": "after-accept", "after": "handover_accepted", "delay": "PT1H"}],
               "handovers": [{"name": "to-resellers", "on": "form_submit", "route": {"strategy": "resellers"},
                              "sla": {"accept_within": "PT4H"}}]}
    assert _admin(api, "PUT", "/admin/journey", journey).status_code == 200
    reseller = json_body(_admin(api, "POST", "/admin/resellers", {
        "reseller_id": "nord", "name": "Nord El", "contacts": ["salg@nord.dk"], "regions": ["8000-8999"]}))
    event = {"type": "pageview", "url": f"{DEMO_ORIGIN}/?utm_source=google&utm_medium=cpc&utm_campaign=vinter",
             "ref": "", "title": "Forside", "ts": None, "id": uuid.uuid4().hex[:12]}
    collected = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                     body=json.dumps({"site": "demo", "vid": visitor, "events": [event]}))
    assert collected.status_code == 202
    api.clock.advance(minutes=1)
    refused = api.client.http.post("/forms/demo", headers=FORM, body=json.dumps({"email": email.replace("@", "")}))
    assert refused.status_code == 422
    answer = api.client.http.post("/forms/demo", headers=FORM, body=json.dumps(
        {"email": email, "name": "Karen Holm", "phone": "+45 12 34 56 78", "postcode": "8200", "et_vid": visitor}))
    lead_id = str(json_body(answer)["lead_id"])
    api.webhooks.outcomes += [500] * 4  # the lead.created message fails every attempt: a dead letter
    api.run_timers()
    key = reseller["api_key"]
    assert _admin(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=key).status_code == 200
    assert _admin(api, "POST", f"/reseller/leads/{lead_id}/outcome", {"outcome": "won", "value": 9000},
                  key=key).status_code == 200
    api.clock.advance(hours=1, minutes=1)
    api.run_timers()
    link = re.search(r"https://api\.leadtrail\.test(/s/[^?\s]+)", api.mailer.sent[-1][2])
    assert link is not None
    api.client.http.post(link.group(1), headers={"Content-Type": "application/x-www-form-urlencoded"},
                         body=b"step=0&answer=yes&action=next")
    from tests.integration.test_crm_inbound_api import _send

    assert _send(api, crm_secret, {"type": "outcome", "lead_id": lead_id, "external_id": "hubspot-991",
                                   "outcome": "won", "value": 9000}).status_code == 200
    return lead_id


def _table_text(api: Api) -> str:
    return json.dumps(api.items(), ensure_ascii=False).lower()


def test_the_export_holds_the_lead_its_timeline_page_views_consents_hand_overs_and_survey_answers(api: Api):
    email, visitor = f"karen-{uuid.uuid4().hex[:6]}@kunde.dk", "v" + uuid.uuid4().hex[:20]
    lead_id = _everything_about(api, email, visitor)

    exported = json_body(_admin(api, "GET", f"/admin/people?email={email.upper()}"))

    assert exported["email"] == email and exported["lead"]["lead_id"] == lead_id
    assert exported["lead"]["phone"] == "+45 12 34 56 78" and exported["lead"]["handovers"][0]["reseller"] == "nord"
    types = {entry["type"] for entry in exported["timeline"]}
    assert {"pageview", "form_submit", "accepted", "outcome_recorded", "survey_answered"} <= types
    assert exported["surveys"][0]["answers"] == {"contacted": "yes"}
    assert _admin(api, "GET", "/admin/people?email=nobody@kunde.dk").status_code == 404
    assert _admin(api, "GET", "/admin/people?email=not-an-address").status_code == 422
    assert _admin(api, "GET", f"/admin/people?email={email}", key="other-admin-key").status_code == 404


def test_after_erasure_the_table_holds_neither_the_email_nor_the_visitor_and_the_reports_still_add_up(api: Api):
    email, visitor = f"karen-{uuid.uuid4().hex[:6]}@kunde.dk", "v" + uuid.uuid4().hex[:20]
    lead_id = _everything_about(api, email, visitor)
    before = json_body(_admin(api, "GET", "/reports/funnel?from=2026-11-23&to=2026-11-23&by=campaign"))["total"]
    assert email in _table_text(api) and visitor in _table_text(api), "the scenario left the person everywhere"

    erased = _admin(api, "DELETE", f"/admin/people?email={email}")
    again = _admin(api, "DELETE", f"/admin/people?email={email}")

    assert erased.status_code == 200 and json_body(erased)["changed"] is True
    assert json_body(again)["changed"] is False and json_body(again)["erased"] is True, (erased.body, again.body)
    everything = _table_text(api)
    left = [item for item in api.items() if email in json.dumps(item).lower() or visitor in json.dumps(item)
            or lead_id in json.dumps(item)]
    assert not left, left
    assert email not in everything and visitor not in everything and lead_id not in everything
    assert "karen holm" not in everything and "12 34 56 78" not in everything
    after = json_body(_admin(api, "GET", "/reports/funnel?from=2026-11-23&to=2026-11-23&by=campaign"))["total"]
    assert after == before, "counters hold no person and stay as they were"
    assert _admin(api, "GET", f"/admin/people?email={email}").status_code == 404
    assert "erased at" in json_body(_admin(api, "GET", f"/admin/people?email={email}"))["message"]
    assert _admin(api, "GET", f"/leads/{lead_id}").status_code == 404
