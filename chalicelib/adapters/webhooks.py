"""Posting webhooks to the tenant's receiver, and an in-memory stand-in for tests.

The URL is the tenant's, so a delivery must not become a way into our network (SSRF): outside the
local stage only ``https://`` to globally routable addresses is allowed. The host is resolved once,
every address is checked, and the connection goes to a checked address, so a DNS answer that changes
between check and connect (rebinding) gains nothing; the Host header and the TLS certificate check
still use the host name. Redirects are not followed. Whatever goes wrong comes back as a category,
never as an exception and never as the raw error text.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chalicelib.observability import logger
from chalicelib.services.webhook_port import (
    BAD_RESPONSE,
    BLOCKED_ADDRESS,
    CONNECTION_FAILED,
    DNS_FAILED,
    INVALID_URL,
    NOT_HTTPS,
    TIMEOUT,
    TLS_FAILED,
    UNEXPECTED,
    Delivery,
    WebhookTransport,
)

USER_AGENT = "Leadtrail-Webhooks/1.0"
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """Not sent at all, for the given category."""

    def __init__(self, category: str):
        super().__init__(category)
        self.category = category


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to, in the resolver's order, without duplicates."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


@functools.cache
def default_tls() -> ssl.SSLContext:
    """Certificate and host name checked against the system's trust store; built once per process."""
    return ssl.create_default_context()


def _routable(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )


def is_public(address: str) -> bool:
    """True for a globally routable address; an IPv6 address carrying an IPv4 one must pass for both."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _routable(ip.ipv4_mapped)  # the connection goes to the IPv4 address itself
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = ip.sixtofour
        if ip in NAT64 or int(ip) < 2**32:  # NAT64 and the deprecated IPv4-compatible form
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not _routable(embedded):
            return False
    return _routable(ip)


def category_of(failure: BaseException) -> str:
    """The category a tenant may read; order matters, several of these classes inherit from each other."""
    if isinstance(failure, Refused):
        return failure.category
    if isinstance(failure, socket.gaierror):
        return DNS_FAILED
    if isinstance(failure, TimeoutError):
        return TIMEOUT
    if isinstance(failure, http.client.InvalidURL):
        return INVALID_URL
    if isinstance(failure, http.client.HTTPException):  # BadStatusLine, RemoteDisconnected, LineTooLong, ...
        return BAD_RESPONSE
    if isinstance(failure, ssl.SSLError | ssl.CertificateError):
        return TLS_FAILED
    if isinstance(failure, OSError):
        return CONNECTION_FAILED
    return UNEXPECTED


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


class _PinnedConnection(http.client.HTTPConnection):
    """http.client with the socket we opened to a checked address, so it never resolves the host itself."""

    def __init__(self, host: str, port: int, timeout: float, open_socket: Callable[[], socket.socket]):
        super().__init__(host, port, timeout=timeout)
        self._open_socket = open_socket

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHttpsConnection(_PinnedConnection):
    default_port = http.client.HTTPS_PORT


class _Watchdog:
    """Shuts the connection down when the whole delivery outlives its budget.

    A socket timeout bounds each read, not their sum: a receiver that drips one byte at a time
    would otherwise hold the Lambda until it is killed.
    """

    def __init__(self, budget: float):
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(budget, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._socket = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._socket is not None:
                # Through a duplicate descriptor: shutting down wakes the blocked reader, whatever wraps it.
                with contextlib.suppress(OSError), socket.socket(fileno=socket.dup(self._socket.fileno())) as dup:
                    dup.shutdown(socket.SHUT_RDWR)


class HttpWebhookTransport(WebhookTransport):
    """POSTs with a total budget of ``timeout`` seconds; ``allow_private`` (local stage, tests) allows http and
    any address."""

    def __init__(self, allow_private: bool = False, timeout: float = 3.0, resolver: Resolver = resolve,
                 ssl_context: ssl.SSLContext | None = None):
        self.allow_private = allow_private
        self.timeout = timeout
        self.resolver = resolver
        self.ssl_context = ssl_context

    def deliver(self, url: str, body: str, headers: dict[str, str]) -> Delivery:
        try:
            return self._deliver(url, body, headers)
        except Exception as failure:  # noqa: BLE001 - the boundary: every failure becomes a category
            category = category_of(failure)
            # For operators: the class, not the message (which may hold the receiver's internals).
            logger.warning("webhook not delivered", extra={"category": category, "exception": type(failure).__name__})
            return Delivery.failed(category)

    def target(self, url: str) -> Target:
        """The parts of the URL to connect to; ``Refused`` when it may not be posted to."""
        try:
            parts = urlsplit(url)
            port = parts.port
            host = (parts.hostname or "").encode("idna").decode("ascii")
        except (ValueError, UnicodeError):
            raise Refused(INVALID_URL) from None
        scheme = parts.scheme.lower()
        if scheme != "https" and not (scheme == "http" and self.allow_private):
            raise Refused(NOT_HTTPS)
        if not host:
            raise Refused(INVALID_URL)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default = http.client.HTTPS_PORT if scheme == "https" else http.client.HTTP_PORT
        return Target(scheme=scheme, host=host, port=port or default, path=path)

    def addresses(self, target: Target) -> list[str]:
        """The checked addresses of the host, resolved once."""
        addresses = self.resolver(target.host, target.port)
        if not addresses:
            raise Refused(DNS_FAILED)
        if not self.allow_private and not all(is_public(address) for address in addresses):
            raise Refused(BLOCKED_ADDRESS)
        return addresses

    def _deliver(self, url: str, body: str, headers: dict[str, str]) -> Delivery:
        target = self.target(url)
        addresses = self.addresses(target)
        deadline = time.monotonic() + self.timeout
        with _Watchdog(self.timeout) as watchdog:
            def open_socket() -> socket.socket:
                sock = self._connect(addresses, target.port, deadline)
                watchdog.watch(sock)
                if target.scheme == "https":
                    context = self.ssl_context or default_tls()
                    sock = context.wrap_socket(sock, server_hostname=target.host)
                    watchdog.watch(sock)
                return sock

            connection_type = _PinnedHttpsConnection if target.scheme == "https" else _PinnedConnection
            connection = connection_type(target.host, target.port, self.timeout, open_socket)
            try:
                connection.request("POST", target.path, body=body.encode(), headers={
                    "User-Agent": USER_AGENT, "Connection": "close", **headers,
                })
                status = connection.getresponse().status
            except Exception:
                if watchdog.expired:
                    raise TimeoutError("the delivery outlived its budget") from None
                raise
            finally:
                connection.close()
        if watchdog.expired:  # an answer cut short by the watchdog can look complete: it is not one
            raise TimeoutError("the delivery outlived its budget")
        return Delivery.answered(status)

    def _connect(self, addresses: list[str], port: int, deadline: float) -> socket.socket:
        """A connection to the first checked address that takes one; a timeout ends the search."""
        failure: OSError = ConnectionError("no address")
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                sock.connect((address, port))
            except TimeoutError:
                sock.close()
                raise
            except OSError as error:
                sock.close()
                failure = error
                continue
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            return sock
        raise failure


@dataclass
class MemoryWebhookTransport(WebhookTransport):
    """Answers with the queued outcomes (a status or a ``Delivery``; 200 once they run out) and remembers
    every post."""

    outcomes: list[int | Delivery] = field(default_factory=list)
    posted: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def deliver(self, url: str, body: str, headers: dict[str, str]) -> Delivery:
        self.posted.append((url, body, dict(headers)))
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        return outcome if isinstance(outcome, Delivery) else Delivery.answered(outcome)
