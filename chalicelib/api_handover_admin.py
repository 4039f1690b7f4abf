"""Admin actions on hand-overs: rescuing a lead whose hand-over ended in a gap."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, json_body, json_response, request_of

handover_admin_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(handover_admin_api)


@handover_admin_api.route("/admin/handovers/{handover_id}/rescue", methods=["POST"],
                          content_types=["application/json"])
@answers_errors
def rescue_handover(handover_id: str) -> Response:
    """A new hand-over of a gapped lead, offered to ``owner``: 201 when made, 200 for a repeat of it."""
    tenant_id = admin_tenant(_request())
    body = json_body(_request())
    unknown = sorted(set(body) - {"owner"})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}: send only owner", field=unknown[0])
    owner = body.get("owner")
    if owner is None:
        raise InvalidInput("owner is required: the id (usually the e-mail) of the owner to give the lead to",
                           field="owner")
    if (not isinstance(owner, str) or not owner or len(owner) > 254
            or any(char.isspace() or not char.isprintable() for char in owner)):
        raise InvalidInput("owner must be an owner id without spaces (usually the e-mail)", field="owner")
    handover, created = container().handovers.rescue(tenant_id, handover_id, owner)
    return json_response({**handover, "changed": created}, status=201 if created else 200)
