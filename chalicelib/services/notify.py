"""Telling people: the owner by e-mail with signed links, the tenant's systems by signed webhook."""

from __future__ import annotations

import abc
import json
import re
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
from chalicelib.domain.sla import BusinessCalendar
from chalicelib.domain.webhooks import new_message_id, signed_headers
from chalicelib.errors import Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.rendering import render_email
from chalicelib.services.action_links import ActionLinks
from chalicelib.services.ports import DeadLetter, DeadLetters, TenantRegistry
from chalicelib.services.webhook_port import WebhookTransport

WEBHOOK_ATTEMPTS = 4
WEBHOOK_FIRST_BACKOFF = timedelta(milliseconds=500)
# Header-safe and URL-safe: a timeline event id, or ``msg_<hex>`` when the caller has none.
MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class MailRejected(Exception):
    """The mail service refused this message for good (a bad address, a rejected message): no retry helps."""


class Mailer(abc.ABC):
    @abc.abstractmethod
    def send(self, to: str, subject: str, text: str, html: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        """One e-mail: the plain-text part always, the HTML part when there is one; ``headers`` add to the
        message's own (a survey's ``List-Unsubscribe``)."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str | None = None


# Why a hand-over ended in a gap, as the gap e-mail's words name it.
GAP_CAUSES = {"sla": "deadline", "everyone declined": "declined", "nobody left": "nobody_left",
              "no active owner": "no_owner"}
# Until an owner accepts, the offer names the lead (name, company) but not how to reach it: the lead card
# shows the contact details after accept, and an e-mail forwarded or left open must not give them away.
OFFERS_WITHOUT_CONTACT = ("offer", "reminder")
# "How did it go?" names the lead as an offer does: the owner knows how to reach it, the e-mail need not say.
NAMED_LIKE_OFFERS = (*OFFERS_WITHOUT_CONTACT, "outcome_ask")


def local_time(moment: str, timezone: str) -> str:
    """A deadline as people read it: in the hand-over calendar's time zone, with its abbreviation."""
    when = parse_iso(moment).astimezone(ZoneInfo(timezone))
    return when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or timezone)


def compose(notification: Notification, language: str, lead: Lead | None, accept_url: str, decline_url: str,
            timezone: str = "UTC", answers: dict[str, str] | None = None, producer: str | None = None) -> Message:
    """The e-mail for a notification, text and HTML, from the templates in ``chalicelib/templates/emails``.

    ``answers`` are the outcome links (won, lost) of a "How did it go?" e-mail; ``producer`` names the company
    whose lead a reseller's person is offered (they do not work for it, so the e-mail says who sends it).
    """
    hidden = notification.kind in NAMED_LIKE_OFFERS
    # Before accepting, an offer shows no contact details: at most the e-mail's domain names the lead.
    who = (lead.name or (lead.company or f"…@{lead.email.rpartition('@')[2]}" if hidden else lead.email)
           or notification.lead_id) if lead else notification.lead_id
    details = ((("name", lead.name), ("company", lead.company), ("email", None if hidden else lead.email),
                ("phone", None if hidden else lead.phone), ("postcode", lead.fields.get("postcode")))
               if lead else (("id", notification.lead_id),))
    email = render_email(
        notification.kind, language, who=who, due=local_time(notification.due_at, timezone) if notification.due_at
        else "", accept=accept_url, decline=decline_url, owner=notification.owner,
        handover_id=notification.handover_id, cause=GAP_CAUSES.get(notification.cause, "deadline"),
        lead_lines=[(f"email.lead.{name}", str(value)) for name, value in details if value],
        reminder=notification.cause == "reminder", company=lead.company if lead else None,
        won=(answers or {}).get("won", ""), lost=(answers or {}).get("lost", ""), producer=producer,
    )
    return Message(subject=email.subject, text=email.text, html=email.html)


OFFERS = ("offer", "reminder")


def manager_address(journey: JourneyDefinition) -> str:
    """Who hears of a gap when the ladder escalates to no one: the journey's manager, if it names one."""
    return journey.manager_email or ""


def recipient(notification: Notification, journey: JourneyDefinition,
              reseller_manager: Callable[[str], str | None]) -> str:
    """Whom a notification goes to: a person, or a role a ladder names (the holder's reseller's manager, the
    producer's channel manager); a role nobody fills falls back to the next one up, then the journey's manager."""
    from chalicelib.domain.journey import CHANNEL_MANAGER, RESELLER_MANAGER

    to = notification.to
    if to == RESELLER_MANAGER:
        to = (reseller_manager(notification.reseller) if notification.reseller else None) or CHANNEL_MANAGER
    if to == CHANNEL_MANAGER:
        to = journey.channel_manager or ""
    return to or manager_address(journey)


