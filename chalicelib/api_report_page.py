"""The report page for managers (signed in by a magic link, or opened with the admin key) and agencies' report keys.

People see pages here: every refusal a person can meet is a page in the tenant's language (or the browser's, before
the tenant is known). Programs get JSON: a wrong admin key on ``GET /reports`` and the ``/admin/report-keys`` API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput, MalformedInput, PayloadTooLarge
from chalicelib.http import (
    admin_tenant,
    answers_errors,
    header,
    html_response,
    json_body,
    json_response,
    raw_body,
    request_of,
)

report_page_api = Blueprint(__name__)

FORM = ["application/x-www-form-urlencoded"]
PAGE_PROBLEMS = ("from", "to", "by", "model")
REFUSED_STATUS = {"invalid": 400, "expired": 410, "used": 409}
# Pages that show figures or carry a sign-in token: never cached, framed or sent as a referrer.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


def _request() -> Request:
    return request_of(report_page_api)


def _page(name: str, language: str | None, status: int = 200, headers: dict[str, str] | None = None,
          **context: Any) -> Response:
    from chalicelib.rendering import render_page  # Jinja2 loads only when a page is rendered

    response = html_response(render_page(name, language, **context), status=status)
    response.headers.update({**PAGE_HEADERS, **(headers or {})})
    return response


def _form(request: Request) -> dict[str, str]:
    """The form's fields; a body larger than any of these forms, or with more fields, is none of ours: no fields
    (so the page says the link or the address is not valid, in the person's language)."""
    try:
        body = raw_body(request, limit=8 * 1024)
        return dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=20))
    except (ValueError, PayloadTooLarge, MalformedInput):
        return {}


def _browser_language() -> str | None:
    from chalicelib.rendering import preferred_language

    return preferred_language(header(_request(), "accept-language"))


def _sign_in_address(tenant_id: str | None) -> str:
    return "/reports" + (f"?{urlencode({'tenant': tenant_id})}" if tenant_id else "")


def _language(tenant_id: str | None) -> str | None:
    return container().manager_sign_in.language(tenant_id) or _browser_language()


@report_page_api.route("/reports", methods=["GET"])
@answers_errors
def report_page() -> Response:
    from chalicelib.services.manager_sign_in import cookie_value

    request = _request()
    params: dict[str, str] = dict(request.query_params or {})
    manager = None
    if header(request, "authorization"):
        tenant_id = admin_tenant(request)  # a wrong key is a program's mistake: JSON
    else:
        manager = container().manager_sign_in.session(cookie_value(header(request, "cookie")))
        if manager is None:
            tenant = params.get("tenant", "").strip() or None
            return _page("report_signin", _language(tenant), tenant=tenant, email=None, problem=None)
        tenant_id = manager.tenant_id
    return _report(tenant_id, params, manager.email if manager else None)


def _report(tenant_id: str, params: dict[str, str], manager: str | None) -> Response:
    from chalicelib.domain.credit import MODELS, NO_GROUP
    from chalicelib.domain.funnel import FUNNEL_BY
    from chalicelib.rendering import has_text, text
    from chalicelib.services.report_page import RESELLER_PARTS, SLA_PARTS

    language = container().journeys.definition(tenant_id).language
    problem, view, status = None, None, 200
    try:
        view = container().report_page.view(tenant_id, params, language)
    except InvalidInput as error:
        problem = error.field if error.field in PAGE_PROBLEMS else "other"
        status = 422

    def group_name(by: str, name: str) -> str:
        """A channel in words, and "(none)" (leads without a campaign, source...) in the page's language."""
        key = f"linkpage.channel.{name}" if by == "channel" else "reports.no_group" if name == NO_GROUP else ""
        return text(language, key) if key and has_text(key) else name

    chosen = {"from": params.get("from") or (view["from_day"] if view else ""),
              "to": params.get("to") or (view["to_day"] if view else ""),
              "by": view["by"] if view else params.get("by", "channel"),
              "model": view["model"] if view else params.get("model", "last_touch")}
    return _page("report", language, status=status, view=view, problem=problem, manager=manager, chosen=chosen,
                 by_options=FUNNEL_BY, model_options=MODELS, sla_parts=SLA_PARTS, group_name=group_name,
                 reseller_parts=RESELLER_PARTS)


