"""Property-based tests of the public and admin edges: whatever is sent, never a 5xx, and nothing stored on a 4xx.

Rejected-input records (pk containing ``REJECTED#``) and their daily cap counters (``REJECTCAP#``) are kept on
purpose, so they are left out of the comparison.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_ORIGIN, Api

FAST = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

JOURNEY: dict[str, Any] = {
    "handovers": [{
        "name": "by-postcode", "on": "form_submit",
        "route": {"strategy": "match", "field": "postcode", "fallback": "desk@demo.dk",
                  "rules": [{"range": ["1000", "4999"], "owner": "east@demo.dk"},
                            {"field": "product", "equals": ["Varmepumpe"], "team": ["a@demo.dk", "b@demo.dk"]}]},
        "sla": {"accept_within": "PT4H", "calendar": "dk-business-hours"},
        "escalation": [{"at": "50%", "action": "remind"}, {"at": "200%", "action": "gap"}],
    }],
}


def _kept(api: Api) -> list[dict[str, Any]]:
    """Every item but the rejected-input records, read from moto's table directly: a scan per example through
    the API costs most of a second once the table holds a few hundred items, this a few milliseconds."""
    try:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][api.dynamodb.meta.region_name].get_table(api.repos.table_name)
        items = [item.to_json()["Attributes"] for item in table.all_items()]
    except (AttributeError, KeyError, TypeError):  # moto's internals moved: read through the API instead
        items = api.items()
    kept = ("REJECTED#", "REJECTCAP#")
    return sorted((item for item in items if not any(part in item["pk"]["S"] for part in kept)),
                  key=lambda item: json.dumps(item, sort_keys=True))


def _with_journey(api: Api) -> None:
    if not getattr(api, "journey_stored", False):
        response = api.client.http.put("/admin/journey", body=json.dumps(JOURNEY),
                                       headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                "Content-Type": "application/json"})
        assert response.status_code == 200, response.body
        api.journey_stored = True  # type: ignore[attr-defined]


def _answer_is_safe(api: Api, before: list[dict[str, Any]], response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.body[:500])
    if 400 <= response.status_code < 500:
        assert _kept(api) == before, response.body[:500]


# --- strategies ------------------------------------------------------------------------------------------------

texts = st.text(max_size=60)
odd_texts = st.one_of(
    texts,
    st.sampled_from(["²", "٣٠٠٠", "1" * 5000, "\x00", "\ud800", "<script>", "9999-12-31T23:59:59-14:00", " ", ""]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), odd_texts)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner,
                                                                                                        max_size=3),
                           max_leaves=8)
extra_names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
form_names = st.one_of(
    st.sampled_from(["name", "phone", "company", "message", "et_vid", "referred_by", "page_url", "_form", "_next",
                     "_gotcha", "postcode", "product", "consent_marketing", "consent_newsletter", "fields",
                     "consent"]),
    extra_names, extra_names.map(lambda name: f"consent_{name}"), texts,
)
form_values = st.one_of(odd_texts, st.sampled_from(["Varmepumpe", "2100", "8000", "true", "false", "ja", "nej",
                                                    f"{DEMO_ORIGIN}/tak", "https://evil.example/"]))
emails = st.one_of(st.just("unique"), st.just("unique"), st.just("unique"), st.just("unique-upper"), odd_texts,
                   st.integers())


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any] = form_values) -> st.SearchStrategy[Any]:
    """Valid three times in four: an odd value then meets a request that is otherwise fine and gets far in."""
    return st.one_of(valid, valid, valid, odd)


postcodes = st.one_of(st.text(alphabet="0123456789²³¹٣٠２１ -", min_size=1, max_size=6),
                      st.sampled_from(["²", "1²", "1" * 500, "8000", "2100"]))
flags = mostly(st.sampled_from([True, False, "true", "false", "ja", "nej", "on", ""]), json_values)
# The fields a real form sends, each present about half the time, and each valid most of the time.
known_form_fields = st.fixed_dictionaries({}, optional={
    "name": mostly(st.sampled_from(["Mette Hansen", "Søren Ørsted", "李"])),
    "phone": mostly(st.sampled_from(["+45 20 30 40 50", "(45) 2030-4050"])),
    "company": mostly(st.sampled_from(["Hansen ApS", "Æblegården I/S"])),
    "message": mostly(st.text(max_size=200)),
    "et_vid": mostly(st.sampled_from(["v0123456789abcdef", "px-abcdefgh12345"])),
    "referred_by": mostly(st.sampled_from(["Jens", "Naboen"])),
    "page_url": mostly(st.sampled_from([f"{DEMO_ORIGIN}/kontakt", f"{DEMO_ORIGIN}/?utm_medium=referral"])),
    "_form": mostly(st.sampled_from(["tilbud", "kontakt"])),
    "_next": mostly(st.sampled_from([f"{DEMO_ORIGIN}/tak", "https://evil.example/", "//evil.example", "/tak"])),
    "_gotcha": st.sampled_from(["", "", "", "bot"]),
    "postcode": postcodes,
    "product": mostly(st.sampled_from(["Varmepumpe", " varmepumpe ", "Solceller"]), texts),
    "consent_marketing": flags,
    "consent_newsletter": flags,
})
deep_json = st.builds(lambda opener, depth: (opener * depth).encode(), st.sampled_from(["[", '{"a":', "[{\"b\":"]),
                      st.integers(min_value=30, max_value=5_000))
other_form_fields = st.one_of(st.just({}), st.just({}),
                              st.dictionaries(form_names, st.one_of(form_values, json_values), max_size=3))
# A good form whose routing fields alone vary reaches the hand-over's routing rules.
routed_form_fields = st.fixed_dictionaries(
    {"postcode": postcodes},
    optional={"name": st.just("Mette Hansen"), "product": st.sampled_from(["Varmepumpe", "²", "x" * 500]) | texts},
)
form_fields = st.one_of(routed_form_fields,
                        st.builds(lambda known, other: {**other, **known}, known_form_fields, other_form_fields))


def _email(kind: Any) -> Any:
    if kind == "unique":
        return f"prop-{uuid.uuid4().hex[:12]}@firma.dk"
    if kind == "unique-upper":
        return f"  Prop-{uuid.uuid4().hex[:12]}@Firma.DK "
    return kind


# --- forms ------------------------------------------------------------------------------------------------------


@FAST
@given(email=emails, fields=form_fields,
       origin=st.sampled_from([DEMO_ORIGIN, DEMO_ORIGIN, OTHER_ORIGIN, None]),
       idempotency_key=st.one_of(st.none(), texts))
def test_any_json_form_is_answered_without_a_server_error_and_a_refusal_stores_nothing(api: Api, email, fields,
                                                                                      origin, idempotency_key):
    _with_journey(api)
    before = _kept(api)
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    if idempotency_key is not None and idempotency_key.isascii() and "\n" not in idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    response = api.client.http.post("/forms/demo", headers=headers, body=json.dumps({"email": _email(email),
                                                                                    **fields}))
    _answer_is_safe(api, before, response)


@FAST
@given(email=emails,
       pairs=st.builds(lambda known, other: [(name, str(value)) for name, value in known.items()] + other,
                       st.one_of(routed_form_fields, known_form_fields),
                       st.one_of(st.just([]), st.lists(st.tuples(form_names, form_values), max_size=4))),
       raw_tail=st.one_of(st.just(""), st.text(alphabet="&=%+;" + string.ascii_letters + "ø²", max_size=20)))
def test_any_url_encoded_form_is_answered_without_a_server_error_and_a_refusal_stores_nothing(api: Api, email, pairs,
                                                                                             raw_tail):
    _with_journey(api)
    before = _kept(api)
    email_text = _email(email)
    fields = [("email", email_text if isinstance(email_text, str) else str(email_text)), *pairs]
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass") + raw_tail
    response = api.client.http.post(
        "/forms/demo", body=body.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": DEMO_ORIGIN},
    )
    _answer_is_safe(api, before, response)


@FAST
@given(body=st.one_of(st.binary(max_size=200), deep_json,
                      st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass"))),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
def test_any_bytes_as_a_form_body_are_answered_without_a_server_error(api: Api, body, content_type):
    before = _kept(api)
    response = api.client.http.post("/forms/demo", body=body,
                                    headers={"Content-Type": content_type, "Origin": DEMO_ORIGIN})
    _answer_is_safe(api, before, response)


# --- collect ----------------------------------------------------------------------------------------------------

event_fields = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["pageview", "email_open", "click"]) | texts,
    "url": st.sampled_from([f"{DEMO_ORIGIN}/", f"{DEMO_ORIGIN}/?utm_source=x&utm_medium=referral",
                            "javascript:alert(1)"]) | texts,
    "ref": st.none() | texts,
    "title": st.none() | odd_texts,
    "ts": st.none() | st.integers() | st.floats() .filter(lambda x: x == x) | odd_texts
    | st.sampled_from(["2026-11-23T09:30:00Z", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z"]),
    "id": st.none() | texts,
})


@FAST
@given(site=st.sampled_from(["demo", "other", "nope"]) | texts,
       vid=st.sampled_from(["v0123456789abcdef"]) | texts,
       events=st.lists(st.one_of(event_fields, json_values), max_size=4),
       extra=st.dictionaries(texts, json_values, max_size=2),
       origin=st.sampled_from([DEMO_ORIGIN, OTHER_ORIGIN, None]))
def test_any_collect_batch_is_answered_without_a_server_error_and_a_refusal_stores_nothing(api: Api, site, vid,
                                                                                          events, extra, origin):
    before = _kept(api)
    headers = {"Content-Type": "text/plain"}
    if origin:
        headers["Origin"] = origin
    body = json.dumps({**extra, "site": site, "vid": vid, "events": events})
    response = api.client.http.post("/collect", headers=headers, body=body.encode("utf-8", "surrogatepass"))
    _answer_is_safe(api, before, response)


# Deeply nested JSON on /collect is left to test_hardening.py (marked xfail until capture parses with
# models.json_document), so that this property keeps guarding everything else meanwhile.
@FAST
@given(body=st.binary(max_size=300))
def test_any_bytes_as_a_collect_body_are_answered_without_a_server_error(api: Api, body):
    before = _kept(api)
    response = api.client.http.post("/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
                                    body=body)
    _answer_is_safe(api, before, response)


# --- admin query strings ----------------------------------------------------------------------------------------

date_like = st.one_of(
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?",
                  fullmatch=True),
    st.sampled_from(["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00+14:00",
                     "2026-02-30", "2026-13-45", "2026-01-01T25:00"]),
    texts,
)
query_values = st.one_of(date_like, st.integers().map(str), texts,
                         st.sampled_from(["consideration", "awareness", "customer", "nirvana", "0", "201", "-1"]))


def _query(params: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name.encode('utf-8', 'surrogatepass'), safe='')}="
                    f"{quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in params)


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


cursors = st.one_of(
    texts,
    st.builds(_cursor, json_values),
    st.builds(_cursor, st.fixed_dictionaries({"gsi1pk": st.just({"S": "T#demo#STAGE#consideration"})}, optional={
        "gsi1sk": st.sampled_from([{"S": "2026-11-23T09:30:00.000Z#ld_x"}, {"N": "1"}, {}, None]) | json_values,
        "pk": st.sampled_from([{"S": "T#demo#LEAD#ld_x"}, {"S": "T#other#LEAD#ld_x"}, []]) | json_values,
        "sk": st.sampled_from([{"S": "LEAD"}, None]) | json_values,
    })),
)
lead_queries = st.one_of(
    # One odd parameter in an otherwise good query, so that it reaches the code that reads it...
    st.fixed_dictionaries({"stage": st.just("consideration"), "since": date_like}),
    st.fixed_dictionaries({"stage": st.just("consideration"), "cursor": cursors}),
    st.fixed_dictionaries({"stage": st.just("consideration"), "limit": query_values}),
    st.fixed_dictionaries({"email": st.sampled_from(["kunde@firma.dk", "KUNDE@Firma.dk"]) | texts}),
    # ...and anything at all.
    st.fixed_dictionaries({}, optional={"stage": query_values, "since": date_like, "limit": query_values,
                                        "cursor": cursors, "email": texts, "colour": texts}),
)


@FAST
@given(query=lead_queries)
def test_any_lead_list_query_is_answered_without_a_server_error(api: Api, query):
    before = _kept(api)
    params = list(query.items())
    response = api.client.http.get(f"/leads?{_query(params)}", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    _answer_is_safe(api, before, response)


@FAST
@given(params=st.builds(lambda known, other: [*known.items(), *other],
                        st.fixed_dictionaries({}, optional={"from": date_like, "to": date_like}),
                        st.lists(st.tuples(texts, date_like), max_size=1)))
def test_any_handover_report_query_is_answered_without_a_server_error(api: Api, params):
    before = _kept(api)
    response = api.client.http.get(f"/reports/handovers?{_query(params)}",
                                   headers={"Authorization": f"Bearer {DEMO_KEY}"})
    _answer_is_safe(api, before, response)
