"""Outbound webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com).

Every delivery carries ``webhook-id`` (stable for the message: the same on each retry and replay, so
a receiver can drop duplicates), ``webhook-timestamp`` (unix seconds of this attempt, so a receiver can
refuse old replays) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``.
The secret is ``whsec_`` + base64 of the key, the format the Standard Webhooks and Svix libraries read.

Pure functions: the journey model checks secrets with them and the notifier signs with them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES = 24
SECRET_MAX_BYTES = 64
SECRET_HINT = (
    "generate one with: python -c \"import base64, secrets; "
    "print('whsec_' + base64.b64encode(secrets.token_bytes(32)).decode())\""
)


class InvalidSecret(ValueError):
    pass


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_<base64>`` secret; ``InvalidSecret`` when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"must start with {SECRET_PREFIX!r} (a Standard Webhooks secret); {SECRET_HINT}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret(f"the part after {SECRET_PREFIX!r} must be standard base64; {SECRET_HINT}") from None
    if not SECRET_MIN_BYTES <= len(key) <= SECRET_MAX_BYTES:
        raise InvalidSecret(
            f"the key must be {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes, not {len(key)}; {SECRET_HINT}"
        )
    return key


def new_secret() -> str:
    """A fresh secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    digest = hmac.new(secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one delivery attempt of ``body``."""
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


# --- inbound: a sender (a tenant's CRM) signed with the tenant's secret -----------------------------------

TOLERANCE_SECONDS = 5 * 60


class SignatureRefused(ValueError):
    """A request whose Standard Webhooks headers do not prove the tenant's secret signed it; ``header`` names
    the header at fault."""

    def __init__(self, message: str, header: str):
        super().__init__(message)
        self.header = header


def verify(secret: str, message_id: str | None, timestamp: str | None, signatures: str | None, body: str,
           now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Check a signed request at unix time ``now``; ``SignatureRefused`` naming the header when it fails.

    The signature header may hold several space-separated ``v1,<base64>`` signatures (a sender rotating its
    secret signs with both); one match is enough. Signatures are compared in constant time, and a timestamp
    more than ``tolerance`` seconds away from now (either way) is refused, so a captured request cannot be
    replayed later.
    """
    if not message_id:
        raise SignatureRefused("the webhook-id header is missing", "webhook-id")
    if not timestamp:
        raise SignatureRefused("the webhook-timestamp header is missing", "webhook-timestamp")
    if not signatures:
        raise SignatureRefused("the webhook-signature header is missing", "webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureRefused("webhook-timestamp must be unix seconds", "webhook-timestamp") from None
    if abs(now - sent_at) > tolerance:
        raise SignatureRefused(f"webhook-timestamp is more than {tolerance // 60} minutes from now; sign the "
                               "request when sending it (check the sender's clock)", "webhook-timestamp")
    # Signed over the header as sent (the sender's text, not our rendering of the number).
    digest = hmac.new(secret_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    expected = ("v1," + base64.b64encode(digest).decode()).encode()
    for candidate in signatures.split():
        version, _, _ = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureRefused("no signature in webhook-signature matches the tenant's CRM secret "
                           "(v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">)", "webhook-signature")
