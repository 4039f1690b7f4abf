"""Request bodies and query strings at the edge: deep JSON and impossible dates are refused, not crashed on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.errors import MalformedInput
from chalicelib.models import MAX_JSON_DEPTH, json_document, json_object
from chalicelib.queries import LeadQuery


@pytest.mark.parametrize("body", [
    "[" * 15_000,
    "[" * 15_000 + "]" * 15_000,
    '{"a":' * 15_000 + "1" + "}" * 15_000,
    '{"a":' * 5_000,
    b"[" * 100_000,
])
def test_deeply_nested_json_is_a_malformed_body_not_a_crash(body):
    with pytest.raises(MalformedInput) as refused:
        json_object(body)
    assert refused.value.field == "body"


def test_nesting_up_to_the_limit_is_read():
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_document(body) == json.loads(body)
    inner = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert json_object('{"a":' + inner + "}") == {"a": json.loads(inner)}


def test_one_level_past_the_limit_is_refused_and_says_so():
    with pytest.raises(MalformedInput, match=f"deeper than {MAX_JSON_DEPTH}"):
        json_object('{"a":' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}")


@pytest.mark.parametrize("body", [
    '{"a": "' + "[" * 1000 + '"}',
    '{"a": "\\"' + "{" * 1000 + '"}',
    '{"a\\\\": "' + "[" * 1000 + '"}',
])
def test_brackets_inside_strings_do_not_count_as_nesting(body):
    assert json_object(body) == json.loads(body)


def test_a_body_in_utf_16_with_a_byte_order_mark_is_still_read():
    assert json_object('{"navn": "Søren"}'.encode("utf-16")) == {"navn": "Søren"}


@pytest.mark.parametrize("body", [b"\xff\xfe\x00", b'{"a": "\xff"}', "not json", "", "[1]"])
def test_anything_but_one_json_object_is_a_malformed_body(body):
    with pytest.raises(MalformedInput):
        json_object(body)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet='[]{}"\\:,a1 ', max_size=200))
def test_any_text_is_read_as_json_or_refused_as_malformed(text):
    try:
        json_document(text)
    except MalformedInput as refused:
        assert refused.field == "body"


@settings(max_examples=100, deadline=None, database=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda children: st.lists(children) | st.dictionaries(st.text(), children), max_leaves=30))
def test_any_json_value_within_the_depth_limit_reads_back_as_sent(value):
    assert json_document(json.dumps(value)) == value


# --- GET /leads query ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("since", ["2026-13-45", "2026-02-30", "2026-01-01T25:00", "9999-12-31T23:59:59-14:00",
                                   "٢٠٢٦-01-01", "2026-01-01T10:00:00.1234567890Z"])
def test_a_since_that_is_no_real_moment_is_refused_naming_since(since):
    with pytest.raises(ValidationError) as refused:
        LeadQuery.model_validate({"stage": "consideration", "since": since})
    assert [error["loc"] for error in refused.value.errors()] == [("since",)]


def test_since_is_kept_in_the_stored_form_of_a_moment():
    query = LeadQuery.model_validate({"stage": "consideration", "since": "2026-11-23T10:30+01:00"})
    assert query.since == "2026-11-23T09:30:00.000Z"
