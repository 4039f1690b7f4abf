"""Webhooks over real sockets on 127.0.0.1: every failure is a category, private addresses are never reached,
retries end in a dead letter that replays under the same webhook-id, and no API answer echoes the secret."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks.webhooks import Webhook as StandardWebhook

from chalicelib import bootstrap
from chalicelib.adapters.dynamo import Repositories
from chalicelib.adapters.notify import MemoryMailer
from chalicelib.adapters.webhooks import HttpWebhookTransport, MemoryWebhookTransport
from chalicelib.domain.journey import JourneyDefinition, Webhook
from chalicelib.domain.webhooks import new_secret, signed_headers
from chalicelib.services.notify import WEBHOOK_ATTEMPTS, Notifier
from chalicelib.services.ports import DeadLetters
from chalicelib.services.webhook_port import Delivery, WebhookTransport
from chalicelib.settings import Settings
from tests.conftest import DEMO_KEY, Api, FrozenClock, json_body

BODY = '{"type":"handover.accepted","data":{"lead_id":"ld_1"}}'
TENANT_HOST = "hooks.tenant.example"

# --- a receiver that can misbehave -----------------------------------------------------------------


@dataclass
class Received:
    request_line: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    port: int
    connections: int = 0
    received: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hooks", scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


def read_request(conn: socket.socket) -> Received:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (header.partition(":") for header in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        body += conn.recv(65536)
    return Received(line, headers, body.decode())


@contextmanager
def receiver(handle: Callable[[socket.socket, Receiver], None],
             tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A TCP server on 127.0.0.1 that hands each connection to ``handle`` (after a TLS handshake, if given)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    server = Receiver(port=listener.getsockname()[1])
    stop = threading.Event()
    open_connections: list[socket.socket] = []

    def serve_one(conn: socket.socket) -> None:
        try:
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True)
                open_connections.append(conn)
            handle(conn, server)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections += 1
            open_connections.append(conn)
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join()
        listener.close()
        for conn in open_connections:
            conn.close()


def answers(status: int, extra: bytes = b"") -> Callable[[socket.socket, Receiver], None]:
    def handle(conn: socket.socket, server: Receiver) -> None:
        server.received.append(read_request(conn))
        conn.sendall(f"HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n".encode() + extra + b"\r\n")
    return handle


def speaks_only_plain_http(conn: socket.socket, server: Receiver) -> None:
    conn.recv(65536)  # a TLS hello it does not understand
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def garbage(conn: socket.socket, server: Receiver) -> None:
    read_request(conn)
    conn.sendall(b"garbage\r\n\r\n")


def hangs(conn: socket.socket, server: Receiver) -> None:
    read_request(conn)
    conn.recv(1)  # until the client gives up


def drips(conn: socket.socket, server: Receiver) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:  # one header byte at a time, never finishing: each read is quick, the whole is endless
        conn.sendall(b"X")
        time.sleep(0.05)


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def local_transport(timeout: float = 2.0, **options: Any) -> HttpWebhookTransport:
    return HttpWebhookTransport(allow_private=True, timeout=timeout, **options)


# --- failures are categories -----------------------------------------------------------------------


def test_a_receiver_that_does_not_speak_http_is_a_bad_response_not_an_exception():
    with receiver(garbage) as server:
        assert local_transport().deliver(server.url(), BODY, {}) == Delivery(ok=False, error="bad_response")


def test_a_receiver_that_hangs_is_a_timeout():
    with receiver(hangs) as server:
        started = time.monotonic()
        assert local_transport(timeout=0.3).deliver(server.url(), BODY, {}) == Delivery(ok=False, error="timeout")
    assert time.monotonic() - started < 2


def test_a_receiver_that_drips_its_answer_forever_is_cut_off_at_the_budget():
    with receiver(drips) as server:
        started = time.monotonic()
        assert local_transport(timeout=0.5).deliver(server.url(), BODY, {}) == Delivery(ok=False, error="timeout")
    assert time.monotonic() - started < 2


def test_a_closed_port_is_a_failed_connection():
    url = f"http://127.0.0.1:{closed_port()}/hooks"
    assert local_transport().deliver(url, BODY, {}) == Delivery(ok=False, error="connection_failed")


def test_a_server_error_is_http_500_and_a_success_is_delivered_with_the_body_and_headers():
    with receiver(answers(500)) as failing:
        assert local_transport().deliver(failing.url(), BODY, {}) == Delivery(ok=False, status=500, error="http_500")
    secret = new_secret()
    with receiver(answers(204)) as working:
        headers = signed_headers(secret, "evt_1", int(time.time()), BODY)
        assert local_transport().deliver(working.url("/hooks?x=1"), BODY, headers) == Delivery(ok=True, status=204)
    (got,) = working.received
    assert got.request_line == "POST /hooks?x=1 HTTP/1.1"
    assert StandardWebhook(secret).verify(got.body, got.headers) == json.loads(BODY)


def test_a_redirect_is_a_failure_and_is_not_followed():
    with receiver(answers(200)) as elsewhere, \
            receiver(answers(302, f"Location: {elsewhere.url()}\r\n".encode())) as redirecting:
        assert local_transport().deliver(redirecting.url(), BODY, {}) == Delivery(ok=False, status=302,
                                                                                  error="http_302")
    assert elsewhere.connections == 0


def test_a_name_that_does_not_resolve_is_a_dns_failure():
    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert HttpWebhookTransport(resolver=unknown).deliver(f"https://{TENANT_HOST}/", BODY, {}) == Delivery(
        ok=False, error="dns_failed")


def test_any_other_failure_is_a_category_too_and_never_carries_its_text():
    def broken(host: str, port: int) -> list[str]:
        raise RuntimeError("internal detail: 10.1.2.3 db-password")

    assert HttpWebhookTransport(resolver=broken).deliver(f"https://{TENANT_HOST}/", BODY, {}) == Delivery(
        ok=False, error="unexpected_error")


# --- only public https, to the address that was checked -------------------------------------------


class NoConnections:
    """Stands in for the connect step, to prove that no connection was attempted."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def __call__(self, *args: Any) -> socket.socket:
        self.attempts.append(args)
        raise ConnectionRefusedError("should not have connected")


