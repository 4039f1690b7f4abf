"""Routes for hand-overs: the owners' signed-link pages, acting through the API, webhook dead letters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.domain.actors import Actor
from chalicelib.errors import Conflict, InvalidInput, LeadtrailError
from chalicelib.http import (
    admin_tenant,
    answers_errors,
    error_response,
    header,
    html_response,
    json_body,
    json_response,
    raw_body,
    request_of,
)
from chalicelib.observability import logger
from chalicelib.rendering import render_page

if TYPE_CHECKING:
    from chalicelib.services.action_links import LinkRefused
    from chalicelib.services.link_pages import LinkPage

handovers_api = Blueprint(__name__)
ACTIONS = ("accept", "decline", "contacted")


def _request() -> Request:
    return request_of(handovers_api)


# --- acting on a hand-over ----------------------------------------------------------------------


# People arrive here from e-mail links: every answer is a page in their language. A program that asks for
# JSON (``Accept: application/json``) gets the one JSON shape, with the same status.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
MAX_REASON = 500


def _signed(handover_id: str, action: str, token: str) -> tuple[str, Actor]:
    """The tenant and owner a signed link speaks for; ``LinkRefused`` when it does not hold."""
    return container().links.read_handover_link(handover_id, action, token)


def _wants_json(request: Request) -> bool:
    accepted = (header(request, "accept") or "").lower()
    return "application/json" in accepted and "text/html" not in accepted


def _answer(page: LinkPage, token: str = "", body: dict[str, Any] | None = None, status: int | None = None,
            **extra: Any) -> Response:
    """The page (or, for a program, the JSON) for one link; the address holds the token, so no cache keeps
    the answer and no referrer carries it elsewhere."""
    from chalicelib.services.link_pages import LINK_ACTIONS_OTHER

    code = status or page.status
    if _wants_json(_request()):
        answer = page.json_error() if code >= 400 else (body or {**(page.handover or {}), "page": page.kind})
        return json_response(answer, status=code, headers={**PAGE_HEADERS, "Content-Type": "application/json"})
    context: dict[str, Any] = {**page.values(), **extra}
    if page.kind == "open":
        other = LINK_ACTIONS_OTHER[page.action]
        context.update(form_query=urlencode({"token": token}), other_query=urlencode(
            {"token": container().links.companion_token(page.handover_id, page.action, token, other)}))
    if page.kind == "accepted" and token and not context.get("contacted_at"):
        # The owner who took the lead reports contact from the same page, with a button (never by opening a link).
        context["contacted_query"] = urlencode(
            {"token": container().links.companion_token(page.handover_id, page.action, token, "contacted")})
    response = html_response(render_page(page.template, page.language, **context), status=code)
    response.headers.update(PAGE_HEADERS)
    return response


def _refused(refused: LinkRefused, action: str) -> Response:
    from chalicelib.services.link_pages import link_pages

    logger.info("link refused", extra={"error": refused.code, "field": refused.field, "expired": refused.expired})
    from chalicelib.rendering import preferred_language

    browser = preferred_language(header(_request(), "accept-language"))
    return _answer(link_pages().refused("expired" if refused.expired else "invalid", refused.tenant_id,
                                        refused.owner, action, browser))


@handovers_api.route("/handovers/{handover_id}/{action}", methods=["GET"])
def confirm_link(handover_id: str, action: str) -> Response:
    """A signed link opens the lead card; only its buttons act, so link scanners accept nothing."""
    from chalicelib.services.action_links import LinkRefused  # the link pages' modules load on first use
    from chalicelib.services.link_pages import link_pages

    token = dict(_request().query_params or {}).get("token", "")
    try:
        tenant_id, actor = _signed(handover_id, action, token)
    except LinkRefused as refused:
        return _refused(refused, action)
    assert actor.owner is not None
    return _answer(link_pages().page(tenant_id, handover_id, action, actor.owner), token, already=True)


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
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise InvalidInput("reason must be text of at most 500 characters", field="reason")
    return json_response(container().handovers.act(tenant_id, handover_id, action, actor, reason or None))


def _link_reason(request: Request) -> str:
    """The optional reason of the decline form (or of a JSON body, for a program)."""
    body = raw_body(request)
    if (header(request, "content-type") or "").startswith("application/json"):
        value = json_body(request, required=False).get("reason") or ""
        if not isinstance(value, str):
            raise InvalidInput("reason must be text of at most 500 characters", field="reason")
        return value.strip()
    return dict(parse_qsl(body.decode("utf-8", "replace"))).get("reason", "").strip()


def _act_by_link(handover_id: str, action: str, token: str, request: Request) -> Response:
    """A button of the lead card: act for the owner the link names, and answer with the page of the outcome."""
    from chalicelib.services.action_links import LinkRefused
    from chalicelib.services.link_pages import link_pages

    try:
        tenant_id, actor = _signed(handover_id, action, token)
    except LinkRefused as refused:
        return _refused(refused, action)
    assert actor.owner is not None
    pages = link_pages()
    try:
        reason = _link_reason(request)
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"reason must be text of at most {MAX_REASON} characters", field="reason")
    except LeadtrailError as refused:
        return _bad_reason(pages.page(tenant_id, handover_id, action, actor.owner), refused, token)
    try:
        result = container().handovers.act(tenant_id, handover_id, action, actor, reason or None)
    except Conflict as error:
        logger.info("link action refused", extra={"error": error.code, "field": error.field})
        return _answer(pages.page(tenant_id, handover_id, action, actor.owner, failed=True))
    except LeadtrailError as error:
        # The action no longer fits: the page says what happened instead (accepted, handed on, a gap...).
        logger.info("link action refused", extra={"error": error.code, "field": error.field})
        page = pages.page(tenant_id, handover_id, action, actor.owner)
        if page.kind == "open":
            page = pages.page(tenant_id, handover_id, action, actor.owner, failed=True)
        return _answer(page, token, already=True)
    page = pages.page(tenant_id, handover_id, action, actor.owner)
    return _answer(page, token, body=result, already=not result.get("changed", True))


def _bad_reason(page: LinkPage, error: LeadtrailError, token: str) -> Response:
    """A reason that cannot be taken changes nothing: the card again, saying what to change (or the JSON)."""
    if _wants_json(_request()):
        return error_response(error, headers=PAGE_HEADERS)
    if page.kind != "open":
        return _answer(page, token, already=True)
    from chalicelib.rendering import text

    return _answer(page, token, status=422, problem=text(page.language, "linkpage.reason_too_long", limit=MAX_REASON))


@handovers_api.route("/handovers/{handover_id}", methods=["GET"])
@answers_errors
def get_handover(handover_id: str) -> Response:
    tenant_id, actor = container().tenancy.actor_for(header(_request(), "authorization"))
    return json_response(container().handovers.state(tenant_id, handover_id, actor))


# --- webhook dead letters -------------------------------------------------------------------------


@handovers_api.route("/admin/webhooks/dead-letters", methods=["GET"])
@answers_errors
def dead_letters() -> Response:
    tenant_id = admin_tenant(_request())
    letters = container().repositories.dead_letters.dead_letters(tenant_id)
    return json_response({"dead_letters": [
        {"letter_id": letter.letter_id, "at": letter.at, "url": letter.url, "attempts": letter.attempts,
         "last_error": letter.last_error, "body": json.loads(letter.body)}
        for letter in letters
    ]})


@handovers_api.route("/admin/webhooks/dead-letters/{letter_id}/replay", methods=["POST"])
@answers_errors
def replay_dead_letter(letter_id: str) -> Response:
    tenant_id = admin_tenant(_request())
    journey = container().journeys.definition(tenant_id)
    return json_response(container().notifier.replay(tenant_id, letter_id, journey))
