"""Pydantic models at the edges: what the API accepts and what it answers."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationError, field_validator

from chalicelib.errors import InvalidInput, MalformedInput

MAX_EVENTS_PER_BATCH = 25
MAX_COLLECT_BYTES = 16 * 1024
MAX_FORM_BYTES = 32 * 1024
MAX_EXTRA_FIELDS = 20

SiteKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
VisitorId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
HttpUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s]+$")]

_TRUE = {"true", "on", "1", "yes", "ja"}
_FALSE = {"false", "off", "0", "no", "nej", ""}
_EXTRA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_JSON_DEPTH = 32
_JSON_SYNTAX = re.compile(r'[\[\]{}"\\]')


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than allowed, outside strings: one linear pass, no recursion."""
    depth = 0
    in_string = False
    skip_to = 0
    for token in _JSON_SYNTAX.finditer(text):
        at, char = token.start(), token.group()
        if at < skip_to:
            continue
        if in_string:
            if char == "\\":
                skip_to = at + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_document(body: str | bytes) -> Any:
    """Any JSON value from a request body; nesting deeper than ``MAX_JSON_DEPTH`` is refused before parsing.

    The standard parser recurses once per level and fails with a RecursionError (not a ValueError) on a
    body such as ``[[[[...``, so the depth is checked first; either failure is a malformed body.
    """
    try:
        text = body.decode(json.detect_encoding(body)) if isinstance(body, bytes) else body
    except (UnicodeDecodeError, LookupError):
        raise MalformedInput("the body is not JSON", field="body") from None
    if _too_deep(text):
        raise MalformedInput(f"the body nests deeper than {MAX_JSON_DEPTH} levels", field="body")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedInput("the body is not JSON", field="body") from None


def json_object(text: str | bytes) -> dict[str, Any]:
    """A request body that must be one JSON object."""
    data = json_document(text)
    if not isinstance(data, dict):
        raise MalformedInput("the body must be a JSON object", field="body")
    return data


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """Pydantic's errors as ``[{"field": "events.0.url", "message": ...}]``."""
    details = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        details.append({"field": f"{prefix}{path}" if path else prefix.rstrip(".") or "body", "message": item["msg"]})
    return details


def invalid(error: ValidationError, prefix: str = "") -> InvalidInput:
    details = field_errors(error, prefix)
    first = details[0]
    return InvalidInput(f"{first['field']}: {first['message']}", field=first["field"], details=details)


class CollectBatch(BaseModel):
    """``POST /collect``: the envelope. Events are checked one by one, so one bad event rejects only itself."""

    model_config = ConfigDict(extra="ignore")

    site: SiteKey
    vid: VisitorId
    events: list[Any] = Field(min_length=1)


class CollectedEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["pageview", "email_open"]
    url: HttpUrl
    ref: str | None = Field(default=None, max_length=2048)
    title: str | None = None
    ts: int | float | str | None = None
    id: EventId | None = None

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: str | None) -> str | None:
        # A long title is the site's business, not a reason to lose the page view.
        return value[:300] if value else value

    @field_validator("ts")
    @classmethod
    def _number_or_iso(cls, value: int | float | str | None) -> int | float | str | None:
        if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$", value):
            raise ValueError("ts must be epoch milliseconds or an ISO-8601 time")
        return value


class PixelQuery(BaseModel):
    """``GET /t.gif``: the same event, carried in a query string."""

    model_config = ConfigDict(extra="ignore")

    site: SiteKey
    vid: VisitorId | None = None
    e: Literal["pageview", "email_open"] = "pageview"
    url: HttpUrl
    ref: str | None = Field(default=None, max_length=2048)
    title: str | None = None
    ts: str | None = None
    id: EventId | None = None


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
