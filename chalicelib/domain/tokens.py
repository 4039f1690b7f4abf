"""Signed, expiring tokens with a purpose: hand-over actions today, survey answers and reseller outcomes later.

A token is ``base64url(JSON payload) "." base64url(HMAC-SHA256(key, encoded payload))``, both without
padding, so it travels in a URL as it is. The payload names the key it was signed with (``k``), so keys
can be rotated: the current key signs, the previous ones still read until their tokens have expired.

``read`` trusts nothing: whatever text arrives, it answers claims or raises ``TokenRefused`` with one of
four reasons, never another exception. Pure: no clock of its own, no AWS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Long enough for a handful of claims, short enough that nobody makes us hash or parse a megabyte.
MAX_TOKEN_LENGTH = 2048
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_PAYLOAD_KEYS = {"k", "p", "t", "s", "e", "d"}

Reason = Literal["malformed", "signature", "expired", "purpose"]


class TokenRefused(Exception):
    """The token cannot be used. ``claims`` is set only when its signature held (expired, other purpose)."""

    def __init__(self, reason: Reason, claims: TokenClaims | None = None):
        super().__init__(reason)
        self.reason: Reason = reason
        self.claims = claims


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class Keyring:
    """The current key signs; it and the previous keys read."""

    current: SigningKey
    previous: tuple[SigningKey, ...] = ()

    def __post_init__(self) -> None:
        kids = [key.kid for key in (self.current, *self.previous)]
        if len(set(kids)) != len(kids):
            raise ValueError("every signing key needs its own kid")
        if any(not key.secret for key in (self.current, *self.previous)):
            raise ValueError("a signing key needs a secret")

    @classmethod
    def from_secrets(cls, current: str, previous: Sequence[str] = ()) -> Keyring:
        """Keys from secret strings; each kid is derived from its secret, so rotation needs no extra setting."""
        first = _key(current)
        older: dict[str, SigningKey] = {}
        for secret in previous:
            key = _key(secret) if secret else None  # "a,,b" from an environment variable is two secrets
            if key is not None and key.kid != first.kid:
                older.setdefault(key.kid, key)
        return cls(first, tuple(older.values()))

    def key(self, kid: str) -> SigningKey | None:
        return next((key for key in (self.current, *self.previous) if key.kid == kid), None)


@dataclass(frozen=True)
class TokenClaims:
    purpose: str
    tenant_id: str
    subject: str
    expires: int  # Unix seconds; the token is refused from this second on
    data: dict[str, str] = field(default_factory=dict)


def _key(secret: str) -> SigningKey:
    if not secret:
        raise ValueError("a signing key needs a secret")
    raw = secret.encode()
    # A domain-separated hash: the kid says which key signed without being a hash an attacker can reuse.
    return SigningKey(kid=hashlib.sha256(b"leadtrail-token-kid\x00" + raw).hexdigest()[:8], secret=raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: SigningKey, payload: str) -> str:
    return _b64(hmac.new(key.secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue(keyring: Keyring, claims: TokenClaims) -> str:
    """A token carrying ``claims``, signed with the current key."""
    strings = [claims.purpose, claims.tenant_id, claims.subject, *claims.data, *claims.data.values()]
    if not all(isinstance(value, str) for value in strings) or not (claims.purpose and claims.tenant_id
                                                                     and claims.subject):
        raise ValueError("purpose, tenant and subject must be text, and data must map text to text")
    if isinstance(claims.expires, bool) or not isinstance(claims.expires, int):
        raise ValueError("expires must be Unix seconds")
    body = {"k": keyring.current.kid, "p": claims.purpose, "t": claims.tenant_id, "s": claims.subject,
            "e": claims.expires, "d": dict(claims.data)}
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
    token = f"{payload}.{_mac(keyring.current, payload)}"
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(f"the claims make a token longer than {MAX_TOKEN_LENGTH} characters")
    return token


def read(keyring: Keyring, token: object, purpose: str, now: datetime) -> TokenClaims:
    """The claims of a genuine, unexpired token made for ``purpose``; otherwise ``TokenRefused``."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _SHAPE.fullmatch(token):
        raise TokenRefused("malformed")
    payload, signature = token.split(".")
    try:
        body: Any = json.loads(_unb64(payload))
    except (ValueError, RecursionError, binascii.Error):  # bad base64, not UTF-8, not JSON, absurdly nested
        raise TokenRefused("malformed") from None
    if not isinstance(body, dict) or set(body) != _PAYLOAD_KEYS:
        raise TokenRefused("malformed")
    key = keyring.key(body["k"]) if isinstance(body["k"], str) else None
    # Both sides are ASCII (the shape guarantees it), and compare_digest on bytes takes constant time.
    if key is None or not hmac.compare_digest(_mac(key, payload).encode("ascii"), signature.encode("ascii")):
        raise TokenRefused("signature")
    claims = _claims(body)
    if claims.purpose != purpose:
        raise TokenRefused("purpose", claims)
    if now.timestamp() >= claims.expires:
        raise TokenRefused("expired", claims)
    return claims


def _claims(body: dict[str, Any]) -> TokenClaims:
    data = body["d"]
    texts = (body["p"], body["t"], body["s"])
    if (not all(isinstance(value, str) for value in texts)
            or isinstance(body["e"], bool) or not isinstance(body["e"], int)
            or not isinstance(data, dict) or not all(isinstance(value, str) for value in data.values())):
        # Signed by us yet the wrong shape: only a key shared with other software could do this.
        raise TokenRefused("malformed")
    return TokenClaims(purpose=body["p"], tenant_id=body["t"], subject=body["s"], expires=body["e"], data=dict(data))
