"""The journey table's repositories on DynamoDB (moto): each access pattern does what the services rely on."""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.dynamo import Repositories, keys
from chalicelib.adapters.dynamo.table import keyed
from chalicelib.adapters.dynamo.transaction import Transaction, TransactionCancelled
from chalicelib.domain.capture import Site, new_pageview
from chalicelib.domain.handover import Counter
from chalicelib.domain.leads import Submission, SubmissionOutcome, TimelineEvent, apply_submission, lead_id_for
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest, InvalidInput
from chalicelib.local import emulator
from chalicelib.services.ports import DeadLetter, Receipt, Tenant

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = itertools.count()


def _receipt(key: str, payload: str = "p1", issued: int = 1_795_400_000) -> Receipt:
    return Receipt(tenant_id="t1", key_hash=key, payload_hash=payload, response={"lead_id": "x"},
                   issued_at=issued, expires_at=issued + 86_400)


def _outcome(repos: Repositories, email: str):
    existing = repos.leads.lead("t1", lead_id_for("t1", email))
    return existing, apply_submission("t1", existing, Submission(email=email), [], NOW, lambda: f"id{next(_ids)}")


def _types(repos: Repositories, lead_id: str) -> list[str]:
    return [event.type for event in repos.leads.lead_events("t1", lead_id).events]


def test_tenant_site_admin_key_and_owner_round_trip(repos: Repositories):
    repos.tenancy.save_tenant(Tenant("t1", "Firma A/S", "da"), [Site("s1", "t1", ("https://firma.dk",), "da")], ["h1"])
    repos.tenancy.save_owner("t1", "sælger", "saelger@firma.dk", "da", "uh1")
    assert repos.tenancy.site("s1") == Site("s1", "t1", ("https://firma.dk",), "da")
    assert repos.tenancy.tenant("t1") == Tenant("t1", "Firma A/S", "da")
    assert repos.tenancy.tenant_for_admin_key("h1") == "t1"
    assert repos.tenancy.owner_for_key("uh1") == ("t1", "sælger")
    assert repos.tenancy.owner_contact("t1", "sælger") == ("saelger@firma.dk", "da")
    assert repos.tenancy.site("nope") is None and repos.tenancy.tenant_for_admin_key("nope") is None
    assert repos.tenancy.owner_contact("t2", "sælger") is None


def test_journey_versions_count_up(repos: Repositories):
    assert repos.journeys.journey("t1") is None
    repos.journeys.save_journey("t1", {"language": "da"}, "2026-11-23T09:00:00.000Z")
    stored = repos.journeys.save_journey("t1", {"language": "en"}, "2026-11-23T10:00:00.000Z")
    assert stored.version == 2 and repos.journeys.journey("t1") == stored


def test_page_views_come_back_oldest_first(repos: Repositories):
    vid = "v" + uuid.uuid4().hex[:12]
    later = new_pageview("t1", vid, "b", "https://firma.dk/2", "2026-11-23T09:00:02.000Z")
    earlier = new_pageview("t1", vid, "a", "https://firma.dk/1?utm_source=x", "2026-11-23T09:00:01.000Z")
    repos.capture.record_pageviews([later, earlier])
    assert [view.url for view in repos.capture.visitor_pageviews("t1", vid)] == ["https://firma.dk/1?utm_source=x",
                                                                                   "https://firma.dk/2"]
    assert repos.capture.visitor_pageviews("t2", vid) == []


def test_a_page_view_sent_again_at_another_time_is_stored_once(repos: Repositories):
    vid = "v" + uuid.uuid4().hex[:12]
    first = new_pageview("t1", vid, "ev-1", "https://firma.dk/", "2026-11-23T09:00:00.000Z")
    again = new_pageview("t1", vid, "ev-1", "https://firma.dk/", "2026-11-23T09:05:00.000Z")
    repos.capture.record_pageviews([first])
    repos.capture.record_pageviews([again, new_pageview("t1", vid, "ev-2", "https://firma.dk/b", first.at)])
    assert sorted(view.event_id for view in repos.capture.visitor_pageviews("t1", vid)) == ["ev-1", "ev-2"]


def test_a_new_lead_is_saved_once_and_a_second_creation_is_a_conflict(repos: Repositories):
    _, outcome = _outcome(repos, "a@firma.dk")
    repos.leads.save_submission(outcome, None, _receipt("k1"))
    with pytest.raises(ConcurrentUpdate):
        repos.leads.save_submission(outcome, None, _receipt("k2"))
    saved = repos.leads.lead("t1", outcome.lead.lead_id)
    assert saved is not None and saved.version == 1 and saved.stage == "consideration"
    assert _types(repos, outcome.lead.lead_id) == ["form_submit", "stage_change"]


