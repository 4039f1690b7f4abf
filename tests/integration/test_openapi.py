"""``GET /openapi.json``: one OpenAPI 3.1 document of every route, built from the route table and the models."""

from __future__ import annotations

import json
import uuid

import pytest
import schemathesis
from jsonschema import Draft202012Validator

from app import app
from chalicelib import errors
from chalicelib.domain.journey import JourneyDefinition
from chalicelib.http import error_response
from chalicelib.openapi import CONTRACT, DEMO_PATHS, Error, document
from chalicelib.outcome_body import OutcomeBody
from tests.conftest import DEMO_KEY, DEMO_ORIGIN, Api, json_body
from tests.contract import answer_schema


def _routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods if not DEMO_PATHS.match(path)}


def test_every_route_has_a_contract_and_every_contract_a_route():
    assert _routes() == set(CONTRACT)


def test_a_route_without_a_contract_is_refused_by_name_rather_than_left_out():
    routes = {**app.routes, "/brand-new": {"GET": app.routes["/health"]["GET"]}}

    with pytest.raises(KeyError, match="GET /brand-new has no entry"):
        document(routes)


def test_the_document_is_served_and_names_every_operation(api: Api):
    response = api.client.http.get("/openapi.json")

    assert response.status_code == 200
    served = json_body(response)
    assert served["openapi"] == "3.1.0"
    operations = {(method.upper(), path) for path, methods in served["paths"].items() for method in methods}
    assert operations == _routes()
    # schemathesis (the contract run's tool) reads it as a valid OpenAPI 3.1 document
    assert len(list(schemathesis.openapi.from_dict(served).get_all_operations())) == len(operations)


def test_bodies_are_the_models_the_handlers_validate_with():
    doc = document(app.routes)
    schemas = doc["components"]["schemas"]

    journey = doc["paths"]["/admin/journey"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert journey == {"$ref": "#/components/schemas/JourneyDefinition"}
    expected = JourneyDefinition.model_json_schema(ref_template="#/components/schemas/{model}")
    expected.pop("$defs", None)
    assert schemas["JourneyDefinition"] == expected
    outcome = doc["paths"]["/leads/{lead_id}/outcome"]["post"]["requestBody"]["content"]["application/json"]
    assert outcome["schema"] == {"$ref": "#/components/schemas/OutcomeBody"}
    assert set(schemas["OutcomeBody"]["properties"]) == set(OutcomeBody.model_fields)


def test_query_parameters_come_from_the_query_models_and_path_parameters_from_the_path():
    leads = document(app.routes)["paths"]["/leads"]["get"]["parameters"]
    timeline = document(app.routes)["paths"]["/leads/{lead_id}/timeline"]["get"]["parameters"]

    assert {param["name"] for param in leads} == {"email", "stage", "since", "q", "limit", "cursor"}
    assert [(param["name"], param["in"], param["required"]) for param in timeline] == [
        ("lead_id", "path", True), ("cursor", "query", True), ("limit", "query", False)]


def test_every_refusal_is_documented_in_the_one_error_shape():
    doc = document(app.routes)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            refused = operation["responses"]["4XX"]["content"]
            assert "application/json" in refused, f"{method} {path}"
    # and the shape is what the error mapping really answers
    answer = error_response(errors.InvalidInput("email must be an e-mail address", field="email"))
    shaped = Error.model_validate(answer.body)
    assert shaped.fields == [{"field": "email", "message": "email must be an e-mail address"}]


def test_admin_routes_ask_for_a_key_and_the_end_customers_pages_do_not():
    doc = document(app.routes)

    assert doc["paths"]["/leads"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/s/{token}"]["get"]
    assert "security" not in doc["paths"]["/collect"]["post"]
    assert json.dumps(doc["components"]["securitySchemes"]["bearer"]).count("bearer") == 1


def test_the_main_routes_answers_are_the_documented_shapes(api: Api):
    doc = json_body(api.client.http.get("/openapi.json"))
    admin = {"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"}
    handover = {"name": "to-sales", "on": "form_submit",
                "route": {"strategy": "round_robin", "owners": ["sales-a@demo.dk"]}, "sla": {"accept_within": "PT4H"}}
    assert api.client.http.put("/admin/journey", headers=admin, body=json.dumps({"handovers": [handover]})
                               ).status_code == 200
    email = f"mette-{uuid.uuid4().hex[:6]}@kunde.dk"
    visitor = "v" + uuid.uuid4().hex[:20]
    events = [{"type": "pageview", "url": f"{DEMO_ORIGIN}/?utm_source=x&utm_medium=cpc", "id": uuid.uuid4().hex[:12]},
              {"type": "nonsense", "url": "x"}]
    answers = {
        ("get", "/health", "200"): api.client.http.get("/health"),
        ("get", "/openapi.json", "200"): api.client.http.get("/openapi.json"),
        ("post", "/collect", "202"): api.client.http.post(
            "/collect", headers={"Content-Type": "text/plain", "Origin": DEMO_ORIGIN},
            body=json.dumps({"site": "demo", "vid": visitor, "events": events})),
        ("post", "/forms/{site}", "201"): api.client.http.post(
            "/forms/demo", headers={"Content-Type": "application/json", "Origin": DEMO_ORIGIN},
            body=json.dumps({"email": email, "name": "Mette Berg", "et_vid": visitor, "phone": "ring mig"})),
    }
    lead_id = json_body(answers[("post", "/forms/{site}", "201")])["lead_id"]
    api.drain()
    answers[("get", "/leads", "200")] = api.client.http.get("/leads", headers=admin)
    answers[("get", "/leads/{lead_id}", "200")] = api.client.http.get(f"/leads/{lead_id}", headers=admin)
    (held,) = json_body(answers[("get", "/leads/{lead_id}", "200")])["handovers"]
    answers[("get", "/handovers/{handover_id}", "200")] = api.client.http.get(f"/handovers/{held['handover_id']}",
                                                                              headers=admin)
    answers[("get", "/admin/people", "200")] = api.client.http.get(f"/admin/people?email={email}", headers=admin)
    answers[("delete", "/admin/people", "200")] = api.client.http.delete(f"/admin/people?email={email}",
                                                                         headers=admin)
    again = api.client.http.delete(f"/admin/people?email={email}", headers=admin)

    for (method, path, status), answer in [*answers.items(), (("delete", "/admin/people", "200"), again)]:
        assert str(answer.status_code) == status, (method, path, answer.body[:300])
        schema = answer_schema(doc, method, path, status)
        assert schema.get("$ref"), f"{method} {path} answers any JSON"
        errors = list(Draft202012Validator(schema).iter_errors(json_body(answer)))
        assert errors == [], (method, path, [error.message for error in errors][:5])
    assert len(answers) == 9
    # and the shapes hold something: an answer without its lead is not one
    lead_schema = answer_schema(doc, "get", "/leads/{lead_id}", "200")
    assert not Draft202012Validator(lead_schema).is_valid({**json_body(answers[("get", "/leads/{lead_id}", "200")]),
                                                           "lead_id": None})
