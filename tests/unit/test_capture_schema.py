"""The capture routes' input: a batch envelope from the snippet and the pixel's query string.

(One collected event is covered in test_form_model.py.) The errors are pydantic's own, with the same
messages and field paths a pydantic model of these fields gives.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_core import ValidationError

from chalicelib.bodies import field_errors, invalid
from chalicelib.capture_schema import CollectBatch, CollectedEvent, PixelQuery

VISITOR = "vis-sofie-0001"
PAGE = "https://www.byg.dk/solceller"


def errors_of(check: Any, data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        check(data)
    return [(error["loc"], error["msg"]) for error in caught.value.errors()]


# --- CollectBatch ------------------------------------------------------------------------------------------


def test_a_batch_keeps_its_events_unchecked_and_ignores_unknown_properties():
    batch = CollectBatch.model_validate({"site": "byg", "vid": VISITOR, "events": [{"type": "?"}, 7], "v": 2})

    assert batch == CollectBatch(site="byg", vid=VISITOR, events=[{"type": "?"}, 7])
    assert not hasattr(batch, "v")


@pytest.mark.parametrize("body", [[], "byg", None, 3])
def test_a_batch_that_is_not_an_object_is_refused_as_a_whole(body: Any):
    assert errors_of(CollectBatch.model_validate, body) == [
        ((), "Input should be a valid dictionary or instance of CollectBatch")]


def test_a_batch_names_every_missing_or_bad_field():
    assert errors_of(CollectBatch.model_validate, {"site": "Byg!", "events": []}) == [
        (("site",), "String should match pattern '^[a-z0-9][a-z0-9_-]{0,63}$'"),
        (("vid",), "Field required"),
        (("events",), "List should have at least 1 item after validation, not 0"),
    ]


@pytest.mark.parametrize("vid", ["short", "x" * 65, "med mellemrum", 12345678])
def test_a_visitor_id_of_the_wrong_shape_is_refused(vid: Any):
    assert [loc for loc, _ in errors_of(CollectBatch.model_validate, {"site": "byg", "vid": vid, "events": [{}]})] \
        == [("vid",)]


# --- One event inside a batch: its field path starts at its place in the batch ------------------------------


def test_a_bad_event_is_named_by_its_place_in_the_batch():
    with pytest.raises(ValidationError) as caught:
        CollectedEvent.model_validate({"type": "pageview", "url": "ftp://byg.dk/"})

    refused = invalid(caught.value, prefix="events.3.")
    assert (refused.field, refused.message) == (
        "events.3.url", "events.3.url: String should match pattern '^https?://[^\\s]+$'")


def test_an_event_that_is_not_an_object_is_named_by_its_place_alone():
    with pytest.raises(ValidationError) as caught:
        CollectedEvent.model_validate("pageview")

    assert field_errors(caught.value, prefix="events.0.") == [
        {"field": "events.0", "message": "Input should be a valid dictionary or instance of CollectedEvent"}]


def test_a_client_time_that_is_neither_number_nor_iso_says_what_it_should_be():
    assert errors_of(CollectedEvent.model_validate, {"type": "pageview", "url": PAGE, "ts": "i går"}) == [
        (("ts",), "Value error, ts must be epoch milliseconds or an ISO-8601 time")]


# --- PixelQuery --------------------------------------------------------------------------------------------


def test_a_pixel_without_event_type_or_visitor_is_a_page_view_of_an_unknown_visitor():
    query = PixelQuery.model_validate({"site": "byg", "url": PAGE})

    assert query == PixelQuery(site="byg", url=PAGE, vid=None, e="pageview", ref=None, title=None, ts=None, id=None)


def test_a_pixel_keeps_every_known_parameter_and_ignores_the_rest():
    query = PixelQuery.model_validate({"site": "byg", "url": PAGE, "vid": VISITOR, "e": "email_open",
                                       "ref": "https://mail.example/", "title": "t" * 400, "ts": "1795428000000",
                                       "id": "ev-1", "cb": "123"})

    assert (query.vid, query.e, query.ref, query.title, query.ts, query.id) == (
        VISITOR, "email_open", "https://mail.example/", "t" * 400, "1795428000000", "ev-1")


@pytest.mark.parametrize(("change", "field"), [
    ({"site": "Byg"}, "site"), ({"url": "javascript:alert(1)"}, "url"), ({"e": "click"}, "e"),
    ({"vid": "kort"}, "vid"), ({"id": "x" * 65}, "id"), ({"ref": "r" * 2049}, "ref"),
])
def test_a_pixel_parameter_of_the_wrong_shape_is_named(change: dict[str, str], field: str):
    assert [loc for loc, _ in errors_of(PixelQuery.model_validate, {"site": "byg", "url": PAGE, **change})] == [
        (field,)]
