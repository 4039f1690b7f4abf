"""End customers' survey pages (``/s/{token}``), the one-click unsubscribe (``/u/{token}``, RFC 8058), and the
survey report (admin key). People get pages in their language, never JSON; opening a link records nothing."""

from __future__ import annotations

from urllib.parse import parse_qsl

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.http import admin_tenant, answers_errors, header, html_response, json_response, raw_body, request_of
from chalicelib.rendering import render_page

surveys_api = Blueprint(__name__)
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
FORM_TYPES = ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]


def _request() -> Request:
    return request_of(surveys_api)


def _page(page: object) -> Response:
    from chalicelib.services.surveys import SurveyPage

    assert isinstance(page, SurveyPage)
    if page.redirect:
        return Response(body="", status_code=303, headers={**PAGE_HEADERS, "Location": page.redirect,
                                                            "Content-Type": "text/plain; charset=utf-8"})
    from chalicelib.rendering import preferred_language

    template = "survey" if page.kind == "question" else "survey_end"
    # A link that says nothing of whose it is speaks the browser's language.
    language = page.language or preferred_language(header(_request(), "accept-language")) or "en"
    response = html_response(render_page(template, language, kind=page.kind,
                                         **{"company": None, "tenant": "", **page.context}), status=page.status)
    response.headers.update(PAGE_HEADERS)
    return response


def _fields(request: Request) -> dict[str, str]:
    try:
        body = raw_body(request, limit=16 * 1024).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - an unreadable body is an empty answer, shown again to the person
        return {}
    return dict(parse_qsl(body, keep_blank_values=True))


@surveys_api.route("/s/{token}", methods=["GET"])
def survey_page(token: str) -> Response:
    """The question to answer (``?step=`` a page, ``?answer=`` a score from the e-mail, chosen but not kept)."""
    params: dict[str, str] = dict(_request().query_params or {})
    return _page(container().surveys.page(token, params.get("step"), params.get("answer")))


@surveys_api.route("/s/{token}", methods=["POST"], content_types=FORM_TYPES)
def survey_answer(token: str) -> Response:
    params: dict[str, str] = dict(_request().query_params or {})
    fields = {"step": params.get("step", ""), **_fields(_request())}
    return _page(container().surveys.submit(token, fields))


@surveys_api.route("/u/{token}", methods=["GET"])
def unsubscribe_page(token: str) -> Response:
    return _page(container().surveys.unsubscribe_page(token))


@surveys_api.route("/u/{token}", methods=["POST"], content_types=FORM_TYPES)
def unsubscribe(token: str) -> Response:
    """The page's button, or a mail client's one-click POST (``List-Unsubscribe=One-Click``)."""
    return _page(container().surveys.unsubscribe(token))


@surveys_api.route("/reports/surveys", methods=["GET"])
@answers_errors
def survey_report() -> Response:
    """Sent, answered, response rate, NPS, CSAT, contacted-yes rate and disputes per ``by`` group; CSV on ask."""
    from chalicelib.services.survey_reports import report_csv

    tenant_id = admin_tenant(_request())
    report = container().survey_report.report(tenant_id, dict(_request().query_params or {}))
    if "text/csv" in (header(_request(), "accept") or "").lower():
        return Response(body=report_csv(report), status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="surveys-{report["from"]}-{report["to"]}.csv"'})
    return json_response(report)


def _consent_page(token: str, act: bool) -> Response:
    from chalicelib.rendering import preferred_language

    kind, status, context = container().consent_links.page(token, act)
    language = preferred_language(header(_request(), "accept-language")) or "da"
    response = html_response(render_page("consent", language, kind=kind, **{"tenant": "", **context}), status=status)
    response.headers.update(PAGE_HEADERS)
    return response


@surveys_api.route("/c/{token}", methods=["GET"])
def consent_page(token: str) -> Response:
    """The withdraw link of an end customer's e-mail: a page with one button (opening it changes nothing)."""
    return _consent_page(token, act=False)


@surveys_api.route("/c/{token}", methods=["POST"], content_types=FORM_TYPES)
def withdraw_consent(token: str) -> Response:
    return _consent_page(token, act=True)
