"""Routes for the hand-over contract: journey definition, owners, actions, reports, dead letters."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.domain.handover import Actor
from chalicelib.domain.links import SignedAction, verify
from chalicelib.errors import InvalidInput, MalformedInput, NotFound, Unauthorized
from chalicelib.http import answers_errors, header, html_response, json_response, raw_body
from chalicelib.models import json_object
from chalicelib.services.handovers import present
from chalicelib.services.tenancy import register_owner

handovers_api = Blueprint(__name__)
ACTIONS = ("accept", "decline", "contacted")


def _request() -> Request:
    request = handovers_api.current_request
    assert request is not None
    return request


def _admin() -> str:
    return container().tenancy.tenant_for(header(_request(), "authorization"))


def _json_body(required: bool = True) -> dict[str, Any]:
    body = raw_body(_request())
    if not body.strip():
        if required:
            raise MalformedInput("a JSON body is required", field="body")
        return {}
    return json_object(body)


# --- journey definition and owners ---------------------------------------------------------------


@handovers_api.route("/admin/journey", methods=["GET"])
@answers_errors
def get_journey() -> Response:
    document = container().journeys.document(_admin())
    webhook = document["definition"].get("webhook")
    if webhook:
        document["definition"]["webhook"] = {**webhook, "secret": "********"}
    return json_response(document)


@handovers_api.route("/admin/journey", methods=["PUT"], content_types=["application/json"])
@answers_errors
def put_journey() -> Response:
    tenant_id = _admin()
    return json_response(container().journeys.replace(tenant_id, _json_body()))


@handovers_api.route("/admin/owners", methods=["POST"], content_types=["application/json"])
@answers_errors
def create_owner() -> Response:
    tenant_id = _admin()
    body = _json_body()
    owner = body.get("owner")
    email = body.get("email", owner)
    language = body.get("language")
    if not isinstance(owner, str) or not owner.strip() or len(owner) > 254 or " " in owner:
        raise InvalidInput("owner must be an id without spaces (usually the e-mail)", field="owner")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise InvalidInput("email must be an e-mail address", field="email")
    if language not in (None, "da", "en"):
        raise InvalidInput("language must be da or en", field="language")
    key = register_owner(container().store, tenant_id, owner, email, language)
    return json_response({"owner": owner, "email": email, "user_key": key}, status=201)


# --- acting on a hand-over ----------------------------------------------------------------------


def _signed(handover_id: str, action: str, params: dict[str, str]) -> tuple[str, Actor]:
    """The tenant and owner a signed link speaks for, if its signature holds."""
    try:
        signed = SignedAction(tenant_id=params["t"], handover_id=handover_id, owner=params["owner"], action=action,
                              expires=int(params["exp"]))
        signature = params["sig"]
    except (KeyError, ValueError):
        raise Unauthorized("the link is incomplete", field="sig") from None
    settings = container().settings
    if not verify(settings.link_secret.encode(), signed, signature, container().clock()):
        raise Unauthorized("the link is not valid or has expired", field="sig")
    return signed.tenant_id, Actor(kind="link", owner=signed.owner)


def _page(title: str, body: str) -> Response:
    return html_response(
        '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title></head><body style=\"font-family:system-ui,sans-serif;"
        f'max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>{html.escape(title)}</h1>{body}</body></html>'
    )


@handovers_api.route("/handovers/{handover_id}/{action}", methods=["GET"])
@answers_errors
def confirm_link(handover_id: str, action: str) -> Response:
    """A signed link opens a confirmation page; only its button acts, so link scanners accept nothing."""
    if action not in ("accept", "decline"):
        raise InvalidInput("links exist for accept and decline", field="action")
    params: dict[str, str] = dict(_request().query_params or {})
    _signed(handover_id, action, params)
    query = html.escape(urlencode(params), quote=True)
    reason = ('<p><label>Reason / Begrundelse<br><input name="reason" maxlength="500"></label></p>'
              if action == "decline" else "")
    label = {"accept": "Accept lead / Acceptér lead", "decline": "Decline lead / Afvis lead"}[action]
    return _page(label, f'<form method="post" action="/handovers/{html.escape(handover_id)}/{action}?{query}">'
                        f'{reason}<button type="submit">{label}</button></form>')


@handovers_api.route(
    "/handovers/{handover_id}/{action}", methods=["POST"],
    content_types=["application/json", "application/x-www-form-urlencoded", "text/plain"],
)
@answers_errors
def act(handover_id: str, action: str) -> Response:
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    request = _request()
    params: dict[str, str] = dict(request.query_params or {})
    from_link = "sig" in params
    if from_link:
        tenant_id, actor = _signed(handover_id, action, params)
        form = dict(parse_qsl(raw_body(request).decode("utf-8", "replace")))
        reason = form.get("reason")
    else:
        tenant_id, actor = container().tenancy.actor_for(header(request, "authorization"))
        body = _json_body(required=False)
        reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise InvalidInput("reason must be text of at most 500 characters", field="reason")
    result = container().handovers.act(tenant_id, handover_id, action, actor, reason or None)
    if from_link:
        done = {"accept": "The lead is yours / Leadet er dit", "decline": "Declined / Afvist"}[action]
        return _page(done, "<p>Thank you. / Tak.</p>")
    return json_response(result)


@handovers_api.route("/handovers/{handover_id}", methods=["GET"])
@answers_errors
def get_handover(handover_id: str) -> Response:
    tenant_id, actor = container().tenancy.actor_for(header(_request(), "authorization"))
    state = container().store.handover(tenant_id, handover_id)
    if state is None or (actor.kind == "owner" and actor.owner != state.owner):
        raise NotFound(f"no hand-over {handover_id!r}", field="handover_id")
    return json_response(present(state))


# --- reports and dead letters -------------------------------------------------------------------


@handovers_api.route("/reports/handovers", methods=["GET"])
@answers_errors
def handover_report() -> Response:
    tenant_id = _admin()
    params: dict[str, str] = dict(_request().query_params or {})
    unknown = set(params) - {"from", "to"}
    if unknown:
        raise InvalidInput(f"unknown parameter {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    return json_response(container().handovers.report(tenant_id, params.get("from"), params.get("to")))


@handovers_api.route("/admin/webhooks/dead-letters", methods=["GET"])
@answers_errors
def dead_letters() -> Response:
    tenant_id = _admin()
    letters = container().store.dead_letters(tenant_id)
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
