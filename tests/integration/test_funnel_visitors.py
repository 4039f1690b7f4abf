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


# --- a stream batch's landings are counted together --------------------------------------------------------------

SPRING = f"{DEMO_ORIGIN}/solceller?utm_source=google&utm_medium=cpc&utm_campaign=spring"
SUMMER = f"{DEMO_ORIGIN}/batteri?utm_source=google&utm_medium=cpc&utm_campaign=summer"


def _view_unhandled(api: Api, vid: str, url: str, ref: str = "") -> None:
    """A page view the stream has not handled yet (the request alone)."""
    api.clock.advance(minutes=1)
    event = {"type": "pageview", "url": url, "ref": ref, "title": "Side", "ts": None, "id": uuid.uuid4().hex[:12]}
    response = api.raw_http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                 body=json.dumps({"site": "demo", "vid": vid, "events": [event]}))
    assert response.status_code == 202


def _page_view_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records
            if record["dynamodb"].get("NewImage", {}).get("kind", {}).get("S") == "pv"]


def _visitor_transactions(api: Api) -> list[list[dict[str, Any]]]:
    """Every TransactWriteItems that touches a day's visitors item, as it is made (its items)."""
    seen: list[list[dict[str, Any]]] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        items = params.get("TransactItems", [])
        if any(item.get("Update", {}).get("Key", {}).get("sk", {}).get("S", "").startswith("VISITORS#")
               for item in items):
            seen.append(items)

    api.dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", before)
    return seen


def test_the_landings_of_one_stream_batch_are_counted_in_one_write(api: Api):
    visitors = ["v" + uuid.uuid4().hex[:20] for _ in range(4)]
    for vid in visitors[:3]:
        _view_unhandled(api, vid, SPRING)
        _view_unhandled(api, vid, f"{DEMO_ORIGIN}/priser", f"{DEMO_ORIGIN}/solceller")  # navigation, no landing
    _view_unhandled(api, visitors[0], SUMMER)  # Anna again, the same day and batch: she is counted once, for spring
    _view_unhandled(api, visitors[3], f"{DEMO_ORIGIN}/", "")
    transactions = _visitor_transactions(api)

    api.drain()  # 9 page views and nothing else: one batch

    assert len(transactions) == 1
    assert len(transactions[0]) == 5  # four visitors' done marks and one update of the day's visitors item
    assert _visitors(_funnel(api, "campaign")) == {"spring": 3, "(none)": 1}
    assert _visitors(_funnel(api, "landing_page")) == {"/solceller": 3, "/": 1}
    assert _funnel(api, "campaign")["total"]["visitors"] == 4


def test_a_batch_that_repeats_counted_landings_counts_only_the_new_ones(api: Api):
    from tests.conftest import StreamTap

    anna, bo = "v" + uuid.uuid4().hex[:20], "v" + uuid.uuid4().hex[:20]
    _view(api, anna, SPRING)  # counted
    _view_unhandled(api, bo, SPRING)  # not yet
    records = _page_view_records(StreamTap(api.repos.table_name).new_records())
    assert len(records) == 2

    answer = api.wiring.change_stream.handle_batch({"Records": records})  # Anna's again, with Bo's new one

    assert answer == {"batchItemFailures": []}
    assert _visitors(_funnel(api, "campaign")) == {"spring": 2}
    api.wiring.change_stream.handle_batch({"Records": records})  # and the whole batch once more
    assert _visitors(_funnel(api, "campaign")) == {"spring": 2}


