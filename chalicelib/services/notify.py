"""Telling people: the owner by e-mail with signed links, the tenant's systems by signed webhook."""

from __future__ import annotations

import abc
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.clock import Clock, epoch_seconds, iso, parse_iso
from chalicelib.domain.handover import Notification
from chalicelib.domain.journey import JourneyDefinition, Webhook
from chalicelib.domain.leads import Lead
from chalicelib.domain.links import webhook_signature
from chalicelib.domain.sla import BusinessCalendar
from chalicelib.errors import Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.rendering import render_email
from chalicelib.services.action_links import ActionLinks
from chalicelib.services.ports import DeadLetter, JourneyStore

WEBHOOK_ATTEMPTS = 4
WEBHOOK_FIRST_BACKOFF = timedelta(milliseconds=500)


class Mailer(abc.ABC):
    @abc.abstractmethod
    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        """One e-mail: the plain-text part always, the HTML part when there is one."""


class WebhookTransport(abc.ABC):
    @abc.abstractmethod
    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        """POST and return the HTTP status; network failures raise ``OSError``."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None


def local_time(moment: str, timezone: str) -> str:
    """A deadline as people read it: in the hand-over calendar's time zone, with its abbreviation."""
    when = parse_iso(moment).astimezone(ZoneInfo(timezone))
    return when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or timezone)


def compose(notification: Notification, language: str, lead: Lead | None, accept_url: str, decline_url: str,
            timezone: str = "UTC") -> Message:
    """The e-mail for a notification, text and HTML, from the templates in ``chalicelib/templates/emails``."""
    who = (lead.name or lead.email) if lead else notification.lead_id
    details = ((("name", lead.name), ("company", lead.company), ("email", lead.email), ("phone", lead.phone),
                ("postcode", lead.fields.get("postcode"))) if lead else (("id", notification.lead_id),))
    email = render_email(
        notification.kind, language, who=who, due=local_time(notification.due_at, timezone), accept=accept_url,
        decline=decline_url, owner=notification.owner, handover_id=notification.handover_id,
        lead_lines=[(f"email.lead.{name}", str(value)) for name, value in details if value],
    )
    return Message(subject=email.subject, text=email.text, html=email.html)


class Notifier:
    def __init__(
        self,
        store: JourneyStore,
        mailer: Mailer,
        transport: WebhookTransport,
        links: ActionLinks,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.mailer = mailer
        self.transport = transport
        self.action_links = links
        self.clock = clock
        self.sleep = sleep

    def links(self, tenant_id: str, notification: Notification) -> tuple[str, str]:
        """The accept and decline links for the owner the hand-over is offered to."""
        accept, decline = (
            self.action_links.handover_link(tenant_id, notification.handover_id, notification.owner, action)
            for action in ("accept", "decline")
        )
        return accept, decline

    def deliver(self, tenant_id: str, notification: Notification, journey: JourneyDefinition, lead: Lead | None
                ) -> None:
        """E-mail the person, then the tenant's webhook. A failure is logged and counted, never raised:
        the hand-over's state has already changed and must not be rolled back by a mail server."""
        contact = self.store.owner_contact(tenant_id, notification.to)
        address, language = contact if contact else (notification.to, None)
        accept_url, decline_url = self.links(tenant_id, notification)
        definition = journey.handover(notification.name)
        clock = journey.clock_for(definition) if definition else None
        timezone = clock.timezone if isinstance(clock, BusinessCalendar) else "UTC"
        message = compose(notification, language or journey.language, lead, accept_url, decline_url, timezone)
        if "@" in address:
            try:
                self.mailer.send(address, message.subject, message.text, message.html)
                count("NotificationsSent", channel="email")
            except Exception:  # noqa: BLE001 - any mail failure is reported the same way
                logger.exception("e-mail notification failed", extra={"handover_id": notification.handover_id})
                count("NotificationsFailed", channel="email")
        if journey.webhook:
            payload = {
                "type": f"handover.{notification.kind}",
                "handover_id": notification.handover_id,
                "lead_id": notification.lead_id,
                "to": notification.to,
                "owner": notification.owner,
                "due_at": notification.due_at,
                "accept_url": accept_url if notification.kind != "escalation" else None,
                "decline_url": decline_url if notification.kind != "escalation" else None,
                "lead": {"email": lead.email, "name": lead.name, "company": lead.company} if lead else None,
            }
            self.post_webhook(tenant_id, journey.webhook, payload)

    def post_webhook(self, tenant_id: str, webhook: Webhook, payload: dict[str, Any]) -> bool:
        """Deliver with retries and back-off; what still fails becomes a dead letter that can be replayed."""
        body = json.dumps(payload, separators=(",", ":"))
        error = self._attempt(webhook, body)
        if error is None:
            count("WebhooksDelivered")
            return True
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        letter = DeadLetter(tenant_id=tenant_id, letter_id=f"dl_{stamp}_{secrets.token_hex(4)}",
                            at=iso(self.clock()), url=webhook.url, body=body, attempts=WEBHOOK_ATTEMPTS,
                            last_error=error)
        self.store.record_dead_letter(letter)
        count("WebhooksDeadLettered")
        logger.warning("webhook dead-lettered", extra={"url": webhook.url, "error": error})
        return False

    def _attempt(self, webhook: Webhook, body: str) -> str | None:
        error = "not attempted"
        delay = WEBHOOK_FIRST_BACKOFF.total_seconds()
        for attempt in range(WEBHOOK_ATTEMPTS):
            if attempt:
                self.sleep(delay)
                delay *= 2
            headers = {
                "Content-Type": "application/json",
                "Leadtrail-Signature": webhook_signature(webhook.secret, epoch_seconds(self.clock()), body),
            }
            try:
                status = self.transport.post(webhook.url, body, headers)
            except OSError as failure:
                error = f"{type(failure).__name__}: {failure}"
                continue
            if 200 <= status < 300:
                return None
            error = f"HTTP {status}"
        return error

    def replay(self, tenant_id: str, letter_id: str, journey: JourneyDefinition) -> dict[str, Any]:
        """Send a dead letter again (to the webhook as configured now); delivered letters are removed."""
        letter = next((item for item in self.store.dead_letters(tenant_id) if item.letter_id == letter_id), None)
        if letter is None:
            raise NotFound(f"no dead letter {letter_id!r}", field="letter_id")
        if journey.webhook is None:
            raise Conflict("the journey has no webhook to deliver to", field="webhook")
        error = self._attempt(journey.webhook, letter.body)
        if error is None:
            self.store.delete_dead_letter(tenant_id, letter_id)
            return {"letter_id": letter_id, "delivered": True}
        self.store.record_dead_letter(DeadLetter(
            tenant_id=tenant_id, letter_id=letter_id, at=letter.at, url=letter.url, body=letter.body,
            attempts=letter.attempts + WEBHOOK_ATTEMPTS, last_error=error,
        ))
        return {"letter_id": letter_id, "delivered": False, "error": error}
