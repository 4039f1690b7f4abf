"""Outcomes: how a lead ended (won, lost, disqualified), reported by people and by CRMs."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.http import answers_errors, header, json_body, json_response, request_of

outcomes_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(outcomes_api)


@outcomes_api.route("/leads/{lead_id}/outcome", methods=["POST"], content_types=["application/json"])
@answers_errors
def record_outcome(lead_id: str) -> Response:
    """Won, lost or disqualified: by the admin key or the user key of the owner who accepted the lead."""
    from chalicelib.outcome_body import OutcomeBody  # the model loads on first use, not at cold start
    from chalicelib.services.outcomes import OutcomeReport

    request = _request()
    tenant_id, actor = container().tenancy.actor_for(header(request, "authorization"))
    body = OutcomeBody.model_validate(json_body(request))
    report = OutcomeReport(outcome=body.outcome, value=body.value, currency=body.currency, reason=body.reason,
                           at=body.moment())
    answer = container().outcomes.record(tenant_id, lead_id, actor, report, header(request, "idempotency-key"))
    return json_response(answer)