def test_landings_that_could_not_be_counted_fail_their_records_and_the_rest_of_the_batch_stands(api: Api, monkeypatch):
    from chalicelib.adapters.dynamo.funnel import DynamoFunnel

    anna, bo = "v" + uuid.uuid4().hex[:20], "v" + uuid.uuid4().hex[:20]
    _view_unhandled(api, anna, SPRING)
    first_day = api.clock().isoformat()[:10]
    api.clock.advance(hours=24)
    _view_unhandled(api, bo, SUMMER)
    records = api.tap.new_records()
    anna_record = next(record for record in _page_view_records(records)
                       if anna in record["dynamodb"]["Keys"]["pk"]["S"])
    stored = DynamoFunnel.add_landings_once

    def throttled_on_the_first_day(self: DynamoFunnel, tenant_id: str, day: str, landings: Any) -> int:
        if day == first_day:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return stored(self, tenant_id, day, landings)

    monkeypatch.setattr(DynamoFunnel, "add_landings_once", throttled_on_the_first_day)
    answer = api.wiring.change_stream.handle_batch({"Records": records})

    # Only Anna's landing is retried; Bo's, the next day, is counted.
    assert answer == {"batchItemFailures": [{"itemIdentifier": anna_record["dynamodb"]["SequenceNumber"]}]}
    assert _visitors(_funnel(api, "campaign")) == {"summer": 1}
    monkeypatch.setattr(DynamoFunnel, "add_landings_once", stored)
    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}
    assert _visitors(_funnel(api, "campaign")) == {"spring": 1, "summer": 1}


def test_a_day_whose_visitors_item_is_full_counts_its_landings_as_rows(api: Api, monkeypatch):
    """DynamoDB refuses an update that takes an item past 400 KB by cancelling the transaction with the reason
    ``ValidationError`` (the emulator does not check the size, so the refusal is played here as AWS sends it)."""
    from tests.conftest import StreamTap

    client = api.dynamodb
    write = client.transact_write_items

    def full_day_item(TransactItems: list[dict[str, Any]], **kwargs: Any) -> Any:  # noqa: N803 - boto3's name
        reasons = [{"Code": "ValidationError", "Message": "Item size to update has exceeded the maximum allowed size"}
                   if item.get("Update", {}).get("Key", {}).get("sk", {}).get("S", "").startswith("VISITORS#")
                   else {"Code": "None"} for item in TransactItems]
        if any(reason["Code"] == "ValidationError" for reason in reasons):
            raise client.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                 "CancellationReasons": reasons}, "TransactWriteItems")
        return write(TransactItems=TransactItems, **kwargs)

    monkeypatch.setattr(client, "transact_write_items", full_day_item)
    for _ in range(3):  # more landings in one batch than are put as rows of their own
        _view_unhandled(api, "v" + uuid.uuid4().hex[:20], SPRING)
    _view_unhandled(api, "v" + uuid.uuid4().hex[:20], f"{DEMO_ORIGIN}/", "")
    api.drain()  # asserts that no record failed

    assert _visitors(_funnel(api, "campaign")) == {"spring": 3, "(none)": 1}
    assert _funnel(api, "channel")["total"]["visitors"] == 4
    assert not [item for item in api.items("T#demo#FUNNEL") if item["sk"]["S"].startswith("VISITORS#")]
    assert [item for item in api.items("T#demo#FUNNEL") if item["sk"]["S"].startswith("campaign#")]
    again = _page_view_records(StreamTap(api.repos.table_name).new_records())
    assert api.wiring.change_stream.handle_batch({"Records": again}) == {"batchItemFailures": []}
    assert _visitors(_funnel(api, "campaign")) == {"spring": 3, "(none)": 1}  # the rows' marks hold on a redelivery


def test_a_batch_of_landings_in_very_many_groups_is_split_so_each_update_stays_inside_dynamodbs_limits(api: Api):
    for index in range(99):  # each from its own source and campaign to its own page: about 300 counters
        _view_unhandled(api, "v" + uuid.uuid4().hex[:20],
                        f"{DEMO_ORIGIN}/p{index}?utm_source=s{index}&utm_medium=cpc&utm_campaign=c{index}")
    transactions = _visitor_transactions(api)

    api.drain()  # 99 page views: one batch of the page views' mapping

    assert len(transactions) >= 2
    updates = [item["Update"] for items in transactions for item in items if "Update" in item]
    assert all(len(update["UpdateExpression"]) < 4096 for update in updates)  # DynamoDB's limit for an expression
    assert all(len(items) <= 100 for items in transactions)
    assert _funnel(api, "campaign")["total"]["visitors"] == 99
    assert len(_visitors(_funnel(api, "landing_page"))) == 99