@pytest.mark.parametrize("url, category", [
    ("http://crm.demo.dk/hooks", "not_https"),
    ("https://127.0.0.1/hooks", "blocked_address"),
    ("https://10.0.0.1/hooks", "blocked_address"),
    ("https://169.254.169.254/latest/meta-data/", "blocked_address"),
    ("https://[::1]/hooks", "blocked_address"),
    ("https://[::ffff:169.254.169.254]/hooks", "blocked_address"),
    ("https://[fd00::1]/hooks", "blocked_address"),
    ("https://0.0.0.0/hooks", "blocked_address"),
    ("https://localhost/hooks", "blocked_address"),
])
def test_outside_the_local_stage_a_private_or_plain_http_target_is_refused_without_connecting(
        monkeypatch: pytest.MonkeyPatch, url: str, category: str):
    transport = HttpWebhookTransport()
    connect = NoConnections()
    monkeypatch.setattr(transport, "_connect", connect)
    assert transport.deliver(url, BODY, {}) == Delivery(ok=False, error=category)
    assert connect.attempts == []


def test_a_loopback_receiver_never_sees_a_connection_outside_the_local_stage():
    with receiver(answers(200)) as server:
        for host in ("127.0.0.1", "localhost"):
            assert HttpWebhookTransport().deliver(server.url(scheme="https", host=host), BODY, {}).error == (
                "blocked_address")
    assert server.connections == 0


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch):
    transport = HttpWebhookTransport(resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"])
    connect = NoConnections()
    monkeypatch.setattr(transport, "_connect", connect)
    assert transport.deliver(f"https://{TENANT_HOST}/hooks", BODY, {}).error == "blocked_address"
    assert connect.attempts == []


def test_the_host_is_resolved_once_and_the_checked_address_is_the_one_connected_to():
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        # A second lookup would get an address nobody listens on: only the pinned first answer reaches the receiver.
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["127.0.0.2"]

    with receiver(answers(204)) as server:
        delivery = local_transport(resolver=rebinding).deliver(server.url(host=TENANT_HOST), BODY, {})
    assert delivery == Delivery(ok=True, status=204)
    assert lookups == [TENANT_HOST]
    assert server.received[0].headers["host"] == f"{TENANT_HOST}:{server.port}"


# --- TLS: checked against the host name, while connected to the pinned address --------------------


@dataclass
class Certificates:
    ca: Path
    chain: Path


def make_certificates(directory: Path, name: str) -> Certificates:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Leadtrail test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "chain.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()) + leaf.public_bytes(serialization.Encoding.PEM))
    return Certificates(ca=directory / "ca.pem", chain=directory / "chain.pem")


def tls_receiver(certificates: Certificates, handle: Callable[[socket.socket, Receiver], None]
                 ) -> Any:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.chain)
    return receiver(handle, tls=context)


