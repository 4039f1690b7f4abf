"""One error shape everywhere: wrong methods, unknown routes, refused content types and crashes answer JSON
with ``error``, ``message``, ``field`` and ``fields``, as every other refusal does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.local import LocalGateway

from chalicelib.local import gateway
from chalicelib.local.provision import template
from tests.conftest import DEMO_KEY, Api, json_body

SHAPE = {"error", "message", "field", "fields"}


@pytest.fixture
def gateway_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """chalice's local gateway answering unknown routes as API Gateway does with the template's responses."""
    monkeypatch.setattr(LocalGateway, "handle_request", gateway.answering_unknown_routes(LocalGateway.handle_request))


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/leads", "GET"), ("POST", "/health", "GET"), ("PATCH", "/admin/journey", "GET, PUT"),
])
def test_a_wrong_method_is_405_in_the_error_shape_with_an_allow_header(api: Api, method: str, path: str,
                                                                       allowed: str):
    response = api.client.http.request(method, path, headers={"Authorization": f"Bearer {DEMO_KEY}"})
    body = json_body(response)
    assert response.status_code == 405
    assert set(body) == SHAPE and body["error"] == "method_not_allowed" and body["field"] == "method"
    assert sorted(response.headers["Allow"].split(", ")) == sorted(allowed.split(", "))
    assert method in body["message"] and all(name in body["message"] for name in allowed.split(", "))


def test_a_body_of_a_content_type_the_route_does_not_take_is_415_in_the_error_shape(api: Api):
    response = api.client.http.put("/admin/journey", body="<journey/>",
                                   headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "text/xml"})
    body = json_body(response)
    assert response.status_code == 415
    assert set(body) == SHAPE and body["error"] == "unsupported_media_type" and body["field"] == "Content-Type"
    assert "text/xml" in body["message"]


def test_a_crash_is_a_500_in_the_error_shape_that_tells_nothing_of_the_inside(api: Api, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret inner detail")

    monkeypatch.setattr(type(api.wiring.journeys), "document", broken)
    response = api.client.http.get("/admin/journey", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    body = json_body(response)
    assert response.status_code == 500
    assert set(body) == SHAPE and body["error"] == "internal_error"
    assert "secret" not in response.body.decode()


@pytest.mark.parametrize("path", ["/nowhere", "/leads/ld_x/nothing/here", "/admin", "/admin/owners/x/y/z/w"])
def test_an_unknown_route_is_404_in_the_error_shape(api: Api, gateway_responses: None, path: str):
    for headers in ({}, {"Authorization": f"Bearer {DEMO_KEY}"}):
        response = api.client.http.get(path, headers=headers)
        body = json_body(response)
        assert response.status_code == 404, path
        assert set(body) == SHAPE and body["error"] == "not_found" and body["field"] == "path"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_routes_that_exist_still_answer_with_the_local_gateway_patched(api: Api, gateway_responses: None):
    assert api.client.http.get("/health").status_code == 200


def _rendered(response_template: str) -> Any:
    """A gateway response template with API Gateway's variables filled as it fills them (a JSON string)."""
    return json.loads(re.sub(r"\$context\.error\.messageString", json.dumps("Too Many Requests"), response_template))


@pytest.mark.parametrize(("logical_id", "error"), [
    ("UnknownRouteResponse", "not_found"), ("Default4xxResponse", "request_refused"),
    ("Default5xxResponse", "internal_error"),
])
def test_api_gateway_answers_in_the_error_shape_too(logical_id: str, error: str):
    properties = template()["Resources"][logical_id]["Properties"]
    body = _rendered(properties["ResponseTemplates"]["application/json"])
    assert set(body) == SHAPE and body["error"] == error and isinstance(body["message"], str)
    assert properties["RestApiId"] == {"Ref": "RestAPI"}
    assert properties["ResponseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"


def test_api_gateway_answers_an_unknown_route_with_404_not_403():
    properties = template()["Resources"]["UnknownRouteResponse"]["Properties"]
    assert (properties["ResponseType"], properties["StatusCode"]) == ("MISSING_AUTHENTICATION_TOKEN", "404")


def test_the_local_dev_server_of_the_local_stack_answers_in_the_error_shape(api: Api, gateway_responses: None):
    import threading
    import urllib.error
    import urllib.request

    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app

    server = LocalDevServer(app, Config.create(lambda_timeout=30), "127.0.0.1", 0)
    port = server.server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answers = {}
        for method, path in (("GET", "/nowhere"), ("DELETE", "/health"), ("GET", "/health")):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    answers[method, path] = (answer.status, dict(answer.headers), json.loads(answer.read()))
            except urllib.error.HTTPError as refused:
                answers[method, path] = (refused.code, dict(refused.headers), json.loads(refused.read()))
    finally:
        server.shutdown()
        server.server.server_close()
    status, headers, body = answers["GET", "/nowhere"]
    assert status == 404 and set(body) == SHAPE and headers["Content-Type"] == "application/json"
    status, headers, body = answers["DELETE", "/health"]
    assert status == 405 and headers["Allow"] == "GET" and body["error"] == "method_not_allowed"
    assert answers["GET", "/health"][0] == 200
