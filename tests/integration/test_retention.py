"""Retention: a lead without activity for the journey's ``retention`` is erased (its mark's TTL, then the same
erasure as ``DELETE /admin/people``); page views of visitors who never became leads expire on their own."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.domain.retention import parse_period
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body

FORM = {"Content-Type": "application/json", "Origin": DEMO_ORIGIN}
ADMIN = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}


def _journey(api: Api, **fields: Any) -> Any:
    return api.client.http.put("/admin/journey", headers=ADMIN, body=json.dumps(fields))


def _view(api: Api, visitor: str, path: str = "/", **batch: Any) -> None:
    """A page view as the snippet sends it (``batch`` adds fields to the envelope)."""
    event = {"type": "pageview", "url": f"{DEMO_ORIGIN}{path}", "id": uuid.uuid4().hex[:12]}
    answer = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                  body=json.dumps({"site": "demo", "vid": visitor, "events": [event], **batch}))
    assert answer.status_code == 202
    assert json_body(answer) == {"accepted": 1, "rejected": 0}


def _form(api: Api, email: str, visitor: str | None = None) -> str:
    body = {"email": email, "name": "Jens Lund", **({"et_vid": visitor} if visitor else {})}
    answer = api.client.http.post("/forms/demo", headers=FORM, body=json.dumps(body))
    assert answer.status_code == 201, answer.body
    return str(json_body(answer)["lead_id"])


def _page_views(api: Api, visitor: str) -> list[dict[str, Any]]:
    return [item for item in api.items(keys.visitor("demo", visitor)) if item["sk"]["S"].startswith("PV#")]


def _mark(api: Api, lead_id: str) -> dict[str, Any] | None:
    pk, sk = keys.retention_mark("demo", lead_id)
    return next((item for item in api.items(pk) if item["sk"]["S"] == sk), None)


def _epoch(at: str, period: str) -> int:
    return int(parse_period(period).after(datetime.fromisoformat(at.replace("Z", "+00:00"))).timestamp())


def _ttl_deletes_the_mark(api: Api, lead_id: str) -> None:
    """What DynamoDB's TTL does once the mark's time has passed: delete it (the stream then says so)."""
    pk, sk = keys.retention_mark("demo", lead_id)
    api.dynamodb.delete_item(TableName=api.repos.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    api.drain()


def test_page_views_of_a_visitor_who_never_became_a_lead_expire_after_13_months_by_default(api: Api):
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)
    _view(api, visitor, "/pricing")

    views = _page_views(api, visitor)

    assert len(views) == 2
    for view in views:
        assert int(view["expires_at"]["N"]) == _epoch(view["at"]["S"], "P13M")


def test_a_tenant_sets_how_long_anonymous_page_views_are_kept(api: Api):
    assert _journey(api, page_view_retention="P6M").status_code == 200
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)

    (view,) = _page_views(api, visitor)

    assert int(view["expires_at"]["N"]) == _epoch(view["at"]["S"], "P6M")
    assert json_body(api.client.http.get("/admin/journey", headers=ADMIN))["definition"]["page_view_retention"] == "P6M"


def test_a_visitor_who_becomes_a_lead_keeps_their_page_views_with_the_lead(api: Api):
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)
    _view(api, visitor, "/pricing")

    _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk", visitor)

    views = _page_views(api, visitor)
    assert len(views) == 2
    assert all("expires_at" not in view for view in views)


def test_a_page_view_after_the_visitor_became_a_lead_stays_with_the_lead(api: Api):
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)
    _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk", visitor)

    # later page views, by beacon and by pixel, and one from an earlier snippet that still says "lead"
    _view(api, visitor, "/pricing")
    pixel = api.client.http.get(f"/t.gif?site=demo&vid={visitor}&url={DEMO_ORIGIN}/cases")
    assert pixel.status_code == 200
    _view(api, visitor, "/cases", lead=True)

    views = _page_views(api, visitor)
    assert len(views) == 4
    assert [view for view in views if "expires_at" in view] == []


def test_the_late_page_views_of_one_stream_batch_cost_one_look_up_per_visitor_and_a_pixels_none(api: Api):
    from tests.integration.test_funnel_visitors import _page_view_records, _view_unhandled

    lead_visitor, anonymous = "v" + uuid.uuid4().hex[:20], "v" + uuid.uuid4().hex[:20]
    _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk", lead_visitor)
    for path in ("/a", "/b", "/c"):
        _view_unhandled(api, lead_visitor, f"{DEMO_ORIGIN}{path}")
        _view_unhandled(api, anonymous, f"{DEMO_ORIGIN}{path}")
    assert api.raw_http.get(f"/t.gif?site=demo&url={DEMO_ORIGIN}/nyhedsbrev").status_code == 200  # no visitor id
    records = _page_view_records(api.tap.new_records())
    assert len(records) == 7
    queries: list[str] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues", {})
        if values.get(":prefix", {}).get("S") == keys.VISITOR_LINK_PREFIX:
            queries.append(values.get(":pk", {}).get("S", ""))

    api.dynamodb.meta.events.register("before-parameter-build.dynamodb.Query", before)
    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}

    assert sorted(queries) == sorted([keys.visitor("demo", lead_visitor), keys.visitor("demo", anonymous)])
    assert all("expires_at" not in view for view in _page_views(api, lead_visitor))
    assert all("expires_at" in view for view in _page_views(api, anonymous))


def test_a_sent_visitor_id_that_looks_like_a_pixels_made_up_one_keeps_its_late_page_views_with_the_lead(api: Api):
    visitor = "px-" + uuid.uuid4().hex[:20]
    _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk", visitor)
    _view(api, visitor, "/pricing")
    assert api.client.http.get(f"/t.gif?site=demo&vid={visitor}&url={DEMO_ORIGIN}/cases").status_code == 200

    views = _page_views(api, visitor)
    assert len(views) == 2
    assert [view for view in views if "expires_at" in view] == []


def test_a_visitor_whose_leads_could_not_be_read_has_only_their_page_views_retried(api: Api, monkeypatch: Any):
    from chalicelib.adapters.dynamo.visitor_leads import DynamoVisitorLeads
    from tests.integration.test_funnel_visitors import _page_view_records, _view_unhandled

    anna, bo = "v" + uuid.uuid4().hex[:20], "v" + uuid.uuid4().hex[:20]
    _form(api, f"anna-{uuid.uuid4().hex[:6]}@kunde.dk", anna)
    _form(api, f"bo-{uuid.uuid4().hex[:6]}@kunde.dk", bo)
    _view_unhandled(api, anna, f"{DEMO_ORIGIN}/a")
    _view_unhandled(api, bo, f"{DEMO_ORIGIN}/b")
    records = _page_view_records(api.tap.new_records())
    read = DynamoVisitorLeads.visitor_leads

    def throttled_for_anna(self: DynamoVisitorLeads, tenant_id: str, visitor_id: str) -> list[str]:
        if visitor_id == anna:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return read(self, tenant_id, visitor_id)

    monkeypatch.setattr(DynamoVisitorLeads, "visitor_leads", throttled_for_anna)
    answer = api.wiring.change_stream.handle_batch({"Records": records})

    annas = next(r for r in records if anna in r["dynamodb"]["Keys"]["pk"]["S"])
    assert answer == {"batchItemFailures": [{"itemIdentifier": annas["dynamodb"]["SequenceNumber"]}]}
    assert all("expires_at" not in view for view in _page_views(api, bo))
    monkeypatch.setattr(DynamoVisitorLeads, "visitor_leads", read)
    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}
    assert all("expires_at" not in view for view in _page_views(api, anna))


def test_a_visitor_who_never_became_a_lead_keeps_the_expiry_whatever_the_browser_says(api: Api):
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor, lead=True)  # an earlier snippet's word after a refused form, or a hand-written request

    (view,) = _page_views(api, visitor)

    assert int(view["expires_at"]["N"]) == _epoch(view["at"]["S"], "P13M")


def test_an_earlier_snippets_lead_word_of_any_value_never_costs_the_page_view(api: Api):
    visitor = "v" + uuid.uuid4().hex[:20]
    rejected_before = len(api.items("T#demo#REJECTED"))

    for odd in ("maybe", {"x": 1}, [True], 2, None, 1.5):
        _view(api, visitor, lead=odd)
    for odd in ("perhaps", "1"):
        pixel = api.client.http.get(f"/t.gif?site=demo&vid={visitor}&lead={odd}&url={DEMO_ORIGIN}/{odd}")
        assert pixel.status_code == 200

    views = _page_views(api, visitor)
    assert len(views) == 8 and all("expires_at" in view for view in views)
    assert len(api.items("T#demo#REJECTED")) == rejected_before


def test_after_an_erasure_later_page_views_expire_as_anonymous_ones(api: Api):
    visitor, email = "v" + uuid.uuid4().hex[:20], f"jens-{uuid.uuid4().hex[:6]}@kunde.dk"
    _form(api, email, visitor)
    assert api.client.http.delete(f"/admin/people?email={email}", headers=ADMIN).status_code == 200

    _view(api, visitor)  # the browser still has its visitor id

    (view,) = _page_views(api, visitor)
    assert int(view["expires_at"]["N"]) == _epoch(view["at"]["S"], "P13M")


def test_an_event_handled_after_the_leads_erasure_leaves_no_retention_mark(api: Api):
    assert _journey(api, retention="P24M").status_code == 200
    email = f"jens-{uuid.uuid4().hex[:6]}@kunde.dk"
    lead_id = _form(api, email)
    # a second form, and the erasure, both before the stream reads the form's event
    api.clock.advance(days=3)
    again = api.raw_http.post("/forms/demo", headers=FORM, body=json.dumps({"email": email, "name": "Jens Lund"}))
    assert again.status_code == 201
    assert api.raw_http.delete(f"/admin/people?email={email}", headers=ADMIN).status_code == 200

    api.drain()

    assert _mark(api, lead_id) is None
    assert lead_id not in json.dumps(api.items())


def test_each_event_of_a_lead_moves_its_retention_mark(api: Api):
    assert _journey(api, retention="P24M").status_code == 200
    email = f"jens-{uuid.uuid4().hex[:6]}@kunde.dk"
    lead_id = _form(api, email)
    first = _mark(api, lead_id)
    assert first is not None
    assert int(first["expires_at"]["N"]) == _epoch(first["last_event_at"]["S"], "P24M")

    api.clock.advance(days=200)
    _form(api, email)

    moved = _mark(api, lead_id)
    assert moved is not None and moved["last_event_at"]["S"] > first["last_event_at"]["S"]
    assert int(moved["expires_at"]["N"]) == _epoch(moved["last_event_at"]["S"], "P24M")


def test_a_lead_without_activity_for_the_retention_is_erased_by_the_same_erasure(api: Api):
    assert _journey(api, retention="P24M").status_code == 200
    email, visitor = f"jens-{uuid.uuid4().hex[:6]}@kunde.dk", "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)
    lead_id = _form(api, email, visitor)

    api.clock.advance(days=731)
    _ttl_deletes_the_mark(api, lead_id)

    table = json.dumps(api.items()).lower()
    assert email not in table and visitor.lower() not in table and lead_id not in table
    asked = api.client.http.get(f"/admin/people?email={email}", headers=ADMIN)
    assert asked.status_code == 404 and "erased at" in json_body(asked)["message"]


def test_a_lead_active_since_is_kept_when_its_mark_goes(api: Api):
    assert _journey(api, retention="P24M").status_code == 200
    email = f"jens-{uuid.uuid4().hex[:6]}@kunde.dk"
    lead_id = _form(api, email)

    api.clock.advance(days=400)  # the mark is deleted long before the 24 months ran out (by hand, or a race)
    _ttl_deletes_the_mark(api, lead_id)

    assert api.client.http.get(f"/leads/{lead_id}", headers=ADMIN).status_code == 200
    again = _mark(api, lead_id)
    assert again is not None and int(again["expires_at"]["N"]) == _epoch(again["last_event_at"]["S"], "P24M")


def test_without_a_retention_leads_are_kept_and_carry_no_mark(api: Api):
    lead_id = _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk")

    assert _mark(api, lead_id) is None
    api.clock.advance(days=3650)
    _ttl_deletes_the_mark(api, lead_id)  # nothing to delete, nothing follows
    assert api.client.http.get(f"/leads/{lead_id}", headers=ADMIN).status_code == 200


def test_a_period_that_is_not_one_is_refused_by_name_and_changes_nothing(api: Api):
    before = json_body(api.client.http.get("/admin/journey", headers=ADMIN))

    for field, value in (("retention", "24 months"), ("retention", "P0D"), ("page_view_retention", "P11Y"),
                         ("retention", 24)):
        answer = _journey(api, **{field: value})
        assert answer.status_code == 422, (field, value)
        assert json_body(answer)["fields"][0]["field"] == field

    assert json_body(api.client.http.get("/admin/journey", headers=ADMIN)) == before


def test_the_local_stack_deletes_expired_items_as_dynamodbs_ttl_would_and_retention_follows(api: Api):
    from chalicelib.local.ttl import expire_items

    assert _journey(api, retention="P24M").status_code == 200
    visitor = "v" + uuid.uuid4().hex[:20]
    _view(api, visitor)
    lead_id = _form(api, f"jens-{uuid.uuid4().hex[:6]}@kunde.dk")
    mark = _mark(api, lead_id)
    assert mark is not None
    (view,) = _page_views(api, visitor)

    # Just before the page view's time only shorter-lived items go (request receipts, done marks)
    expire_items(api.dynamodb, api.repos.table_name, now=int(view["expires_at"]["N"]) - 1)
    api.drain()
    assert len(_page_views(api, visitor)) == 1 and _mark(api, lead_id) is not None

    expire_items(api.dynamodb, api.repos.table_name, now=int(mark["expires_at"]["N"]) + 1)
    api.clock.advance(days=800)
    api.drain()

    assert _page_views(api, visitor) == []
    assert api.client.http.get(f"/leads/{lead_id}", headers=ADMIN).status_code == 404


def test_a_sent_survey_is_no_ttl_expiry_and_the_local_ttl_passes_over_any_expires_at_that_is_not_a_number(api: Api):
    from chalicelib.local.ttl import expire_items

    survey = {"name": "after-accept", "after": "handover_accepted", "delay": "PT0S", "expires": "P7D"}
    handover = {"name": "to-sales", "on": "form_submit",
                "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk"]}, "sla": {"accept_within": "PT4H"}}
    assert _journey(api, survey_basis="legitimate_interest", surveys=[survey], handovers=[handover]).status_code == 200
    lead_id = _form(api, f"karen-{uuid.uuid4().hex[:6]}@kunde.dk")
    (handover,) = json_body(api.client.http.get(f"/leads/{lead_id}", headers=ADMIN))["handovers"]
    accept = api.client.http.post(f"/handovers/{handover['handover_id']}/accept", headers=ADMIN, body=b"{}")
    assert accept.status_code == 200
    api.drain()
    api.run_timers()
    (item,) = [item for item in api.items(keys.lead_partition("demo", lead_id)) if item.get("kind", {}).get("S") ==
               "survey"]
    assert item["status"]["S"] == "sent" and "expires_at" not in item and "link_expires_at" in item
    odd = {"pk": {"S": "ODD#" + uuid.uuid4().hex}, "sk": {"S": "x"}, "expires_at": {"S": "2020-01-01T00:00:00Z"}}
    api.dynamodb.put_item(TableName=api.repos.table_name, Item=odd)

    expire_items(api.dynamodb, api.repos.table_name, now=int(datetime(2100, 1, 1).timestamp()))

    assert api.items(odd["pk"]["S"]) != []
    assert any(row["sk"] == item["sk"] for row in api.items(item["pk"]["S"]))
