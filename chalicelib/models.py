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


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class FormSubmission(BaseModel):
    """``POST /forms/{site}``: a contact form, from JSON or a plain HTML form."""

    # Built on first use: its e-mail check loads email-validator, which a page view's cold start need not pay.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    email: EmailStr = Field(max_length=254)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+()\-. /]{3,40}$")
    company: str | None = Field(default=None, max_length=200)
    message: str | None = Field(default=None, max_length=5000)
    et_vid: VisitorId | None = None
    referred_by: str | None = Field(default=None, max_length=200)
    form: str = Field(default="contact", max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    page_url: HttpUrl | None = None
    consent: dict[str, bool] = Field(default_factory=dict)
    fields: dict[str, Annotated[str, StringConstraints(max_length=500)]] = Field(default_factory=dict)
    gotcha: str | None = None
    next: str | None = Field(default=None, max_length=2048)

    @field_validator("name", "phone", "company", "message", "et_vid", "referred_by", "page_url", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @classmethod
    def from_fields(cls, raw: dict[str, Any]) -> FormSubmission:
        """Sort a flat field map (JSON object or url-encoded form) into the model.

        ``consent_<purpose>`` fields become consent flags; ``_gotcha``, ``_next`` and ``_form`` are
        control fields; any other lower-case field (``postcode``, ``product``) is kept in ``fields``.
        """
        known = set(cls.model_fields) - {"consent", "fields", "gotcha", "next"}
        data: dict[str, Any] = {"consent": {}, "fields": {}}
        errors: list[dict[str, Any]] = []
        for name, value in raw.items():
            if name in known:
                data[name] = value
            elif name in ("_gotcha", "_next", "_form"):
                data[{"_gotcha": "gotcha", "_next": "next", "_form": "form"}[name]] = value
            elif name.startswith("consent_") and _EXTRA_NAME.match(name[len("consent_"):]):
                flag = _as_flag(value)
                if flag is None:
                    errors.append({"field": name, "message": "must be true or false"})
                else:
                    data["consent"][name[len("consent_"):]] = flag
            elif _EXTRA_NAME.match(name):
                if not isinstance(value, str | int | float) or isinstance(value, bool):
                    errors.append({"field": name, "message": "must be text"})
                elif str(value).strip():
                    data["fields"][name] = str(value).strip()
            else:
                errors.append({"field": name, "message": "unknown field name: use lower-case letters, digits, _"})
        if len(data["fields"]) > MAX_EXTRA_FIELDS:
            errors.append({"field": "fields", "message": f"at most {MAX_EXTRA_FIELDS} extra fields"})
        try:
            model = cls.model_validate(data)
        except ValidationError as error:
            errors.extend(_renamed(field_errors(error)))
        if errors:
            first = errors[0]
            raise InvalidInput(f"{first['field']}: {first['message']}", field=first["field"], details=errors)
        return model


def _renamed(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {"gotcha": "_gotcha", "next": "_next", "form": "_form"}
    out = []
    for detail in details:
        head, _, rest = detail["field"].partition(".")
        if head == "consent":
            field = f"consent_{rest}"
        elif head == "fields":
            field = rest or "fields"
        else:
            field = names.get(head, head)
        out.append({**detail, "field": field})
    return out


def _as_flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None