def test_an_update_from_a_stale_read_is_a_conflict(repos: Repositories):
    _, first = _outcome(repos, "b@firma.dk")
    repos.leads.save_submission(first, None, _receipt("k1"))
    existing, second = _outcome(repos, "b@firma.dk")
    assert existing is not None
    repos.leads.save_submission(second, existing.version, _receipt("k2"))
    with pytest.raises(ConcurrentUpdate):
        repos.leads.save_submission(second, existing.version, _receipt("k3"))
    assert len(_types(repos, first.lead.lead_id)) == 3


def test_a_repeated_receipt_is_a_duplicate_carrying_the_first_answer(repos: Repositories):
    _, outcome = _outcome(repos, "c@firma.dk")
    repos.leads.save_submission(outcome, None, _receipt("k1", payload="first"))
    existing, again = _outcome(repos, "c@firma.dk")
    with pytest.raises(DuplicateRequest) as duplicate:
        repos.leads.save_submission(again, existing.version if existing else None, _receipt("k1", payload="second"))
    assert duplicate.value.response == {"payload_hash": "first", "lead_id": "x"}
    assert len(_types(repos, outcome.lead.lead_id)) == 2  # nothing of the retry was written


def test_an_expired_receipt_no_longer_blocks(repos: Repositories):
    _, outcome = _outcome(repos, "d@firma.dk")
    repos.leads.save_submission(outcome, None, _receipt("k1", issued=1_000))
    existing, again = _outcome(repos, "d@firma.dk")
    assert existing is not None
    repos.leads.save_submission(again, existing.version, _receipt("k1", issued=1_000 + 90_000))
    assert len(_types(repos, outcome.lead.lead_id)) == 3


def test_a_receipts_recorded_answer_is_read_until_it_expires(repos: Repositories):
    _, outcome = _outcome(repos, "e@firma.dk")
    repos.leads.save_submission(outcome, None, _receipt("k2", payload="first", issued=1_000))

    assert repos.leads.recorded_answer("t1", "k2", 1_000) == {"payload_hash": "first", "lead_id": "x"}
    assert repos.leads.recorded_answer("t1", "k2", 1_000 + 86_400) is not None  # its last second
    assert repos.leads.recorded_answer("t1", "k2", 1_000 + 86_401) is None
    assert repos.leads.recorded_answer("t1", "other", 1_000) is None
    assert repos.leads.recorded_answer("t2", "k2", 1_000) is None


def test_round_robin_turns_are_atomic_under_concurrency(repos: Repositories):
    emulator.install()  # moto's in-process backend is not thread-safe by itself; the local stack's patch is
    with ThreadPoolExecutor(max_workers=8) as pool:
        turns = list(pool.map(lambda _: repos.handovers.take_turn("t1", "to-sales"), range(40)))
    assert sorted(turns) == list(range(1, 41))
    assert repos.handovers.current_turn("t1", "to-sales") == 40 and repos.handovers.current_turn("t2", "to-sales") == 0


def test_leads_in_stage_pages_and_rejects_foreign_or_crafted_cursors(repos: Repositories):
    for letter in "efg":
        _, outcome = _outcome(repos, f"{letter}@firma.dk")
        repos.leads.save_submission(outcome, None, _receipt(f"k-{letter}"))
    first = repos.leads.leads_in_stage("t1", "consideration", "2026", 2, None)
    assert len(first.leads) == 2 and first.next_cursor
    rest = repos.leads.leads_in_stage("t1", "consideration", "2026", 2, first.next_cursor)
    assert len({lead.lead_id for lead in first.leads + rest.leads}) == 3
    with pytest.raises(InvalidInput):
        repos.leads.leads_in_stage("t1", "customer", "2026", 2, first.next_cursor)
    crafted: dict[str, object] = {"gsi1pk": {"S": "T#t1#STAGE#consideration"}, "gsi1sk": {"N": "1"}, "pk": [],
                                  "sk": None}
    for cursor in (base64.urlsafe_b64encode(json.dumps(crafted).encode()).decode(), "not base64 ✓", "W10=", "e30="):
        with pytest.raises(InvalidInput):
            repos.leads.leads_in_stage("t1", "consideration", "2026", 2, cursor)
    assert repos.leads.leads_in_stage("t2", "consideration", "2026", 10, None).leads == []


