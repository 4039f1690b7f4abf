"""Webhook signatures: the ``Leadtrail-Signature`` header of every outbound webhook."""

from __future__ import annotations

import hashlib
import hmac


def webhook_signature(secret: str, timestamp: int, body: str) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``: receivers check it and reject old timestamps."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
