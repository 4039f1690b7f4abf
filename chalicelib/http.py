"""HTTP plumbing shared by the routes: error mapping (the one place), responses, request facts."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Blueprint, Request, Response
from pydantic_core import ValidationError

from chalicelib import errors
from chalicelib.bodies import invalid, json_object
from chalicelib.observability import logger

STATUS = {
    errors.MalformedInput: 400,
    errors.InvalidInput: 422,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.WrongState: 409,
    errors.UnknownSite: 403,
    errors.ForeignOrigin: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.IdempotencyKeyReused: 422,
    errors.MethodNotAllowed: 405,
    errors.UnsupportedMediaType: 415,
    errors.InternalError: 500,
}

# The smallest transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"

F = TypeVar("F", bound=Callable[..., Any])


def error_response(error: errors.LeadtrailError, headers: dict[str, str] | None = None) -> Response:
    status = STATUS.get(type(error), 400)
    body = {"error": error.code, "message": error.message, "field": error.field, "fields": error.details}
    return Response(body=body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def answers_errors(view: F) -> F:
    """Domain errors (and pydantic's validation errors, at the edge) become JSON answers that name the field."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except errors.LeadtrailError as error:
            logger.info("request refused", extra={"error": error.code, "field": error.field})
            return error_response(error)
        except ValidationError as failure:
            refused = invalid(failure)
            logger.info("request refused", extra={"error": refused.code, "field": refused.field})
            return error_response(refused)

    return wrapper  # type: ignore[return-value]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def gif_response() -> Response:
    return Response(body=PIXEL, status_code=200, headers={"Content-Type": "image/gif", "Cache-Control": NO_STORE})


def html_response(text: str, status: int = 200) -> Response:
    return Response(body=text, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def client_ip(request: Request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp")


def raw_body(request: Request, limit: int = 64 * 1024) -> bytes:
    """The request body, refused past ``limit`` bytes (the capture routes check their own, smaller limits)."""
    try:
        body = request.raw_body or b""
        data = body.encode() if isinstance(body, str) else body
    except UnicodeEncodeError:
        raise errors.MalformedInput("the body is not UTF-8", field="body") from None
    if len(data) > limit:
        raise errors.PayloadTooLarge(f"the body may be at most {limit} bytes", field="body")
    return data


def preflight(request: Request, site_key: str, allowed_headers: str) -> Response:
    """CORS preflight: only the site's own origins may send from a browser with ``fetch``."""
    from chalicelib.bootstrap import container

    origin = header(request, "origin")
    container().tenancy.site_for_origin(site_key, origin)
    return Response(body="", status_code=204, headers={
        "Access-Control-Allow-Origin": origin or "",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": allowed_headers,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })


def json_body(request: Request, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; an empty body is ``{}`` when ``required`` is false."""
    body = raw_body(request)
    if not body.strip():
        if required:
            raise errors.MalformedInput("a JSON body is required", field="body")
        return {}
    return json_object(body)


def request_of(blueprint: Blueprint) -> Request:
    """The request a blueprint's route is answering."""
    request = blueprint.current_request
    assert request is not None
    return request


def admin_tenant(request: Request) -> str:
    """The tenant whose admin key the request carries; ``Unauthorized`` without one."""
    from chalicelib.bootstrap import container

    return container().tenancy.tenant_for(header(request, "authorization"))


def header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return value if value else None


def thank_you_page(language: str, back_to: str | None) -> Response:
    """Shown after a plain HTML form when there is no allowed ``_next`` to go to."""
    from chalicelib.rendering import render_page  # Jinja2 loads only when a page is rendered

    back = back_to if back_to and back_to.startswith(("https://", "http://")) else None
    return html_response(render_page("thank_you", language, back_to=back))


FORM_ERROR_REASONS = {
    errors.Conflict: "busy",
    errors.UnknownSite: "refused",
    errors.ForeignOrigin: "refused",
}


def _problem(language: str, field: str) -> dict[str, str]:
    """A field's problem in the visitor's words: what to type, not the validator's message."""
    from chalicelib.rendering import has_text, text

    label = f"form_error.label.{field}"
    hint = f"form_error.field.{field}"
    return {"field": text(language, label) if has_text(label) else field,
            "message": text(language, hint if has_text(hint) else "form_error.field.other")}


def _reason(error: errors.LeadtrailError) -> str:
    return FORM_ERROR_REASONS.get(type(error), "invalid")


def _problem_fields(error: errors.LeadtrailError) -> list[str]:
    if _reason(error) != "invalid":
        return []
    named = [str(detail["field"]) for detail in error.details if detail.get("field")]
    return list(dict.fromkeys(named or ([error.field] if error.field else [])))


def form_error_page(error: errors.LeadtrailError, language: str, back_to: str | None = None) -> Response:
    """A plain HTML form's refusal as a page in the site's language: what to correct, and a way back."""
    from chalicelib.rendering import render_page

    reason = _reason(error)
    problems = [_problem(language, field) for field in _problem_fields(error)]
    page = render_page("form_error", language, reason=reason, problems=problems, back_to=back_to)
    response = html_response(page, status=STATUS.get(type(error), 400))
    response.headers["Cache-Control"] = "no-store"
    return response


def form_error_redirect(error: errors.LeadtrailError, error_url: str) -> Response:
    """A plain HTML form's refusal sent to the site's own ``_error`` page: ``?error=invalid&fields=email``."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(error_url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if name not in ("error", "fields")]
    query.append(("error", _reason(error)))
    fields = _problem_fields(error)
    if fields:
        query.append(("fields", ",".join(fields)))
    location = urlunsplit(parts._replace(query=urlencode(query, safe=",")))
    # An empty body labelled as text: without a type of its own the gateway would call it JSON.
    return Response(body="", status_code=303, headers={"Location": location, "Cache-Control": "no-store",
                                                       "Content-Type": "text/plain; charset=utf-8"})