def trusting(certificates: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates.ca))


def pinned_to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_https_checks_the_certificate_against_the_host_name_while_connected_to_the_pinned_address(tmp_path: Path):
    certificates = make_certificates(tmp_path, TENANT_HOST)
    with tls_receiver(certificates, answers(200)) as server:
        transport = local_transport(resolver=pinned_to_loopback, ssl_context=trusting(certificates))
        assert transport.deliver(server.url(scheme="https", host=TENANT_HOST), BODY, {}) == Delivery(ok=True,
                                                                                                     status=200)
    assert server.received[0].body == BODY


def test_a_certificate_for_another_name_is_a_tls_failure(tmp_path: Path):
    certificates = make_certificates(tmp_path, "someone-else.example")
    with tls_receiver(certificates, answers(200)) as server:
        transport = local_transport(resolver=pinned_to_loopback, ssl_context=trusting(certificates))
        assert transport.deliver(server.url(scheme="https", host=TENANT_HOST), BODY, {}) == Delivery(
            ok=False, error="tls_failed")
    assert server.received == []


def test_an_untrusted_certificate_and_a_plain_http_server_behind_https_are_tls_failures(tmp_path: Path):
    certificates = make_certificates(tmp_path, TENANT_HOST)
    with tls_receiver(certificates, answers(200)) as untrusted:
        url = untrusted.url(scheme="https", host=TENANT_HOST)
        assert local_transport(resolver=pinned_to_loopback).deliver(url, BODY, {}).error == "tls_failed"
    with receiver(speaks_only_plain_http) as plain:
        url = plain.url(scheme="https", host=TENANT_HOST)
        assert local_transport(resolver=pinned_to_loopback).deliver(url, BODY, {}).error == "tls_failed"


# --- through the notifier: retries, dead letters, replays -------------------------------------------


@dataclass
class Notifying:
    notifier: Notifier
    letters: DeadLetters
    sleeps: list[float]
    webhook: Webhook


NotifierFor = Callable[..., Notifying]


@pytest.fixture
def notifying(repos: Repositories, dynamodb: Any) -> NotifierFor:
    """The notifier as bootstrap wires it, on moto, with the given transport and a recorded back-off."""

    def build(transport: WebhookTransport, url: str = "https://crm.demo.dk/hooks") -> Notifying:
        sleeps: list[float] = []
        settings = Settings(stage="test", table_name=repos.table_name, link_secret="test-link-secret")
        wiring = bootstrap.Container(settings=settings, clock=FrozenClock(), dynamodb_client=dynamodb,
                                     mailer_override=MemoryMailer(), transport_override=transport,
                                     sleep_override=sleeps.append)
        return Notifying(wiring.notifier, repos.dead_letters, sleeps, Webhook(url=url, secret=new_secret()))

    return build


def test_a_webhook_that_keeps_failing_is_retried_with_back_off_then_dead_lettered_with_the_category_only(
        notifying: NotifierFor):
    transport = MemoryWebhookTransport(outcomes=[500, Delivery.failed("timeout"), 502, 503])
    given = notifying(transport)
    assert given.notifier.post_webhook("t1", given.webhook, {"type": "handover.accepted"}, "evt_7a1") is False

    assert len(transport.posted) == WEBHOOK_ATTEMPTS
    assert given.sleeps == [0.5, 1.0, 2.0]
    assert {headers["webhook-id"] for _, _, headers in transport.posted} == {"evt_7a1"}
    (letter,) = given.letters.dead_letters("t1")
    assert (letter.last_error, letter.attempts, letter.message_id) == ("http_503", WEBHOOK_ATTEMPTS, "evt_7a1")


def test_a_receiver_that_refuses_connections_leaves_a_dead_letter_without_the_exception_text(notifying: NotifierFor):
    given = notifying(local_transport(timeout=0.5), url=f"http://127.0.0.1:{closed_port()}/hooks")
    assert given.notifier.post_webhook("t1", given.webhook, {"type": "handover.offered"}, "evt_9") is False
    (letter,) = given.letters.dead_letters("t1")
    assert letter.last_error == "connection_failed"


