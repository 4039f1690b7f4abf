"""Admin routes: the tenant's journey definition and its owners."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.bootstrap import container
from chalicelib.errors import InvalidInput
from chalicelib.http import admin_tenant, answers_errors, json_body, json_response, request_of
from chalicelib.services.tenancy import register_owner

admin_api = Blueprint(__name__)


def _request() -> Request:
    return request_of(admin_api)


@admin_api.route("/admin/journey", methods=["GET"])
@answers_errors
def get_journey() -> Response:
    """The journey as ``PUT /admin/journey`` takes it back (the webhook secret masked; sent back, it is kept)."""
    return json_response(container().journeys.document(admin_tenant(_request())))


@admin_api.route("/admin/journey", methods=["PUT"], content_types=["application/json"])
@answers_errors
def put_journey() -> Response:
    tenant_id = admin_tenant(_request())
    return json_response(container().journeys.replace(tenant_id, json_body(_request())))


@admin_api.route("/admin/owners", methods=["POST"], content_types=["application/json"])
@answers_errors
def create_owner() -> Response:
    tenant_id = admin_tenant(_request())
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
    key = register_owner(container().repositories.tenancy, tenant_id, owner, address, language, at=_now())
    return json_response({"owner": owner, "email": address, "user_key": key}, status=201)


@admin_api.route("/admin/owners", methods=["GET"])
@answers_errors
def list_owners() -> Response:
    from chalicelib.services import tenancy

    return json_response(tenancy.list_owners(container().repositories.tenancy, admin_tenant(_request())))


@admin_api.route("/admin/owners/{owner}", methods=["PATCH"], content_types=["application/json"])
@answers_errors
def change_owner(owner: str) -> Response:
    """``active`` and/or ``away_until``: routing offers new leads only to owners who are active and not away."""
    from chalicelib.services import tenancy

    tenant_id = admin_tenant(_request())
    return json_response(tenancy.set_owner_availability(container().repositories.tenancy, tenant_id,
                                                        _owner_id(owner), json_body(_request()), container().clock()))


@admin_api.route("/admin/owners/{owner}/keys", methods=["POST"])
@answers_errors
def issue_owner_key(owner: str) -> Response:
    """A new user key, shown once in this answer; the owner's earlier keys stop working."""
    from chalicelib.services import tenancy

    tenant_id = admin_tenant(_request())
    return json_response(tenancy.issue_owner_key(container().repositories.tenancy, tenant_id, _owner_id(owner),
                                                 _now()), status=201)


@admin_api.route("/admin/owners/{owner}/keys/{key_id}", methods=["DELETE"])
@answers_errors
def revoke_owner_key(owner: str, key_id: str) -> Response:
    from chalicelib.services import tenancy

    tenant_id = admin_tenant(_request())
    return json_response(tenancy.revoke_owner_key(container().repositories.tenancy, tenant_id, _owner_id(owner),
                                                  unquote(key_id)))


def _now() -> str:
    from chalicelib.domain.clock import iso

    return iso(container().clock())


def _owner_id(raw: str) -> str:
    """The owner id from the path (API Gateway decodes it; chalice's local gateway does not)."""
    owner = unquote(raw)
    if not owner or len(owner) > 254 or any(char.isspace() or not char.isprintable() for char in owner):
        raise InvalidInput("the owner in the path must be an owner id (usually the e-mail)", field="owner")
    return owner


def _email_address(value: Any) -> str:
    """An owner's address as email-validator normalises it: one line, an address mail can go to."""
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(value, str) or len(value) > 254 or not value.isprintable():
        raise InvalidInput("email must be an e-mail address on one line", field="email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidInput(f"email must be an e-mail address: {error}", field="email") from None
