"""Transition criteria through the API: a journey's rules move leads on forms, page views and reported contact,
each move names its rule in the timeline, and a redelivered change moves no one twice."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib.services.ports import VisitorLeads
from chalicelib.services.stage_moves import StageMoves
from tests.conftest import DEMO_ORIGIN, Api, StreamTap, json_body
from tests.integration.test_handovers_api import _act, _admin, _always_open, _handover, _journey, _owner_key

STAGES = ["awareness", "consideration", "decision", "customer"]
DEPARTMENTS = {"awareness": "brand", "consideration": "product marketing", "decision": "sales"}
PRICING = {"page_views": {"url_matches": "/pricing*", "at_least": 3, "within": "P7D"}}
CRITERIA: dict[str, Any] = {
    "awareness": [{"event": "form_submit"}],
    "consideration": [{"field": "budget"}, PRICING, {"event": "contacted"}],
    "decision": [{"event": "outcome_won", "name": "Signed"}],
}


def _criteria_journey(api: Api, criteria: dict[str, Any] | None = None, **extra: Any) -> None:
    _journey(api, {"stages": STAGES, "departments": DEPARTMENTS, "criteria": criteria or CRITERIA, **extra})


def _visitor() -> str:
    return f"vid-{uuid.uuid4().hex[:10]}"


def _form(api: Api, visitor: str | None = None, **fields: str) -> str:
    body = {"email": f"lead-{uuid.uuid4().hex[:8]}@kunde.dk", "name": "Mette Hansen", **fields}
    if visitor:
        body["et_vid"] = visitor
    answer = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                  body=json.dumps(body))
    assert answer.status_code == 201, answer.body
    return str(json_body(answer)["lead_id"])


def _view(api: Api, visitor: str, path: str) -> None:
    event = {"type": "pageview", "url": f"https://www.nordlys-solar.dk{path}", "id": f"pv-{uuid.uuid4().hex[:10]}"}
    answer = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                  body=json.dumps({"site": "demo", "vid": visitor, "events": [event]}))
    assert answer.status_code in (200, 202, 204), answer.body


def _moves(api: Api, lead_id: str) -> list[dict[str, Any]]:
    timeline = json_body(_admin(api, "GET", f"/leads/{lead_id}"))["timeline"]
    return [{key: event.get(key) for key in ("from", "to", "cause", "rule")}
            for event in timeline if event["type"] == "stage_change"]


def _stage(api: Api, lead_id: str) -> str:
    lead = api.repos.leads.lead("demo", lead_id)
    assert lead is not None
    return lead.stage


FORM_MOVE = {"from": "awareness", "to": "consideration", "cause": "form_submit", "rule": "event:form_submit"}


# --- the journey document -----------------------------------------------------------------------------------


def test_the_journey_reads_back_its_departments_and_criteria_as_written(api: Api):
    _criteria_journey(api)

    definition = json_body(_admin(api, "GET", "/admin/journey"))["definition"]

    assert definition["departments"] == DEPARTMENTS
    assert definition["criteria"] == CRITERIA


def test_a_criterion_moving_a_lead_backwards_is_refused_naming_the_field_and_changes_nothing(api: Api):
    _criteria_journey(api)

    answer = _admin(api, "PUT", "/admin/journey", {"stages": STAGES, "criteria": {
        "decision": [{"event": "contacted", "to": "consideration"}]}})

    assert answer.status_code == 422
    assert json_body(answer)["field"] == "criteria.decision.0.to"
    assert json_body(_admin(api, "GET", "/admin/journey"))["definition"]["criteria"] == CRITERIA


# --- field rules ----------------------------------------------------------------------------------------------


def test_a_form_with_a_budget_moves_the_lead_to_decision_and_the_timeline_names_the_rule(api: Api):
    _criteria_journey(api)

    lead_id = _form(api, budget="50000")

    assert _stage(api, lead_id) == "decision"
    assert _moves(api, lead_id) == [{"from": "awareness", "to": "decision", "cause": "form_submit",
                                     "rule": "field:budget"}]


def test_a_form_without_the_field_moves_the_lead_by_the_form_rule_only(api: Api):
    _criteria_journey(api)

    lead_id = _form(api, product="solceller")

    assert _moves(api, lead_id) == [FORM_MOVE]


def test_a_second_form_that_adds_the_field_moves_the_known_lead_on(api: Api):
    _criteria_journey(api)
    email = f"lead-{uuid.uuid4().hex[:8]}@kunde.dk"
    for fields in ({}, {"budget": "20000"}):
        answer = api.client.http.post("/forms/demo", body=json.dumps({"email": email, **fields}),
                                      headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN})
        assert answer.status_code in (200, 201), answer.body
        api.clock.advance(minutes=5)
    lead_id = str(json_body(answer)["lead_id"])

    assert _moves(api, lead_id) == [FORM_MOVE, {"from": "consideration", "to": "decision", "cause": "form_submit",
                                                "rule": "field:budget"}]


def test_a_field_rule_with_values_moves_only_on_one_of_them(api: Api):
    _criteria_journey(api, {"awareness": [{"field": "segment", "equals": ["enterprise"], "to": "decision",
                                           "name": "Enterprise lead"}]})

    smb, enterprise = _form(api, segment="smb"), _form(api, segment="Enterprise")

    assert _moves(api, smb) == []
    assert _moves(api, enterprise) == [{"from": "awareness", "to": "decision", "cause": "form_submit",
                                        "rule": "Enterprise lead"}]


# --- page-view rules ----------------------------------------------------------------------------------------


def test_three_pricing_views_within_a_week_move_a_known_lead_on(api: Api):
    _criteria_journey(api)
    visitor = _visitor()
    lead_id = _form(api, visitor=visitor)
    for _ in range(2):
        _view(api, visitor, "/pricing")
        api.clock.advance(days=3)
    assert _stage(api, lead_id) == "consideration"

    _view(api, visitor, "/pricing/teams?plan=pro")

    assert _stage(api, lead_id) == "decision"
    assert _moves(api, lead_id) == [FORM_MOVE, {"from": "consideration", "to": "decision", "cause": "page_view",
                                                "rule": "page_views:/pricing*>=3/P7D"}]


def test_two_pricing_views_and_other_pages_do_not_move_the_lead(api: Api):
    _criteria_journey(api)
    visitor = _visitor()
    lead_id = _form(api, visitor=visitor)

    for path in ("/pricing", "/blog/solceller", "/pricing", "/kontakt"):
        _view(api, visitor, path)
        api.clock.advance(hours=2)

    assert _moves(api, lead_id) == [FORM_MOVE]


def test_three_pricing_views_spread_over_ten_days_do_not_move_the_lead(api: Api):
    _criteria_journey(api)
    visitor = _visitor()
    lead_id = _form(api, visitor=visitor)

    for _ in range(3):
        _view(api, visitor, "/pricing")
        api.clock.advance(days=5)

    assert _moves(api, lead_id) == [FORM_MOVE]


def test_pricing_views_of_a_visitor_who_is_no_lead_move_no_one(api: Api):
    _criteria_journey(api)
    visitor = _visitor()

    for _ in range(3):
        _view(api, visitor, "/pricing")

    assert [item for item in api.items("T#demo#L#") if item["sk"]["S"] == "LEAD"] == []


def test_views_before_the_form_count_once_the_visitor_becomes_a_lead(api: Api):
    _criteria_journey(api)
    visitor = _visitor()
    for _ in range(3):
        _view(api, visitor, "/pricing")
        api.clock.advance(hours=1)

    lead_id = _form(api, visitor=visitor)

    assert _moves(api, lead_id) == [{"from": "awareness", "to": "decision", "cause": "form_submit",
                                     "rule": "page_views:/pricing*>=3/P7D"}]


class CountingVisitorLeads(VisitorLeads):
    def __init__(self, inner: VisitorLeads):
        self.inner = inner
        self.reads = 0

    def visitor_leads(self, tenant_id: str, visitor_id: str) -> list[str]:
        self.reads += 1
        return self.inner.visitor_leads(tenant_id, visitor_id)


def _counting_moves(api: Api) -> tuple[StageMoves, CountingVisitorLeads]:
    from chalicelib.adapters.dynamo.visitor_leads import DynamoVisitorLeads

    links = CountingVisitorLeads(DynamoVisitorLeads(api.repos.table))
    return StageMoves(api.repos.leads, api.repos.capture, links, api.wiring.journeys, api.clock), links


def test_a_page_view_looks_for_no_lead_when_no_rule_counts_its_page(api: Api):
    from chalicelib.domain.capture import new_pageview

    moves, links = _counting_moves(api)
    visitor = _visitor()
    _journey(api, {"stages": STAGES})  # the built-in rules count no page views
    view = new_pageview("demo", visitor, "pv-1", "https://www.nordlys-solar.dk/pricing", "2026-11-23T09:00:00.000Z")
    assert moves.after_page_view(view) == [] and links.reads == 0

    _criteria_journey(api)
    blog = new_pageview("demo", visitor, "pv-2", "https://www.nordlys-solar.dk/blog", "2026-11-23T09:00:00.000Z")
    assert moves.after_page_view(blog) == [] and links.reads == 0

    assert moves.after_page_view(view) == [] and links.reads == 1  # one read finds the visitor is no lead


# --- reported contact -----------------------------------------------------------------------------------------


def _accepted_and_contacted(api: Api, criteria: dict[str, Any]) -> str:
    _journey(api, {**_always_open(), "criteria": criteria})
    lead_id = _form(api)
    key = _owner_key(api, "sales-a@demo.dk")
    handover_id = _handover(api, lead_id)["handover_id"]
    assert _act(api, handover_id, "accept", key).status_code == 200
    api.clock.advance(hours=1)
    assert _act(api, handover_id, "contacted", key).status_code == 200
    return lead_id


def test_a_reported_contact_moves_the_lead_by_the_contacted_rule(api: Api):
    lead_id = _accepted_and_contacted(api, CRITERIA)

    assert _stage(api, lead_id) == "decision"
    assert _moves(api, lead_id) == [FORM_MOVE, {"from": "consideration", "to": "decision", "cause": "contacted",
                                                "rule": "event:contacted"}]
    moved = [event for event in json_body(_admin(api, "GET", f"/leads/{lead_id}"))["timeline"]
             if event["type"] == "stage_change"][-1]
    assert moved["handover_id"] == _handover(api, lead_id)["handover_id"]
    assert moved["entered_from_at"] == "2026-11-23T09:30:00.000Z"


def test_an_accept_moves_no_lead_when_the_criteria_name_no_accept(api: Api):
    _journey(api, {**_always_open(), "criteria": CRITERIA})
    lead_id = _form(api)
    key = _owner_key(api, "sales-a@demo.dk")

    assert _act(api, _handover(api, lead_id)["handover_id"], "accept", key).status_code == 200

    assert _moves(api, lead_id) == [FORM_MOVE]


def test_an_accept_moves_the_lead_by_the_handover_accepted_rule(api: Api):
    _journey(api, {**_always_open(), "criteria": {"awareness": [{"event": "form_submit"}],
                                                  "consideration": [{"event": "handover_accepted"}]}})
    lead_id = _form(api)
    key = _owner_key(api, "sales-a@demo.dk")

    assert _act(api, _handover(api, lead_id)["handover_id"], "accept", key).status_code == 200

    assert _moves(api, lead_id)[-1] == {"from": "consideration", "to": "decision", "cause": "handover_accepted",
                                        "rule": "event:handover_accepted"}


def test_a_contact_moves_no_lead_when_no_rule_names_it(api: Api):
    lead_id = _accepted_and_contacted(api, {"awareness": [{"event": "form_submit"}]})

    assert _moves(api, lead_id) == [FORM_MOVE]


def test_a_won_outcome_reaches_the_last_stage_named_by_its_rule(api: Api):
    lead_id = _accepted_and_contacted(api, CRITERIA)

    answer = _admin(api, "POST", f"/leads/{lead_id}/outcome", {"outcome": "won", "value": 1000})

    assert answer.status_code == 200, answer.body
    assert _moves(api, lead_id)[-1] == {"from": "decision", "to": "customer", "cause": "outcome_won",
                                        "rule": "Signed"}


# --- redelivery -----------------------------------------------------------------------------------------------


def _replay(api: Api, wanted: Any) -> int:
    """Hand the stream's records that ``wanted`` picks to the consumers again, as a retried batch would."""
    records = [record for record in StreamTap(api.repos.table_name).new_records() if wanted(record)]
    answer = api.wiring.change_stream.handle_batch({"Records": records})
    assert not answer["batchItemFailures"], answer
    return len(records)


