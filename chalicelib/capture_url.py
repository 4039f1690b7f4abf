"""The capture path without API Gateway: a Lambda function URL that serves ``/snippet.js``, ``/t.gif`` and
``/collect`` (and its CORS preflight) exactly as the API does, from the same capture service and origin checks.

A page view through API Gateway pays a REST API request on top of the Lambda invocation; through the function URL it
pays the invocation only (see the README's cost model). A site that loads the snippet from the function URL sends
its page views back there (the snippet's base is where it was loaded from) and its forms to the API
(``data-api``). Function URL events are API Gateway's HTTP API payload, version 2.0.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib import errors

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = "no-store, no-cache, must-revalidate, max-age=0"


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", "Cache-Control": "no-store",
                                              **(headers or {})}, "body": json.dumps(body)}


def _gif() -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "image/gif", "Cache-Control": NO_STORE},
            "body": base64.b64encode(GIF).decode(), "isBase64Encoded": True}


def _error(error: errors.LeadtrailError) -> dict[str, Any]:
    from chalicelib.http import STATUS

    return _json({"error": error.code, "message": error.message, "field": error.field, "fields": error.details},
                 STATUS.get(type(error), 400))


def handle(event: dict[str, Any], container: Any) -> dict[str, Any]:
    """Answer one function URL request; the pixel always answers a GIF, whatever went wrong behind it."""
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = str(http.get("method", "GET")).upper(), str(event.get("rawPath") or http.get("path") or "/")
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    ip = http.get("sourceIp")
    query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    if path == "/t.gif" and method == "GET":
        try:
            container.capture.pixel(query, ip)
        except Exception:  # noqa: BLE001 - a pixel never breaks a page or an e-mail
            from chalicelib.observability import logger

            logger.exception("pixel failed")
        return _gif()
    if path == "/snippet.js" and method == "GET":
        from chalicelib import web

        return {"statusCode": 200, "body": web.snippet(), "headers": {
            "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"}}
    origin = headers.get("origin")
    try:
        if path == "/collect" and method == "POST":
            raw = event.get("body") or ""
            body = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
            if len(body) > 64 * 1024:
                raise errors.PayloadTooLarge("the body may be at most 65536 bytes", field="body")
            result = container.capture.collect(body, origin, ip)
            cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}
            return _json({"accepted": result.accepted, "rejected": result.rejected}, 202, cors)
        if path == "/collect" and method == "OPTIONS":
            container.tenancy.site_for_origin(query.get("site", ""), origin)
            return {"statusCode": 204, "body": "", "headers": {
                "Access-Control-Allow-Origin": origin or "", "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600", "Vary": "Origin"}}
    except errors.LeadtrailError as error:
        return _error(error)
    known = path in ("/t.gif", "/snippet.js", "/collect")
    refusal = errors.MethodNotAllowed(f"{method} is not allowed here", field="method") if known else \
        errors.NotFound(f"the capture URL serves /snippet.js, /t.gif and /collect, not {path}", field="path")
    return _error(refusal)
