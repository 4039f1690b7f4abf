"""Campaign costs as pure rules: reading a row, spreading an amount over its days, cost per campaign and channel."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.costs import (
    CostRow,
    channel_of,
    cost_in_range,
    costs_by,
    daily_costs,
    parse_day,
    read_row,
)


def _row(amount: str, start: str = "2026-11-01", end: str = "2026-11-03", campaign: str = "vinter",
         source: str = "google", medium: str = "cpc") -> CostRow:
    return CostRow(campaign, source, medium, date.fromisoformat(start), date.fromisoformat(end), Decimal(amount))


def _days(row: CostRow) -> list[str]:
    return [f"{amount:.2f}" for _, amount in daily_costs(row)]


def _read(*, decimal_comma: bool = False, **values: Any) -> tuple[CostRow | None, dict[str, str]]:
    raw = {"campaign": "vinter", "source": "google", "medium": "cpc", "from": "2026-11-01", "to": "2026-11-30",
           "amount": "1000", **values}
    row, problems = read_row(raw, "DKK", decimal_comma)
    return row, dict(problems)


# --- spreading by day: hand-computed ---------------------------------------------------------------------------


def test_100_kroner_over_three_days_puts_the_odd_cent_on_the_last_day():
    assert _days(_row("100.00")) == ["33.33", "33.33", "33.34"]


def test_five_oere_over_three_days_is_one_two_two():
    # floor(5*1/3)=1, floor(5*2/3)=3, floor(5*3/3)=5: the differences are 1, 2, 2 cents.
    assert _days(_row("0.05")) == ["0.01", "0.02", "0.02"]


def test_an_amount_that_divides_is_the_same_every_day():
    assert _days(_row("90.00")) == ["30.00", "30.00", "30.00"]


def test_one_cent_over_a_week_falls_on_the_last_day():
    assert _days(_row("0.01", end="2026-11-07")) == ["0.00"] * 6 + ["0.01"]


def test_extra_cents_fall_evenly_through_the_period():
    # 10.04 over 6 days: 1004 cents; by day k floor(1004k/6) = 167, 334, 502, 669, 836, 1004.
    assert _days(_row("10.04", end="2026-11-06")) == ["1.67", "1.67", "1.68", "1.67", "1.67", "1.68"]


def test_a_single_day_carries_the_whole_amount():
    assert _days(_row("1234.56", end="2026-11-01")) == ["1234.56"]


def test_november_at_30000_kroner_costs_1000_a_day_and_a_week_of_it_7000():
    row = _row("30000.00", end="2026-11-30")
    assert cost_in_range(row, date(2026, 11, 10), date(2026, 11, 16)) == Decimal("7000.00")


def test_a_range_cuts_a_row_by_its_shared_days_only():
    row = _row("100.00")  # 33.33, 33.33, 33.34 on 1, 2, 3 November
    assert cost_in_range(row, date(2026, 10, 1), date(2026, 11, 1)) == Decimal("33.33")
    assert cost_in_range(row, date(2026, 11, 2), date(2026, 12, 31)) == Decimal("66.67")
    assert cost_in_range(row, date(2026, 11, 4), date(2026, 11, 30)) is None
    assert cost_in_range(row, date(2026, 10, 1), date(2026, 10, 31)) is None


@given(cents=st.integers(min_value=0, max_value=99_999_999_999_999), days=st.integers(min_value=1, max_value=366))
def test_the_days_of_any_row_sum_exactly_to_its_amount_and_differ_by_at_most_a_cent(cents: int, days: int):
    row = _row(str(Decimal(cents) / 100), end=(date(2026, 1, 1) + timedelta(days=days - 1)).isoformat(),
               start="2026-01-01")
    shares = [amount for _, amount in daily_costs(row)]
    assert len(shares) == days
    assert sum(shares) == row.amount
    assert max(shares) - min(shares) <= Decimal("0.01")


@given(cents=st.integers(min_value=0, max_value=10_000_000), days=st.integers(min_value=1, max_value=60),
       cut=st.integers(min_value=0, max_value=59))
def test_a_range_costs_what_its_days_cost(cents: int, days: int, cut: int):
    row = _row(str(Decimal(cents) / 100), start="2026-03-01",
               end=(date(2026, 3, 1) + timedelta(days=days - 1)).isoformat())
    split = date(2026, 3, 1) + timedelta(days=min(cut, days - 1))
    before = cost_in_range(row, date(2026, 1, 1), split) or Decimal(0)
    after = cost_in_range(row, split + timedelta(days=1), date(2026, 12, 31)) or Decimal(0)
    assert before + after == row.amount
    assert before == sum(amount for day, amount in daily_costs(row) if day <= split)


# --- per campaign and per channel ------------------------------------------------------------------------------


def test_cost_per_campaign_adds_each_rows_share_of_the_range():
    rows = [
        _row("3000.00", "2026-11-01", "2026-11-30", campaign="vinter"),           # 100 a day
        _row("700.00", "2026-11-10", "2026-11-16", campaign="vinter", source="facebook", medium="paid_social"),
        _row("310.00", "2026-10-01", "2026-10-31", campaign="efteraar"),           # 10 a day, 5 days in range
        _row("50.00", "2026-12-01", "2026-12-31", campaign="jul"),                 # outside the range
    ]
    assert costs_by(rows, date(2026, 10, 27), date(2026, 11, 12)) == {
        "efteraar": Decimal("50.00"),
        "vinter": Decimal("1500.00"),  # 12 days of 100 + 3 days of 100
    }


def test_a_free_campaign_in_range_is_listed_at_zero():
    assert costs_by([_row("0.00", campaign="gratis")], date(2026, 11, 1), date(2026, 11, 1)) == {
        "gratis": Decimal("0.00")}


def test_cost_per_channel_follows_the_captures_channel_rules():
    rows = [_row("30.00", source="google", medium="cpc"), _row("60.00", source="facebook", medium="paid"),
            _row("9.00", source="nyhedsbrev", medium="email")]
    assert [channel_of(row) for row in rows] == ["paid_search", "paid_social", "email"]
    assert costs_by(rows, date(2026, 11, 1), date(2026, 11, 1), channel_of) == {
        "email": Decimal("3.00"), "paid_search": Decimal("10.00"), "paid_social": Decimal("20.00")}


# --- reading a row ---------------------------------------------------------------------------------------------


def test_a_row_is_read_with_source_and_medium_lower_cased_and_the_campaign_as_sent():
    row, problems = _read(campaign=" Vinter-2026 ", source="Google", medium="CPC", amount=1234.5)
    assert problems == {}
    assert row == CostRow("Vinter-2026", "google", "cpc", date(2026, 11, 1), date(2026, 11, 30), Decimal("1234.50"))


@pytest.mark.parametrize(("amount", "decimal_comma", "expected"), [
    ("1234.50", False, "1234.50"), (1234, False, "1234.00"), ("0", False, "0.00"), ("1234,50", True, "1234.50"),
    ("1 234,50", True, "1234.50"), (0.1, False, "0.10"), ("999999999999.99", False, "999999999999.99"),
])
def test_amounts_are_exact_decimals(amount: Any, decimal_comma: bool, expected: str):
    row, problems = _read(decimal_comma=decimal_comma, amount=amount)
    assert problems == {} and row is not None and f"{row.amount:f}" == expected


@pytest.mark.parametrize(("amount", "decimal_comma", "says"), [
    ("-5", False, "negative"), (-0.5, False, "negative"), ("12.345", False, "at most 2 decimals"),
    ("1.234,50", True, "thousands separators"), ("1234,50", False, "number"), ("12 kr", False, "number"),
    ("", False, "number"), (None, False, "required"), (True, False, "required"), (float("nan"), False, "number"),
    (float("inf"), False, "number"), ("1e3", False, "number"), (1e40, False, "at most 999999999999.99"),
    ("1000000000000", False, "at most"), ([], False, "required"),
])
def test_a_bad_amount_is_named(amount: Any, decimal_comma: bool, says: str):
    row, problems = _read(decimal_comma=decimal_comma, amount=amount)
    assert row is None and says in problems["amount"]


def test_dates_must_be_days_in_order_and_a_row_at_most_366_days():
    def problems(start: str, end: str = "2026-11-30") -> dict[str, str]:
        dates: dict[str, Any] = {"from": start, "to": end}
        return _read(**dates)[1]

    assert problems("2026-11-31") == {"from": "from must be a date as YYYY-MM-DD"}
    assert "from" in problems("1/11/2026")
    assert "to" in problems("2026-11-01", "2026-W01-1")
    assert problems("2026-12-01") == {"to": "to must not be before from"}
    assert problems("2024-01-01", "2024-12-31") == {}  # a leap year: 366 days
    assert "at most 366 days" in problems("2025-01-01", "2026-01-02")["to"]


def test_every_problem_of_a_row_is_named_at_once():
    row, problems = _read(campaign="", source=" ", medium="x" * 201, amount="-1", to="soon")
    assert row is None
    assert set(problems) == {"campaign", "source", "medium", "amount", "to"}


def test_a_row_in_another_currency_is_refused_and_in_the_same_one_taken():
    assert "kept in DKK" in _read(currency="EUR")[1]["currency"]
    assert "ISO 4217" in _read(currency="kr")[1]["currency"]
    assert _read(currency="dkk")[1] == {}


def test_parse_day_takes_only_year_month_day():
    assert parse_day("2026-02-28") == date(2026, 2, 28)
    assert [parse_day(text) for text in ("2026-02-29", "20260228", "2026-2-28", None, "")] == [None] * 5