def _image_kind(record: dict[str, Any]) -> tuple[str | None, str | None]:
    image = record.get("dynamodb", {}).get("NewImage", {})
    return image.get("kind", {}).get("S"), image.get("type", {}).get("S")


def test_redelivered_page_views_and_contact_reports_move_no_lead_twice(api: Api):
    visitor = _visitor()
    lead_id = _accepted_and_contacted(api, {"awareness": [{"event": "form_submit"}, {**PRICING, "to": "decision"}],
                                            "decision": [{"event": "contacted"}]})
    for _ in range(3):
        _view(api, visitor, "/pricing")
    viewer = _form(api, visitor=visitor)
    for _ in range(3):
        _view(api, visitor, "/pricing")
    before = (_moves(api, lead_id), _moves(api, viewer))
    assert before[0][-1]["rule"] == "event:contacted" and before[1][-1]["rule"] == "page_views:/pricing*>=3/P7D"
    versions = [api.repos.leads.lead("demo", lead).version for lead in (lead_id, viewer)]  # type: ignore[union-attr]

    # (the page views seen before the form are written once more, without their expiry, once the visitor is a lead)
    replayed = _replay(api, lambda record: record["eventName"] == "INSERT" and (
        _image_kind(record)[0] == "pv" or _image_kind(record)[1] == "contacted"))

    assert replayed == 7
    assert (_moves(api, lead_id), _moves(api, viewer)) == before
    assert [api.repos.leads.lead("demo", lead).version for lead in (lead_id, viewer)] == versions  # type: ignore[union-attr]