# --- a small site's landings: each its own row until its day is folded ------------------------------------------


def _writes(api: Api) -> list[tuple[str, dict[str, Any]]]:
    """Every write call made from now on: (operation, its parameters)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem"):
            seen.append((model.name, params))

    api.dynamodb.meta.events.register("before-parameter-build.dynamodb.*", before)
    return seen


def _rows(api: Api) -> list[dict[str, Any]]:
    return [item for item in api.items("DONE#funnel#visit:") if item.get("kind", {}).get("S") == "landing"]


def _fold(api: Api) -> Any:
    from app import handover_sweep

    return handover_sweep(api.client.events.generate_cw_event("Scheduled Event", "aws.events", {}, []), None)


def test_a_landing_alone_in_its_batch_is_one_put_of_its_row_and_the_report_counts_it(api: Api):
    anna = "v" + uuid.uuid4().hex[:20]
    _view_unhandled(api, anna, SPRING)
    writes = _writes(api)

    api.drain()

    assert [name for name, _ in writes] == ["PutItem"]  # no transaction, no update of the day's visitors item
    (row,) = _rows(api)
    assert row["gsi1pk"]["S"].startswith("LANDINGS#2026-11-23#") and row["gsi1sk"]["S"].startswith("demo#")
    assert "expires_at" in row
    assert not [item for item in api.items("T#demo#FUNNEL") if item["sk"]["S"].startswith("VISITORS#")]
    assert _visitors(_funnel(api, "campaign")) == {"spring": 1}
    assert _visitors(_funnel(api, "landing_page")) == {"/solceller": 1}


def test_a_landing_counted_one_way_is_not_counted_again_the_other_way(api: Api):
    from tests.conftest import StreamTap

    anna = "v" + uuid.uuid4().hex[:20]
    _view(api, anna, SPRING)  # alone: her row
    others = ["v" + uuid.uuid4().hex[:20] for _ in range(3)]
    for vid in others:
        _view_unhandled(api, vid, SUMMER)
    records = _page_view_records(StreamTap(api.repos.table_name).new_records())
    transactions = _visitor_transactions(api)

    # Anna's again with three new ones: a transaction, whose mark for Anna finds her row.
    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}
    assert transactions and _visitors(_funnel(api, "campaign")) == {"spring": 1, "summer": 3}

    # And one counted in that transaction, sent again alone: its row's put finds the transaction's mark.
    alone = [record for record in records if others[0] in record["dynamodb"]["Keys"]["pk"]["S"]]
    assert api.wiring.change_stream.handle_batch({"Records": alone}) == {"batchItemFailures": []}
    assert _visitors(_funnel(api, "campaign")) == {"spring": 1, "summer": 3}
    assert len(_rows(api)) == 1


def test_a_finished_day_is_folded_once_by_the_sweep_and_the_report_stays_the_same(api: Api):
    for url in (SPRING, SPRING, SUMMER):
        _view(api, "v" + uuid.uuid4().hex[:20], url)
    before = _funnel(api, "campaign")
    assert _visitors(before) == {"spring": 2, "summer": 1} and len(_rows(api)) == 3

    api.clock.advance(days=2)
    assert _fold(api)["folded"] == 0  # two days old: a late record could still add a row
    api.clock.advance(days=1)
    assert _fold(api)["folded"] == 1
    assert _fold(api)["folded"] == 0  # once

    (folded,) = [item for item in api.items("T#demo#FUNNEL") if item["sk"]["S"] == "VISITORS#2026-11-23#ROWS"]
    assert folded["campaign|spring"] == {"N": "2"} and folded["channel|paid_search"] == {"N": "3"}
    assert _funnel(api, "campaign") == before  # the sum, not the sum and the rows
    for row in _rows(api):  # the rows expire (DynamoDB's TTL); the sum stays
        api.dynamodb.delete_item(TableName=api.repos.table_name, Key={"pk": row["pk"], "sk": row["sk"]})
    assert _funnel(api, "campaign") == before


def test_a_sweep_that_stopped_half_way_folds_the_rest_and_no_tenant_twice(api: Api):
    from chalicelib.adapters.dynamo import keys
    from chalicelib.domain.funnel import first_landings, visitor_deltas

    store = api.wiring.repositories.funnel
    day = api.clock().isoformat()[:10]
    # Two tenants of one shard of the day's rows (the shard is the tenant's hash).
    tenants = [f"t{index}" for index in range(40)]
    first, second = [tenant for tenant in tenants if keys.tenant_shard(tenant) == 0][:2]
    for tenant_id, visitors in ((first, 2), (second, 1)):
        for index in range(visitors):
            groups = first_landings({"campaign": "spring", "channel": "email", "source": "nyhedsbrev",
                                     "landing_page": "/"})
            deltas = visitor_deltas(day, groups)
            assert store.add_landings_once(tenant_id, day, [(f"visit:{tenant_id}:{day}:v{index}", deltas)]) == 1
    api.clock.advance(days=3)
    # The first tenant's sum was written by a sweep that stopped before the shard's day was done.
    api.repos.table.put({"pk": keys.funnel_partition(first), "sk": f"VISITORS#{day}#ROWS", "campaign|spring": 2})
    # A report meanwhile takes the sum where there is one and the rows where there is none.
    assert [counts for _, counts in store.rows(first, "campaign", day, day)] == [{"visitors": 2}]
    assert [counts for _, counts in store.rows(second, "campaign", day, day)] == [{"visitors": 1}]

    assert store.fold_landings() == 1

    def folded(tenant_id: str) -> dict[str, Any]:
        return api.repos.table.get(keys.funnel_rows_folded(tenant_id, day)) or {}

    assert folded(first)["campaign|spring"] == 2 and folded(second)["campaign|spring"] == 1
    assert folded(second)["channel|email"] == 1
    assert store.fold_landings() == 0


def test_a_late_landing_of_a_day_before_yesterday_is_added_to_the_days_item_not_a_row(api: Api):
    from tests.conftest import StreamTap

    anna = "v" + uuid.uuid4().hex[:20]
    _view_unhandled(api, anna, SPRING)
    records = _page_view_records(StreamTap(api.repos.table_name).new_records())
    api.clock.advance(days=2)  # the record comes late (a stream that was stuck); the day may be folded soon
    transactions = _visitor_transactions(api)

    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}

    assert transactions and not _rows(api)
    api.clock.advance(days=1)
    _fold(api)
    assert _visitors(_funnel(api, "campaign")) == {"spring": 1}


def test_erasing_a_visitor_keeps_their_landing_counted_under_a_key_that_names_nobody(api: Api):
    from tests.integration.test_people_api import _admin

    anna = "v" + uuid.uuid4().hex[:20]
    _view(api, anna, SPRING)
    lead = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                body=json.dumps({"email": "anna@kunde.dk", "et_vid": anna}))
    assert lead.status_code == 201, lead.body
    before = _visitors(_funnel(api, "campaign"))
    assert before == {"spring": 1} and anna in json.dumps(_rows(api))

    assert _admin(api, "DELETE", "/admin/people?email=anna@kunde.dk").status_code == 200

    assert anna not in json.dumps(api.items())
    (row,) = _rows(api)
    assert "erased." in row["pk"]["S"] and row["counts"]["M"]["campaign|spring"] == {"N": "1"}
    assert _visitors(_funnel(api, "campaign")) == before
    api.clock.advance(days=3)
    assert _fold(api)["folded"] == 1
    assert _visitors(_funnel(api, "campaign")) == before
