"""GET /leads/{id} shows every touch the lead came by, and the attribution models credit them."""

from __future__ import annotations

import json
import uuid
from fractions import Fraction

from chalicelib.domain.credit import credit
from chalicelib.domain.leads import conversion_of
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body


def _campaign_url(name: str) -> str:
    return f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign={name}"


def _view(api: Api, vid: str, url: str, ref: str = "") -> None:
    api.clock.advance(seconds=1)
    event = {"type": "pageview", "url": url, "ref": ref, "title": "Side", "ts": None, "id": uuid.uuid4().hex[:12]}
    response = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"site": "demo", "vid": vid, "events": [event]}))
    assert response.status_code in (200, 202, 204)


def _submit(api: Api, email: str, vid: str, message: str = "Ring mig op") -> str:
    api.clock.advance(seconds=5)
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"email": email, "et_vid": vid, "message": message}))
    assert response.status_code in (200, 201)
    return str(json_body(response)["lead_id"])


def _lead(api: Api, lead_id: str) -> dict:
    return dict(json_body(api.client.http.get(f"/leads/{lead_id}", headers={"Authorization": f"Bearer {DEMO_KEY}"})))


def test_two_campaign_visits_then_a_form_show_both_touches_in_order_and_a_later_campaign_adds_one(api: Api):
    vid, email = "v" + uuid.uuid4().hex[:20], f"kunde-{uuid.uuid4().hex[:8]}@firma.dk"
    _view(api, vid, _campaign_url("spring"))
    _view(api, vid, f"{DEMO_ORIGIN}/priser", f"{DEMO_ORIGIN}/solceller")  # navigation: no touch
    _view(api, vid, _campaign_url("summer"))

    lead_id = _submit(api, email, vid)

    touches = _lead(api, lead_id)["touches"]
    assert [(touch["campaign"], touch["channel"], touch["landing_page"]) for touch in touches] == [
        ("spring", "paid_search", "/solceller"), ("summer", "paid_search", "/solceller")]
    assert touches[0]["at"] < touches[1]["at"]
    assert set(touches[0]) == {"at", "channel", "source", "medium", "campaign", "landing_page"}

    _view(api, vid, _campaign_url("autumn"))
    assert _submit(api, email, vid, message="Også om batterier") == lead_id  # another form, not a retry

    again = _lead(api, lead_id)["touches"]
    assert [touch["campaign"] for touch in again] == ["spring", "summer", "autumn"]
    assert again[:2] == touches


def test_a_lead_without_campaign_visits_has_no_touches(api: Api):
    vid, email = "v" + uuid.uuid4().hex[:20], f"kunde-{uuid.uuid4().hex[:8]}@firma.dk"
    _view(api, vid, f"{DEMO_ORIGIN}/")

    lead = _lead(api, _submit(api, email, vid))

    assert lead["touches"] == []
    assert lead["first_touch"]["channel"] == "direct"


def test_linear_credit_over_a_real_lead_splits_it_half_and_half(api: Api):
    vid, email = "v" + uuid.uuid4().hex[:20], f"kunde-{uuid.uuid4().hex[:8]}@firma.dk"
    _view(api, vid, _campaign_url("spring"))
    _view(api, vid, _campaign_url("summer"))
    lead_id = _submit(api, email, vid)

    lead = api.repos.leads.lead("demo", lead_id)
    assert lead is not None
    conversion = conversion_of(lead)
    shares = [(c.touchpoint.touch.campaign, c.share) for c in credit(conversion.touchpoints, conversion.converted_at,
                                                                      "linear")]

    assert shares == [("spring", Fraction(1, 2)), ("summer", Fraction(1, 2))]