@report_page_api.route("/reports/sign-in", methods=["POST"], content_types=FORM)
@answers_errors
def request_sign_in_link() -> Response:
    """Always the same answer for a well-formed request: nobody learns whether an address is a manager's."""
    from chalicelib.services.manager_sign_in import TENANT_SHAPE

    form = _form(_request())
    tenant = form.get("tenant", "").strip()
    email = form.get("email", "").strip()
    if not TENANT_SHAPE.fullmatch(tenant):
        return _page("report_signin", _browser_language(), status=422, tenant=tenant or None, email=email,
                     problem="bad_tenant")
    language = _language(tenant)
    try:
        container().manager_sign_in.request_link(tenant, email)
    except InvalidInput:
        return _page("report_signin", language, status=422, tenant=tenant, email=email, problem="bad_email")
    return _page("report_sent", language, email=email, again=_sign_in_address(tenant))


@report_page_api.route("/reports/sign-in/link", methods=["GET"])
def open_sign_in_link() -> Response:
    """What the e-mailed link opens: a button that signs in. Opening it records nothing (mail scanners open links)."""
    from chalicelib.services.manager_sign_in import SignInRefused

    query: dict[str, str] = dict(_request().query_params or {})
    token = query.get("token", "")
    sign_in = container().manager_sign_in
    try:
        manager = sign_in.check_link(token)
    except SignInRefused as refused:
        return _refused(refused)
    return _page("report_confirm", sign_in.language(manager.tenant_id), email=manager.email, token=token)


@report_page_api.route("/reports/sign-in/link", methods=["POST"], content_types=FORM)
def use_sign_in_link() -> Response:
    from chalicelib.services.manager_sign_in import SignInRefused, session_cookie

    token = _form(_request()).get("token", "")
    try:
        _, session = container().manager_sign_in.use_link(token)
    except SignInRefused as refused:
        return _refused(refused)
    return Response(body="", status_code=303, headers={
        "Location": "/reports", "Set-Cookie": session_cookie(session), "Cache-Control": "no-store",
        "Content-Type": "text/plain; charset=utf-8"})


def _refused(refused: Any) -> Response:
    return _page("report_refused", _language(refused.tenant_id), status=REFUSED_STATUS[refused.problem],
                 problem=refused.problem, again=_sign_in_address(refused.tenant_id))


@report_page_api.route("/reports/sign-out", methods=["POST"], content_types=[*FORM, "text/plain"])
def sign_out() -> Response:
    from chalicelib.services.manager_sign_in import cleared_cookie, cookie_value

    manager = container().manager_sign_in.session(cookie_value(header(_request(), "cookie")))
    location = _sign_in_address(manager.tenant_id if manager else None)
    return Response(body="", status_code=303, headers={
        "Location": location, "Set-Cookie": cleared_cookie(), "Cache-Control": "no-store",
        "Content-Type": "text/plain; charset=utf-8"})


# --- agencies' report keys ---------------------------------------------------------------------------------------


@report_page_api.route("/admin/report-keys", methods=["POST"])
@answers_errors
def issue_report_key() -> Response:
    from chalicelib.domain.clock import iso
    from chalicelib.services.report_keys import issue_report_key as issue

    tenant_id = admin_tenant(_request())
    answer = issue(container().report_access_store, tenant_id, json_body(_request()), iso(container().clock()))
    return json_response(answer, status=201)


@report_page_api.route("/admin/report-keys", methods=["GET"])
@answers_errors
def list_report_keys() -> Response:
    from chalicelib.services.report_keys import list_report_keys as listed

    return json_response(listed(container().report_access_store, admin_tenant(_request())))


@report_page_api.route("/admin/report-keys/{key_id}", methods=["DELETE"])
@answers_errors
def revoke_report_key(key_id: str) -> Response:
    from chalicelib.services.report_keys import revoke_report_key as revoke

    return json_response(revoke(container().report_access_store, admin_tenant(_request()), key_id))
