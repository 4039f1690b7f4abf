"""The README's webhook event catalogue is what receivers really get: every type, with the same fields."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.domain.webhooks import new_secret
from tests.conftest import Api
from tests.integration.test_handovers_api import _act, _always_open, _handover, _journey, _lead, _owner_key

README = Path(__file__).resolve().parents[2] / "README.md"


def _documented() -> dict[str, dict[str, Any]]:
    section = README.read_text(encoding="utf-8").split("### Events", 1)[1].split("\n## ", 1)[0]
    bodies = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", section, re.S)]
    return {body["type"]: body for body in bodies}


def _every_event_once(api: Api) -> dict[str, dict[str, Any]]:
    journey = _always_open(contact_within="PT1H")
    journey["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": new_secret()}
    journey["handovers"][0]["escalation"] = [
        {"at": "50%", "action": "remind"}, {"at": "100%", "action": "escalate", "to": "manager@demo.dk"},
        {"at": "150%", "action": "reassign"}, {"at": "200%", "action": "gap"}]
    _journey(api, journey)
    keys = {owner: _owner_key(api, owner) for owner in ("sales-a@demo.dk", "sales-b@demo.dk")}
    first = _handover(api, _lead(api, company="Hansen VVS ApS"))
    api.run_timers()
    _act(api, first["handover_id"], "accept", keys[first["owner"]])
    api.clock.advance(hours=2)
    api.run_timers()
    _act(api, first["handover_id"], "contacted", keys[first["owner"]])
    outcome = json.dumps({"outcome": "won", "value": 25000})
    won = api.client.http.post(f"/leads/{first['lead_id']}/outcome", body=outcome,
                               headers={"Authorization": f"Bearer {keys[first['owner']]}",
                                        "Content-Type": "application/json"})
    assert won.status_code == 200, won.body
    second = _handover(api, _lead(api))
    api.run_timers()
    _act(api, second["handover_id"], "decline", keys[second["owner"]], {"reason": "outside my region"})
    for _ in range(10):
        api.clock.advance(hours=1)
        api.run_timers()
    _a_reseller_reports_a_sale(api, journey)
    _a_customer_says_nobody_called(api, journey)
    sent: dict[str, dict[str, Any]] = {}
    for _, body, _ in api.webhooks.posted:
        message = json.loads(body)
        sent.setdefault(message["type"], message)
    return sent


def _a_reseller_reports_a_sale(api: Api, journey: dict[str, Any]) -> None:
    """The same webhook, a journey handing leads to a reseller, and the reseller's report of a won deal."""
    admin = {"Authorization": "Bearer demo-admin-key", "Content-Type": "application/json"}
    journey = {**journey, "handovers": [{**journey["handovers"][0], "route": {"strategy": "resellers"}}]}
    assert api.client.http.put("/admin/journey", body=json.dumps(journey), headers=admin).status_code == 200
    created = api.client.http.post("/admin/resellers", headers=admin, body=json.dumps(
        {"reseller_id": "nord-el", "name": "Nord El ApS", "contacts": ["salg@nord-el.dk"], "regions": ["8000-8999"]}))
    key = {**admin, "Authorization": f"Bearer {json.loads(created.body)['api_key']}"}
    lead_id = _lead(api, postcode="8200", consent_share_with_producer="true")
    for path, body in ((f"/reseller/leads/{lead_id}/accept", {}),
                       (f"/reseller/leads/{lead_id}/outcome", {"outcome": "won", "value": 48000})):
        assert api.client.http.post(path, body=json.dumps(body), headers=key).status_code == 200


def _a_customer_says_nobody_called(api: Api, journey: dict[str, Any]) -> None:
    """The same webhook and a survey a day after each accept, answered "no" to "were you contacted?"."""
    import re

    survey = {"name": "after-accept", "after": "handover_accepted", "delay": "P1D"}
    _journey(api, {**journey, "survey_basis": "legitimate_interest", "surveys": [survey]})
    keys = {owner: _owner_key(api, owner) for owner in ("sales-a@demo.dk", "sales-b@demo.dk")}
    handover = _handover(api, _lead(api))
    _act(api, handover["handover_id"], "accept", keys[handover["owner"]])
    api.clock.advance(days=1, minutes=1)
    api.run_timers()
    link = re.search(r"https://api\.leadtrail\.test(/s/[^?\s]+)", api.mailer.sent[-1][2])
    assert link is not None
    answered = api.client.http.post(link.group(1), body=b"step=0&answer=no&action=next",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answered.status_code == 303


def test_every_documented_event_is_sent_with_exactly_the_documented_fields(api: Api):
    documented = _documented()
    assert {"lead.created", "lead.stage_changed", "handover.offered", "handover.accepted", "handover.declined",
            "handover.reminded", "handover.escalated", "handover.reassigned", "handover.gap",
            "lead.outcome", "end_customer.reported", "survey.answered", "handover.contact_disputed"} <= set(documented)

    sent = _every_event_once(api)

    for kind, example in documented.items():
        assert kind in sent, f"{kind} is documented but was never sent"
        assert set(sent[kind]) == set(example) == {"type", "timestamp", "data"}
        assert set(sent[kind]["data"]) == set(example["data"]), kind
