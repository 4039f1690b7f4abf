"""The body of ``POST /leads/{id}/outcome``, checked at the edge (loaded on first use, not at cold start)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.costs import CURRENCIES
from chalicelib.domain.outcomes import MAX_REASON, MAX_VALUE


class OutcomeBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Literal["won", "lost", "disqualified"]
    value: Decimal | None = Field(default=None, ge=0, le=MAX_VALUE, decimal_places=2, allow_inf_nan=False)
    currency: str | None = None
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    at: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise PydanticCustomError("decimal_type", "value must be an amount such as 25000 or 25000.50")
        return value

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, currency: str | None) -> str | None:
        if currency is None:
            return None
        code = currency.strip().upper()
        if code not in CURRENCIES:
            raise PydanticCustomError("currency", "currency must be an ISO 4217 code such as DKK, EUR or USD")
        return code

    @field_validator("reason")
    @classmethod
    def _trimmed(cls, reason: str | None) -> str | None:
        return reason.strip() or None if reason is not None else None

    @field_validator("at")
    @classmethod
    def _a_time(cls, at: str | None) -> str | None:
        if at is None:
            return None
        from chalicelib.domain.clock import iso, parse_instant

        try:
            return iso(parse_instant(at))
        except ValueError as error:
            raise PydanticCustomError("datetime_parsing", "{problem}", {"problem": str(error)}) from None

    def moment(self) -> datetime | None:
        from chalicelib.domain.clock import parse_iso

        return parse_iso(self.at) if self.at is not None else None