class Notifier:
    """Tells people and systems: owners by e-mail with signed links, the tenant's systems by webhook."""

    def __init__(
        self,
        contacts: TenantRegistry,
        dead_letters: DeadLetters,
        mailer: Mailer,
        transport: WebhookTransport,
        links: ActionLinks,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        reseller_manager: Callable[[str, str], str | None] = lambda tenant_id, reseller_id: None,
    ):
        self.contacts = contacts
        self.reseller_manager = reseller_manager
        self.dead_letters = dead_letters
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

    def outcome_links(self, tenant_id: str, notification: Notification) -> dict[str, str]:
        """The won and lost links of a "How did it go?" e-mail, for the owner who holds the hand-over."""
        from chalicelib.services.action_links import OUTCOME_ANSWERS

        return {answer: self.action_links.outcome_link(tenant_id, notification.lead_id, notification.handover_id,
                                                       notification.owner, answer) for answer in OUTCOME_ANSWERS}

    def email(self, tenant_id: str, notification: Notification, journey: JourneyDefinition, lead: Lead | None
              ) -> bool:
        """E-mail the person a notification is for (False when there is no address to write to).

        A mail failure raises: the change-stream consumer that calls this retries the event.
        """
        to = recipient(notification, journey, lambda reseller_id: self.reseller_manager(tenant_id, reseller_id))
        contact = self.contacts.owner_contact(tenant_id, to) if to else None
        address, language = contact if contact else (to, None)
        if "@" not in address:
            return False
        accept_url, decline_url = self.links(tenant_id, notification) if notification.kind in OFFERS else ("", "")
        answers = self.outcome_links(tenant_id, notification) if notification.kind == "outcome_ask" else None
        definition = journey.handover(notification.name)
        clock = journey.clock_for(definition) if definition else None
        timezone = clock.timezone if isinstance(clock, BusinessCalendar) else "UTC"
        tenant = self.contacts.tenant(tenant_id) if notification.reseller else None
        message = compose(notification, language or journey.language, lead, accept_url, decline_url, timezone,
                          answers, producer=tenant.name if tenant else None)
        self.mailer.send(address, message.subject, message.text, message.html)
        count("NotificationsSent", channel="email")
        return True

    def post_webhook(self, tenant_id: str, webhook: Webhook, payload: dict[str, Any],
                     message_id: str | None = None) -> bool:
        """Deliver with retries and back-off; what still fails becomes a dead letter that can be replayed.

        ``message_id`` (the timeline event's id) is the ``webhook-id`` of every attempt and of any replay,
        so a receiver can drop a message it has already seen.
        """
        message_id = message_id or new_message_id()
        if not MESSAGE_ID.fullmatch(message_id):
            raise ValueError(f"a webhook message id must match {MESSAGE_ID.pattern}: {message_id!r}")
        body = json.dumps(payload, separators=(",", ":"))
        error = self._attempt(webhook, body, message_id)
        if error is None:
            count("WebhooksDelivered")
            return True
        stamp = self.clock().strftime("%Y%m%dT%H%M%S")
        letter = DeadLetter(tenant_id=tenant_id, letter_id=f"dl_{stamp}_{secrets.token_hex(4)}",
                            at=iso(self.clock()), url=webhook.url, body=body, attempts=WEBHOOK_ATTEMPTS,
                            last_error=error, message_id=message_id)
        self.dead_letters.record_dead_letter(letter)
        count("WebhooksDeadLettered")
        logger.warning("webhook dead-lettered", extra={"url": webhook.url, "error": error, "message_id": message_id})
        return False

    def _attempt(self, webhook: Webhook, body: str, message_id: str) -> str | None:
        """None once delivered, else the last failure's category (never the receiver's own words)."""
        error = "not_attempted"
        delay = WEBHOOK_FIRST_BACKOFF.total_seconds()
        for attempt in range(WEBHOOK_ATTEMPTS):
            if attempt:
                self.sleep(delay)
                delay *= 2
            # A fresh timestamp per attempt: receivers refuse old ones, and a retry is not old.
            headers = signed_headers(webhook.secret, message_id, epoch_seconds(self.clock()), body)
            delivery = self.transport.deliver(webhook.url, body, headers)
            if delivery.ok:
                return None
            error = delivery.error or "unexpected_error"
        return error

    def replay(self, tenant_id: str, letter_id: str, journey: JourneyDefinition) -> dict[str, Any]:
        """Send a dead letter again (to the webhook as configured now); delivered letters are removed."""
        letter = next((item for item in self.dead_letters.dead_letters(tenant_id) if item.letter_id == letter_id), None)
        if letter is None:
            raise NotFound(f"no dead letter {letter_id!r}", field="letter_id")
        if journey.webhook is None:
            raise Conflict("the journey has no webhook to deliver to", field="webhook")
        # Letters from before message ids were kept have their letter id: stable, so replays still dedupe.
        message_id = letter.message_id or letter.letter_id
        error = self._attempt(journey.webhook, letter.body, message_id)
        if error is None:
            self.dead_letters.delete_dead_letter(tenant_id, letter_id)
            return {"letter_id": letter_id, "delivered": True}
        self.dead_letters.record_dead_letter(DeadLetter(
            tenant_id=tenant_id, letter_id=letter_id, at=letter.at, url=letter.url, body=letter.body,
            attempts=letter.attempts + WEBHOOK_ATTEMPTS, last_error=error, message_id=message_id,
        ))
        return {"letter_id": letter_id, "delivered": False, "error": error}
