"""Attribution models: how a lead, and the revenue it brings, is credited to the touches before it converted.

A lead's *touchpoints* are its landings (``attribution.touch_of`` decides each one's channel, source, medium and
campaign) with the time and the landing page. At the *conversion* (the moment the report counts: the form
submission for leads, the won outcome for revenue) each touchpoint gets a *share*, a ``Fraction`` between 0 and 1.
The shares of one lead always add up to exactly 1: a lead is one lead, and its revenue is split without a cent
appearing or vanishing. Which touchpoints count, oldest first:

* touchpoints after the conversion are ignored; one at the very instant of the conversion counts;
* touchpoints at the same time keep the order they were given in (the sort is stable);
* a lead with no touchpoint (or only later ones) gives its whole credit to the *no-touch bucket*: a direct touch
  (channel ``direct``, source ``(direct)``, medium ``(none)``, no campaign, no landing page) at the conversion time.
  Grouped by campaign, source or landing page it falls in the ``(none)`` group, by channel in ``direct``.

The models, for touchpoints t1 … tn in time order:

``first_touch``
    t1 gets 1, even when it was direct (a visitor typing the address is where the journey began).
``last_touch``
    The last touchpoint that was not direct gets 1 (GA4's last non-direct click: a visitor who clicked an ad and
    came back by typing the address was brought by the ad). Every touchpoint direct: the last one gets 1.
``linear``
    Each gets 1/n.
``position_based``
    40/20/40: t1 gets 2/5, tn gets 2/5, and t2 … t(n-1) share the remaining 1/5 equally, 1/(5(n-2)) each.
    One touchpoint gets 1; two get 1/2 each (there is no middle, so first and last split it).
``time_decay``
    A touchpoint d before the conversion weighs 2^(-d / 7 days) (a 7-day half-life): one at the conversion weighs 1,
    one 7 days before 1/2, one 14 days before 1/4. Each share is its weight over the sum of the weights.

Exactness. Every share except time decay's is an exact ``Fraction``. Time decay's weights are irrational in general,
so its shares are *rounded to multiples of 10^-12 by largest remainder*: each exact share w_i / Σw is cut down to
a whole number of 10^-12 units, and the units still missing to make 1 (fewer than n) go one each to the
touchpoints with the largest remainders, ties to the later (more recent) touchpoint. The weight itself is exact for
whole half-lives (2^-k); the fraction of a half-life is computed in double precision (~10^-16, far below the
10^-12 unit). Fixed denominators also keep the sums of many leads' shares cheap: a report adds up 100,000 leads.

Worked example. Visitor Mette saw a Google ad (paid_search, campaign ``spring``) on 1 March 12:00, read the
newsletter (email) on 8 March 12:00, typed the address (direct) on 15 March 12:00 and submitted the form then,
with a deal later won at 30,000 kr.:

=================  =================  ===========  ========  ==============  ======================
model              paid_search        email        direct    revenue to ad   why
=================  =================  ===========  ========  ==============  ======================
first_touch        1                  0            0         30,000          first
last_touch         0                  1            0         0               last non-direct
linear             1/3                1/3          1/3       10,000          30,000 / 3
position_based     2/5                1/5          2/5       12,000          40 % first
time_decay         1/7                2/7          4/7       4,285.71…       weights 1/4, 1/2, 1
=================  =================  ===========  ========  ==============  ======================

(time decay's 1/7, 2/7, 4/7 are stored as 0.142857142857, 0.285714285714, 0.571428571429.)

Grouping. ``credit_groups`` adds up many leads' shares by campaign, channel, source, medium or landing page: a
group's ``leads`` is the sum of its shares, its ``revenue`` the sum of value × share. Both are exact, so the
groups' totals are the number of leads and their total value. ``apportion`` rounds such exact amounts to money
(or to whole leads) by largest remainder, so the rounded groups still add up to the rounded total.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal, NamedTuple, get_args

from chalicelib.domain.attribution import DIRECT, Touch

Model = Literal["first_touch", "last_touch", "linear", "position_based", "time_decay"]
Grouping = Literal["campaign", "channel", "source", "medium", "landing_page"]
MODELS: tuple[str, ...] = get_args(Model)
GROUPINGS: tuple[str, ...] = get_args(Grouping)

NO_GROUP = "(none)"
HALF_LIFE = timedelta(days=7)
SHARE_UNIT = Fraction(1, 10**12)  # time decay's shares are whole multiples of this

_UNITS = 10**12
_MICROSECOND = timedelta(microseconds=1)
_HALF_LIFE_US = HALF_LIFE // _MICROSECOND
_ONE = Fraction(1)
_ZERO = Fraction(0)


class Touchpoint(NamedTuple):
    """One landing of a lead: when, where from (the touch) and on which page."""

    at: datetime
    touch: Touch
    landing_page: str | None = None


class Credit(NamedTuple):
    touchpoint: Touchpoint
    share: Fraction


class Conversion(NamedTuple):
    """One lead as a report credits it: its touchpoints, when it converted and what it was worth."""

    touchpoints: Sequence[Touchpoint]
    converted_at: datetime
    value: Decimal | int | Fraction = 0


class GroupCredit(NamedTuple):
    leads: Fraction
    revenue: Fraction


def no_touch(converted_at: datetime) -> Touchpoint:
    """The bucket a lead without touchpoints is credited to."""
    return Touchpoint(converted_at, DIRECT, None)


def credit(touchpoints: Iterable[Touchpoint], converted_at: datetime, model: Model) -> list[Credit]:
    """Each counted touchpoint with its share of the lead, oldest first; the shares add up to exactly 1.

    Datetimes must all be aware (or all naive). An unknown model is a ``ValueError``.
    """
    if model not in _SHARES:
        raise ValueError(f"unknown attribution model {model!r}: use one of {', '.join(MODELS)}")
    counted = sorted((tp for tp in touchpoints if tp.at <= converted_at), key=_time)
    if not counted:
        return [Credit(no_touch(converted_at), _ONE)]
    shares = _SHARES[model](counted, converted_at)
    return [Credit(tp, share) for tp, share in zip(counted, shares, strict=True)]


def time_decay_weight(at: datetime, converted_at: datetime) -> Fraction:
    """2^(-(converted_at - at) / 7 days) as a fraction: exact for whole half-lives (1, 1/2, 1/4 …)."""
    numerator, shift = _decay(at, converted_at)
    return Fraction(numerator, 1 << shift)


def credit_groups(conversions: Iterable[Conversion], model: Model, by: Grouping) -> dict[str, GroupCredit]:
    """Leads and revenue credited to each group (campaign, channel, …) under ``model``; exact sums."""
    if by not in _GROUP_KEYS:
        raise ValueError(f"unknown grouping {by!r}: use one of {', '.join(GROUPINGS)}")
    key_of = _GROUP_KEYS[by]
    # Sums of numerators per (group, denominator): integer additions, no gcd per touchpoint. The denominators are
    # few (1/n, 1/5(n-2), 10^-12, and the values' cents), so combining them at the end is cheap.
    leads: dict[tuple[str, int], int] = {}
    revenue: dict[tuple[str, int], int] = {}
    for conversion in conversions:
        value_numerator, value_denominator = conversion.value.as_integer_ratio()
        for touchpoint, share in credit(conversion.touchpoints, conversion.converted_at, model):
            if not share:
                continue
            key = key_of(touchpoint)
            numerator, denominator = share.numerator, share.denominator
            slot = (key, denominator)
            leads[slot] = leads.get(slot, 0) + numerator
            if value_numerator:
                slot = (key, denominator * value_denominator)
                revenue[slot] = revenue.get(slot, 0) + numerator * value_numerator
    revenue_of = _sums(revenue)
    return {key: GroupCredit(leads_of, revenue_of.get(key, _ZERO)) for key, leads_of in _sums(leads).items()}


def _sums(parts: dict[tuple[str, int], int]) -> dict[str, Fraction]:
    totals: dict[str, Fraction] = {}
    for (key, denominator), numerator in parts.items():
        totals[key] = totals.get(key, _ZERO) + Fraction(numerator, denominator)
    return totals


def apportion(amounts: Sequence[Fraction], quantum: Decimal = Decimal("0.01")) -> list[Decimal]:
    """Exact amounts rounded to ``quantum`` so that they add up to their exact total rounded (half-even).

    Largest remainder: each amount is cut down to the quantum, and the quanta still missing go one each to the
    amounts that lost most, ties to the earlier one. Amounts must not be negative.
    """
    step = Fraction(quantum)
    total_units = round(sum(amounts, _ZERO) / step)  # a Fraction rounds half to even
    floors = [math.floor(amount / step) for amount in amounts]
    missing = total_units - sum(floors)
    by_loss = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] / step - floors[i]), i))
    for i in by_loss[:missing]:
        floors[i] += 1
    return [(Decimal(units) * quantum).quantize(quantum, rounding=ROUND_HALF_EVEN) for units in floors]


# --- the models ----------------------------------------------------------------------------------------------


def _time(touchpoint: Touchpoint) -> datetime:
    return touchpoint.at


def _first_touch(counted: Sequence[Touchpoint], _converted_at: datetime) -> tuple[Fraction, ...]:
    return _one_at(0, len(counted))


def _last_touch(counted: Sequence[Touchpoint], _converted_at: datetime) -> tuple[Fraction, ...]:
    n = len(counted)
    for i in range(n - 1, -1, -1):
        if counted[i].touch.channel != "direct":
            return _one_at(i, n)
    return _one_at(n - 1, n)


def _linear(counted: Sequence[Touchpoint], _converted_at: datetime) -> tuple[Fraction, ...]:
    return _linear_shares(len(counted))


def _position_based(counted: Sequence[Touchpoint], _converted_at: datetime) -> tuple[Fraction, ...]:
    return _position_shares(len(counted))


def _time_decay(counted: Sequence[Touchpoint], converted_at: datetime) -> tuple[Fraction, ...]:
    decays = [_decay(tp.at, converted_at) for tp in counted]
    deepest = max(shift for _, shift in decays)
    # On one denominator, 2^deepest: weights as integers, so the sum and the cut are integer arithmetic.
    weights = [numerator << (deepest - shift) for numerator, shift in decays]
    total = sum(weights)
    units = [weight * _UNITS // total for weight in weights]
    missing = _UNITS - sum(units)
    if missing:
        remainders = [weight * _UNITS - unit * total for weight, unit in zip(weights, units, strict=True)]
        for i in sorted(range(len(weights)), key=lambda i: (remainders[i], i), reverse=True)[:missing]:
            units[i] += 1
    return tuple(Fraction(unit, _UNITS) for unit in units)


def _decay(at: datetime, converted_at: datetime) -> tuple[int, int]:
    """2^(-age / half-life) as numerator / 2^shift: whole half-lives exact, the rest in double precision."""
    half_lives, rest = divmod((converted_at - at) // _MICROSECOND, _HALF_LIFE_US)
    # 2^(-rest / half-life) is in (1/2, 1]; scaled by 2^53 it is a whole number, exactly as the double holds it.
    numerator = int(math.ldexp(2.0 ** (-rest / _HALF_LIFE_US), 53))
    return numerator, 53 + half_lives


@lru_cache(maxsize=1024)
def _one_at(index: int, n: int) -> tuple[Fraction, ...]:
    return tuple(_ONE if i == index else _ZERO for i in range(n))


@lru_cache(maxsize=256)
def _linear_shares(n: int) -> tuple[Fraction, ...]:
    return (Fraction(1, n),) * n


@lru_cache(maxsize=256)
def _position_shares(n: int) -> tuple[Fraction, ...]:
    if n == 1:
        return (_ONE,)
    if n == 2:
        return (Fraction(1, 2),) * 2
    end = Fraction(2, 5)
    return (end, *(Fraction(1, 5 * (n - 2)),) * (n - 2), end)


_SHARES: dict[str, Callable[[Sequence[Touchpoint], datetime], tuple[Fraction, ...]]] = {
    "first_touch": _first_touch,
    "last_touch": _last_touch,
    "linear": _linear,
    "position_based": _position_based,
    "time_decay": _time_decay,
}

_GROUP_KEYS: dict[str, Callable[[Touchpoint], str]] = {
    "campaign": lambda tp: tp.touch.campaign or NO_GROUP,
    "channel": lambda tp: tp.touch.channel,
    "source": lambda tp: tp.touch.source or NO_GROUP,
    "medium": lambda tp: tp.touch.medium or NO_GROUP,
    "landing_page": lambda tp: tp.landing_page or NO_GROUP,
}