def test_a_replay_is_sent_under_the_same_webhook_id_and_removes_the_letter_once_delivered(notifying: NotifierFor):
    transport = MemoryWebhookTransport(outcomes=[*[503] * (2 * WEBHOOK_ATTEMPTS), 200])
    given = notifying(transport)
    given.notifier.post_webhook("t1", given.webhook, {"type": "handover.accepted"}, "evt_7a1")
    (letter,) = given.letters.dead_letters("t1")
    journey = _journey_with(given.webhook)

    assert given.notifier.replay("t1", letter.letter_id, journey) == {"letter_id": letter.letter_id,
                                                                      "delivered": False, "error": "http_503"}
    (again,) = given.letters.dead_letters("t1")
    assert (again.message_id, again.attempts) == ("evt_7a1", 2 * WEBHOOK_ATTEMPTS)

    assert given.notifier.replay("t1", letter.letter_id, journey)["delivered"] is True
    assert given.letters.dead_letters("t1") == []
    assert {headers["webhook-id"] for _, _, headers in transport.posted} == {"evt_7a1"}
    _, body, headers = transport.posted[-1]
    sent_at = dt.datetime.fromtimestamp(int(headers["webhook-timestamp"]), dt.UTC)
    assert headers["webhook-signature"] == StandardWebhook(given.webhook.secret).sign("evt_7a1", sent_at, body)


def test_without_a_message_id_one_is_made_and_kept_for_every_retry(notifying: NotifierFor):
    transport = MemoryWebhookTransport(outcomes=[500, 200])
    given = notifying(transport)
    assert given.notifier.post_webhook("t1", given.webhook, {"type": "lead.created"}) is True
    first, second = (headers["webhook-id"] for _, _, headers in transport.posted)
    assert first == second and first.startswith("msg_")


def test_a_message_id_that_cannot_be_a_header_is_refused_before_sending(notifying: NotifierFor):
    transport = MemoryWebhookTransport()
    given = notifying(transport)
    with pytest.raises(ValueError, match="message id"):
        given.notifier.post_webhook("t1", given.webhook, {}, "evt\r\nX-Injected: 1")
    assert transport.posted == []


def _journey_with(webhook: Webhook) -> JourneyDefinition:
    return JourneyDefinition.model_validate({"webhook": webhook.model_dump()})


# --- the secret through the API --------------------------------------------------------------------


def _put_journey(api: Api, journey: dict[str, Any]) -> Any:
    return api.client.http.put("/admin/journey", body=json.dumps(journey),
                               headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})


def test_storing_a_journey_never_echoes_the_webhook_secret(api: Api):
    secret = new_secret()
    stored = _put_journey(api, {"webhook": {"url": "https://crm.demo.dk/hooks", "secret": secret}})
    read = api.client.http.get("/admin/journey", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    for answer in (stored, read):
        assert answer.status_code == 200
        assert secret not in answer.body.decode()
        assert json_body(answer)["definition"]["webhook"] == {"url": "https://crm.demo.dk/hooks",
                                                              "secret": "********"}


def test_a_journey_read_back_masked_and_stored_again_keeps_its_secret(api: Api):
    secret = new_secret()
    _put_journey(api, {"webhook": {"url": "https://crm.demo.dk/hooks", "secret": secret}})
    document = json_body(api.client.http.get("/admin/journey", headers={"Authorization": f"Bearer {DEMO_KEY}"}))
    document["definition"]["webhook"]["url"] = "https://crm.demo.dk/hooks/v2"
    assert _put_journey(api, document["definition"]).status_code == 200
    webhook = api.wiring.journeys.definition("demo").webhook
    assert webhook is not None and (webhook.url, webhook.secret) == ("https://crm.demo.dk/hooks/v2", secret)


def test_a_secret_that_is_not_a_standard_webhooks_secret_is_refused_naming_the_field(api: Api):
    answer = _put_journey(api, {"webhook": {"url": "https://crm.demo.dk/hooks", "secret": "s3cret-s3cret-s3cret"}})
    assert answer.status_code == 422
    assert json_body(answer)["field"] == "webhook.secret"
    assert "whsec_" in json_body(answer)["message"] and "token_bytes" in json_body(answer)["message"]
    assert "s3cret-s3cret-s3cret" not in answer.body.decode()
