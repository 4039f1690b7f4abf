"""Outbound e-mail: SES, the local stack's console, and an in-memory stand-in for tests (webhooks: ``webhooks``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.services.notify import Mailer


class SesMailer(Mailer):
    def __init__(self, client: Any, sender: str):
        self.client = client
        self.sender = sender

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
        )


@dataclass
class MemoryMailer(Mailer):
    """Keeps every e-mail: ``sent`` holds (to, subject, text), ``html_parts`` the HTML part of each, in order."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    html_parts: list[str | None] = field(default_factory=list)

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        self.sent.append((to, subject, text))
        self.html_parts.append(html)


class ConsoleMailer(Mailer):
    """The local stack's post office: every e-mail is printed, links and all, so the tour can click them."""

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        print(f"\n--- e-mail to {to}: {subject}\n{text}---", flush=True)
