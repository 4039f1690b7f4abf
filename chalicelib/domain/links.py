"""Signed action links: an owner can accept or decline from an e-mail without logging in.

A link is bound to tenant, hand-over, owner and action, and expires; it is an HMAC-SHA256 over
exactly those fields, so changing any of them (or the expiry) breaks it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

LINK_ACTIONS = ("accept", "decline")
LINK_LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class SignedAction:
    tenant_id: str
    handover_id: str
    owner: str
    action: str
    expires: int


def _signature(secret: bytes, action: SignedAction) -> str:
    message = "\n".join([action.tenant_id, action.handover_id, action.owner, action.action, str(action.expires)])
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def link(secret: bytes, base_url: str, action: SignedAction) -> str:
    query = urlencode({"t": action.tenant_id, "owner": action.owner, "exp": action.expires,
                       "sig": _signature(secret, action)})
    return f"{base_url.rstrip('/')}/handovers/{action.handover_id}/{action.action}?{query}"


def verify(secret: bytes, action: SignedAction, signature: str, now: datetime) -> bool:
    """True when the signature fits every field and the link has not expired."""
    if action.action not in LINK_ACTIONS or now.timestamp() > action.expires:
        return False
    return hmac.compare_digest(_signature(secret, action), signature)


def webhook_signature(secret: str, timestamp: int, body: str) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``: receivers check it and reject old timestamps."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
