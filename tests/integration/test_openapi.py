"""``GET /openapi.json``: one OpenAPI 3.1 document of every route, built from the route table and the models."""

from __future__ import annotations

import json

import pytest
import schemathesis

from app import app
from chalicelib import errors
from chalicelib.domain.journey import JourneyDefinition
from chalicelib.http import error_response
from chalicelib.openapi import CONTRACT, DEMO_PATHS, Error, document
from chalicelib.outcome_body import OutcomeBody
from tests.conftest import Api, json_body


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
