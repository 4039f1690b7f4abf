"""What websites and their visitors meet: form posts (JSON or a plain HTML form) and the demo site."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import web
from chalicelib.bootstrap import container
from chalicelib.errors import LeadtrailError
from chalicelib.http import (
    answers_errors,
    client_ip,
    error_response,
    form_error_page,
    form_error_redirect,
    header,
    json_response,
    preflight,
    raw_body,
    request_of,
    thank_you_page,
)
from chalicelib.observability import logger
from chalicelib.settings import settings

site_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(site_api)


# Every encoding a plain HTML form can choose (a file input makes it multipart), and JSON for programs.
FORM_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


@site_api.route("/forms/{site}", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@answers_errors
def submit_form(site: str) -> Response:
    from chalicelib.services.forms import MAX_MULTIPART_BYTES, FormRequest  # loaded on the form path's first use

    request = _request()
    content_type = header(request, "content-type") or "application/json"
    origin = header(request, "origin")
    # A form with a file input brings the file along: a larger body, of which only the text fields are read.
    limit = MAX_MULTIPART_BYTES if content_type.lower().startswith("multipart/") else 64 * 1024
    form = FormRequest(
        site_key=site, body=raw_body(request, limit), content_type=content_type, origin=origin,
        referer=header(request, "referer"), idempotency_key=header(request, "idempotency-key"),
        ip=client_ip(request),
    )
    is_json = content_type.startswith("application/json")
    try:
        result = container().forms.submit(form)
    except LeadtrailError as error:
        logger.info("form refused", extra={"error": error.code, "field": error.field})
        if is_json:
            # The site's own page reads the refusal too (the snippet shows it beside the fields).
            return error_response(error, headers=_cors(site, origin))
        # A person in a browser sent a plain HTML form: a page or the site's own error page, never JSON.
        refusal = container().forms.refusal(form)
        if refusal.error_url:
            return form_error_redirect(error, refusal.error_url)
        return form_error_page(error, refusal.language, refusal.back_to)
    replay = {"Idempotent-Replayed": "true"} if result.replayed else {}
    if is_json:
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
        return json_response({"lead_id": result.lead_id, "fields_flagged": list(result.fields_flagged)}, status=201,
                             headers={**cors, **replay})
    if result.redirect_to:
        # Without a type of its own the gateway would label the empty body application/json.
        return Response(body="", status_code=303, headers={
            "Location": result.redirect_to, "Content-Type": "text/plain; charset=utf-8", **replay})
    return thank_you_page(result.site.language, origin)


def _cors(site_key: str, origin: str | None) -> dict[str, str]:
    """CORS headers for a refusal, only for an origin the site allows."""
    if not origin:
        return {}
    try:
        container().tenancy.site_for_origin(site_key, origin)
    except LeadtrailError:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@site_api.route("/forms/{site}", methods=["OPTIONS"])
@answers_errors
def form_preflight(site: str) -> Response:
    """A site's own JavaScript may post JSON forms (with an Idempotency-Key) from the browser."""
    return preflight(_request(), site, "Content-Type, Idempotency-Key")


@site_api.route("/snippet-forms.js", methods=["GET"])
def forms_script() -> Response:
    """What the snippet loads on a page with a form that posts here: inline problems, one lead per click."""
    return Response(body=web.forms_script(), headers={
        "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"})


# --- the demo website (local stack only) --------------------------------------------------------

if settings().demo_site:

    @site_api.route("/demo", methods=["GET"])
    def demo_home() -> Response:
        return web.demo_page("index")

    @site_api.route("/demo/{page}", methods=["GET"])
    def demo_page(page: str) -> Response:
        return web.demo_page(page)
