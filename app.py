"""Leadtrail's HTTP API: routes only. Each reads its input, calls a service, returns the answer."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Rate, Response
from chalice.app import CloudWatchEvent, DynamoDBEvent, Request

from chalicelib import errors, web
from chalicelib.api_admin import admin_api
from chalicelib.api_costs import costs_api
from chalicelib.api_handover_admin import handover_admin_api
from chalicelib.api_handovers import handovers_api
from chalicelib.api_inbound import inbound_api
from chalicelib.api_leads import leads_api
from chalicelib.api_outcome_links import outcome_links_api
from chalicelib.api_outcomes import outcomes_api
from chalicelib.api_people import people_api
from chalicelib.api_report_page import report_page_api
from chalicelib.api_reports import reports_api
from chalicelib.api_reseller import reseller_api
from chalicelib.api_resellers import resellers_api
from chalicelib.api_site import site_api
from chalicelib.api_surveys import surveys_api
from chalicelib.bootstrap import container
from chalicelib.http import (
    answers_errors,
    client_ip,
    error_response,
    gif_response,
    header,
    json_response,
    preflight,
    raw_body,
)
from chalicelib.observability import handler_segment, logger, metrics
from chalicelib.settings import settings

# ``chalice package`` needs a stream ARN; infra/template.json replaces it with the table's own stream.
STREAM_ARN_PLACEHOLDER = "arn:aws:dynamodb:eu-west-1:000000000000:table/leadtrail-journey/stream/replaced-by-template"

app = Chalice(app_name="leadtrail")
app.log.setLevel("INFO")
for blueprint in (site_api, leads_api, outcomes_api, handovers_api, handover_admin_api, admin_api, reports_api,
                  costs_api, report_page_api):
    app.register_blueprint(blueprint)
app.register_blueprint(outcome_links_api)
app.register_blueprint(inbound_api)
app.register_blueprint(resellers_api)
app.register_blueprint(reseller_api)
app.register_blueprint(surveys_api)
app.register_blueprint(people_api)


@app.middleware("http")
def observe(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Correlation id on every log line, a trace segment per route, metrics flushed per request."""
    request_id = (event.context or {}).get("requestId")
    logger.set_correlation_id(request_id)
    route = (event.context or {}).get("resourcePath", event.path)
    logger.append_keys(route=route, method=event.method)
    try:
        with handler_segment(route, route=route):
            response = get_response(event)
    finally:
        metrics.flush_metrics()
    response = in_our_shape(response, event)
    if route == "/t.gif" and response.headers.get("Content-Type") != "image/gif":
        # A pixel must never break a page or an e-mail, whatever went wrong behind it.
        response = gif_response()
    logger.info("answered", extra={"status": response.status_code})
    return response


def in_our_shape(response: Response, request: Request | None) -> Response:
    """Chalice's own refusals (a method the route lacks, a content type it does not take, a crash) in the one
    error shape of every other answer; anything else as it is."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"} and response.status_code >= 400):
        return response
    kind, status = str(body["Code"]), response.status_code
    method = request.method if request is not None else "this method"
    error: errors.LeadtrailError
    if kind == "MethodNotAllowedError":
        allowed = response.headers.get("Allow", "")
        error = errors.MethodNotAllowed(f"{method} is not allowed here; use {allowed}", field="method")
    elif kind == "UnsupportedMediaType":
        sent = str(body["Message"]).partition(": ")[2] or "this Content-Type"
        error = errors.UnsupportedMediaType(f"a body sent as {sent} is not taken here; see the route's "
                                            "documentation for the Content-Type to use", field="Content-Type")
    elif status >= 500:
        error = errors.InternalError("something went wrong on our side; please try again")
    else:
        error = errors.MalformedInput(str(body["Message"]))
    if kind == "UnsupportedMediaType" and request is not None and _browser_form(request):
        return _form_refusal_page(error, request)
    shaped = error_response(error, {name: str(value) for name, value in response.headers.items()
                                    if name.lower() != "content-type" and isinstance(value, str)})
    shaped.status_code = status
    return shaped


def _browser_form(request: Request) -> bool:
    """A person's browser posting a form (it asks for HTML first), not a program asking for JSON."""
    accepted = (header(request, "accept") or "").lower()
    route = (request.context or {}).get("resourcePath")
    return route == "/forms/{site}" and "text/html" in accepted and "application/json" not in accepted