def test_a_long_timeline_comes_a_page_at_a_time_and_a_cursor_fits_only_its_lead(repos: Repositories):
    _, outcome = _outcome(repos, "long@firma.dk")
    lead_id = outcome.lead.lead_id
    events = tuple(TimelineEvent(event_id=f"n{index:03d}", type="note", at=f"2026-11-23T09:{index // 60:02d}:"
                                 f"{index % 60:02d}.000Z") for index in range(120))
    repos.leads.save_submission(SubmissionOutcome(lead=outcome.lead, events=events[:90], created=True), None,
                                _receipt("long-1"))
    existing = repos.leads.lead("t1", lead_id)
    assert existing is not None
    repos.leads.save_submission(SubmissionOutcome(lead=existing, events=events[90:], created=False),
                                existing.version, _receipt("long-2"))
    seen, cursor = [], None
    while True:
        page = repos.leads.lead_events("t1", lead_id, limit=50, cursor=cursor)
        seen += [event.event_id for event in page.events]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [event.event_id for event in events]
    with pytest.raises(InvalidInput):
        repos.leads.lead_events("t1", lead_id_for("t1", "other@firma.dk"), limit=50,
                                cursor=repos.leads.lead_events("t1", lead_id, limit=50).next_cursor)


def test_counters_add_each_event_once(repos: Repositories):
    counters = [Counter("handovers"), Counter("handovers", owner="a"), Counter("open")]
    assert repos.counters.add_once("ev-1", "t1", "2026-11-23", counters) is True
    assert repos.counters.add_once("ev-1", "t1", "2026-11-23", counters) is False
    assert repos.counters.add_once("ev-2", "t1", "2026-11-24", [Counter("open", -1)]) is True
    rows = repos.counters.counter_rows("t1", "2026-11-23", "2026-11-24")
    assert sorted(rows, key=str) == sorted(
        [(None, {"handovers": 1, "open": 1}), ("a", {"handovers": 1}), (None, {"open": -1})], key=str)
    assert repos.counters.counter_rows("t2", "2026-11-23", "2026-11-24") == []


def test_a_claim_is_granted_once_until_released(repos: Repositories):
    assert repos.processed.claim("mail", "ev-1.0") is True
    assert repos.processed.claim("mail", "ev-1.0") is False
    assert repos.processed.claim("webhook", "ev-1.0") is True  # each consumer has its own marks
    repos.processed.release("mail", "ev-1.0")
    assert repos.processed.claim("mail", "ev-1.0") is True


def test_dead_letters_are_kept_per_tenant_until_deleted(repos: Repositories):
    letter = DeadLetter("t1", "dl_1", "2026-11-23T09:00:00.000Z", "https://hooks.firma.dk", "{}", 4, "timeout", "ev-1")
    repos.dead_letters.record_dead_letter(letter)
    assert repos.dead_letters.dead_letters("t1") == [letter] and repos.dead_letters.dead_letters("t2") == []
    repos.dead_letters.delete_dead_letter("t1", "dl_1")
    assert repos.dead_letters.dead_letters("t1") == []


def test_a_cancelled_transaction_names_the_tag_whose_condition_failed_and_writes_nothing(repos: Repositories):
    repos.table.put(keyed(keys.receipt("t1", "held"), kind="receipt"))
    tx = Transaction(repos.table)
    tx.put("free", keyed(keys.receipt("t1", "free"), kind="receipt"), condition="attribute_not_exists(pk)")
    tx.put("held", keyed(keys.receipt("t1", "held"), kind="receipt", note="second"),
           condition="attribute_not_exists(pk)", return_old=True)
    with pytest.raises(TransactionCancelled) as cancelled:
        tx.commit()
    assert cancelled.value.failed == {"held"} and cancelled.value.old["held"]["kind"] == "receipt"
    assert repos.table.get(keys.receipt("t1", "free")) is None


def test_a_cursor_outside_its_querys_range_is_refused_before_dynamodb_sees_it(repos: Repositories):
    def encoded(key: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    _, outcome = _outcome(repos, "range@firma.dk")
    repos.leads.save_submission(outcome, None, _receipt("range-1"))
    lead_id = outcome.lead.lead_id
    stage_cursor = encoded({"gsi1pk": {"S": "T#t1#STAGE#consideration"}, "gsi1sk": {"S": "0"},
                            "pk": {"S": f"T#t1#L#{lead_id}"}, "sk": {"S": "LEAD"}})
    with pytest.raises(InvalidInput):  # "0" sorts before the default since of "0000"
        repos.leads.leads_in_stage("t1", "consideration", "0000", 10, stage_cursor)
    with pytest.raises(InvalidInput):  # a cursor handed out for an earlier "since", reused with a later one
        repos.leads.leads_in_stage("t1", "consideration", "2027", 10, encoded(
            {"gsi1pk": {"S": "T#t1#STAGE#consideration"}, "gsi1sk": {"S": "2026-11-23"},
             "pk": {"S": f"T#t1#L#{lead_id}"}, "sk": {"S": "LEAD"}}))
    with pytest.raises(InvalidInput):  # a timeline cursor that points at the lead item, not an event
        repos.leads.lead_events("t1", lead_id, cursor=encoded({"pk": {"S": f"T#t1#L#{lead_id}"}, "sk": {"S": "LEAD"}}))
