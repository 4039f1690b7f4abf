"""API Gateway's own answers, locally: a path or method with no route gets the answer that the gateway
responses of ``infra/template.json`` give in AWS (404 in the one error shape), not chalice's imitation of
API Gateway's bare 403 "Missing Authentication Token"; a method no route has (TRACE too) is a 405 in that shape.

The local stack installs it; tests apply it with ``answering_unknown_routes``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGateway

from chalicelib.local.provision import template

UNKNOWN_ROUTE = "UnknownRouteResponse"
_HEADER = "gatewayresponse.header."


def unknown_route_answer() -> dict[str, Any]:
    """The template's gateway response for a request that matches no route, as a Lambda proxy answer."""
    properties = template()["Resources"][UNKNOWN_ROUTE]["Properties"]
    headers = {"Content-Type": "application/json"}
    headers.update({name[len(_HEADER):]: value.strip("'")
                    for name, value in properties.get("ResponseParameters", {}).items() if name.startswith(_HEADER)})
    return {"statusCode": int(properties["StatusCode"]), "headers": headers, "multiValueHeaders": {},
            "body": properties["ResponseTemplates"]["application/json"]}


def answering_unknown_routes(handle: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``LocalGateway.handle_request`` answering as API Gateway does with our gateway responses."""

    @functools.wraps(handle)
    def handle_request(self: LocalGateway, method: str, path: str, headers: dict[str, str], body: Any
                       ) -> dict[str, Any]:
        try:
            return handle(self, method, path, headers, body)
        except ForbiddenError as refused:
            # The app has no authorizers, so the local gateway refuses only what matches no route.
            if b"Missing Authentication Token" in (refused.body or b"") or b"Authorization header" in (
                    refused.body or b""):
                return unknown_route_answer()
            raise

    return handle_request


_installed = False


def _any_method(handler: ChaliceRequestHandler, name: str) -> Any:
    if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
        return handler._generic_handle
    raise AttributeError(name)


def install() -> None:
    """Patch chalice's local gateway once (the dev server and the test client both use it)."""
    global _installed
    if not _installed:
        LocalGateway.handle_request = answering_unknown_routes(LocalGateway.handle_request)  # type: ignore[method-assign]
        # The dev server has handlers for the common methods only (http.server answers others with a bare 501);
        # the gateway answers TRACE, QUERY or any other method like one a route lacks.
        ChaliceRequestHandler.__getattr__ = _any_method
        _installed = True
