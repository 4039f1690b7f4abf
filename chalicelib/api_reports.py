"""Reports for managers (admin key): hand-overs, funnel and ROI; JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, header, json_response, request_of

reports_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(reports_api)


def _params() -> dict[str, str]:
    return dict(_request().query_params or {})


@reports_api.route("/reports/handovers", methods=["GET"])
@answers_errors
def handover_report() -> Response:
    tenant_id = admin_tenant(_request())
    params = _params()
    unknown = set(params) - {"from", "to"}
    if unknown:
        raise InvalidInput(f"unknown parameter {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    return json_response(container().reports.handovers(tenant_id, params.get("from"), params.get("to")))


@reports_api.route("/reports/funnel", methods=["GET"])
@answers_errors
def funnel_report() -> Response:
    from chalicelib.services.reports import funnel_csv

    tenant_id, campaigns = _reader()
    return _answer(container().reports.funnel(tenant_id, _params(), campaigns), funnel_csv, "funnel")


@reports_api.route("/reports/roi", methods=["GET"])
@answers_errors
def roi_report() -> Response:
    from chalicelib.services.reports import roi_csv

    tenant_id, campaigns = _reader()
    return _answer(container().reports.roi(tenant_id, _params(), campaigns), roi_csv, "roi")


def _reader() -> tuple[str, frozenset[str] | None]:
    """The tenant and the campaigns the caller may see: None (all) for the admin key, an agency's report key's own."""
    from chalicelib.report_access import report_access

    access = report_access(_request())
    return access.tenant_id, access.campaigns


def _answer(report: dict[str, Any], as_csv: Callable[[dict[str, Any]], str], name: str) -> Response:
    if "text/csv" in (header(_request(), "accept") or "").lower():
        return Response(body=as_csv(report), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}-{report["from"]}-{report["to"]}.csv"'})
    return json_response(report)
