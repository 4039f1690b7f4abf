"""Campaign costs: what a tenant spent on each campaign, source and medium over a period, spread over its days.

A cost row is ``{campaign, source, medium, from, to, amount}``: an amount in the tenant's currency spent on one
campaign through one source and medium from the first day to the last day, both included. Its identity is the
campaign, source, medium and period, so sending a row again replaces the earlier one with the same identity;
rows of the same campaign with other periods stand beside it (and add up where they overlap). The campaign is
compared exactly as the capture keeps ``utm_campaign`` (trimmed, case kept); source and medium lower-cased, as
the capture keeps ``utm_source`` and ``utm_medium``.

Spreading by day. All arithmetic is in whole cents (integers), never floats. A row of ``C`` cents over ``n``
days has spent ``floor(C × k / n)`` cents by the end of its ``k``-th day; each day's cost is the difference
from the day before. So the days of a period sum exactly to its amount, two days of a row never differ by more
than one cent, the extra cents fall evenly through the period (the last day always carries one when the
amount does not divide), and the cost of any run of days is ``floor(C × last / n) − floor(C × (first − 1) / n)``:
within one cent of the exact pro-rata share, and computed without listing the days.
Example: 100.00 over 3 days is 33.33, 33.33, 33.34; 0.05 over 3 days is 0.01, 0.02, 0.02.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

DEFAULT_CURRENCY = "DKK"
MAX_DAYS = 366
MAX_ROWS = 5000
MAX_NAME = 200
# A bound well inside DynamoDB's and JSON's exact range; no campaign costs a trillion.
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
FIELDS = ("campaign", "source", "medium", "from", "to", "amount")

# ISO 4217 codes of the currencies in use (funds, metals and testing codes left out).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")


@dataclass(frozen=True)
class CostRow:
    campaign: str
    source: str
    medium: str
    start: date
    end: date
    amount: Decimal
    # When the stored row last changed; not part of what the row says.
    updated_at: str | None = field(default=None, compare=False)

    @property
    def identity(self) -> tuple[str, str, str, date, date]:
        return self.campaign, self.source, self.medium, self.start, self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def cents(self) -> int:
        return int(self.amount * 100)

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "source": self.source, "medium": self.medium,
                "from": self.start.isoformat(), "to": self.end.isoformat(), "amount": money(self.amount)}


@dataclass(frozen=True)
class CostBook:
    """A tenant's costs: the currency every amount is in (None before the first costs) and the rows."""

    currency: str | None
    rows: tuple[CostRow, ...] = ()


def money(amount: Decimal) -> str:
    """An amount as text with two decimals: exact, and the same however it was sent."""
    return f"{amount.quantize(CENT):f}"


# --- reading a row ------------------------------------------------------------------------------------------


def currency_problem(value: Any) -> str | None:
    if not isinstance(value, str) or value.strip().upper() not in CURRENCIES:
        return "currency must be an ISO 4217 code such as DKK, EUR or USD"
    return None


def read_row(raw: Mapping[str, Any], currency: str, decimal_comma: bool = False
             ) -> tuple[CostRow | None, list[tuple[str, str]]]:
    """A row as sent (JSON values or CSV cells), or every problem with it as (field, message).

    ``decimal_comma``: the amount may be written ``1234,50`` (a ``;``-separated spreadsheet export).
    """
    problems: list[tuple[str, str]] = []
    names = {name: _name(raw.get(name), name, problems) for name in ("campaign", "source", "medium")}
    start = _day(raw.get("from"), "from", problems)
    end = _day(raw.get("to"), "to", problems)
    amount = _amount(raw.get("amount"), decimal_comma, problems)
    sent_currency = raw.get("currency")
    if sent_currency not in (None, ""):
        if currency_problem(sent_currency):
            problems.append(("currency", currency_problem(sent_currency) or ""))
        elif str(sent_currency).strip().upper() != currency:
            problems.append(("currency", f"costs are kept in {currency}: send this row's amount in {currency}"))
    if start and end:
        if start > end:
            problems.append(("to", "to must not be before from"))
        elif (end - start).days + 1 > MAX_DAYS:
            problems.append(("to", f"a row may cover at most {MAX_DAYS} days; split a longer period into rows"))
    if problems or start is None or end is None or amount is None:
        return None, problems
    row = CostRow(campaign=names["campaign"] or "", source=(names["source"] or "").lower(),
                  medium=(names["medium"] or "").lower(), start=start, end=end, amount=amount)
    return row, []


