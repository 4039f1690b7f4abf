"""Outbound e-mail: SES, the local stack's console, and an in-memory stand-in for tests (webhooks: ``webhooks``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.services.notify import Mailer, MailRejected


class SesMailer(Mailer):
    def __init__(self, client: Any, sender: str):
        self.client = client
        self.sender = sender

    def send(self, to: str, subject: str, text: str, html: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        try:
            if headers:
                # SendEmail sets no headers of its own choosing; a raw message carries List-Unsubscribe.
                self.client.send_raw_email(Source=self.sender, Destinations=[to],
                                           RawMessage={"Data": raw_message(self.sender, to, subject, text, html,
                                                                           headers)})
            else:
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


def raw_message(sender: str, to: str, subject: str, text: str, html: str | None, headers: dict[str, str]) -> bytes:
    """A MIME message (text, and HTML as the alternative) with ``headers`` added."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


@dataclass
class MemoryMailer(Mailer):
    """Keeps every e-mail: ``sent`` holds (to, subject, text), ``html_parts`` the HTML part of each, in order."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    html_parts: list[str | None] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, text: str, html: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        self.sent.append((to, subject, text))
        self.html_parts.append(html)
        self.headers.append(dict(headers or {}))
