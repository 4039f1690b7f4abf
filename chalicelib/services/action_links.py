"""Hand-over links: an owner accepts or declines from an e-mail without logging in.

A link carries one signed token (see ``chalicelib.domain.tokens``) bound to tenant, hand-over, owner and
action, with an expiry; a token for one hand-over or action never works for another.

Outcome links ("How did it go?": won or lost) have a purpose of their own and also name the lead, so a
hand-over link never records an outcome and an outcome link never accepts a hand-over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, epoch_seconds
from chalicelib.domain.tokens import Keyring, TokenClaims, TokenRefused, issue, read
from chalicelib.errors import Unauthorized

HANDOVER_ACTION = "handover_action"
LINK_ACTIONS = ("accept", "decline")
# A page's other buttons: "contacted" is only ever a companion of an accept link (the accepted page's button).
COMPANION_ACTIONS = (*LINK_ACTIONS, "contacted")
LINK_LIFETIME = timedelta(days=14)
OUTCOME_ANSWER = "outcome_answer"
OUTCOME_ANSWERS = ("won", "lost")
OUTCOME_LINK_LIFETIME = timedelta(days=60)


@dataclass(frozen=True)
class OutcomeLink:
    """Whom an outcome link speaks for: the owner of one hand-over of one lead, in one tenant."""

    tenant_id: str
    lead_id: str
    handover_id: str
    owner: str
    answer: str


class LinkRefused(Unauthorized):
    """A hand-over link that does not hold. When it was genuine but expired, it still says whose it was,
    so the page can answer in that tenant's language."""

    def __init__(self, message: str, expired: bool, tenant_id: str | None = None, owner: str | None = None):
        super().__init__(message, field="token")
        self.code = "link_expired" if expired else "link_invalid"
        self.expired = expired
        self.tenant_id = tenant_id
        self.owner = owner


class ActionLinks:
    def __init__(self, keyring: Keyring, public_url: str, clock: Clock):
        self.keyring = keyring
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    def handover_link(self, tenant_id: str, handover_id: str, owner: str, action: str,
                      lifetime: timedelta = LINK_LIFETIME) -> str:
        """The URL that lets ``owner`` take ``action`` on one hand-over until ``lifetime`` has passed."""
        if action not in LINK_ACTIONS:
            raise ValueError(f"links exist for {' and '.join(LINK_ACTIONS)}, not {action!r}")
        claims = TokenClaims(purpose=HANDOVER_ACTION, tenant_id=tenant_id, subject=handover_id,
                             expires=epoch_seconds(self.clock() + lifetime), data={"owner": owner, "action": action})
        query = urlencode({"token": issue(self.keyring, claims)})
        return f"{self.public_url}/handovers/{quote(handover_id, safe='')}/{action}?{query}"

    def read_handover_link(self, handover_id: str, action: str, token: str) -> tuple[str, Actor]:
        """The tenant and the owner a link speaks for, if it was made for this hand-over and action and is
        still valid; otherwise ``LinkRefused`` (an ``Unauthorized`` on the field ``token``)."""
        claims = self._claims(handover_id, action, token)
        return claims.tenant_id, Actor(kind="link", owner=claims.data["owner"])

    def companion_token(self, handover_id: str, action: str, token: str, other: str) -> str:
        """A token for the ``other`` action on the same hand-over, for the same owner and expiring at the same
        moment: the confirmation page of one link offers both buttons without lengthening its life."""
        if other not in COMPANION_ACTIONS:
            raise ValueError(f"companions exist for {', '.join(COMPANION_ACTIONS)}, not {other!r}")
        claims = self._claims(handover_id, action, token)
        companion = TokenClaims(purpose=HANDOVER_ACTION, tenant_id=claims.tenant_id, subject=handover_id,
                                expires=claims.expires, data={**claims.data, "action": other})
        return issue(self.keyring, companion)

    def outcome_link(self, tenant_id: str, lead_id: str, handover_id: str, owner: str, answer: str,
                     lifetime: timedelta = OUTCOME_LINK_LIFETIME) -> str:
        """The URL of the page where ``owner`` reports the lead of one hand-over ``answer`` (won or lost)."""
        if answer not in OUTCOME_ANSWERS:
            raise ValueError(f"outcome links exist for {' and '.join(OUTCOME_ANSWERS)}, not {answer!r}")
        claims = TokenClaims(purpose=OUTCOME_ANSWER, tenant_id=tenant_id, subject=handover_id,
                             expires=epoch_seconds(self.clock() + lifetime),
                             data={"owner": owner, "lead": lead_id, "answer": answer})
        query = urlencode({"token": issue(self.keyring, claims)})
        return f"{self.public_url}/outcomes/{quote(handover_id, safe='')}/{answer}?{query}"

    def read_outcome_link(self, handover_id: str, answer: str, token: str) -> OutcomeLink:
        """Whom a genuine, unexpired outcome link for this hand-over and answer speaks for; otherwise
        ``LinkRefused`` (expired ones still say whose they were)."""
        try:
            claims = read(self.keyring, token, OUTCOME_ANSWER, self.clock())
        except TokenRefused as refused:
            genuine = refused.claims
            if refused.reason == "expired" and genuine is not None and _answers(genuine, handover_id, answer):
                raise LinkRefused("the link has expired", expired=True, tenant_id=genuine.tenant_id,
                                  owner=genuine.data.get("owner")) from None
            raise LinkRefused("the link is not valid", expired=False) from None
        if not _answers(claims, handover_id, answer):
            raise LinkRefused("the link is not valid", expired=False)
        return OutcomeLink(tenant_id=claims.tenant_id, lead_id=claims.data["lead"], handover_id=handover_id,
                           owner=claims.data["owner"], answer=answer)

    def _claims(self, handover_id: str, action: str, token: str) -> TokenClaims:
        try:
            claims = read(self.keyring, token, HANDOVER_ACTION, self.clock())
        except TokenRefused as refused:
            genuine = refused.claims
            if refused.reason == "expired" and genuine is not None and _fits(genuine, handover_id, action):
                raise LinkRefused("the link has expired", expired=True, tenant_id=genuine.tenant_id,
                                  owner=genuine.data.get("owner")) from None
            raise LinkRefused("the link is not valid", expired=False) from None
        if not _fits(claims, handover_id, action):
            raise LinkRefused("the link is not valid", expired=False)
        return claims


def _fits(claims: TokenClaims, handover_id: str, action: str) -> bool:
    return (claims.subject == handover_id and claims.data.get("action") == action and action in COMPANION_ACTIONS
            and bool(claims.data.get("owner")))


def _answers(claims: TokenClaims, handover_id: str, answer: str) -> bool:
    return (claims.subject == handover_id and claims.data.get("answer") == answer and answer in OUTCOME_ANSWERS
            and bool(claims.data.get("owner")) and bool(claims.data.get("lead")))
