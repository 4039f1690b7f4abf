"""A CRM's calls are verified the Standard Webhooks way: signed by the tenant's secret, fresh, any of several
signatures; whatever fails names the header at fault."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from chalicelib.domain.webhooks import SignatureRefused, new_secret, verify

BODY = json.dumps({"type": "outcome", "email": "ida@kunde.dk", "outcome": "won", "value": 25000})
NOW = 1_764_000_000


def signed(secret: str, message_id: str = "msg_crm_1", at: int = NOW, body: str = BODY) -> str:
    """The webhook-signature the Standard Webhooks library itself writes."""
    return str(StandardWebhook(secret).sign(message_id, datetime.fromtimestamp(at, tz=UTC), body))


def test_a_request_signed_by_the_standard_webhooks_library_is_accepted():
    secret = new_secret()
    verify(secret, "msg_crm_1", str(NOW), signed(secret), BODY, now=NOW)


def test_a_tampered_body_is_refused_naming_the_signature():
    secret = new_secret()
    with pytest.raises(SignatureRefused) as refused:
        verify(secret, "msg_crm_1", str(NOW), signed(secret), BODY.replace("25000", "95000"), now=NOW)
    assert refused.value.header == "webhook-signature"


def test_a_changed_message_id_is_refused():
    secret = new_secret()
    with pytest.raises(SignatureRefused):
        verify(secret, "msg_crm_2", str(NOW), signed(secret), BODY, now=NOW)


def test_a_signature_by_another_secret_is_refused():
    with pytest.raises(SignatureRefused):
        verify(new_secret(), "msg_crm_1", str(NOW), signed(new_secret()), BODY, now=NOW)


def test_one_matching_signature_among_several_is_enough():
    old, current = new_secret(), new_secret()
    header = f"v1,{base64.b64encode(b'x' * 32).decode()} {signed(old)} {signed(current)}"
    verify(current, "msg_crm_1", str(NOW), header, BODY, now=NOW)


def test_a_signature_of_another_scheme_version_is_not_read_as_v1():
    secret = new_secret()
    with pytest.raises(SignatureRefused):
        verify(secret, "msg_crm_1", str(NOW), signed(secret).replace("v1,", "v1a,"), BODY, now=NOW)


@pytest.mark.parametrize("drift", [5 * 60, -5 * 60])
def test_a_timestamp_up_to_five_minutes_away_is_accepted(drift: int):
    secret = new_secret()
    verify(secret, "msg_crm_1", str(NOW + drift), signed(secret, at=NOW + drift), BODY, now=NOW)


@pytest.mark.parametrize("drift", [5 * 60 + 1, -(5 * 60 + 1)])
def test_a_timestamp_more_than_five_minutes_away_is_refused_even_when_signed(drift: int):
    secret = new_secret()
    with pytest.raises(SignatureRefused) as refused:
        verify(secret, "msg_crm_1", str(NOW + drift), signed(secret, at=NOW + drift), BODY, now=NOW)
    assert refused.value.header == "webhook-timestamp"


@pytest.mark.parametrize(("message_id", "timestamp", "signature", "header"), [
    (None, str(NOW), "v1,abc", "webhook-id"),
    ("", str(NOW), "v1,abc", "webhook-id"),
    ("msg_crm_1", None, "v1,abc", "webhook-timestamp"),
    ("msg_crm_1", "yesterday", "v1,abc", "webhook-timestamp"),
    ("msg_crm_1", str(NOW), None, "webhook-signature"),
    ("msg_crm_1", str(NOW), "", "webhook-signature"),
    ("msg_crm_1", str(NOW), "v1,not base64 at all", "webhook-signature"),
])
def test_a_missing_or_malformed_header_is_refused_naming_it(message_id: str | None, timestamp: str | None,
                                                           signature: str | None, header: str):
    with pytest.raises(SignatureRefused) as refused:
        verify(new_secret(), message_id, timestamp, signature, BODY, now=NOW)
    assert refused.value.header == header
