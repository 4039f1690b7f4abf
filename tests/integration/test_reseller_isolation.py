"""Reseller isolation through the HTTP API: a reseller's key reaches exactly the leads handed to it by the producer
that issued the key. Another reseller's lead, another producer's lead and the producer's own routes do not exist for
it (404 or 401), and trying changes nothing; the producer sees every reseller's hand-overs, never a reseller's key."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import DEMO_KEY, DEMO_ORIGIN, OTHER_KEY, OTHER_ORIGIN, Api, json_body

ORIGINS = {"demo": DEMO_ORIGIN, "other": OTHER_ORIGIN}
ADMIN_KEYS = {"demo": DEMO_KEY, "other": OTHER_KEY}
JOURNEY: dict[str, Any] = {"handovers": [{
    "name": "to-resellers", "on": "form_submit", "route": {"strategy": "resellers", "match": "postcode"},
    "sla": {"accept_within": "PT4H"},
}]}
ERROR_SHAPE = {"error", "message", "field", "fields"}
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "accept": {},
    "decline": {"reason": "no capacity"},
    "contacted": {},
    "outcome": {"outcome": "won", "value": "40000"},
    "consent": {"purpose": "share_with_producer", "granted": True, "source": "phone call"},
}


@dataclass(frozen=True)
class Reseller:
    tenant_id: str
    reseller_id: str
    api_key: str
    match_secret: str
    key_id: str


def _call(api: Api, method: str, path: str, body: Any = None, key: str | None = DEMO_KEY,
          content_type: str = "application/json", raw: bytes | None = None,
          authorization: str | None = None) -> Any:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return api.client.http.request(method, path, headers=headers, body=data)


def _journey(api: Api, tenant_id: str = "demo") -> None:
    response = _call(api, "PUT", "/admin/journey", JOURNEY, key=ADMIN_KEYS[tenant_id])
    assert response.status_code == 200, response.body


def _register(api: Api, reseller_id: str, regions: list[str], tenant_id: str = "demo",
              name: str | None = None) -> Reseller:
    body = {"reseller_id": reseller_id, "name": name or f"{reseller_id.title()} El ApS",
            "contacts": [f"salg@{reseller_id}-{tenant_id}.dk"], "regions": regions}
    response = _call(api, "POST", "/admin/resellers", body, key=ADMIN_KEYS[tenant_id])
    assert response.status_code == 201, response.body
    answer = json_body(response)
    return Reseller(tenant_id, reseller_id, answer["api_key"], answer["match_secret"], answer["key_id"])


def _customer() -> str:
    return f"kunde-{uuid.uuid4().hex[:8]}@kunde.dk"


def _form(api: Api, postcode: str, tenant_id: str = "demo", email: str | None = None) -> str:
    form = {"email": email or _customer(), "name": "Kunde", "postcode": postcode}
    response = api.client.http.post(f"/forms/{tenant_id}", body=json.dumps(form), headers={
        "Content-Type": "application/json", "Origin": ORIGINS[tenant_id]})
    assert response.status_code == 201, response.body
    return str(json_body(response)["lead_id"])


def _lead(api: Api, lead_id: str, tenant_id: str = "demo") -> dict[str, Any]:
    response = _call(api, "GET", f"/leads/{lead_id}", key=ADMIN_KEYS[tenant_id])
    assert response.status_code == 200, response.body
    return dict(json_body(response))


def _handover(api: Api, lead_id: str, tenant_id: str = "demo") -> dict[str, Any]:
    (handover,) = _lead(api, lead_id, tenant_id)["handovers"]
    return dict(handover)


def _table(api: Api) -> list[dict[str, Any]]:
    """Every item of the table, in a stable order (to prove a refused request stored nothing)."""
    return sorted(api.items(), key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _lead_partition(api: Api, lead_id: str, tenant_id: str = "demo") -> list[dict[str, Any]]:
    return [item for item in _table(api) if item["pk"]["S"] == f"T#{tenant_id}#L#{lead_id}"]


def _listed(api: Api, reseller: Reseller) -> set[str]:
    response = _call(api, "GET", "/reseller/leads", key=reseller.api_key)
    assert response.status_code == 200, response.body
    return {row["lead_id"] for row in json_body(response)["leads"]}


def _reseller_reads(lead_id: str) -> list[tuple[str, str, Any]]:
    """Every reseller route that names a lead: the read and each action, with a body the action takes."""
    return [("GET", f"/reseller/leads/{lead_id}", None)] + [
        ("POST", f"/reseller/leads/{lead_id}/{action}", body) for action, body in ACTION_BODIES.items()]


def _assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.body
    body = json_body(response)
    assert set(body) == ERROR_SHAPE and body["error"] == "not_found" and body["field"] == "lead_id", body


def _assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.body
    body = json_body(response)
    assert set(body) == ERROR_SHAPE and body["error"] == "unauthorized" and body["field"] == "Authorization", body


def _sale(email: str, value: str = "40000") -> dict[str, Any]:
    return {"sales": [{"email": email, "outcome": "won", "value": value}]}


def _hash(secret: str, email: str) -> str:
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def demo_pair(api: Api) -> tuple[Reseller, Reseller]:
    """Reseller A (nord, 8000-9999) and reseller B (syd, 5000-7999) of the producer demo."""
    _journey(api)
    return _register(api, "nord", ["8000-9999"]), _register(api, "syd", ["5000-7999"])


@pytest.fixture
def other_reseller(api: Api) -> Reseller:
    """Reseller C (fjern, 1000-9999) of the producer other."""
    _journey(api, "other")
    return _register(api, "fjern", ["1000-9999"], tenant_id="other")


# --- one producer, two resellers: B never reaches A's lead -----------------------------------------------------


@pytest.mark.parametrize(("method", "route", "body"), _reseller_reads("{lead_id}"),
                         ids=["read", *ACTION_BODIES])
def test_another_resellers_lead_does_not_exist_for_a_reseller_and_trying_changes_nothing(
        api: Api, demo_pair: tuple[Reseller, Reseller], method: str, route: str, body: Any):
    nord, syd = demo_pair
    lead_id = _form(api, "8200")
    assert _handover(api, lead_id)["reseller"] == "nord"
    before, table, mails = _lead(api, lead_id), _table(api), len(api.mailer.sent)

    response = _call(api, method, route.format(lead_id=lead_id), body, key=syd.api_key)

    _assert_not_found(response)
    assert lead_id not in response.body.decode().replace(f"no lead '{lead_id}'", ""), "nothing of the lead is told"
    assert _lead(api, lead_id) == before and _table(api) == table, "the lead and its hand-over are as they were"
    assert len(api.mailer.sent) == mails and not api.webhooks.posted
    assert _call(api, "GET", f"/reseller/leads/{lead_id}", key=nord.api_key).status_code == 200


def test_an_accepted_lead_of_another_reseller_stays_out_of_reach_with_its_contact_details(
        api: Api, demo_pair: tuple[Reseller, Reseller]):
    nord, syd = demo_pair
    email = _customer()
    lead_id = _form(api, "8200", email=email)
    assert _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=nord.api_key).status_code == 200
    before = _lead(api, lead_id)

    answers = [_call(api, method, path, body, key=syd.api_key) for method, path, body in _reseller_reads(lead_id)]
    listed = _call(api, "GET", "/reseller/leads?status=accepted", key=syd.api_key)

    for answer in answers:
        _assert_not_found(answer)
        assert email not in answer.body.decode()
    assert listed.status_code == 200 and json_body(listed)["leads"] == []
    assert _lead(api, lead_id) == before
    assert _handover(api, lead_id)["status"] == "accepted" and _lead(api, lead_id)["outcome"] is None


def test_a_resellers_list_holds_only_the_leads_handed_to_it(api: Api, demo_pair: tuple[Reseller, Reseller]):
    nord, syd = demo_pair
    north_lead, south_lead = _form(api, "8200"), _form(api, "5000")

    assert _listed(api, nord) == {north_lead}
    assert _listed(api, syd) == {south_lead}
    for status in ("offered", "accepted", "won", "gap"):
        response = _call(api, "GET", f"/reseller/leads?status={status}", key=syd.api_key)
        assert north_lead not in {row["lead_id"] for row in json_body(response)["leads"]}, status


def test_a_resellers_list_reads_its_leads_together_not_one_by_one(api: Api, demo_pair: tuple[Reseller, Reseller]):
    nord, _ = demo_pair
    leads = {_form(api, postcode) for postcode in ("8200", "8300", "9000")}
    won = sorted(leads)[0]
    assert _call(api, "POST", f"/reseller/leads/{won}/accept", {}, key=nord.api_key).status_code == 200
    reported = _call(api, "POST", f"/reseller/leads/{won}/outcome", {"outcome": "won", "value": "40000"},
                     key=nord.api_key)
    assert reported.status_code in (200, 201), reported.body
    calls: list[str] = []
    api.dynamodb.meta.events.register("before-call.dynamodb.*",
                                      lambda model, **_: calls.append(model.name))

    response = _call(api, "GET", "/reseller/leads", key=nord.api_key)

    rows = {row["lead_id"]: row for row in json_body(response)["leads"]}
    assert set(rows) == leads and rows[won]["status"] == "won" and rows[won]["name"] == "Kunde"
    # the reseller's key, its hand-overs, their three leads in one read
    assert sorted(calls) == ["BatchGetItem", "GetItem", "Query"], calls


@pytest.mark.parametrize("sent_as", ["json-email", "csv-email", "hash-with-the-other-resellers-secret"])
def test_a_sale_of_another_resellers_customer_is_unmatched_and_records_no_outcome(
        api: Api, demo_pair: tuple[Reseller, Reseller], sent_as: str):
    nord, syd = demo_pair
    email = _customer()
    lead_id = _form(api, "8200", email=email)
    before, lead_items = _lead(api, lead_id), _lead_partition(api, lead_id)

    if sent_as == "json-email":
        response = _call(api, "POST", "/reseller/sales", _sale(email), key=syd.api_key)
    elif sent_as == "csv-email":
        response = _call(api, "POST", "/reseller/sales", raw=f"email,outcome,value\r\n{email},won,40000\r\n".encode(),
                         content_type="text/csv", key=syd.api_key)
    else:
        sale = {"sales": [{"email_hash": _hash(nord.match_secret, email), "outcome": "won", "value": "40000"}]}
        response = _call(api, "POST", "/reseller/sales", sale, key=syd.api_key)

    assert response.status_code == 200, response.body
    answer = json_body(response)
    assert (answer["reseller_id"], answer["matched"], answer["recorded"], answer["unmatched"]) == ("syd", 0, 0, 1)
    assert answer["results"] == [{"row": 0, "result": "unmatched"}], "the answer does not name the lead"
    assert _lead(api, lead_id) == before and _lead_partition(api, lead_id) == lead_items
    assert _handover(api, lead_id)["status"] == "offered", "a sale does not accept another reseller's offer"
    unmatched = json_body(_call(api, "GET", "/reseller/sales/unmatched", key=syd.api_key))["unmatched"]
    assert [(sale["outcome"], sale["value"], sale["reason"]) for sale in unmatched] == [("won", "40000.00", "no_match")]
    assert json_body(_call(api, "GET", "/reseller/sales/unmatched", key=nord.api_key))["unmatched"] == []


def test_a_deal_registration_of_another_resellers_customer_is_refused_and_changes_nothing(
        api: Api, demo_pair: tuple[Reseller, Reseller]):
    _, syd = demo_pair
    email = _customer()
    lead_id = _form(api, "8200", email=email)
    before, lead_items = _lead(api, lead_id), _lead_partition(api, lead_id)

    response = _call(api, "POST", "/reseller/leads", {"email": email, "name": "Someone"}, key=syd.api_key)

    # The refusal names the rule (the point of deal registration) but neither the lead nor its reseller.
    assert response.status_code == 409, response.body
    assert json_body(response)["fields"][0]["rule"] == "handed_to_another_reseller"
    assert "nord" not in response.body.decode() and lead_id not in response.body.decode()
    assert _lead(api, lead_id) == before and _lead_partition(api, lead_id) == lead_items
    assert _listed(api, syd) == set()


# --- two producers: a reseller key never crosses to the other producer ----------------------------------------


def test_a_reseller_of_another_producer_reaches_none_of_the_producers_leads(
        api: Api, demo_pair: tuple[Reseller, Reseller], other_reseller: Reseller):
    email = _customer()
    demo_leads = {_form(api, "8200", email=email), _form(api, "5000")}
    table, mails = _table(api), len(api.mailer.sent)

    answers = [_call(api, method, path, body, key=other_reseller.api_key)
               for lead_id in sorted(demo_leads) for method, path, body in _reseller_reads(lead_id)]

    for answer in answers:
        _assert_not_found(answer)
    assert _table(api) == table and len(api.mailer.sent) == mails, "nothing was stored, nobody was told"
    assert _listed(api, other_reseller) == set()
    sold = json_body(_call(api, "POST", "/reseller/sales", _sale(email), key=other_reseller.api_key))
    assert (sold["matched"], sold["unmatched"]) == (0, 1)
    assert all(_lead(api, lead_id)["outcome"] is None for lead_id in demo_leads)
    assert json_body(_call(api, "GET", "/reseller/sales/unmatched", key=demo_pair[0].api_key))["unmatched"] == []


def test_the_producers_resellers_reach_none_of_another_producers_leads(
        api: Api, demo_pair: tuple[Reseller, Reseller], other_reseller: Reseller):
    email = _customer()
    other_lead = _form(api, "8200", tenant_id="other", email=email)
    assert _handover(api, other_lead, "other")["reseller"] == "fjern"
    table = _table(api)

    for reseller in demo_pair:
        for method, path, body in _reseller_reads(other_lead):
            _assert_not_found(_call(api, method, path, body, key=reseller.api_key))
        assert _listed(api, reseller) == set()

    assert _table(api) == table
    assert _handover(api, other_lead, "other")["status"] == "offered"
    sold = json_body(_call(api, "POST", "/reseller/sales", _sale(email), key=demo_pair[0].api_key))
    assert (sold["matched"], sold["unmatched"]) == (0, 1)
    assert _lead(api, other_lead, "other")["outcome"] is None
    assert _listed(api, other_reseller) == {other_lead}


def test_a_deal_registered_with_another_producers_reseller_key_stays_with_that_producer(
        api: Api, demo_pair: tuple[Reseller, Reseller], other_reseller: Reseller):
    email = _customer()
    demo_lead = _form(api, "8200", email=email)
    before = _lead(api, demo_lead)

    registered = _call(api, "POST", "/reseller/leads", {"email": email, "name": "Kunde"}, key=other_reseller.api_key)

    assert registered.status_code == 201, "the other producer never handed this customer to anyone"
    other_lead = json_body(registered)["lead_id"]
    assert other_lead != demo_lead
    assert _lead(api, demo_lead) == before
    assert _call(api, "GET", f"/leads/{other_lead}", key=DEMO_KEY).status_code == 404
    assert _lead(api, other_lead, "other")["lead_type"] == "referral"
    assert _listed(api, demo_pair[0]) == {demo_lead}


def test_a_producer_sees_and_changes_none_of_another_producers_resellers(
        api: Api, demo_pair: tuple[Reseller, Reseller], other_reseller: Reseller):
    nord, _ = demo_pair
    lead_id = _form(api, "8200")

    listed = json_body(_call(api, "GET", "/admin/resellers", key=OTHER_KEY))["resellers"]
    read = _call(api, "GET", "/admin/resellers/nord", key=OTHER_KEY)
    patched = _call(api, "PATCH", "/admin/resellers/nord", {"active": False}, key=OTHER_KEY)
    rekeyed = _call(api, "POST", "/admin/resellers/nord/keys", key=OTHER_KEY)
    lead = _call(api, "GET", f"/leads/{lead_id}", key=OTHER_KEY)

    assert [row["reseller_id"] for row in listed] == ["fjern"]
    assert (read.status_code, patched.status_code, rekeyed.status_code, lead.status_code) == (404, 404, 404, 404)
    assert json_body(_call(api, "GET", "/admin/resellers/nord"))["active"] is True
    assert _call(api, "GET", "/reseller/me", key=nord.api_key).status_code == 200, "nord's key still works"
    assert json_body(_call(api, "GET", "/admin/resellers/nord"))["key_id"] == nord.key_id


# --- one reseller working for two producers ------------------------------------------------------------------


def test_a_reseller_of_two_producers_has_a_key_for_each_and_each_key_sees_only_its_producers_leads(api: Api):
    _journey(api)
    _journey(api, "other")
    for_demo = _register(api, "dual", ["8000-9999"], name="Dual for Nordlys")
    for_other = _register(api, "dual", ["8000-9999"], tenant_id="other", name="Dual for Other")
    demo_lead, other_lead = _form(api, "8200"), _form(api, "8200", tenant_id="other")

    assert for_demo.api_key != for_other.api_key and for_demo.match_secret != for_other.match_secret
    assert _handover(api, demo_lead)["reseller"] == "dual" and _handover(api, other_lead, "other")["reseller"] == "dual"
    me = {key: json_body(_call(api, "GET", "/reseller/me", key=key)) for key in (for_demo.api_key, for_other.api_key)}
    assert me[for_demo.api_key]["name"] == "Dual for Nordlys"
    assert me[for_other.api_key]["name"] == "Dual for Other"
    assert me[for_other.api_key]["match_secret"] == for_other.match_secret
    assert _listed(api, for_demo) == {demo_lead} and _listed(api, for_other) == {other_lead}
    for own, foreign, lead_id, tenant_id in ((for_demo, for_other, demo_lead, "demo"),
                                             (for_other, for_demo, other_lead, "other")):
        before = _lead(api, lead_id, tenant_id)
        for method, path, body in _reseller_reads(lead_id):
            _assert_not_found(_call(api, method, path, body, key=foreign.api_key))
        assert _lead(api, lead_id, tenant_id) == before
        assert _call(api, "GET", f"/reseller/leads/{lead_id}", key=own.api_key).status_code == 200


def test_accepting_with_one_producers_key_leaves_the_other_producers_offer_alone(api: Api):
    _journey(api)
    _journey(api, "other")
    for_demo = _register(api, "dual", ["8000-9999"])
    for_other = _register(api, "dual", ["8000-9999"], tenant_id="other")
    email = _customer()
    demo_lead, other_lead = _form(api, "8200", email=email), _form(api, "8200", tenant_id="other", email=email)

    accepted = _call(api, "POST", f"/reseller/leads/{demo_lead}/accept", {}, key=for_demo.api_key)
    sold = json_body(_call(api, "POST", "/reseller/sales", _sale(email), key=for_demo.api_key))
    new_key = json_body(_call(api, "POST", "/admin/resellers/dual/keys", key=DEMO_KEY))["api_key"]

    assert accepted.status_code == 200 and (sold["matched"], sold["recorded"]) == (1, 1)
    assert sold["results"][0]["lead_id"] == demo_lead
    assert _lead(api, demo_lead)["outcome"]["value"] == "40000.00"
    assert _handover(api, other_lead, "other")["status"] == "offered"
    assert _lead(api, other_lead, "other")["outcome"] is None
    _assert_unauthorized(_call(api, "GET", "/reseller/me", key=for_demo.api_key))
    assert _call(api, "GET", "/reseller/me", key=new_key).status_code == 200
    assert _listed(api, for_other) == {other_lead}, "a new key at one producer leaves the other's key working"


# --- the producer's keys and the reseller's keys do not stand in for each other ------------------------------


RESELLER_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/reseller/me", None),
    ("GET", "/reseller/leads", None),
    ("POST", "/reseller/leads", {"email": "fundet@kunde.dk", "name": "Fundet"}),
    ("GET", "/reseller/leads/{lead_id}", None),
    *[("POST", f"/reseller/leads/{{lead_id}}/{action}", body) for action, body in ACTION_BODIES.items()],
    ("POST", "/reseller/sales", {"sales": [{"email": "solgt@kunde.dk", "outcome": "won", "value": "100"}]}),
    ("GET", "/reseller/sales/unmatched", None),
]
ROUTE_IDS = ["me", "leads", "register", "lead", *ACTION_BODIES, "sales", "unmatched"]


@pytest.mark.parametrize(("method", "route", "body"), RESELLER_ROUTES, ids=ROUTE_IDS)
def test_the_producers_admin_key_is_not_a_reseller_key(
        api: Api, demo_pair: tuple[Reseller, Reseller], method: str, route: str, body: Any):
    lead_id = _form(api, "8200")
    table = _table(api)

    response = _call(api, method, route.format(lead_id=lead_id), body, key=DEMO_KEY)

    _assert_unauthorized(response)
    assert _table(api) == table


PRODUCER_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/admin/resellers", None),
    ("POST", "/admin/resellers", {"reseller_id": "snyd", "name": "Snyd", "contacts": ["x@snyd.dk"]}),
    ("GET", "/admin/resellers/nord", None),
    ("PATCH", "/admin/resellers/syd", {"regions": ["8000-9999"]}),
    ("POST", "/admin/resellers/nord/keys", None),
    ("GET", "/admin/journey", None),
    ("PUT", "/admin/journey", {"handovers": []}),
    ("GET", "/leads/{lead_id}", None),
    ("GET", "/producer/end-customers", None),
    ("GET", "/reports/resellers?from=2026-11-23&to=2026-11-23", None),
    ("GET", "/reports/roi?from=2026-11-01&to=2026-11-30", None),
]
PRODUCER_IDS = ["list-resellers", "create-reseller", "read-reseller", "change-reseller", "rekey-reseller",
                "read-journey", "change-journey", "lead", "end-customers", "scorecard", "roi"]


@pytest.mark.parametrize(("method", "route", "body"), PRODUCER_ROUTES, ids=PRODUCER_IDS)
def test_a_reseller_key_opens_none_of_the_producers_routes(
        api: Api, demo_pair: tuple[Reseller, Reseller], method: str, route: str, body: Any):
    nord, _ = demo_pair
    lead_id = _form(api, "8200")
    table = _table(api)

    response = _call(api, method, route.format(lead_id=lead_id), body, key=nord.api_key)

    _assert_unauthorized(response)
    assert _table(api) == table, "nothing of the producer changed"
    assert _call(api, "GET", "/reseller/me", key=nord.api_key).status_code == 200, "nord's own key was not replaced"


# --- the producer sees all its resellers' hand-overs ----------------------------------------------------------


def test_the_producer_sees_every_resellers_hand_over_with_its_owner_and_never_a_key(
        api: Api, demo_pair: tuple[Reseller, Reseller]):
    nord, syd = demo_pair
    north_lead, south_lead = _form(api, "8200"), _form(api, "5000")
    assert _call(api, "POST", f"/reseller/leads/{south_lead}/accept", {}, key=syd.api_key).status_code == 200

    north, south = _handover(api, north_lead), _handover(api, south_lead)
    listed = _call(api, "GET", "/admin/resellers")
    one = _call(api, "GET", "/admin/resellers/nord")

    assert (north["reseller"], north["owner"], north["status"]) == ("nord", "salg@nord-demo.dk", "offered")
    assert (south["reseller"], south["owner"], south["status"]) == ("syd", "salg@syd-demo.dk", "accepted")
    rows = json_body(listed)["resellers"]
    assert [(row["reseller_id"], row["key_id"]) for row in rows] == [("nord", nord.key_id), ("syd", syd.key_id)]
    for text in (listed.body.decode(), one.body.decode()):
        assert nord.api_key not in text and syd.api_key not in text
        assert nord.match_secret not in text and syd.match_secret not in text
        assert "api_key" not in text and "key_hash" not in text


# --- who is asking: the Authorization header -----------------------------------------------------------------


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "rk_no-scheme", "Bearer rk_never-issued",
    "Token {key}", "Bearer {key}x",
], ids=["missing", "empty", "bearer-alone", "bearer-blank", "basic", "no-scheme", "unknown-key", "other-scheme",
        "altered-key"])
@pytest.mark.parametrize(("method", "route", "body"), RESELLER_ROUTES, ids=ROUTE_IDS)
def test_a_reseller_route_without_a_valid_reseller_key_answers_401_naming_the_authorization_header(
        api: Api, method: str, route: str, body: Any, authorization: str | None):
    _journey(api)
    nord = _register(api, "nord", ["8000-9999"])
    lead_id = _form(api, "8200")
    table = _table(api)
    sent = None if authorization is None else authorization.format(key=nord.api_key)

    response = _call(api, method, route.format(lead_id=lead_id), body, key=None,
                     authorization=sent)

    _assert_unauthorized(response)
    assert _table(api) == table


# --- a new key ------------------------------------------------------------------------------------------------


def test_a_new_key_replaces_the_old_one_at_once_and_keeps_the_resellers_leads(
        api: Api, demo_pair: tuple[Reseller, Reseller]):
    nord, syd = demo_pair
    lead_id = _form(api, "8200")

    issued = _call(api, "POST", "/admin/resellers/nord/keys")

    assert issued.status_code == 201, issued.body
    answer = json_body(issued)
    assert answer["api_key"] != nord.api_key and answer["revoked"] == [nord.key_id]
    table = _table(api)
    for method, path, body in RESELLER_ROUTES:
        _assert_unauthorized(_call(api, method, path.format(lead_id=lead_id), body, key=nord.api_key))
    assert _table(api) == table, "the old key changed nothing"
    assert _handover(api, lead_id)["status"] == "offered"
    renewed = Reseller("demo", "nord", answer["api_key"], nord.match_secret, answer["key_id"])
    assert _listed(api, renewed) == {lead_id}
    assert _call(api, "POST", f"/reseller/leads/{lead_id}/accept", {}, key=renewed.api_key).status_code == 200
    assert _handover(api, lead_id)["status"] == "accepted"
    assert json_body(_call(api, "GET", "/admin/resellers/nord"))["key_id"] == answer["key_id"]
    assert _call(api, "GET", "/reseller/me", key=syd.api_key).status_code == 200, "another reseller's key stands"
