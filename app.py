"""Leadtrail's HTTP API: routes only. Each reads its input, calls a service, returns the answer."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Rate, Response
from chalice.app import CloudWatchEvent, DynamoDBEvent, Request

from chalicelib import web
from chalicelib.api_handovers import handovers_api
from chalicelib.bootstrap import container
from chalicelib.errors import LeadtrailError
from chalicelib.http import (
    answers_errors,
    client_ip,
    form_error_page,
    gif_response,
    header,
    json_response,
    raw_body,
    thank_you_page,
)
from chalicelib.observability import handler_segment, logger, metrics
from chalicelib.settings import settings

# ``chalice package`` needs a stream ARN; infra/template.json replaces it with the table's own stream.
STREAM_ARN_PLACEHOLDER = "arn:aws:dynamodb:eu-west-1:000000000000:table/leadtrail-journey/stream/replaced-by-template"

app = Chalice(app_name="leadtrail")
app.log.setLevel("INFO")
app.register_blueprint(handovers_api)


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
    if route == "/t.gif" and response.headers.get("Content-Type") != "image/gif":
        # A pixel must never break a page or an e-mail, whatever went wrong behind it.
        response = gif_response()
    logger.info("answered", extra={"status": response.status_code})
    return response


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


def _preflight(site_key: str, allowed_headers: str) -> Response:
    """CORS preflight: only the site's own origins may send from a browser with ``fetch``."""
    origin = header(_request(), "origin")
    container().tenancy.site_for_origin(site_key, origin)
    return Response(body="", status_code=204, headers={
        "Access-Control-Allow-Origin": origin or "",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": allowed_headers,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })


@app.route("/collect", methods=["OPTIONS"])
@answers_errors
def collect_preflight() -> Response:
    """For ``fetch`` senders; the snippet itself uses sendBeacon and needs no preflight."""
    params: dict[str, str] = dict(_request().query_params or {})
    return _preflight(params.get("site", ""), "Content-Type")


# --- leads ---------------------------------------------------------------------------------------


@app.route(
    "/forms/{site}", methods=["POST"], content_types=["application/json", "application/x-www-form-urlencoded"]
)
@answers_errors
def submit_form(site: str) -> Response:
    from chalicelib.services.forms import FormRequest  # the form path's modules load on its first request

    request = _request()
    content_type = header(request, "content-type") or "application/json"
    origin = header(request, "origin")
    form = FormRequest(
        site_key=site, body=raw_body(request), content_type=content_type, origin=origin,
        referer=header(request, "referer"), idempotency_key=header(request, "idempotency-key"),
        ip=client_ip(request),
    )
    if content_type.startswith("application/json"):
        result = container().forms.submit(form)
    else:
        try:
            result = container().forms.submit(form)
        except LeadtrailError as error:
            # A person in a browser sent a plain HTML form: a page, never JSON.
            logger.info("form refused", extra={"error": error.code, "field": error.field})
            return form_error_page(error, _site_language(site))
    replay = {"Idempotent-Replayed": "true"} if result.replayed else {}
    if content_type.startswith("application/json"):
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
        return json_response({"lead_id": result.lead_id}, status=201, headers={**cors, **replay})
    if result.redirect_to:
        return Response(body="", status_code=303, headers={"Location": result.redirect_to, **replay})
    return thank_you_page(result.site.language, origin)


def _site_language(site_key: str) -> str:
    try:
        return container().tenancy.site(site_key).language
    except LeadtrailError:
        return "en"


@app.route("/forms/{site}", methods=["OPTIONS"])
@answers_errors
def form_preflight(site: str) -> Response:
    """A site's own JavaScript may post JSON forms (with an Idempotency-Key) from the browser."""
    return _preflight(site, "Content-Type, Idempotency-Key")


def _tenant() -> str:
    return container().tenancy.tenant_for(header(_request(), "authorization"))


@app.route("/leads/{lead_id}", methods=["GET"])
@answers_errors
def get_lead(lead_id: str) -> Response:
    tenant_id = _tenant()
    return json_response(container().leads.lead_with_timeline(tenant_id, lead_id))


@app.route("/leads/{lead_id}/timeline", methods=["GET"])
@answers_errors
def get_timeline(lead_id: str) -> Response:
    """The rest of a lead's timeline, a page at a time (``cursor`` from the previous page)."""
    tenant_id = _tenant()
    from chalicelib.models import TimelineQuery

    query = TimelineQuery.model_validate(dict(_request().query_params or {}))
    return json_response(container().leads.timeline(tenant_id, lead_id, query.cursor, query.limit))


@app.route("/leads", methods=["GET"])
@answers_errors
def find_leads() -> Response:
    tenant_id = _tenant()
    from chalicelib.models import LeadQuery

    query = LeadQuery.model_validate(dict(_request().query_params or {}))
    return json_response(container().leads.find(tenant_id, query))


# --- hand-over timers ---------------------------------------------------------------------------


@app.lambda_function(name="handover_deadline")
def handover_deadline(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Invoked by the state machine at each due time; answers the next due time (or none: the loop ends)."""
    logger.append_keys(handover_id=event.get("handover_id"))
    try:
        next_due = container().handovers.fire_due(str(event["tenant_id"]), str(event["handover_id"]))
    finally:
        metrics.flush_metrics()
    return {"tenant_id": event["tenant_id"], "handover_id": event["handover_id"], "due_at": next_due}


@app.schedule(Rate(5, unit=Rate.MINUTES), name="handover_sweep")
def handover_sweep(event: CloudWatchEvent) -> dict[str, int]:
    """Every few minutes: fire hand-overs whose timer was lost, so no lead waits unnoticed."""
    try:
        fired = container().handovers.sweep()
    finally:
        metrics.flush_metrics()
    return {"fired": fired}


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


@app.route("/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok", "stage": settings().stage}


# --- the demo website (local stack only) --------------------------------------------------------

if settings().demo_site:

    @app.route("/demo", methods=["GET"])
    def demo_home() -> Response:
        return web.demo_page("index")

    @app.route("/demo/{page}", methods=["GET"])
    def demo_page(page: str) -> Response:
        return web.demo_page(page)
