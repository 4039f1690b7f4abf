"""Campaign costs (admin key): ``PUT /admin/costs`` as JSON or CSV, ``GET /admin/costs`` as JSON or CSV."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput, MalformedInput
from chalicelib.http import admin_tenant, answers_errors, header, json_response, raw_body, request_of

costs_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(costs_api)


@costs_api.route("/admin/costs", methods=["PUT"], content_types=["application/json", "text/csv"])
@answers_errors
def put_costs() -> Response:
    """Rows ``{campaign, source, medium, from, to, amount}``; ``currency`` and ``replace_all`` in the JSON body or
    the query. Every bad row is named in one answer and nothing is stored; a repeated upload changes nothing."""
    from chalicelib.models import json_document
    from chalicelib.services.costs import MAX_UPLOAD_BYTES, upload_from_csv, upload_from_json

    tenant_id = admin_tenant(_request())
    request = _request()
    options: dict[str, str] = dict(request.query_params or {})
    unknown = sorted(set(options) - {"currency", "replace_all"})
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; use currency and replace_all", field=unknown[0])
    body = raw_body(request, limit=MAX_UPLOAD_BYTES)
    if "text/csv" in (header(request, "content-type") or "").lower():
        upload = upload_from_csv(body, options)
    else:
        if not body.strip():
            raise MalformedInput("a JSON body is required: {\"currency\": \"DKK\", \"rows\": [...]}", field="body")
        upload = upload_from_json(json_document(body), options)
    return json_response(container().costs.upload(tenant_id, upload))


@costs_api.route("/admin/costs", methods=["GET"])
@answers_errors
def get_costs() -> Response:
    """The stored rows (``from``, ``to``: those sharing a day with the range; ``campaign``: one campaign's)."""
    tenant_id = admin_tenant(_request())
    request = _request()
    listing = container().costs.listing(tenant_id, dict(request.query_params or {}))
    if "text/csv" in (header(request, "accept") or "").lower():
        from chalicelib.services.costs import listing_csv

        return Response(body=listing_csv(listing), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="costs.csv"'})
    return json_response(listing)
