"""What reseller routes take, checked at the edge (loaded on first use): a reseller's definition, a deal registration,
a consent record and a bulk sales report."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.costs import CURRENCIES
from chalicelib.domain.outcomes import MAX_REASON, MAX_VALUE
from chalicelib.domain.resellers import PostcodeRange

ResellerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_SALES_ROWS = 1000
HASH_PATTERN = r"^[0-9a-f]{64}$"


def email_address(value: str) -> str:
    """An address as email-validator normalises it, lower case (people and inboxes are owners by address)."""
    from email_validator import EmailNotValidError, validate_email

    if not value.isprintable() or len(value) > 254:
        raise PydanticCustomError("email", "give an e-mail address on one line, such as salg@forhandler.dk")
    try:
        return str(validate_email(value, check_deliverability=False).normalized).lower()
    except EmailNotValidError as error:
        raise PydanticCustomError("email", "not an e-mail address: {problem}", {"problem": str(error)}) from None


Address = Annotated[str, AfterValidator(email_address)]


class _Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResellerBody(_Edge):
    reseller_id: ResellerId
    name: Text
    language: Literal["da", "en"] = "da"
    contacts: list[Address] = Field(default_factory=list, max_length=50)
    inbox: str | None = None
    manager: str | None = None
    regions: list[Annotated[str, StringConstraints(max_length=30)]] = Field(default_factory=list, max_length=200)
    products: list[Text] = Field(default_factory=list, max_length=100)
    calendar: ResellerId | None = None
    active: bool = True

    @field_validator("contacts")
    @classmethod
    def _unique(cls, contacts: list[str]) -> list[str]:
        if len(set(contacts)) != len(contacts):
            raise PydanticCustomError("unique", "each contact may appear once")
        return contacts

    @field_validator("inbox", "manager")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return email_address(value) if value is not None else None

    @field_validator("regions")
    @classmethod
    def _ranges(cls, regions: list[str]) -> list[str]:
        try:
            return [str(PostcodeRange.parse(region)) for region in regions]
        except ValueError as error:
            raise PydanticCustomError("postcode_range", "{problem}", {"problem": str(error)}) from None

    @model_validator(mode="after")
    def _someone_to_hand_to(self) -> ResellerBody:
        if not self.contacts and not self.inbox:
            raise PydanticCustomError("people", "give the reseller's contacts (its people) or its lead inbox")
        return self


class ConsentBody(_Edge):
    purpose: Literal["share_with_producer"] = "share_with_producer"
    granted: bool
    source: Text
    at: str | None = None


class RegistrationBody(_Edge):
    """A deal a reseller found itself: the end customer, and optionally the consent it gave the reseller."""

    email: str
    name: Text | None = None
    company: Text | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    product: Text | None = None
    consent: ConsentBody | None = None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        return email_address(value)


class SaleRow(_Edge):
    """One closed sale: the customer by e-mail or by its keyed hash, won (with value) or lost (with a reason)."""

    email: str | None = None
    email_hash: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=HASH_PATTERN)] | None \
        = None
    outcome: Literal["won", "lost"]
    value: Decimal | None = Field(default=None, ge=0, le=MAX_VALUE, decimal_places=2, allow_inf_nan=False)
    currency: str | None = None
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] | None = None
    at: str | None = None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return email_address(value) if value else None

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, currency: str | None) -> str | None:
        if not currency:
            return None
        code = currency.strip().upper()
        if code not in CURRENCIES:
            raise PydanticCustomError("currency", "currency must be an ISO 4217 code such as DKK, EUR or USD")
        return code

    @field_validator("at")
    @classmethod
    def _a_time(cls, at: str | None) -> str | None:
        if not at:
            return None
        from chalicelib.domain.clock import iso, parse_instant

        try:
            return iso(parse_instant(at))
        except ValueError as error:
            raise PydanticCustomError("datetime_parsing", "{problem}", {"problem": str(error)}) from None

    @model_validator(mode="after")
    def _one_customer(self) -> SaleRow:
        if (self.email is None) == (self.email_hash is None):
            raise PydanticCustomError("customer", "give exactly one of email or email_hash")
        return self


class SalesBody(_Edge):
    sales: list[SaleRow] = Field(min_length=1, max_length=MAX_SALES_ROWS)
