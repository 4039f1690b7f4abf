"""A person's data (admin key): ``GET /admin/people?email=`` exports it, ``DELETE`` erases it (GDPR)."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, json_response, request_of

people_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(people_api)


def _email() -> str:
    params: dict[str, str] = dict(_request().query_params or {})
    unknown = sorted(set(params) - {"email"})
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; use email", field=unknown[0])
    return params.get("email", "")


@people_api.route("/admin/people", methods=["GET"])
@answers_errors
def export_person() -> Response:
    """Everything held about the person, as one JSON document."""
    tenant_id = admin_tenant(_request())
    return json_response(container().people.export(tenant_id, _email()))


@people_api.route("/admin/people", methods=["DELETE"])
@answers_errors
def erase_person() -> Response:
    """Erase every item that carries the person's data or links to them; repeating it changes nothing."""
    tenant_id = admin_tenant(_request())
    return json_response(container().people.erase(tenant_id, _email()))
