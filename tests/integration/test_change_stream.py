"""Side effects leave the request: e-mails, webhooks, timers and counters follow from the table's stream,
once per event, however often the stream delivers it."""

from __future__ import annotations

import json
import threading
from typing import Any

from standardwebhooks.webhooks import Webhook as StandardWebhook

from chalicelib.adapters.dynamo import keys
from chalicelib.services.webhook_port import Delivery, WebhookTransport
from tests.conftest import DEMO_ORIGIN, Api, json_body
from tests.integration.test_funnel_visitors import _page_view_records
from tests.integration.test_handovers_api import (
    WEBHOOK_SECRET,
    _act,
    _admin,
    _always_open,
    _handover,
    _journey,
    _lead,
    _owner_key,
    _with_webhook,
)


def _report(api: Api) -> dict[str, Any]:
    return dict(json_body(_admin(api, "GET", "/reports/handovers")))


def test_a_form_request_sends_nothing_itself_and_the_stream_does_it_after(api: Api):
    _journey(api, _with_webhook())
    response = api.raw_http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                 body=json.dumps({"email": "stream@kunde.dk"}))
    assert response.status_code == 201
    # The request wrote the lead, its events and the hand-over, and nothing that follows from them.
    assert api.timers.started == [] and api.webhooks.posted == [] and api.mailer.sent == []
    assert api.items("T#demo#STATS") == []

    api.drain()

    assert len(api.timers.started) == 1
    assert [json.loads(body)["type"] for _, body, _ in api.webhooks.posted] == [
        "lead.created", "lead.stage_changed", "handover.started"]
    assert _report(api)["handovers"] == 1


def test_a_decline_answers_without_waiting_for_a_hanging_webhook_receiver(api: Api):
    _journey(api, _with_webhook())
    a_key = _owner_key(api, "sales-a@demo.dk")
    handover_id = _handover(api, _lead(api))["handover_id"]
    api.run_timers()

    class Hanging(WebhookTransport):
        """A receiver that never answers (as long as the test lets it hang)."""

        def __init__(self) -> None:
            self.release = threading.Event()
            self.calls = 0

        def deliver(self, url: str, body: str, headers: dict[str, str]) -> Delivery:
            self.calls += 1
            self.release.wait(30)
            return Delivery.failed("timeout")

    hanging = Hanging()
    api.wiring.notifier.transport = hanging
    answer = api.raw_http.post(f"/handovers/{handover_id}/decline", headers={
        "Authorization": f"Bearer {a_key}", "Content-Type": "application/json"}, body=b"{}")
    assert answer.status_code == 200 and json_body(answer)["owner"] == "sales-b@demo.dk"
    assert hanging.calls == 0  # the request never touched the receiver


def test_a_redelivered_batch_counts_nothing_twice_and_sends_no_e_mail_twice(api: Api):
    _journey(api, _always_open())
    a_key = _owner_key(api, "sales-a@demo.dk")
    handover_id = _handover(api, _lead(api))["handover_id"]
    api.run_timers()
    _act(api, handover_id, "accept", a_key)
    report, mails = _report(api), list(api.mailer.sent)
    assert report["handovers"] == 1 and report["accepted_in_sla"] == 1 and len(mails) == 1

    api.tap.position = 0  # the stream delivers everything again
    api.drain()

    assert _report(api) == report
    assert api.mailer.sent == mails


def test_a_failed_e_mail_is_retried_on_redelivery_and_then_sent_once(api: Api):
    _journey(api, _always_open())
    _lead(api)
    mailer = api.mailer
    failures = [RuntimeError("SES throttled")]
    original = mailer.send

    def flaky(*args: Any, **kwargs: Any) -> None:
        if failures:
            raise failures.pop()
        original(*args, **kwargs)

    mailer.send = flaky  # type: ignore[method-assign]
    api.drain()
    fired = api.timers.run_due(api.clock(), api.wiring.handovers.fire_due)
    records = api.tap.new_records()
    answer = api.wiring.change_stream.handle_batch({"Records": records})
    assert fired == 1 and len(answer["batchItemFailures"]) == 1 and mailer.sent == []

    api.wiring.change_stream.handle_batch({"Records": records})  # the redelivery
    api.wiring.change_stream.handle_batch({"Records": records})  # and once more, for good measure
    assert len(mailer.sent) == 1


