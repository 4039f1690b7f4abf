"""The local stack's post office: each e-mail printed as one readable block, apart from the request log."""

from __future__ import annotations

import re
import sys
import threading
from typing import TextIO

from chalicelib.services.notify import Mailer

URL = re.compile(r"https?://\S+")
RULE = "=" * 72


def email_block(to: str, subject: str, text: str, headers: dict[str, str] | None = None) -> str:
    """``To``, ``Subject`` (and any extra header), the plain-text part, then every link on a line of its own."""
    links = list(dict.fromkeys(URL.findall(text)))
    extra = [f"  {name}: {value}" for name, value in (headers or {}).items()]
    lines = [RULE, f"  E-MAIL   to {to}", f"  Subject  {subject}", *extra, RULE, text.rstrip()]
    if links:
        lines += ["", "  Links:"] + [f"  [{number}] {link}" for number, link in enumerate(links, start=1)]
    lines.append(RULE)
    return "\n" + "\n".join(lines) + "\n\n"


class PrintingMailer(Mailer):
    """Prints each e-mail in one write, so the threads' log lines never cut through it."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream
        self._lock = threading.Lock()

    def send(self, to: str, subject: str, text: str, html: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(email_block(to, subject, text, headers))
            stream.flush()
