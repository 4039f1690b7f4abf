"""The one template layer: every page and e-mail people see, in Danish or English.

Templates live in ``chalicelib/templates`` (the demo website's in ``chalicelib/web``); the words in
``chalicelib/templates/messages/*.json``, one file per area, each holding ``{"en": {...}, "da": {...}}``.
HTML is autoescaped. Plain-text e-mails come from their own ``.txt`` templates, where every value is
folded onto one line, so a visitor's name cannot start a line of its own (a fake "Accept:" link).

Jinja2 is imported and the catalogue read on the first render, not at import: a cold start that
renders nothing pays nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
MESSAGES = TEMPLATES / "messages"
LANGUAGES = ("en", "da")
FALLBACK_LANGUAGE = "en"

# C0/C1 controls (CR, LF, tab, NEL...), Unicode line/paragraph separators and bidi overrides.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def language_of(language: str | None) -> str:
    """A language we have words for: the one asked for, else English."""
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def preferred_language(accept_language: str | None) -> str | None:
    """The language we have words for that a browser's ``Accept-Language`` ranks highest, if any."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def single_line(value: object) -> str:
    """Any run of control characters (CR, LF, ...) becomes one space: the text stays on its line."""
    return _CONTROLS.sub(" ", str(value))


def text(language: str | None, key: str, **values: Any) -> str:
    """The catalogue's words for ``key``, with ``{name}`` placeholders filled in."""
    return _catalogue()[language_of(language)][key].format(**values)


def has_text(key: str) -> bool:
    """Whether the catalogue has words for ``key`` (in every language: a test keeps them alike)."""
    return key in _catalogue()[FALLBACK_LANGUAGE]


def render_page(name: str, language: str | None, **context: Any) -> str:
    """The HTML page ``<name>.html`` (``demo/index`` for a demo website page)."""
    chosen = language_of(language)
    return _environment("html").get_template(f"{name}.html").render(
        language=chosen, t=partial(text, chosen), **context)


def render_email(name: str, language: str | None, **context: Any) -> Email:
    """An e-mail from ``emails/<name>.txt`` and ``emails/<name>.html``; its subject from the catalogue key
    ``email.<name>.subject``, on one line whatever the values hold."""
    chosen = language_of(language)
    subject = " ".join(single_line(text(chosen, f"email.{name}.subject", **context)).split())
    values = {"language": chosen, "t": partial(text, chosen), "subject": subject, **context}
    return Email(
        subject=subject,
        text=_environment("text").get_template(f"emails/{name}.txt").render(**values),
        html=_environment("html").get_template(f"emails/{name}.html").render(**values),
    )


def _finalize_text(value: Any) -> Any:
    return single_line(value) if isinstance(value, str) else value


@lru_cache(maxsize=2)
def _environment(kind: str) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    loader = FileSystemLoader([str(TEMPLATES), str(HERE / "web")])
    if kind == "html":
        return Environment(loader=loader, autoescape=True, undefined=StrictUndefined, auto_reload=False)
    return Environment(loader=loader, autoescape=False, undefined=StrictUndefined, auto_reload=False,
                       finalize=_finalize_text, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    words: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for path in sorted(MESSAGES.glob("*.json")):
        area = json.loads(path.read_text(encoding="utf-8"))
        for language in LANGUAGES:
            clash = words[language].keys() & area.get(language, {}).keys()
            if clash:
                raise ValueError(f"{path.name} repeats message keys {sorted(clash)}")
            words[language].update(area.get(language, {}))
    return words
