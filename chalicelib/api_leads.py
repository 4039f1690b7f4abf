"""Reading leads: one lead with its timeline, the rest of a timeline, and lists of leads."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.http import admin_tenant, answers_errors, json_response, request_of

leads_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(leads_api)


@leads_api.route("/leads/{lead_id}", methods=["GET"])
@answers_errors
def get_lead(lead_id: str) -> Response:
    tenant_id = admin_tenant(_request())
    return json_response(container().leads.lead_with_timeline(tenant_id, lead_id))


@leads_api.route("/leads/{lead_id}/timeline", methods=["GET"])
@answers_errors
def get_timeline(lead_id: str) -> Response:
    """The rest of a lead's timeline, a page at a time (``cursor`` from the previous page)."""
    tenant_id = admin_tenant(_request())
    from chalicelib.queries import timeline_query

    query = timeline_query(_request().query_params)
    return json_response(container().leads.timeline(tenant_id, lead_id, query.cursor, query.limit))


@leads_api.route("/leads", methods=["GET"])
@answers_errors
def find_leads() -> Response:
    """The tenant's leads, newest first: ``email``, ``stage``, ``since``, ``q``, ``limit``, ``cursor``."""
    tenant_id = admin_tenant(_request())
    from chalicelib.queries import lead_query

    query = lead_query(_request().query_params)
    return json_response(container().leads.find(tenant_id, query))
