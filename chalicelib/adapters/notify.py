"""Outbound e-mail: SES, the local stack's console, and an in-memory stand-in for tests (webhooks: ``webhooks``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.services.notify import Mailer, MailRejected


class SesMailer(Mailer):
    def __init__(self, client: Any, sender: str):
        self.client = client
        self.sender = sender

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        try:
            self.client.send_email(
                Source=self.sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except self.client.exceptions.MessageRejected as error:
            raise MailRejected("SES rejected the message") from error
        except self.client.exceptions.ClientError as error:
            # Throttling and service errors are retried by the caller; a bad address never gets better.
            if error.response.get("Error", {}).get("Code") == "InvalidParameterValue":
                raise MailRejected("SES refused the address") from error
            raise


@dataclass
class MemoryMailer(Mailer):
    """Keeps every e-mail: ``sent`` holds (to, subject, text), ``html_parts`` the HTML part of each, in order."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    html_parts: list[str | None] = field(default_factory=list)

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        self.sent.append((to, subject, text))
        self.html_parts.append(html)
