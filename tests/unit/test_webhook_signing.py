"""Outbound webhooks are signed the Standard Webhooks way; secrets, URLs and addresses are checked first."""

from __future__ import annotations

import base64
import json
import time

import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from chalicelib.adapters.webhooks import HttpWebhookTransport, Refused, is_public
from chalicelib.domain.journey import Webhook
from chalicelib.domain.webhooks import InvalidSecret, new_secret, secret_key, signature, signed_headers
from chalicelib.services.webhook_port import Delivery

BODY = json.dumps({"type": "handover.accepted", "data": {"lead_id": "ld_1", "owner": "sales-a@demo.dk"}})


def test_a_signed_delivery_verifies_with_the_standard_webhooks_library():
    secret = new_secret()
    headers = signed_headers(secret, "evt_4f1c9a", int(time.time()), BODY)
    assert StandardWebhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-id"] == "evt_4f1c9a"


def test_a_tampered_body_fails_verification():
    secret = new_secret()
    headers = signed_headers(secret, "evt_4f1c9a", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(BODY.replace("sales-a", "sales-b"), headers)


def test_a_changed_message_id_fails_verification():
    secret = new_secret()
    headers = signed_headers(secret, "evt_4f1c9a", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(BODY, {**headers, "webhook-id": "evt_other"})


def test_a_delivery_signed_ten_minutes_ago_fails_verification():
    secret = new_secret()
    headers = signed_headers(secret, "evt_4f1c9a", int(time.time()) - 600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        StandardWebhook(secret).verify(BODY, headers)


def test_a_delivery_signed_with_another_secret_fails_verification():
    headers = signed_headers(new_secret(), "evt_4f1c9a", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(new_secret()).verify(BODY, headers)


def test_the_signature_matches_the_standard_webhooks_reference_vector():
    # The example the Standard Webhooks / Svix libraries test themselves against.
    assert signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                     '{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and len(base64.b64decode(first[6:], validate=True)) == 32
    assert first != second
    assert secret_key(first) == base64.b64decode(first[6:])


@pytest.mark.parametrize("secret, why", [
    ("s3cret-s3cret-s3cret", "must start with 'whsec_'"),
    ("whsec_not base64!!", "standard base64"),
    ("whsec_" + base64.b64encode(b"k" * 23).decode(), "24 to 64 bytes, not 23"),
    ("whsec_" + base64.b64encode(b"k" * 65).decode(), "24 to 64 bytes, not 65"),
])
def test_a_secret_that_is_not_a_standard_webhooks_secret_is_refused_with_how_to_make_one(secret: str, why: str):
    with pytest.raises(InvalidSecret, match=why) as refused:
        secret_key(secret)
    assert "secrets.token_bytes(32)" in str(refused.value)
    assert secret not in str(refused.value)


def test_the_journey_webhook_accepts_a_standard_secret_and_http_or_https():
    secret = new_secret()
    assert Webhook(url="https://crm.demo.dk/hooks", secret=secret).secret == secret
    assert Webhook(url="http://127.0.0.1:9000/hooks", secret=secret).url.startswith("http://")
    with pytest.raises(ValidationError, match="whsec_"):
        Webhook(url="https://crm.demo.dk/hooks", secret="s3cret-s3cret-s3cret")
    with pytest.raises(ValidationError):
        Webhook(url="ftp://crm.demo.dk/hooks", secret=secret)


@pytest.mark.parametrize("status, ok, error", [(200, True, None), (204, True, None), (302, False, "http_302"),
                                               (404, False, "http_404"), (500, False, "http_500")])
def test_only_a_2xx_answer_is_a_delivery_and_a_redirect_is_a_failure(status: int, ok: bool, error: str | None):
    assert Delivery.answered(status) == Delivery(ok=ok, status=status, error=error)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "fc00::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe",
    "::7f00:1", "ff02::1", "2001:db8::1",
])
def test_an_address_that_is_not_globally_routable_is_not_public(address: str):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_a_globally_routable_address_is_public(address: str):
    assert is_public(address)


@pytest.mark.parametrize("url, category", [
    ("http://crm.demo.dk/hooks", "not_https"),
    ("ftp://crm.demo.dk/hooks", "not_https"),
    ("crm.demo.dk/hooks", "not_https"),
    ("https:///hooks", "invalid_url"),
    ("https://crm.demo.dk:99999/hooks", "invalid_url"),
])
def test_outside_the_local_stage_only_a_well_formed_https_url_is_a_target(url: str, category: str):
    with pytest.raises(Refused) as refused:
        HttpWebhookTransport().target(url)
    assert refused.value.category == category


def test_a_target_keeps_the_host_name_port_path_and_query():
    target = HttpWebhookTransport().target("https://CRM.demo.dk:8443/hooks/in?tenant=7#ignored")
    assert (target.scheme, target.host, target.port, target.path) == ("https", "crm.demo.dk", 8443,
                                                                      "/hooks/in?tenant=7")
    assert HttpWebhookTransport(allow_private=True).target("http://127.0.0.1/").port == 80
