"""The journey store contract, run against the in-memory fake and the DynamoDB store alike."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.domain.capture import Site, new_pageview
from chalicelib.domain.leads import Submission, apply_submission
from chalicelib.errors import ConcurrentUpdate, DuplicateRequest, InvalidInput
from chalicelib.services.ports import JourneyStore, Receipt, Tenant

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = itertools.count()


def _receipt(key: str, payload: str = "p1", issued: int = 1_795_400_000) -> Receipt:
    return Receipt(tenant_id="t1", key_hash=key, payload_hash=payload, response={"lead_id": "x"},
                   issued_at=issued, expires_at=issued + 86_400)


def _outcome(store: JourneyStore, email: str):
    existing = store.lead("t1", _lead_id(store, email))
    return existing, apply_submission("t1", existing, Submission(email=email), [], NOW, lambda: f"id{next(_ids)}")


def _lead_id(store: JourneyStore, email: str) -> str:
    from chalicelib.domain.leads import lead_id_for

    return lead_id_for("t1", email)


def test_tenant_site_and_admin_key_round_trip(any_store: JourneyStore):
    any_store.save_tenant(Tenant("t1", "Firma A/S", "da"), [Site("s1", "t1", ("https://firma.dk",), "da")], ["h1"])
    assert any_store.site("s1") == Site("s1", "t1", ("https://firma.dk",), "da")
    assert any_store.tenant("t1") == Tenant("t1", "Firma A/S", "da")
    assert any_store.tenant_for_admin_key("h1") == "t1"
    assert any_store.site("nope") is None and any_store.tenant_for_admin_key("nope") is None


def test_page_views_come_back_oldest_first(any_store: JourneyStore):
    vid = "v" + uuid.uuid4().hex[:12]
    later = new_pageview("t1", vid, "b", "https://firma.dk/2", "2026-11-23T09:00:02.000Z")
    earlier = new_pageview("t1", vid, "a", "https://firma.dk/1?utm_source=x", "2026-11-23T09:00:01.000Z")
    any_store.record_pageviews([later, earlier])
    assert [view.url for view in any_store.visitor_pageviews("t1", vid)] == ["https://firma.dk/1?utm_source=x",
                                                                               "https://firma.dk/2"]
    assert any_store.visitor_pageviews("t2", vid) == []


def test_a_new_lead_is_saved_once_and_a_second_creation_is_a_conflict(any_store: JourneyStore):
    _, outcome = _outcome(any_store, "a@firma.dk")
    any_store.save_submission(outcome, None, _receipt("k1"))
    with pytest.raises(ConcurrentUpdate):
        any_store.save_submission(outcome, None, _receipt("k2"))
    saved = any_store.lead("t1", outcome.lead.lead_id)
    assert saved is not None and saved.version == 1 and saved.stage == "consideration"
    assert [event.type for event in any_store.lead_events("t1", outcome.lead.lead_id)] == ["form_submit",
                                                                                            "stage_change"]


def test_an_update_from_a_stale_read_is_a_conflict(any_store: JourneyStore):
    _, first = _outcome(any_store, "b@firma.dk")
    any_store.save_submission(first, None, _receipt("k1"))
    existing, second = _outcome(any_store, "b@firma.dk")
    assert existing is not None
    any_store.save_submission(second, existing.version, _receipt("k2"))
    with pytest.raises(ConcurrentUpdate):
        any_store.save_submission(second, existing.version, _receipt("k3"))
    assert len(any_store.lead_events("t1", first.lead.lead_id)) == 3


def test_a_repeated_receipt_is_a_duplicate_carrying_the_first_answer(any_store: JourneyStore):
    _, outcome = _outcome(any_store, "c@firma.dk")
    any_store.save_submission(outcome, None, _receipt("k1", payload="first"))
    existing, again = _outcome(any_store, "c@firma.dk")
    with pytest.raises(DuplicateRequest) as duplicate:
        any_store.save_submission(again, existing.version if existing else None, _receipt("k1", payload="second"))
    assert duplicate.value.response == {"payload_hash": "first", "lead_id": "x"}
    assert len(any_store.lead_events("t1", outcome.lead.lead_id)) == 2  # nothing of the retry was written


def test_an_expired_receipt_no_longer_blocks(any_store: JourneyStore):
    _, outcome = _outcome(any_store, "d@firma.dk")
    any_store.save_submission(outcome, None, _receipt("k1", issued=1_000))
    existing, again = _outcome(any_store, "d@firma.dk")
    assert existing is not None
    any_store.save_submission(again, existing.version, _receipt("k1", issued=1_000 + 90_000))
    assert len(any_store.lead_events("t1", outcome.lead.lead_id)) == 3


def test_leads_in_stage_pages_and_rejects_foreign_cursors(any_store: JourneyStore):
    for letter in "efg":
        _, outcome = _outcome(any_store, f"{letter}@firma.dk")
        any_store.save_submission(outcome, None, _receipt(f"k-{letter}"))
    first = any_store.leads_in_stage("t1", "consideration", "2026", 2, None)
    assert len(first.leads) == 2 and first.next_cursor
    rest = any_store.leads_in_stage("t1", "consideration", "2026", 2, first.next_cursor)
    assert len({lead.lead_id for lead in first.leads + rest.leads}) == 3
    with pytest.raises(InvalidInput):
        any_store.leads_in_stage("t1", "customer", "2026", 2, first.next_cursor)
    assert any_store.leads_in_stage("t2", "consideration", "2026", 10, None).leads == []