def test_every_catalogue_event_reaches_the_webhook_signed_with_the_event_id(api: Api):
    _journey(api, _with_webhook())
    a_key = _owner_key(api, "sales-a@demo.dk")
    lead_id = _lead(api)
    api.run_timers()
    offered = next(json.loads(body) for _, body, _ in api.webhooks.posted if json.loads(body)["type"] ==
                   "handover.offered")
    _act(api, offered["data"]["handover_id"], "accept", a_key)
    posted = {json.loads(body)["type"]: (json.loads(body), headers) for _, body, headers in api.webhooks.posted}
    assert {"lead.created", "lead.stage_changed", "handover.started", "handover.offered", "handover.accepted"} <= set(
        posted)
    body, headers = posted["handover.accepted"]
    assert body["data"]["lead_id"] == lead_id and body["data"]["owner"] == "sales-a@demo.dk"
    timeline = {event["event_id"] for event in json_body(_admin(api, "GET", f"/leads/{lead_id}"))["timeline"]
                if "event_id" in event}
    assert headers["webhook-id"] in timeline
    assert offered["data"]["accept_url"].startswith("https://api.leadtrail.test/handovers/")
    assert StandardWebhook(WEBHOOK_SECRET)  # the secret the receiver verifies with is the tenant's


def test_a_journey_stored_with_an_old_style_webhook_secret_still_hands_leads_over(api: Api):
    old = _always_open()
    old["webhook"] = {"url": "https://crm.demo.dk/hooks", "secret": "an old secret of sixteen+ chars"}
    api.repos.journeys.save_journey("demo", old, "2026-11-01T00:00:00.000Z")  # as stored before this release

    lead_id = _lead(api)  # the stream is drained after the request: no record may fail (asserted by drain)
    api.run_timers()

    assert _handover(api, lead_id)["owner"] in ("sales-a@demo.dk", "sales-b@demo.dk")
    assert api.mailer.sent and api.webhooks.posted == []  # the owner is told; the invalid webhook is left out


def test_one_failing_consumer_does_not_stop_the_others_and_the_record_is_retried(api: Api):
    _journey(api, _always_open())
    api.raw_http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                      body=json.dumps({"email": "partial@kunde.dk"}))
    stream = api.wiring.change_stream
    broken = stream.consumers[1]  # the timer starter

    def failing(event: Any) -> None:
        raise RuntimeError("Step Functions throttled")

    stream.consumers[1] = failing
    records = api.tap.new_records()
    answer = stream.handle_batch({"Records": records})
    assert answer["batchItemFailures"]  # retried...
    assert _report(api)["handovers"] == 1  # ...but the counters (before it) and later consumers did their part
    stream.consumers[1] = broken
    assert stream.handle_batch({"Records": records}) == {"batchItemFailures": []}
    assert len(api.timers.started) == 1 and _report(api)["handovers"] == 1


def test_an_e_mail_refused_for_good_is_not_retried(api: Api):
    from chalicelib.services.notify import MailRejected

    _journey(api, _always_open())
    _lead(api)
    calls: list[str] = []

    def refuse(to: str, *args: Any, **kwargs: Any) -> None:
        calls.append(to)
        raise MailRejected("SES rejected the message")

    api.mailer.send = refuse  # type: ignore[method-assign]
    api.timers.run_due(api.clock(), api.wiring.handovers.fire_due)
    records = api.tap.new_records()
    assert api.wiring.change_stream.handle_batch({"Records": records}) == {"batchItemFailures": []}
    api.wiring.change_stream.handle_batch({"Records": records})
    assert calls == ["sales-a@demo.dk"]


def test_a_failing_batch_consumer_fails_the_page_views_of_the_batch_and_nothing_else(api: Api):
    _journey(api, _always_open())
    api.raw_http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                      body=json.dumps({"email": "batch@kunde.dk"}))
    api.raw_http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=json.dumps(
        {"site": "demo", "vid": "vbatchconsumer0000001", "events": [
            {"type": "pageview", "url": f"{DEMO_ORIGIN}/?utm_source=news&utm_medium=email&utm_campaign=x"}]}))
    stream = api.wiring.change_stream
    counting = stream.view_batch_consumers[0]

    def failing(views: Any) -> set[tuple[str, str, str]]:
        raise RuntimeError("DynamoDB throttled")

    stream.view_batch_consumers[0] = failing
    records = api.tap.new_records()
    views = _page_view_records(records)
    assert len(views) == 1 and len(records) > 1

    answer = stream.handle_batch({"Records": records})

    assert answer == {"batchItemFailures": [{"itemIdentifier": views[0]["dynamodb"]["SequenceNumber"]}]}
    assert _report(api)["handovers"] == 1  # the form's events were handled
    stream.view_batch_consumers[0] = counting
    assert stream.handle_batch({"Records": views}) == {"batchItemFailures": []}


