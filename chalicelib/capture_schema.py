"""What the capture routes accept (``POST /collect``, ``GET /t.gif``), checked by pydantic's own engine.

The schemas are pydantic-core's, the engine pydantic v2 validates with, so the constraints, the error
messages and the field paths are the ones a pydantic model of the same fields gives. Pydantic's Python
layer (model classes, schema generation) is left out: a page view's cold start would pay tens of
milliseconds of CPU to build models it does not need. Each check gives back a small frozen dataclass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from pydantic_core import SchemaValidator
from pydantic_core import core_schema as schema

MAX_EVENTS_PER_BATCH = 25
MAX_COLLECT_BYTES = 16 * 1024
MAX_TITLE = 300

SITE_KEY = r"^[a-z0-9][a-z0-9_-]{0,63}$"
VISITOR_ID = r"^[A-Za-z0-9_-]{8,64}$"
EVENT_ID = r"^[A-Za-z0-9_-]{1,64}$"
WEB_ADDRESS = r"^https?://[^\s]+$"
MAX_URL = 2048
EVENT_TYPES = ("pageview", "email_open")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$")

EventType = Literal["pageview", "email_open"]


def _short_title(value: str | None) -> str | None:
    # A long title is the site's business, not a reason to lose the page view.
    return value[:MAX_TITLE] if value else value


def _number_or_iso(value: int | float | str | None) -> int | float | str | None:
    if isinstance(value, str) and not _ISO_TIME.match(value):
        raise ValueError("ts must be epoch milliseconds or an ISO-8601 time")
    return value


def _optional(inner: schema.CoreSchema, default: Any = None) -> schema.ModelField:
    return schema.model_field(schema.with_default_schema(schema.nullable_schema(inner), default=default))


def _validator(cls: type, fields: dict[str, schema.ModelField]) -> SchemaValidator:
    """Unknown properties (a newer tracker's) are ignored; the class name is the one errors mention."""
    name = cls.__name__
    return SchemaValidator(schema.model_schema(
        cls, schema.model_fields_schema(fields, model_name=name),
        config=schema.CoreConfig(title=name, extra_fields_behavior="ignore"),
    ))


@dataclass(frozen=True)
class CollectBatch:
    """``POST /collect``: the envelope. Events are checked one by one, so one bad event rejects only itself."""

    site: str
    vid: str
    events: list[Any]

    @classmethod
    def model_validate(cls, data: Any) -> CollectBatch:
        """The batch, or a ``pydantic_core.ValidationError`` naming each bad field."""
        return cast(CollectBatch, _COLLECT_BATCH.validate_python(data))


@dataclass(frozen=True)
class CollectedEvent:
    """One event of a batch."""

    type: EventType
    url: str
    ref: str | None = None
    title: str | None = None
    ts: int | float | str | None = None
    id: str | None = None

    @classmethod
    def model_validate(cls, data: Any) -> CollectedEvent:
        """The event, or a ``pydantic_core.ValidationError`` naming each bad field."""
        return cast(CollectedEvent, _COLLECTED_EVENT.validate_python(data))


@dataclass(frozen=True)
class PixelQuery:
    """``GET /t.gif``: the same event, carried in a query string."""

    site: str
    url: str
    vid: str | None = None
    e: EventType = "pageview"
    ref: str | None = None
    title: str | None = None
    ts: str | None = None
    id: str | None = None

    @classmethod
    def model_validate(cls, data: Any) -> PixelQuery:
        """The query, or a ``pydantic_core.ValidationError`` naming each bad field."""
        return cast(PixelQuery, _PIXEL_QUERY.validate_python(data))


_COLLECT_BATCH = _validator(CollectBatch, {
    "site": schema.model_field(schema.str_schema(pattern=SITE_KEY)),
    "vid": schema.model_field(schema.str_schema(pattern=VISITOR_ID)),
    "events": schema.model_field(schema.list_schema(schema.any_schema(), min_length=1)),
})

_COLLECTED_EVENT = _validator(CollectedEvent, {
    "type": schema.model_field(schema.literal_schema(list(EVENT_TYPES))),
    "url": schema.model_field(schema.str_schema(max_length=MAX_URL, pattern=WEB_ADDRESS)),
    "ref": _optional(schema.str_schema(max_length=MAX_URL)),
    "title": schema.model_field(schema.with_default_schema(schema.no_info_after_validator_function(
        _short_title, schema.nullable_schema(schema.str_schema())), default=None)),
    "ts": schema.model_field(schema.with_default_schema(schema.no_info_after_validator_function(
        _number_or_iso, schema.nullable_schema(schema.union_schema(
            [schema.int_schema(), schema.float_schema(), schema.str_schema()]))), default=None)),
    "id": _optional(schema.str_schema(pattern=EVENT_ID)),
})

_PIXEL_QUERY = _validator(PixelQuery, {
    "site": schema.model_field(schema.str_schema(pattern=SITE_KEY)),
    "vid": _optional(schema.str_schema(pattern=VISITOR_ID)),
    "e": schema.model_field(schema.with_default_schema(schema.literal_schema(list(EVENT_TYPES)), default="pageview")),
    "url": schema.model_field(schema.str_schema(max_length=MAX_URL, pattern=WEB_ADDRESS)),
    "ref": _optional(schema.str_schema(max_length=MAX_URL)),
    "title": _optional(schema.str_schema()),
    "ts": _optional(schema.str_schema()),
    "id": _optional(schema.str_schema(pattern=EVENT_ID)),
})
