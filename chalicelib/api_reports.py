"""Reports for managers."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, json_response, request_of

reports_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(reports_api)


@reports_api.route("/reports/handovers", methods=["GET"])
@answers_errors
def handover_report() -> Response:
    tenant_id = admin_tenant(_request())
    params: dict[str, str] = dict(_request().query_params or {})
    unknown = set(params) - {"from", "to"}
    if unknown:
        raise InvalidInput(f"unknown parameter {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    return json_response(container().reports.handovers(tenant_id, params.get("from"), params.get("to")))
