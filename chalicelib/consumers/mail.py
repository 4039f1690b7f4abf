"""E-mails to owners (offers, reminders, escalations), once per notification of an event."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.consumers.events import ChangeEvent
from chalicelib.domain.effects import notifications_from
from chalicelib.observability import count, logger
from chalicelib.services.journeys import Journeys
from chalicelib.services.notify import MailRejected, Notifier
from chalicelib.services.ports import LeadRepository, ProcessedEvents

CONSUMER = "mail"


class Mail:
    def __init__(self, notifier: Callable[[], Notifier], journeys: Journeys, leads: LeadRepository,
                 processed: ProcessedEvents):
        self.notifier = notifier
        self.journeys = journeys
        self.leads = leads
        self.processed = processed

    def __call__(self, event: ChangeEvent) -> None:
        notifications = notifications_from(event.effects)
        if not notifications:
            return
        journey = self.journeys.definition(event.tenant_id)
        lead = self.leads.lead(event.tenant_id, event.lead_id)
        for index, notification in enumerate(notifications):
            # Claimed before sending: a redelivered event never sends the same e-mail twice.
            mark = f"{event.event_id}.{index}"
            if not self.processed.claim(CONSUMER, mark):
                continue
            try:
                self.notifier().email(event.tenant_id, notification, journey, lead)
            except MailRejected:
                # Refused for good: counted and logged, not retried (the claim stays).
                logger.warning("e-mail rejected", extra={"handover_id": notification.handover_id})
                count("NotificationsRejected", channel="email")
            except Exception:
                self.processed.release(CONSUMER, mark)
                logger.exception("e-mail notification failed", extra={"handover_id": notification.handover_id})
                count("NotificationsFailed", channel="email")
                raise
