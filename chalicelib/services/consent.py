"""Withdrawing consent from an e-mail: every e-mail to an end customer carries a signed link (purpose
``consent_withdraw``, naming the lead, valid a year) whose page has one button; pressing it withdraws every
purpose the customer had granted, each a ``consent_changed`` event, which stops surveys and sharing with a
producer from then on. Opening the link changes nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.domain.clock import Clock, epoch_seconds, iso
from chalicelib.domain.tokens import Keyring, TokenClaims, TokenRefused, issue, read
from chalicelib.errors import ConcurrentUpdate
from chalicelib.observability import count

if TYPE_CHECKING:
    from chalicelib.services.ports import LeadRepository, TenantRegistry

WITHDRAW = "consent_withdraw"
LIFETIME = timedelta(days=366)
# What a customer can withdraw from an e-mail even before they ever granted it (it then stays refused).
ALWAYS_WITHDRAWN = ("survey", "share_with_producer")
MAX_ATTEMPTS = 5


class ConsentLinks:
    def __init__(self, leads: LeadRepository, tenants: TenantRegistry, keyring: Keyring, public_url: str,
                 clock: Clock, new_id: Callable[[], str] | None = None):
        self.leads = leads
        self.tenants = tenants
        self.keyring = keyring
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.new_id = new_id or (lambda: secrets.token_hex(8))

    def url(self, tenant_id: str, lead_id: str) -> str:
        claims = TokenClaims(purpose=WITHDRAW, tenant_id=tenant_id, subject=lead_id,
                             expires=epoch_seconds(self.clock() + LIFETIME), data={})
        return f"{self.public_url}/c/{quote(issue(self.keyring, claims), safe='')}"

    def page(self, token: str, act: bool) -> tuple[str, int, dict[str, Any]]:
        """(kind, status, context) of the page: ``withdraw`` (the button), ``withdrawn``, or why not."""
        try:
            claims = read(self.keyring, token, WITHDRAW, self.clock())
        except TokenRefused as refused:
            return ("expired", 410, {}) if refused.reason == "expired" else ("invalid", 400, {})
        tenant = self.tenants.tenant(claims.tenant_id)
        context = {"tenant": tenant.name if tenant else ""}
        if not act:
            return "withdraw", 200, context
        self._withdraw(claims.tenant_id, claims.subject)
        return "withdrawn", 200, context

    def _withdraw(self, tenant_id: str, lead_id: str) -> None:
        from chalicelib.services.resellers import consent_event

        for _ in range(MAX_ATTEMPTS):
            lead = self.leads.lead(tenant_id, lead_id)
            if lead is None:
                return  # erased meanwhile: nothing is held to withdraw
            at = iso(self.clock())
            purposes = {*ALWAYS_WITHDRAWN, *(name for name, record in lead.consent.items() if record.get("granted"))}
            changed = {name: {"granted": False, "at": at, "source": "withdrawn from an e-mail"}
                       for name in sorted(purposes) if (lead.consent.get(name) or {}).get("granted") is not False}
            if not changed:
                return
            events = [consent_event(self.new_id(), at, name, record, "customer", seq=index)
                      for index, (name, record) in enumerate(changed.items())]
            try:
                self.leads.save_lead_change(replace(lead, consent={**lead.consent, **changed}, updated_at=at),
                                            lead.version, events, None)
            except ConcurrentUpdate:
                continue
            count("ConsentWithdrawn")
            return
