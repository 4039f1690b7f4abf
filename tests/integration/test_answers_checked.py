"""Every answer the API tests receive is checked against ``/openapi.json`` (``tests.contract``): these tests show
that the check can fail, and that no JSON success answer is left as "any JSON"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from app import app
from chalicelib.openapi import document
from tests.conftest import DEMO_KEY, Api
from tests.contract import ContractBroken, check_answer, patterns, problems, template_of

ADMIN = {"Authorization": f"Bearer {DEMO_KEY}"}


@dataclass
class Answer:
    status_code: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def _json(status: int, body: Any, **headers: str) -> Answer:
    return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})


def test_a_path_is_matched_to_its_template_the_literal_one_first():
    assert template_of("/reseller/leads/abc?status=open") == "/reseller/leads/{lead_id}"
    assert template_of("/reseller/leads/abc/accept") == "/reseller/leads/{lead_id}/{action}"
    assert template_of("/reports/sign-in/link?token=x") == "/reports/sign-in/link"
    assert template_of("/leads/abc/timeline") == "/leads/{lead_id}/timeline"
    assert template_of("/no/such/thing") is None


def test_a_literal_segment_wins_over_a_parameter_in_the_same_place():
    templates = patterns(["/x/{id}", "/x/{id}/{action}", "/x/me", "/x/me/keys", "/x/{id}/keys"])

    assert template_of("/x/me", templates) == "/x/me"
    assert template_of("/x/abc", templates) == "/x/{id}"
    assert template_of("/x/me/keys", templates) == "/x/me/keys"
    assert template_of("/x/abc/keys", templates) == "/x/{id}/keys"
    assert template_of("/x/abc/accept", templates) == "/x/{id}/{action}"


def test_an_answer_missing_a_documented_field_breaks_the_contract():
    found = list(problems("GET", "/reseller/me", _json(200, {"reseller_id": "r1"})))

    assert found and all(problem.startswith("GET /reseller/me -> 200: at (the answer):") for problem in found)
    assert any("'name' is a required property" in problem for problem in found)


def test_a_field_of_the_wrong_type_is_named_by_its_place():
    report = {"from": "2026-01-01", "to": "2026-01-31", "percentile_method": "nearest-rank", "total": {},
              "resellers": []}

    found = list(problems("GET", "/reports/resellers?from=2026-01-01", _json(200, report)))

    assert any(problem.startswith("GET /reports/resellers -> 200: at total:") for problem in found)


def test_a_status_the_document_does_not_name_breaks_the_contract():
    with pytest.raises(ContractBroken, match=r"POST /admin/owners -> 200: the document names no such answer"):
        check_answer("POST", "/admin/owners", _json(200, {"owner": "a", "email": "a@b.dk", "user_key": "k"}))


def test_a_json_answer_where_the_document_says_a_page_breaks_the_contract():
    found = list(problems("GET", "/s/some-token", _json(200, {"page": "survey"})))

    assert found == ["GET /s/{token} -> 200: answered application/json, the document says text/html"]


def test_a_refusal_outside_the_one_error_shape_breaks_the_contract():
    found = list(problems("GET", "/leads/x", _json(404, {"Code": "NotFound", "Message": "no"})))

    assert any("'error' is a required property" in problem for problem in found)


def test_paths_outside_the_document_are_not_checked():
    assert list(problems("GET", "/demo/pricing", Answer(200, b"<html>", {"Content-Type": "text/html"}))) == []


def test_the_api_fixture_checks_every_answer_it_gets(api: Api, monkeypatch: pytest.MonkeyPatch):
    from chalicelib import answers

    # the document as it would be if the owners' list had a field the service does not give
    class Stricter(answers.OwnerList):
        headcount: int

    monkeypatch.setattr(answers, "OwnerList", Stricter)
    from chalicelib import openapi
    from tests import contract

    openapi.cached_document.cache_clear()
    contract._templates.cache_clear()
    contract._validator.cache_clear()
    try:
        with pytest.raises(ContractBroken, match="headcount"):
            api.client.http.get("/admin/owners", headers=ADMIN)
    finally:
        monkeypatch.undo()
        openapi.cached_document.cache_clear()
        contract._templates.cache_clear()
        contract._validator.cache_clear()
    assert api.client.http.get("/admin/owners", headers=ADMIN).status_code == 200


def test_every_json_success_answer_has_its_shape_in_the_document():
    """A person's pages (``answer="html"``) document no JSON success answer at all, rather than "any JSON"."""
    doc = document(app.routes)
    loose = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status[0] == "2" and schema is not None and "$ref" not in schema:
                    loose.append(f"{method.upper()} {path} {status}")
    assert loose == []


HANDOVER = {"handover_id": "h1", "name": "to-sales", "lead_id": "l1", "owner": "a@demo.dk", "status": "declined",
            "started_at": "2026-12-01T09:00:00Z", "due_at": None, "contact_due_at": None, "next_step_at": None,
            "accepted_at": None, "accepted_late": None, "accepted_by": None, "contacted_at": None,
            "declined_by": ["a@demo.dk"], "rescue_of": None, "reseller": None}


@pytest.mark.parametrize(("method", "path", "body"), [
    # a second decline by link: the hand-over and the page that says it was declined already, no ``changed``
    ("POST", "/handovers/h1/decline?token=t", {**HANDOVER, "page": "declined"}),
    ("POST", "/handovers/h1/decline", {**HANDOVER, "changed": False}),
    # an owner registered before keys had ids
    ("GET", "/admin/owners", {"owners": [{"owner": "a@demo.dk", "email": "a@demo.dk", "language": "da",
                                          "active": True, "away_until": None, "keys": None}]}),
    # a reseller registering a customer it was offered and has not accepted: no contact details yet
    ("POST", "/reseller/leads", {"lead_id": "l1", "handover_id": "h1", "status": "offered",
                                 "handover_status": "offered", "owner": "r@shop.dk", "offered_at": "2026-12-01",
                                 "due_at": "2026-12-02", "accepted_at": None, "contacted_at": None,
                                 "registered": False, "name": "Jens", "company": None, "postcode": "8000",
                                 "product": None, "changed": False}),
])
def test_answers_the_services_give_on_their_rarer_paths_are_documented(method: str, path: str, body: Any):
    assert list(problems(method, path, _json(200, body))) == []
