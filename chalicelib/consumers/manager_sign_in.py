"""Managers' sign-in e-mails: once per sign-in request the change stream delivers."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.consumers.events import ChangeEvent
from chalicelib.observability import count, logger
from chalicelib.services.manager_sign_in import LINK_LIFETIME, ManagerSignIn
from chalicelib.services.notify import Mailer, MailRejected
from chalicelib.services.ports import ProcessedEvents

CONSUMER = "manager_sign_in"
EVENT_TYPE = "manager_sign_in"


class ManagerSignInMail:
    def __init__(self, sign_in: Callable[[], ManagerSignIn], mailer: Callable[[], Mailer],
                 processed: ProcessedEvents):
        self.sign_in = sign_in
        self.mailer = mailer
        self.processed = processed

    def __call__(self, event: ChangeEvent) -> None:
        if event.type != EVENT_TYPE or not event.details.get("email"):
            return
        from chalicelib.rendering import render_email  # Jinja2 loads only when a mail is written

        sign_in = self.sign_in()
        email = str(event.details["email"])
        # Claimed before sending: a redelivered request never sends a second e-mail.
        if not self.processed.claim(CONSUMER, event.event_id):
            return
        try:
            link = sign_in.link(event.tenant_id, email, event.event_id, event.at)
            minutes = int(LINK_LIFETIME.total_seconds() // 60)
            message = render_email("manager_sign_in", sign_in.language(event.tenant_id), link=link,
                                   minutes=minutes)
            self.mailer().send(email, message.subject, message.text, message.html)
            count("ManagerSignInMailsSent")
        except MailRejected:
            logger.warning("sign-in e-mail rejected")
            count("NotificationsRejected", channel="email")
        except Exception:
            self.processed.release(CONSUMER, event.event_id)
            logger.exception("sign-in e-mail failed")
            count("NotificationsFailed", channel="email")
            raise
