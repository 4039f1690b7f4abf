"""The producer's side of resellers (admin key): register, list, change, deactivate, key them; the end-customer feed."""

from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, header, json_body, json_response, request_of

resellers_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(resellers_api)


def _reseller_id(raw: str) -> str:
    reseller_id = unquote(raw)
    if not reseller_id or len(reseller_id) > 64 or not reseller_id.isprintable() or " " in reseller_id:
        raise InvalidInput("the reseller in the path must be a reseller id", field="reseller_id")
    return reseller_id


@resellers_api.route("/admin/resellers", methods=["POST"], content_types=["application/json"])
@answers_errors
def create_reseller() -> Response:
    """A reseller: ``{reseller_id, name, language, contacts, inbox, manager, regions, products, calendar}``; the
    answer shows its API key and match secret once."""
    from chalicelib.reseller_bodies import ResellerBody

    tenant_id = admin_tenant(_request())
    answer, status = container().resellers.create(tenant_id, ResellerBody.model_validate(json_body(_request())))
    return json_response(answer, status=status)


@resellers_api.route("/admin/resellers", methods=["GET"])
@answers_errors
def list_resellers() -> Response:
    return json_response(container().resellers.listing(admin_tenant(_request())))


@resellers_api.route("/admin/resellers/{reseller_id}", methods=["GET"])
@answers_errors
def get_reseller(reseller_id: str) -> Response:
    from chalicelib.services.resellers import reseller_summary

    tenant_id = admin_tenant(_request())
    return json_response(reseller_summary(container().resellers.get(tenant_id, _reseller_id(reseller_id))))


@resellers_api.route("/admin/resellers/{reseller_id}", methods=["PATCH"], content_types=["application/json"])
@answers_errors
def change_reseller(reseller_id: str) -> Response:
    """Any of its fields but the id; ``{"active": false}`` deactivates it (routing passes it by)."""
    tenant_id = admin_tenant(_request())
    return json_response(container().resellers.update(tenant_id, _reseller_id(reseller_id), json_body(_request())))


@resellers_api.route("/admin/resellers/{reseller_id}/keys", methods=["POST"])
@answers_errors
def issue_reseller_key(reseller_id: str) -> Response:
    """A new API key for the reseller, shown once; its earlier key stops working."""
    tenant_id = admin_tenant(_request())
    return json_response(container().resellers.issue_key(tenant_id, _reseller_id(reseller_id)), status=201)


@resellers_api.route("/producer/end-customers", methods=["GET"])
@answers_errors
def end_customers() -> Response:
    """What resellers reported of the producer's leads, consent-filtered: JSON pages, or all as CSV."""
    from chalicelib.services.reseller_sales import feed_csv

    tenant_id = admin_tenant(_request())
    params: dict[str, str] = dict(_request().query_params or {})
    if "text/csv" in (header(_request(), "accept") or "").lower():
        feed = container().producer_feed.end_customers(tenant_id, params, whole=True)
        return Response(body=feed_csv(feed), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="end-customers.csv"'})
    return json_response(container().producer_feed.end_customers(tenant_id, params))


@resellers_api.route("/reports/resellers", methods=["GET"])
@answers_errors
def reseller_scorecard() -> Response:
    """The reseller scorecard for the hand-overs started in ``from``..``to``: JSON, or CSV with ``Accept: text/csv``."""
    from chalicelib.services.reseller_reports import scorecard_csv

    tenant_id = admin_tenant(_request())
    report = container().reseller_report.scorecard(tenant_id, dict(_request().query_params or {}))
    if "text/csv" in (header(_request(), "accept") or "").lower():
        return Response(body=scorecard_csv(report), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="resellers-{report["from"]}-{report["to"]}.csv"'})
    return json_response(report)