def _name(value: Any, name: str, problems: list[tuple[str, str]]) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    if not text:
        problems.append((name, f"{name} is required (as in utm_{name})"))
        return None
    if len(text) > MAX_NAME or not text.isprintable():
        problems.append((name, f"{name} must be at most {MAX_NAME} characters on one line"))
        return None
    return text


def parse_day(value: Any) -> date | None:
    """A calendar day written YYYY-MM-DD (and nothing else ISO 8601 allows), or None."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        return date.fromisoformat(text) if _DAY.match(text) else None
    except ValueError:
        return None


def _day(value: Any, name: str, problems: list[tuple[str, str]]) -> date | None:
    day = parse_day(value)
    if day is None:
        problems.append((name, f"{name} must be a date as YYYY-MM-DD"))
    return day


def _amount(value: Any, decimal_comma: bool, problems: list[tuple[str, str]]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        problems.append(("amount", "amount is required: a number such as 1234.50"))
        return None
    text = (repr(value) if isinstance(value, float) else str(value)).strip().replace(" ", "")
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    if text.startswith("-"):
        problems.append(("amount", "amount must not be negative"))
        return None
    try:
        amount = Decimal(text) if _AMOUNT.match(text) or isinstance(value, int | float | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        separators = " (with a decimal comma when the separator is ;)" if decimal_comma else ""
        problems.append(("amount", f"amount must be a number such as 1234.50{separators}, "
                                   "without thousands separators or a currency"))
        return None
    if amount < 0:
        problems.append(("amount", "amount must not be negative"))
        return None
    if amount > MAX_AMOUNT:
        problems.append(("amount", f"amount must be at most {money(MAX_AMOUNT)}"))
        return None
    if amount != amount.quantize(CENT):
        problems.append(("amount", "amount may have at most 2 decimals (write it without thousands separators)"))
        return None
    return amount.quantize(CENT)


# --- spreading over days ------------------------------------------------------------------------------------


def _spent_by(row: CostRow, days: int) -> int:
    """Cents spent by the end of the row's ``days``-th day (0 before the first)."""
    return row.cents * days // row.days


def daily_costs(row: CostRow) -> Iterator[tuple[date, Decimal]]:
    """Each day of the row's period with its share of the amount (the module's rule); they sum to the amount."""
    for day in range(1, row.days + 1):
        cents = _spent_by(row, day) - _spent_by(row, day - 1)
        yield row.start + timedelta(days=day - 1), Decimal(cents) / 100


def cost_in_range(row: CostRow, start: date, end: date) -> Decimal | None:
    """The row's cost on the days from ``start`` to ``end`` (both included); None when no day is shared."""
    first, last = max(start, row.start), min(end, row.end)
    if first > last:
        return None
    cents = _spent_by(row, (last - row.start).days + 1) - _spent_by(row, (first - row.start).days)
    return Decimal(cents) / 100


def by_campaign(row: CostRow) -> str:
    return row.campaign


def channel_of(row: CostRow) -> str:
    """The channel the capture would give a visit with the row's source and medium (see ``attribution``)."""
    from chalicelib.domain.attribution import Landing, touch_of

    query = urlencode({"utm_source": row.source, "utm_medium": row.medium})
    return touch_of(Landing(f"https://costs.invalid/?{query}")).channel


def costs_by(rows: Iterable[CostRow], start: date, end: date,
             group: Callable[[CostRow], str] = by_campaign) -> dict[str, Decimal]:
    """Cost per group (campaign by default, or ``channel_of``) on the days from ``start`` to ``end``.

    Groups with a row in the range are listed, with 0.00 when their rows there cost nothing. Each row is
    spread on its own, so a group's cost is exactly the sum of its rows' shares.
    """
    totals: dict[str, Decimal] = {}
    for row in rows:
        share = cost_in_range(row, start, end)
        if share is not None:
            key = group(row)
            totals[key] = (totals.get(key, Decimal(0)) + share).quantize(CENT)
    return dict(sorted(totals.items()))
