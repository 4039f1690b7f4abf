"""What a reseller does with its own key: the leads handed to it, acting on them, outcomes, consent, deal
registration and bulk sales. A lead not handed to the reseller does not exist for it (404)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.domain.actors import Actor
from chalicelib.errors import InvalidInput, MalformedInput
from chalicelib.http import answers_errors, header, json_body, json_response, raw_body, request_of

reseller_api = Blueprint(__name__)
ACTIONS = ("accept", "decline", "contacted", "outcome", "consent")
MAX_REASON = 500
MAX_SALES_BYTES = 512 * 1024


def _request() -> Request:
    return request_of(reseller_api)


def _reseller() -> tuple[str, Actor]:
    return container().resellers.actor_for(header(_request(), "authorization"))


@reseller_api.route("/reseller/me", methods=["GET"])
@answers_errors
def me() -> Response:
    tenant_id, actor = _reseller()
    return json_response(container().reseller_desk.me(tenant_id, actor))


@reseller_api.route("/reseller/leads", methods=["GET"])
@answers_errors
def held_leads() -> Response:
    """The leads handed to the reseller that it holds; ``?status=offered|accepted|contacted|won|lost|...``."""
    tenant_id, actor = _reseller()
    params: dict[str, str] = dict(_request().query_params or {})
    unknown = sorted(set(params) - {"status"})
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]!r}; use status", field=unknown[0])
    return json_response(container().reseller_desk.held_leads(tenant_id, actor, params.get("status")))


@reseller_api.route("/reseller/leads", methods=["POST"], content_types=["application/json"])
@answers_errors
def register_deal() -> Response:
    """Deal registration: a customer the reseller found itself (kept as a referral, apart from marketing)."""
    from chalicelib.reseller_bodies import RegistrationBody

    tenant_id, actor = _reseller()
    body = RegistrationBody.model_validate(json_body(_request()))
    answer, status = container().reseller_desk.register(tenant_id, actor, body)
    return json_response(answer, status=status)


@reseller_api.route("/reseller/leads/{lead_id}", methods=["GET"])
@answers_errors
def held_lead(lead_id: str) -> Response:
    tenant_id, actor = _reseller()
    return json_response(container().reseller_desk.lead(tenant_id, actor, lead_id))


@reseller_api.route("/reseller/leads/{lead_id}/{action}", methods=["POST"], content_types=["application/json"])
@answers_errors
def act(lead_id: str, action: str) -> Response:
    """accept · decline ``{reason}`` · contacted · outcome ``{outcome, value, currency, reason, at}`` · consent
    ``{purpose, granted, source, at}``."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    tenant_id, actor = _reseller()
    desk = container().reseller_desk
    if action == "outcome":
        from chalicelib.outcome_body import OutcomeBody
        from chalicelib.services.outcomes import OutcomeReport

        sent = OutcomeBody.model_validate(json_body(_request()))
        report = OutcomeReport(outcome=sent.outcome, value=sent.value, currency=sent.currency, reason=sent.reason,
                               at=sent.moment())
        return json_response(desk.outcome(tenant_id, actor, lead_id, report, header(_request(), "idempotency-key")))
    if action == "consent":
        from chalicelib.reseller_bodies import ConsentBody

        return json_response(desk.consent(tenant_id, actor, lead_id,
                                          ConsentBody.model_validate(json_body(_request()))))
    body: dict[str, Any] = json_body(_request(), required=False)
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a field here; send reason (with decline) or nothing",
                           field=unknown[0])
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise InvalidInput(f"reason must be text of at most {MAX_REASON} characters", field="reason")
    return json_response(desk.act(tenant_id, actor, lead_id, action, reason.strip() or None if reason else None))


@reseller_api.route("/reseller/sales", methods=["POST"], content_types=["application/json", "text/csv"])
@answers_errors
def report_sales() -> Response:
    """Closed sales in bulk: ``{"sales": [{email | email_hash, outcome, value, currency, reason, at}]}`` or CSV."""
    from chalicelib.models import json_document
    from chalicelib.reseller_bodies import SalesBody
    from chalicelib.services.reseller_sales import sales_from_csv

    tenant_id, actor = _reseller()
    body = raw_body(_request(), limit=MAX_SALES_BYTES)
    if "text/csv" in (header(_request(), "content-type") or "").lower():
        rows = sales_from_csv(body)
    else:
        if not body.strip():
            raise MalformedInput('a JSON body is required: {"sales": [...]}', field="body")
        rows = SalesBody.model_validate(json_document(body)).sales
    return json_response(container().reseller_sales.report(tenant_id, actor, rows))


@reseller_api.route("/reseller/sales/unmatched", methods=["GET"])
@answers_errors
def unmatched_sales() -> Response:
    """The reseller's sales that matched none of the leads it was handed: kept, counted, never dropped."""
    tenant_id, actor = _reseller()
    return json_response(container().reseller_sales.unmatched(tenant_id, actor))
