"""Reports for managers."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import answers_errors, header, json_response

reports_api = Blueprint(__name__)


def _request() -> Request:
    request = reports_api.current_request
    assert request is not None
    return request


def _admin() -> str:
    return container().tenancy.tenant_for(header(_request(), "authorization"))


@reports_api.route("/reports/handovers", methods=["GET"])
@answers_errors
def handover_report() -> Response:
    tenant_id = _admin()
    params: dict[str, str] = dict(_request().query_params or {})
    unknown = set(params) - {"from", "to"}
    if unknown:
        raise InvalidInput(f"unknown parameter {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    return json_response(container().reports.handovers(tenant_id, params.get("from"), params.get("to")))
