"""The port the notifier posts webhooks through, and the outcome of one delivery attempt."""

from __future__ import annotations

import abc
from dataclasses import dataclass

# What ``Delivery.error`` may say. Categories only: the raw exception text can carry addresses,
# internal host names or certificate details that a tenant must not read in a dead letter.
TIMEOUT = "timeout"
CONNECTION_FAILED = "connection_failed"
DNS_FAILED = "dns_failed"
TLS_FAILED = "tls_failed"
BAD_RESPONSE = "bad_response"
BLOCKED_ADDRESS = "blocked_address"
NOT_HTTPS = "not_https"
INVALID_URL = "invalid_url"
UNEXPECTED = "unexpected_error"


@dataclass(frozen=True)
class Delivery:
    ok: bool
    status: int | None = None
    error: str | None = None

    @classmethod
    def answered(cls, status: int) -> Delivery:
        """The receiver answered: 2xx is delivered, anything else (3xx included: no redirects) is ``http_<status>``."""
        if 200 <= status < 300:
            return cls(ok=True, status=status)
        return cls(ok=False, status=status, error=f"http_{status}")

    @classmethod
    def failed(cls, error: str) -> Delivery:
        return cls(ok=False, error=error)


class WebhookTransport(abc.ABC):
    @abc.abstractmethod
    def deliver(self, url: str, body: str, headers: dict[str, str]) -> Delivery:
        """POST ``body`` once. Never raises: every failure comes back as a ``Delivery`` with a category."""
