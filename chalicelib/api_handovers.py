"""Routes for hand-overs: the owners' signed-link pages, acting through the API, webhook dead letters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.domain.actors import Actor
from chalicelib.errors import Conflict, Forbidden, InvalidInput, LeadtrailError, NotFound, WrongState
from chalicelib.http import STATUS, answers_errors, header, html_response, json_body, json_response, raw_body
from chalicelib.observability import logger
from chalicelib.rendering import render_page

if TYPE_CHECKING:
    from chalicelib.services.action_links import LinkRefused

handovers_api = Blueprint(__name__)
ACTIONS = ("accept", "decline", "contacted")


def _request() -> Request:
    request = handovers_api.current_request
    assert request is not None
    return request


def _admin() -> str:
    return container().tenancy.tenant_for(header(_request(), "authorization"))


# --- acting on a hand-over ----------------------------------------------------------------------


# People arrive here from e-mail links: every answer is a page in their language, never JSON.
LINK_FAILURES = {NotFound: "missing", WrongState: "moved_on", Forbidden: "moved_on", Conflict: "failed"}
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _signed(handover_id: str, action: str, token: str) -> tuple[str, Actor]:
    """The tenant and owner a signed link speaks for; ``LinkRefused`` when it does not hold."""
    return container().links.read_handover_link(handover_id, action, token)


def _language(tenant_id: str | None, owner: str | None) -> str:
    """The owner's language, else the tenant's; English when the link does not say whose it is."""
    if tenant_id is None:
        return "en"
    contact = container().repositories.tenancy.owner_contact(tenant_id, owner) if owner else None
    if contact and contact[1]:
        return contact[1]
    return container().journeys.definition(tenant_id).language


def _page(name: str, language: str, status: int = 200, **context: Any) -> Response:
    # The address holds the token: no cache keeps it, and no referrer carries it elsewhere.
    response = html_response(render_page(name, language, **context), status=status)
    response.headers.update(PAGE_HEADERS)
    return response


def _refused(refused: LinkRefused) -> Response:
    logger.info("link refused", extra={"error": refused.code, "field": refused.field, "expired": refused.expired})
    return _page("link_refused", _language(refused.tenant_id, refused.owner), status=401,
                 reason="expired" if refused.expired else "invalid")


@handovers_api.route("/handovers/{handover_id}/{action}", methods=["GET"])
def confirm_link(handover_id: str, action: str) -> Response:
    """A signed link opens a confirmation page; only its button acts, so link scanners accept nothing."""
    from chalicelib.services.action_links import LinkRefused  # the link pages' modules load on first use

    params: dict[str, str] = dict(_request().query_params or {})
    token = params.get("token", "")
    try:
        tenant_id, actor = _signed(handover_id, action, token)
    except LinkRefused as refused:
        return _refused(refused)
    return _page("link_confirm", _language(tenant_id, actor.owner), action=action,
                 form_query=urlencode({"token": token}))


@handovers_api.route(
    "/handovers/{handover_id}/{action}", methods=["POST"],
    content_types=["application/json", "application/x-www-form-urlencoded", "text/plain"],
)
@answers_errors
def act(handover_id: str, action: str) -> Response:
    request = _request()
    params: dict[str, str] = dict(request.query_params or {})
    if "token" in params:
        return _act_by_link(handover_id, action, params["token"], request)
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    tenant_id, actor = container().tenancy.actor_for(header(request, "authorization"))
    body = json_body(_request(), required=False)
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InvalidInput("reason must be text of at most 500 characters", field="reason")
    return json_response(container().handovers.act(tenant_id, handover_id, action, actor, reason or None))


def _act_by_link(handover_id: str, action: str, token: str, request: Request) -> Response:
    """The confirmation page's button: act for the owner the link names, and answer with a page."""
    from chalicelib.services.action_links import LinkRefused

    try:
        tenant_id, actor = _signed(handover_id, action, token)
    except LinkRefused as refused:
        return _refused(refused)
    language = _language(tenant_id, actor.owner)
    try:
        reason = dict(parse_qsl(raw_body(request).decode("utf-8", "replace"))).get("reason", "").strip()
        if len(reason) > 500:
            raise InvalidInput("reason must be text of at most 500 characters", field="reason")
        container().handovers.act(tenant_id, handover_id, action, actor, reason or None)
    except LeadtrailError as error:
        logger.info("link action refused", extra={"error": error.code, "field": error.field})
        return _page("link_refused", language, status=STATUS.get(type(error), 400),
                     reason=LINK_FAILURES.get(type(error), "failed"))
    return _page("link_done", language, action=action)


@handovers_api.route("/handovers/{handover_id}", methods=["GET"])
@answers_errors
def get_handover(handover_id: str) -> Response:
    tenant_id, actor = container().tenancy.actor_for(header(_request(), "authorization"))
    return json_response(container().handovers.state(tenant_id, handover_id, actor))


# --- webhook dead letters -------------------------------------------------------------------------


@handovers_api.route("/admin/webhooks/dead-letters", methods=["GET"])
@answers_errors
def dead_letters() -> Response:
    tenant_id = _admin()
    letters = container().repositories.dead_letters.dead_letters(tenant_id)
    return json_response({"dead_letters": [
        {"letter_id": letter.letter_id, "at": letter.at, "url": letter.url, "attempts": letter.attempts,
         "last_error": letter.last_error, "body": json.loads(letter.body)}
        for letter in letters
    ]})


@handovers_api.route("/admin/webhooks/dead-letters/{letter_id}/replay", methods=["POST"])
@answers_errors
def replay_dead_letter(letter_id: str) -> Response:
    tenant_id = _admin()
    journey = container().journeys.definition(tenant_id)
    return json_response(container().notifier.replay(tenant_id, letter_id, journey))
