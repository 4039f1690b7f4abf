"""Admin routes: the tenant's journey definition and its owners."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import answers_errors, header, json_body, json_response
from chalicelib.services.tenancy import register_owner

admin_api = Blueprint(__name__)


def _request() -> Request:
    request = admin_api.current_request
    assert request is not None
    return request


def _admin() -> str:
    return container().tenancy.tenant_for(header(_request(), "authorization"))


@admin_api.route("/admin/journey", methods=["GET"])
@answers_errors
def get_journey() -> Response:
    document = container().journeys.document(_admin())
    webhook = document["definition"].get("webhook")
    if webhook:
        document["definition"]["webhook"] = {**webhook, "secret": "********"}
    return json_response(document)


@admin_api.route("/admin/journey", methods=["PUT"], content_types=["application/json"])
@answers_errors
def put_journey() -> Response:
    tenant_id = _admin()
    return json_response(container().journeys.replace(tenant_id, json_body(_request())))


@admin_api.route("/admin/owners", methods=["POST"], content_types=["application/json"])
@answers_errors
def create_owner() -> Response:
    tenant_id = _admin()
    body = json_body(_request())
    owner = body.get("owner")
    email = body.get("email", owner)
    language = body.get("language")
    if (not isinstance(owner, str) or not owner.strip() or len(owner) > 254
            or any(char.isspace() or not char.isprintable() for char in owner)):
        raise InvalidInput("owner must be an id without spaces (usually the e-mail)", field="owner")
    address = _email_address(email)
    if language not in (None, "da", "en"):
        raise InvalidInput("language must be da or en", field="language")
    key = register_owner(container().repositories.tenancy, tenant_id, owner, address, language)
    return json_response({"owner": owner, "email": address, "user_key": key}, status=201)


def _email_address(value: Any) -> str:
    """An owner's address as email-validator normalises it: one line, an address mail can go to."""
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str) or len(value) > 254 or not value.isprintable():
        raise InvalidInput("email must be an e-mail address on one line", field="email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidInput(f"email must be an e-mail address: {error}", field="email") from None
