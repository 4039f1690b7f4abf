"""Outbound channels: SES for e-mail, plain HTTPS for webhooks, and in-memory stand-ins for tests."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from chalicelib.services.notify import Mailer, WebhookTransport

# Four attempts with back-off must fit well inside the deadline Lambda's 60 s.
WEBHOOK_TIMEOUT_SECONDS = 3


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


class HttpWebhookTransport(WebhookTransport):
    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


@dataclass
class MemoryWebhookTransport(WebhookTransport):
    """Answers with the queued statuses (200 once they run out) and remembers what was posted."""

    statuses: list[int | Exception] = field(default_factory=list)
    posted: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: str, headers: dict[str, str]) -> int:
        self.posted.append((url, body, headers))
        if self.statuses:
            outcome = self.statuses.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        return 200


class ConsoleMailer(Mailer):
    """The local stack's post office: every e-mail is printed, links and all, so the tour can click them."""

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        print(f"\n--- e-mail to {to}: {subject}\n{text}---", flush=True)
