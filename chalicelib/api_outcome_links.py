"""Routes for the "How did it go?" links: a page on GET, the answer recorded on POST.

People arrive from an e-mail: every answer is a page in their language. A program that asks for JSON
(``Accept: application/json``) gets the one JSON error shape, or the recorded outcome, with the same status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.http import header, html_response, json_response, raw_body, request_of
from chalicelib.observability import logger
from chalicelib.rendering import render_page

if TYPE_CHECKING:
    from chalicelib.services.action_links import LinkRefused, OutcomeLink
    from chalicelib.services.outcome_pages import OutcomePage

outcome_links_api = Blueprint(__name__)

# The address holds the token: no cache keeps the answer and no referrer carries it elsewhere.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
# A body that cannot be read is a form that cannot be taken: never an empty one (a won form left empty records
# the default value).
UNREADABLE = {"value": "?", "reason": "?"}
JSON_ERRORS = {
    "problem": ("invalid_input", "the form cannot be taken as sent"),
    "not_yours": ("wrong_state", "the hand-over is no longer held by the owner this link was made for"),
    "failed": ("conflict", "the lead kept changing; try again"),
    "missing": ("not_found", "no such hand-over"),
    "expired": ("link_expired", "the link has expired"),
    "invalid": ("link_invalid", "the link is not valid"),
}


def _request() -> Request:
    return request_of(outcome_links_api)


def _wants_json(request: Request) -> bool:
    accepted = (header(request, "accept") or "").lower()
    return "application/json" in accepted and "text/html" not in accepted


def _answer(page: OutcomePage, token: str = "") -> Response:
    if _wants_json(_request()):
        if page.status >= 400:
            code, message = JSON_ERRORS[page.kind]
            field = page.values()["problem_field"] or ("token" if page.kind in ("expired", "invalid")
                                                         else "handover_id")
            body: dict[str, Any] = {"error": code, "message": message, "field": field,
                                    "fields": [{"field": field, "message": message}]}
        else:
            body = page.body or {"page": page.kind}
        return json_response(body, status=page.status, headers={**PAGE_HEADERS, "Content-Type": "application/json"})
    html = render_page(page.template, page.language, form_query=urlencode({"token": token}), **page.values())
    response = html_response(html, status=page.status)
    response.headers.update(PAGE_HEADERS)
    return response


def _signed(handover_id: str, answer: str, token: str) -> OutcomeLink:
    return container().links.read_outcome_link(handover_id, answer, token)


def _refused(refused: LinkRefused, answer: str) -> Response:
    from chalicelib.rendering import preferred_language
    from chalicelib.services.outcome_pages import outcome_pages

    logger.info("outcome link refused", extra={"error": refused.code, "expired": refused.expired})
    browser = preferred_language(header(_request(), "accept-language"))
    return _answer(outcome_pages().refused("expired" if refused.expired else "invalid", refused.tenant_id,
                                           refused.owner, answer, browser))


@outcome_links_api.route("/outcomes/{handover_id}/{answer}", methods=["GET"])
def outcome_form(handover_id: str, answer: str) -> Response:
    """The won or lost form; opening it records nothing, so a mail scanner that follows the link does no harm."""
    from chalicelib.services.action_links import LinkRefused  # the pages' modules load on first use
    from chalicelib.services.outcome_pages import outcome_pages

    token = dict(_request().query_params or {}).get("token", "")
    try:
        link = _signed(handover_id, answer, token)
    except LinkRefused as refused:
        return _refused(refused, answer)
    return _answer(outcome_pages().page(link), token)


@outcome_links_api.route(
    "/outcomes/{handover_id}/{answer}", methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json", "text/plain"],
)
def record_outcome_by_link(handover_id: str, answer: str) -> Response:
    """The form sent: recorded as the owner the link names (the same answer again changes nothing)."""
    from chalicelib.errors import LeadtrailError
    from chalicelib.services.action_links import LinkRefused
    from chalicelib.services.outcome_pages import outcome_pages

    request = _request()
    token = dict(request.query_params or {}).get("token", "")
    try:
        link = _signed(handover_id, answer, token)
    except LinkRefused as refused:
        return _refused(refused, answer)
    try:
        fields = _fields(request)
    except LeadtrailError:
        fields = UNREADABLE
    return _answer(outcome_pages().submit(link, fields), token)


def _fields(request: Request) -> dict[str, str]:
    """The form's fields (or a JSON object's text values, for a program)."""
    import json

    body = raw_body(request, limit=16 * 1024).decode("utf-8", "replace")
    if (header(request, "content-type") or "").startswith("application/json"):
        try:
            data = json.loads(body or "{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return UNREADABLE
        return {str(key): str(value) for key, value in data.items() if value is not None}
    return dict(parse_qsl(body))
