"""Query strings of the read API (``GET /leads``, a lead's timeline), checked at the edge."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from chalicelib.domain.clock import MAX_INSTANT_TEXT, iso, parse_instant


class LeadQuery(BaseModel):
    """``GET /leads``: by e-mail, or by stage since a time, a page at a time."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailStr | None = None
    stage: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    since: str | None = Field(default=None, max_length=MAX_INSTANT_TEXT)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)

    @field_validator("since")
    @classmethod
    def _real_instant(cls, value: str | None) -> str | None:
        # Normalised to the stored form (UTC, milliseconds, Z), so it compares with stored times as text.
        return iso(parse_instant(value)) if value is not None else None


class TimelineQuery(BaseModel):
    """``GET /leads/{id}/timeline``: the next page of a lead's timeline."""

    model_config = ConfigDict(extra="forbid")

    cursor: str = Field(min_length=1, max_length=4096)
    limit: int = Field(default=500, ge=1, le=1000)