def _form_refusal_page(error: errors.LeadtrailError, request: Request) -> Response:
    """The form error page in the site's language, with a way back only to a page on the site."""
    from chalicelib.http import form_error_page
    from chalicelib.services.forms import FormRequest

    refusal = container().forms.refusal(FormRequest(
        site_key=(request.uri_params or {}).get("site", ""), body=b"", content_type="application/json",
        origin=header(request, "origin"), referer=header(request, "referer")))
    return form_error_page(error, refusal.language, refusal.back_to)


def _request() -> Request:
    request = app.current_request
    assert request is not None
    return request


# --- capture -------------------------------------------------------------------------------------


@app.route("/snippet.js", methods=["GET"])
def snippet() -> Response:
    return Response(
        body=web.snippet(),
        headers={"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


@app.route("/t.gif", methods=["GET"])
def pixel() -> Response:
    request = _request()
    container().capture.pixel(request.query_params or {}, client_ip(request))
    return gif_response()


@app.route("/collect", methods=["POST"], content_types=["text/plain", "application/json"])
@answers_errors
def collect() -> Response:
    request = _request()
    origin = header(request, "origin")
    result = container().capture.collect(raw_body(request), origin, client_ip(request))
    cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
    return json_response({"accepted": result.accepted, "rejected": result.rejected}, status=202, headers=cors)


@app.route("/collect", methods=["OPTIONS"])
@answers_errors
def collect_preflight() -> Response:
    """For ``fetch`` senders; the snippet itself uses sendBeacon and needs no preflight."""
    params: dict[str, str] = dict(_request().query_params or {})
    return preflight(_request(), params.get("site", ""), "Content-Type")


# --- hand-over timers ---------------------------------------------------------------------------


@app.lambda_function(name="handover_deadline")
def handover_deadline(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Invoked by the state machine at each due time; answers the next due time (or none: the loop ends)."""
    logger.append_keys(handover_id=event.get("handover_id"))
    try:
        # The same state machine drives hand-over ladders and surveys; the id says which.
        next_due = container().fire_due(str(event["tenant_id"]), str(event["handover_id"]))
    finally:
        metrics.flush_metrics()
    return {"tenant_id": event["tenant_id"], "handover_id": event["handover_id"], "due_at": next_due}


@app.schedule(Rate(5, unit=Rate.MINUTES), name="handover_sweep")
def handover_sweep(event: CloudWatchEvent) -> dict[str, int]:
    """Every few minutes: fire hand-overs whose timer was lost, so no lead waits unnoticed; and sum up the
    landing rows of finished days (a few reads when there is nothing to sum)."""
    try:
        fired = container().sweep()
        folded = container().fold_landings()
    finally:
        metrics.flush_metrics()
    return {"fired": fired, "folded": folded}


# --- what follows from a change: the table's stream ---------------------------------------------


@app.on_dynamodb_record(stream_arn=os.environ.get("JOURNEY_STREAM_ARN", STREAM_ARN_PLACEHOLDER), batch_size=10,
                        starting_position="TRIM_HORIZON", name="change_stream")
def change_stream(event: DynamoDBEvent) -> dict[str, Any]:
    """E-mails, webhooks, timer starts and report counters, once per timeline event; failed records are
    reported back so only they are retried (the template sets bisect-on-error and an on-failure queue)."""
    try:
        return container().change_stream.handle_batch(event.to_dict())
    finally:
        metrics.flush_metrics()


@app.lambda_function(name="capture")
def capture(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The capture path behind a Lambda function URL (no API Gateway): snippet, pixel and collect."""
    from chalicelib.capture_url import handle

    try:
        return handle(event, container())
    finally:
        metrics.flush_metrics()


@app.route("/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok", "stage": settings().stage}


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    """This API's OpenAPI 3.1 document, generated from the routes and the models at the edges."""
    from chalicelib.openapi import cached_document

    document = cached_document(settings().public_url or None)
    return json_response(document, headers={"Cache-Control": "public, max-age=300"})
