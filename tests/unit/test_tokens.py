"""Signed tokens: what reads, what is refused and why, and that nothing else ever escapes ``read``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.tokens import (
    MAX_TOKEN_LENGTH,
    Keyring,
    SigningKey,
    TokenClaims,
    TokenRefused,
    issue,
    read,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
KEYS = Keyring.from_secrets("current-secret", ["previous-secret"])
PURPOSE = "handover_action"


def _claims(**changes: object) -> TokenClaims:
    values: dict[str, object] = {"purpose": PURPOSE, "tenant_id": "demo", "subject": "ho_1",
                                 "expires": int((NOW + timedelta(days=14)).timestamp()),
                                 "data": {"owner": "sales-a@demo.dk", "action": "accept"}}
    values.update(changes)
    return TokenClaims(**values)  # type: ignore[arg-type]


def _refusal(token: object, keyring: Keyring = KEYS, purpose: str = PURPOSE, now: datetime = NOW) -> str:
    with pytest.raises(TokenRefused) as refused:
        read(keyring, token, purpose, now)
    return refused.value.reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(token: str) -> dict[str, object]:
    payload = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _with_payload(token: str, body: dict[str, object]) -> str:
    return _b64(json.dumps(body).encode()) + "." + token.split(".")[1]


# --- reading what was issued ----------------------------------------------------------------------


def test_given_an_issued_token_when_read_before_it_expires_then_its_claims_come_back():
    claims = _claims()
    assert read(KEYS, issue(KEYS, claims), PURPOSE, NOW) == claims


def test_given_a_token_when_issued_then_it_is_url_safe_and_names_the_current_key():
    token = issue(KEYS, _claims(data={"owner": "Søren Ærø <s@x.dk>", "action": "accept"}))
    assert all(char.isalnum() or char in "-_." for char in token) and token.isascii()
    assert _payload(token)["k"] == KEYS.current.kid


def test_given_a_token_at_its_expiry_second_when_read_then_it_is_expired_and_still_says_who_it_was_for():
    claims = _claims()
    token = issue(KEYS, claims)
    assert read(KEYS, token, PURPOSE, datetime.fromtimestamp(claims.expires - 1, UTC)) == claims
    with pytest.raises(TokenRefused) as refused:
        read(KEYS, token, PURPOSE, datetime.fromtimestamp(claims.expires, UTC))
    assert refused.value.reason == "expired" and refused.value.claims == claims


def test_given_a_token_for_one_purpose_when_read_for_another_then_it_is_refused_for_its_purpose():
    token = issue(KEYS, _claims(purpose="survey_answer"))
    assert _refusal(token) == "purpose"


# --- key rotation ---------------------------------------------------------------------------------


def test_given_a_token_signed_with_the_previous_key_when_the_key_has_rotated_then_it_still_reads():
    before = Keyring.from_secrets("previous-secret")
    token = issue(before, _claims())
    assert read(KEYS, token, PURPOSE, NOW).subject == "ho_1"


def test_given_a_token_signed_with_a_retired_key_when_read_then_the_signature_is_refused():
    token = issue(Keyring.from_secrets("retired-secret"), _claims())
    assert _refusal(token) == "signature"


def test_given_a_forger_who_knows_the_kid_but_not_the_secret_when_read_then_the_signature_is_refused():
    forger = Keyring(SigningKey(kid=KEYS.current.kid, secret=b"guessed"))
    assert _refusal(issue(forger, _claims())) == "signature"


def test_given_secrets_when_a_keyring_is_built_then_kids_are_stable_distinct_and_do_not_show_the_secret():
    keyring = Keyring.from_secrets("current-secret", ["previous-secret", "", "current-secret", "previous-secret"])
    assert keyring.current.kid == Keyring.from_secrets("current-secret").current.kid
    assert [key.kid for key in keyring.previous] == [Keyring.from_secrets("previous-secret").current.kid]
    assert len(keyring.current.kid) == 8 and "current-secret" not in repr(keyring)


def test_given_an_empty_secret_when_a_keyring_is_built_then_it_is_refused():
    with pytest.raises(ValueError, match="secret"):
        Keyring.from_secrets("")


# --- refusing what was not issued -----------------------------------------------------------------


@pytest.mark.parametrize("token", [
    "", ".", "abc", "a.b.c", "a..b", "é.é", "abc.déf", "abc.\u0661\u0662", "abc.d\x00f", "A" * 5000,
    "e30.", ".e30", "!!!.abc", "eyJ.abc", "a.b", None, 12, b"abc.def",
])
def test_given_garbage_when_read_then_it_is_malformed(token: object):
    assert _refusal(token) == "malformed"


@pytest.mark.parametrize("payload", [b"[]", b"\"text\"", b"1", b"null", b"{}", b"\xff\xfe", b"{" * 600,
                                     b"[" * 800 + b"]" * 800, b'{"k": 1, "p": 2, "t": 3, "s": 4, "e": 5}'])
def test_given_a_payload_that_is_not_a_claims_object_when_read_then_it_is_malformed(payload: bytes):
    assert _refusal(_b64(payload) + "." + _b64(b"x" * 32)) == "malformed"


def test_given_a_non_ascii_signature_when_read_then_it_is_refused_not_a_type_error():
    payload = issue(KEYS, _claims()).split(".")[0]
    assert _refusal(f"{payload}.ſignatüre") == "malformed"
    assert _refusal(f"{payload}.{'٣' * 43}") == "malformed"


def test_given_a_token_one_character_too_long_when_read_then_it_is_malformed_before_any_hashing():
    token = issue(KEYS, _claims())
    assert _refusal(token + "A" * (MAX_TOKEN_LENGTH + 1 - len(token))) == "malformed"


def test_given_a_correctly_signed_payload_of_the_wrong_shape_when_read_then_it_is_malformed():
    keyring = Keyring.from_secrets("current-secret")
    token = issue(keyring, _claims())
    body = _payload(token)
    body["e"] = "tomorrow"
    payload = _b64(json.dumps(body).encode())
    mac = _b64(hmac.new(b"current-secret", payload.encode(), hashlib.sha256).digest())
    assert _refusal(f"{payload}.{mac}", keyring) == "malformed"


def test_given_claims_that_would_make_an_unreadable_token_when_issued_then_issue_refuses():
    with pytest.raises(ValueError, match="longer"):
        issue(KEYS, _claims(data={"note": "x" * MAX_TOKEN_LENGTH}))
    with pytest.raises(ValueError):
        issue(KEYS, _claims(subject=""))


# --- properties -----------------------------------------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@given(st.text(max_size=3000))
def test_property_reading_any_text_raises_nothing_but_token_refused(text: str):
    with pytest.raises(TokenRefused):
        read(KEYS, text, PURPOSE, NOW)


@given(st.text(alphabet=ALPHABET, max_size=400))
def test_property_reading_any_token_shaped_text_raises_nothing_but_token_refused(text: str):
    with pytest.raises(TokenRefused):
        read(KEYS, text, PURPOSE, NOW)


@given(st.binary(max_size=600), st.binary(max_size=64))
def test_property_reading_any_encoded_bytes_raises_nothing_but_token_refused(payload: bytes, mac: bytes):
    with pytest.raises(TokenRefused):
        read(KEYS, f"{_b64(payload)}.{_b64(mac)}", PURPOSE, NOW)


text = st.text(min_size=1, max_size=40)
claims_strategy = st.builds(
    TokenClaims, purpose=text, tenant_id=text, subject=text,
    expires=st.integers(min_value=int(NOW.timestamp()) + 1, max_value=2**40),
    data=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=4),
)


@given(claims_strategy)
def test_property_any_issued_claims_read_back_unchanged(claims: TokenClaims):
    assert read(KEYS, issue(KEYS, claims), claims.purpose, NOW) == claims


@given(claims_strategy, st.sampled_from(["p", "t", "s", "e", "d"]), st.text(max_size=20))
def test_property_changing_any_claim_breaks_the_signature(claims: TokenClaims, name: str, change: str):
    token = issue(KEYS, claims)
    body = _payload(token)
    original = body[name]
    if name == "e":
        body[name] = claims.expires + 1 + len(change)
    elif name == "d":
        body[name] = {**claims.data, "\x00changed!!": change}  # longer than any generated key: always new
    else:
        body[name] = f"{original}x{change}"
    with pytest.raises(TokenRefused) as refused:
        read(KEYS, _with_payload(token, body), claims.purpose, NOW)
    assert refused.value.reason == "signature"


@given(claims_strategy, st.data())
def test_property_changing_any_character_of_a_token_gets_it_refused(claims: TokenClaims, data: st.DataObject):
    token = issue(KEYS, claims)
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET + "é=" if c != token[position]]))
    with pytest.raises(TokenRefused):
        read(KEYS, token[:position] + replacement + token[position + 1:], claims.purpose, NOW)
