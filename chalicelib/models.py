"""Pydantic models at the edges: what the API accepts and what it answers.

The capture routes' input is checked in chalicelib.capture_schema instead, without pydantic's models.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

# The request-body helpers moved to chalicelib.bodies (no pydantic, for the capture path's cold start);
# the names stay importable from here for the modules that read them from models.
from chalicelib.bodies import MAX_JSON_DEPTH as MAX_JSON_DEPTH
from chalicelib.bodies import field_errors
from chalicelib.bodies import json_document as json_document
from chalicelib.bodies import json_object as json_object
from chalicelib.errors import InvalidInput

MAX_FORM_BYTES = 32 * 1024
MAX_EXTRA_FIELDS = 20

_TRUE = {"true", "on", "1", "yes", "ja"}
_FALSE = {"false", "off", "0", "no", "nej", ""}
_EXTRA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# Bounds for what a form may leave on a lead; past them a value is cut (and flagged), never the reason to refuse.
FORM_TEXT_BOUNDS = {"name": 200, "phone": 40, "company": 200, "message": 5000, "referred_by": 200}
MAX_EXTRA_VALUE = 500
MAX_FLAGGED = 50
MAX_FLAGGED_NAME = 64
MAX_FLAGGED_VALUE = 1000
_PHONE = re.compile(r"^[0-9+()\-. /]{3,40}$")
_FORM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_WEB_ADDRESS = re.compile(r"^https?://[^\s]+$")
CONTROL_FIELDS = frozenset({"_gotcha", "_next", "_error"})


class FormSubmission(BaseModel):
    """``POST /forms/{site}``: a contact form, from JSON or a plain HTML form.

    Only the e-mail decides whether a submission is a lead. Every other field that does not fit is kept
    as given where it can be (cut to its bound), or else set aside in ``flagged_values``, and its name is
    listed in ``fields_flagged``.
    """

    # Built on first use: its e-mail check loads email-validator, which a page view's cold start need not pay.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    email: EmailStr = Field(max_length=254)
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    message: str | None = None
    et_vid: str | None = None
    referred_by: str | None = None
    form: str = "contact"
    page_url: str | None = None
    consent: dict[str, bool] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    fields_flagged: list[str] = Field(default_factory=list)
    flagged_values: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_fields(cls, raw: dict[str, Any]) -> FormSubmission:
        """Sort a flat field map (JSON object or url-encoded form) into the model; refuse only a bad e-mail.

        ``consent_<purpose>`` fields become consent flags; ``_gotcha``, ``_next``, ``_error`` and ``_form``
        are control fields; any other lower-case field (``postcode``, ``product``) is kept in ``fields``.
        """
        sorter = _FieldSorter()
        for name, value in raw.items():
            sorter.take(name, value)
        data = {**sorter.data, "email": raw.get("email")}
        try:
            model = cls.model_validate(data)
        except ValidationError as error:
            given = raw.get("email")
            details = [{"field": "email", "message": "an e-mail address is required"}] if given is None or (
                isinstance(given, str) and not given.strip()) else [
                {**detail, "field": "email"} for detail in field_errors(error)]
            raise InvalidInput(f"email: {details[0]['message']}", field="email", details=details[:1]) from None
        return model


class _FieldSorter:
    """Puts each submitted field where it belongs, or flags it."""

    def __init__(self) -> None:
        self.consent: dict[str, bool] = {}
        self.extra: dict[str, str] = {}
        self.flagged: list[str] = []
        self.values: dict[str, str] = {}
        self.data: dict[str, Any] = {"consent": self.consent, "fields": self.extra, "fields_flagged": self.flagged,
                                     "flagged_values": self.values}

    def take(self, name: str, value: Any) -> None:
        if name == "email" or name in CONTROL_FIELDS:
            return
        if name in FORM_TEXT_BOUNDS:
            self._text(name, value)
        elif name in ("et_vid", "page_url", "_form", "form"):
            self._checked(name, value)
        elif name.startswith("consent_") and _EXTRA_NAME.match(name[len("consent_"):]):
            flag = _as_flag(value)
            if flag is None:
                self._flag(name, value)
            else:
                self.consent[name[len("consent_"):]] = flag
        elif _EXTRA_NAME.match(name) and name not in ("consent", "fields_flagged", "flagged_values"):
            self._extra(name, value)
        else:
            self._flag(name, value)

    def _text(self, name: str, value: Any) -> None:
        text = _text_of(value)
        if text is None:
            if value is not None:
                self._flag(name, value)
            return
        bound = FORM_TEXT_BOUNDS[name]
        if not text:
            return
        if len(text) > bound:
            self._flag(name, text)
        elif name == "phone" and not _PHONE.match(text):
            self._flag(name)  # kept as given: "ring efter kl. 16" is worth more than no number at all
        self.data[name] = text[:bound]

    def _checked(self, name: str, value: Any) -> None:
        text = _text_of(value)
        if not text:
            if value is not None and text is None:
                self._flag(name, value)
            return
        pattern = {"et_vid": _VISITOR_ID, "page_url": _WEB_ADDRESS}.get(name, _FORM_NAME)
        if pattern.match(text) and len(text) <= 2048:
            self.data["form" if name in ("_form", "form") else name] = text
        else:
            self._flag(name, text)

    def _extra(self, name: str, value: Any) -> None:
        text = _text_of(value)
        if text is None:
            if value is not None:
                self._flag(name, value)
            return
        if not text:
            return
        if len(self.extra) >= MAX_EXTRA_FIELDS:
            self._flag(name, text)
            return
        if len(text) > MAX_EXTRA_VALUE:
            self._flag(name, text)
        self.extra[name] = text[:MAX_EXTRA_VALUE]

    def _flag(self, name: str, value: Any = None) -> None:
        """Name the field; a value that is not kept where it belongs is set aside, both within bounds."""
        if len(self.flagged) >= MAX_FLAGGED:
            return
        name = _storable(name, MAX_FLAGGED_NAME)
        if name in self.flagged:
            return
        self.flagged.append(name)
        if value is not None and len(self.values) < MAX_EXTRA_FIELDS:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            self.values[name] = _storable(text, MAX_FLAGGED_VALUE)


def _text_of(value: Any) -> str | None:
    """A field's value as trimmed text: numbers and yes/no become text; lists, objects and null do not."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _storable(text: str, limit: int) -> str:
    """Cut to ``limit`` characters of valid UTF-8 (a lone surrogate cannot be stored)."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8")


def _as_flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None
