"""Query strings of the read API (``GET /leads``, a lead's timeline), checked at the edge.

A refused query names each parameter at fault and says in plain words what it should be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator

from chalicelib.domain.clock import MAX_INSTANT_TEXT, iso, parse_instant
from chalicelib.errors import InvalidInput

SINCE_FORMAT = "since must be a date or time like 2026-11-25 or 2026-11-25T10:00:00Z"
MAX_Q = 200


class LeadQuery(BaseModel):
    """``GET /leads``: every lead, newest first; ``email``, ``stage``, ``since`` and ``q`` narrow it down."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailStr | None = None
    stage: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    since: str | None = Field(default=None, max_length=MAX_INSTANT_TEXT)
    q: str | None = Field(default=None, min_length=1, max_length=MAX_Q)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)

    @field_validator("since")
    @classmethod
    def _real_instant(cls, value: str | None) -> str | None:
        # Normalised to the stored form (UTC, milliseconds, Z), so it compares with stored times as text.
        return iso(parse_instant(value)) if value is not None else None

    @field_validator("q", mode="before")
    @classmethod
    def _empty_is_no_filter(cls, value: object) -> object:
        # ``?q=`` (a search box left empty) asks for no filter, not for an error.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("q")
    @classmethod
    def _words(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("q must be some text to look for, on one line")
        return value.strip() if value is not None else None


LEAD_QUERY_HINTS = {
    "email": "email must be an e-mail address like anne@firma.dk",
    "stage": "stage must be a stage name of the journey, like consideration",
    "since": SINCE_FORMAT,
    "q": f"q must be text to look for in name, company or e-mail, at most {MAX_Q} characters",
    "limit": "limit must be a whole number from 1 to 200",
    "cursor": "cursor must be the next_cursor of the previous page",
}


class TimelineQuery(BaseModel):
    """``GET /leads/{id}/timeline``: the next page of a lead's timeline."""

    model_config = ConfigDict(extra="forbid")

    cursor: str = Field(min_length=1, max_length=4096)
    limit: int = Field(default=500, ge=1, le=1000)


TIMELINE_QUERY_HINTS = {
    "cursor": "cursor must be the timeline_next_cursor or next_cursor handed out with the previous page",
    "limit": "limit must be a whole number from 1 to 1000",
}


def lead_query(params: Mapping[str, str] | None) -> LeadQuery:
    """``GET /leads``'s parameters, or ``InvalidInput`` naming every parameter at fault."""
    return _parsed(LeadQuery, LEAD_QUERY_HINTS, params)


def timeline_query(params: Mapping[str, str] | None) -> TimelineQuery:
    """A timeline page's parameters, or ``InvalidInput`` naming every parameter at fault."""
    return _parsed(TimelineQuery, TIMELINE_QUERY_HINTS, params)


Query = TypeVar("Query", bound=BaseModel)


def _parsed(model: type[Query], hints: dict[str, str], params: Mapping[str, str] | None) -> Query:
    """The parameters as ``model``; otherwise every problem in one answer, unknown names first."""
    given = dict(params or {})
    known = ", ".join(hints)
    details = [{"field": name, "message": f"{name} is not a parameter here; use {known}"}
               for name in given if name not in model.model_fields]
    try:
        query = model.model_validate({name: value for name, value in given.items() if name in model.model_fields})
    except ValidationError as error:
        named = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        details += [{"field": name, "message": hint} for name, hint in hints.items() if name in named]
    if details:
        first = details[0]
        raise InvalidInput(first["message"], field=first["field"], details=details)
    return query