def test_the_two_stream_mappings_take_exactly_the_records_the_consumer_reads_each_by_one_of_them(api: Api):
    """The consumer has two event source mappings on the table's stream (infra/template.json), each with a filter:
    timeline events and retention marks' removals in batches of 25, page views' inserts in batches of up to 100 a
    minute. Matched here as Lambda matches them, over every record of a lead's life: a record the consumer reads
    goes to exactly one of them, the right one, and no other record goes anywhere (Lambda drops it, unbilled)."""
    from chalicelib.local.provision import CHANGE_EVENTS_SOURCE, PAGE_VIEWS_SOURCE, stream_mapping_of
    from tests.conftest import StreamTap

    _journey(api, {**_with_webhook(), "retention": "P24M"})
    vid = "vtwomappings000000001"
    api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=json.dumps(
        {"site": "demo", "vid": vid, "events": [{"type": "pageview", "url": f"{DEMO_ORIGIN}/?utm_campaign=x"}]}))
    email = "two.mappings@kunde.dk"
    response = api.client.http.post("/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
                                    body=json.dumps({"email": email, "et_vid": vid}))
    lead_id = json_body(response)["lead_id"]
    api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=json.dumps(
        {"site": "demo", "vid": vid, "events": [{"type": "pageview", "url": f"{DEMO_ORIGIN}/priser"}]}))
    _act(api, _handover(api, lead_id)["handover_id"], "accept", _owner_key(api, "sales-a@demo.dk"))
    # DynamoDB's TTL deleting the retention mark (the erasure path), then the person's erasure
    pk, sk = keys.retention_mark("demo", lead_id)
    api.dynamodb.delete_item(TableName=api.repos.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    api.drain()
    assert _admin(api, "DELETE", f"/admin/people?email={email}").status_code == 200

    stream = api.wiring.change_stream
    records = StreamTap(api.repos.table_name).new_records()
    assert {record["eventName"] for record in records} == {"INSERT", "MODIFY", "REMOVE"}
    taken: dict[str | None, int] = {}
    removals_read = 0
    for record in records:
        read_as = (PAGE_VIEWS_SOURCE if stream.decode_view and stream.decode_view(record) is not None else
                   CHANGE_EVENTS_SOURCE if stream.decode(record) is not None
                   or (stream.decode_removal and stream.decode_removal(record) is not None) else None)
        assert stream_mapping_of(record) == read_as, (record["eventName"], record["dynamodb"].get("Keys"))
        taken[read_as] = taken.get(read_as, 0) + 1
        removals_read += record["eventName"] == "REMOVE" and read_as is not None
    assert taken[PAGE_VIEWS_SOURCE] == 2 and taken[CHANGE_EVENTS_SOURCE] > 5 and taken[None] > 10
    assert removals_read == 2  # the retention mark's TTL deletion, and the erasure's of the mark set again


def test_a_page_view_record_that_cannot_be_read_fails_alone(api: Api):
    import copy

    for vid in ("vunreadable0000000001", "vreadable000000000001"):
        api.raw_http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN}, body=json.dumps(
            {"site": "demo", "vid": vid, "events": [{"type": "pageview", "url": f"{DEMO_ORIGIN}/?utm_campaign=y"}]}))
    records = _page_view_records(api.tap.new_records())
    bad = copy.deepcopy(next(r for r in records if "vunreadable" in r["dynamodb"]["Keys"]["pk"]["S"]))
    del bad["dynamodb"]["NewImage"]["at"]  # as no writer of ours would leave it
    good = next(r for r in records if "vreadable0" in r["dynamodb"]["Keys"]["pk"]["S"])

    answer = api.wiring.change_stream.handle_batch({"Records": [bad, good]})

    assert answer == {"batchItemFailures": [{"itemIdentifier": bad["dynamodb"]["SequenceNumber"]}]}
    funnel = json_body(_admin(api, "GET", "/reports/funnel?by=campaign&from=2026-11-01&to=2026-12-31"))
    assert funnel["total"]["visitors"] == 1  # the readable one was counted
