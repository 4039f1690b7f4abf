"""What a tenant's CRM reports: outcomes and stage changes, signed the Standard Webhooks way."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import MalformedInput
from chalicelib.http import answers_errors, header, json_response, raw_body, request_of

inbound_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(inbound_api)


@inbound_api.route("/inbound/{tenant_id}/crm", methods=["POST"], content_types=["application/json"])
@answers_errors
def crm_inbound(tenant_id: str) -> Response:
    """A won deal, a lost one or a stage change from the tenant's CRM; the signature is checked before the body."""
    from chalicelib.bodies import json_object
    from chalicelib.inbound_body import InboundBody  # the model loads on first use, not at cold start
    from chalicelib.services.inbound import LeadNamed, Signed
    from chalicelib.services.outcomes import OutcomeReport

    request = _request()
    try:
        text = raw_body(request).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInput("the body is not UTF-8", field="body") from None
    inbound = container().inbound
    signed = Signed(header(request, "webhook-id"), header(request, "webhook-timestamp"),
                    header(request, "webhook-signature"))
    message_id = inbound.verify(tenant_id, signed, text)
    body = InboundBody.model_validate(json_object(text)).checked()
    named = LeadNamed(lead_id=body.lead_id, email=body.email, external_id=body.external_id)
    if body.type == "stage":
        assert body.stage is not None
        return json_response(inbound.stage(tenant_id, message_id, named, body.stage))
    assert body.outcome is not None
    report = OutcomeReport(outcome=body.outcome, value=body.value, currency=body.currency, reason=body.reason,
                           at=body.moment())
    return json_response(inbound.outcome(tenant_id, message_id, named, report))
