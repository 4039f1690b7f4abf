"""Managers sign in to the report page without a password: a magic link e-mailed to an address the tenant lists.

Asking. ``request_link`` records a sign-in request (an event the change stream mails, like every other e-mail)
only for an address the journey lists in ``managers`` or ``manager_email``; for anyone else it records nothing,
and the page answers the same either way, so nobody learns who is a manager. Requests for the same address in
the same minute are one request: a double click or a retry sends one e-mail.

The link. A signed token (purpose ``manager_sign_in``) for tenant and address, valid 15 minutes from the request,
made by the consumer from the request itself: the same request always gives the same link, and no link is ever
stored. Opening it records nothing (mail scanners open links); its "Sign in" button uses it, once.

The session. A signed token (purpose ``manager_session``, 12 hours) in an ``HttpOnly; Secure; SameSite=Strict``
cookie on ``/reports``. It holds no secret of ours and is checked on every request, with the address still a
manager's: taking someone off the journey's managers ends their session at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

from chalicelib.domain.clock import Clock, epoch_seconds, iso, parse_iso
from chalicelib.domain.tokens import Keyring, TokenClaims, TokenRefused, issue, read
from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.services.journeys import Journeys
    from chalicelib.services.ports import ReportAccessStore

SIGN_IN = "manager_sign_in"
SESSION = "manager_session"
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
COOKIE = "lt_reports"
COOKIE_PATH = "/reports"
LINK_PATH = "/reports/sign-in/link"
TENANT_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EMAIL_SHAPE = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")

Problem = Literal["invalid", "expired", "used"]


@dataclass(frozen=True)
class Manager:
    tenant_id: str
    email: str


class SignInRefused(Exception):
    """The link cannot sign anyone in. ``tenant_id`` is known when the link was genuine (the page's language)."""

    def __init__(self, problem: Problem, tenant_id: str | None = None):
        super().__init__(problem)
        self.problem: Problem = problem
        self.tenant_id = tenant_id


def normalised_email(text: str | None) -> str:
    """The address as managers are matched: trimmed and lower case; ``InvalidInput`` unless it looks like one."""
    email = (text or "").strip().lower()
    if len(email) > 254 or not EMAIL_SHAPE.fullmatch(email):
        raise InvalidInput("give your e-mail address, such as manager@example.dk", field="email")
    return email


def session_cookie(token: str) -> str:
    seconds = int(SESSION_LIFETIME.total_seconds())
    return f"{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={seconds}"


def cleared_cookie() -> str:
    return f"{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path={COOKIE_PATH}; Max-Age=0"


def cookie_value(cookie_header: str | None) -> str | None:
    """The session cookie's value in a ``Cookie`` header, if it holds one."""
    if not cookie_header or len(cookie_header) > 8192:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


class ManagerSignIn:
    def __init__(self, store: ReportAccessStore, journeys: Journeys, keyring: Keyring, public_url: str,
                 clock: Clock, known: Callable[[str], bool] = lambda tenant_id: True):
        self.store = store
        self.known = known
        self.journeys = journeys
        self.keyring = keyring
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    def is_manager(self, tenant_id: str, email: str) -> bool:
        if not TENANT_SHAPE.fullmatch(tenant_id) or not self.known(tenant_id):
            return False
        journey = self.journeys.definition(tenant_id)
        listed = {address.strip().lower() for address in [*journey.managers, journey.manager_email or ""]}
        return bool(email) and email in listed

    def language(self, tenant_id: str | None) -> str | None:
        """The tenant's journey language (None when no tenant is known yet)."""
        if not tenant_id or not TENANT_SHAPE.fullmatch(tenant_id) or not self.known(tenant_id):
            return None
        return self.journeys.definition(tenant_id).language

    def request_link(self, tenant_id: str, email_text: str | None) -> None:
        """E-mail a sign-in link to ``email`` if the tenant lists it as a manager; otherwise do nothing, silently."""
        email = normalised_email(email_text)
        if not self.is_manager(tenant_id, email):
            return
        now = iso(self.clock())
        request_id = "si_" + hashlib.sha256(f"{tenant_id}\x00{email}\x00{now[:16]}".encode()).hexdigest()[:24]
        self.store.record_sign_in_request(tenant_id, request_id, email, now)

    def link(self, tenant_id: str, email: str, request_id: str, requested_at: str) -> str:
        """The link a request's e-mail carries: the same request always gives the same link."""
        expires = epoch_seconds(parse_iso(requested_at) + LINK_LIFETIME)
        claims = TokenClaims(purpose=SIGN_IN, tenant_id=tenant_id, subject=email, expires=expires,
                             data={"n": request_id})
        return f"{self.public_url}{LINK_PATH}?{urlencode({'token': issue(self.keyring, claims)})}"

    def check_link(self, token: str | None) -> Manager:
        """Who a link would sign in, without using it (opening the link records nothing)."""
        claims = self._claims(token)
        if self.store.link_used(claims.tenant_id, claims.data["n"]):
            raise SignInRefused("used", claims.tenant_id)
        return Manager(claims.tenant_id, claims.subject)

    def use_link(self, token: str | None) -> tuple[Manager, str]:
        """Sign in with a link, once: the manager and the session token for the cookie."""
        claims = self._claims(token)
        if not self.store.mark_link_used(claims.tenant_id, claims.data["n"], iso(self.clock())):
            raise SignInRefused("used", claims.tenant_id)
        session = TokenClaims(purpose=SESSION, tenant_id=claims.tenant_id, subject=claims.subject,
                              expires=epoch_seconds(self.clock() + SESSION_LIFETIME))
        return Manager(claims.tenant_id, claims.subject), issue(self.keyring, session)

    def session(self, cookie: str | None) -> Manager | None:
        """The manager a session cookie speaks for, while it is valid and the address is still a manager's."""
        if not cookie:
            return None
        try:
            claims = read(self.keyring, cookie, SESSION, self.clock())
        except TokenRefused:
            return None
        if not self.is_manager(claims.tenant_id, claims.subject):
            return None
        return Manager(claims.tenant_id, claims.subject)

    def _claims(self, token: str | None) -> TokenClaims:
        try:
            claims = read(self.keyring, token, SIGN_IN, self.clock())
        except TokenRefused as refused:
            genuine = refused.claims
            if refused.reason == "expired" and genuine is not None:
                raise SignInRefused("expired", genuine.tenant_id) from None
            raise SignInRefused("invalid") from None
        if not claims.data.get("n"):
            raise SignInRefused("invalid")
        # A link for an address that is no longer a manager's signs nobody in.
        if not self.is_manager(claims.tenant_id, claims.subject):
            raise SignInRefused("invalid", claims.tenant_id)
        return claims
