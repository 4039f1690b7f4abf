"""Domain errors. Each names the field at fault; `chalicelib.http` maps them to HTTP answers."""

from __future__ import annotations

from typing import Any


class LeadtrailError(Exception):
    code = "error"

    def __init__(self, message: str, field: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or ([{"field": field, "message": message}] if field else [])


class MalformedInput(LeadtrailError):
    """The body cannot be read at all (not JSON, wrong shape)."""

    code = "malformed_input"


class InvalidInput(LeadtrailError):
    """The body was read, and one or more fields break a rule."""

    code = "invalid_input"


class PayloadTooLarge(LeadtrailError):
    code = "payload_too_large"


class UnknownSite(LeadtrailError):
    code = "unknown_site"


class ForeignOrigin(LeadtrailError):
    code = "origin_not_allowed"


class Unauthorized(LeadtrailError):
    code = "unauthorized"


class NotFound(LeadtrailError):
    code = "not_found"


class Conflict(LeadtrailError):
    code = "conflict"


class Forbidden(LeadtrailError):
    code = "forbidden"


class WrongState(LeadtrailError):
    """The action does not fit what has happened already (contact before accept, accept after a gap)."""

    code = "wrong_state"


class IdempotencyKeyReused(LeadtrailError):
    code = "idempotency_key_reused"


class ConcurrentUpdate(Exception):
    """The store saw another writer first; the service reloads and tries again."""


class WriteRefused(Exception):
    """The store refused the write as it is (an item past its size limit): trying again cannot help."""


class DuplicateRequest(Exception):
    """The same request was already carried out; its recorded answer is attached."""

    def __init__(self, response: dict[str, Any]):
        super().__init__("duplicate request")
        self.response = response


class MethodNotAllowed(LeadtrailError):
    code = "method_not_allowed"


class UnsupportedMediaType(LeadtrailError):
    code = "unsupported_media_type"


class InternalError(LeadtrailError):
    """Something failed on our side; the answer says no more than that."""

    code = "internal_error"
