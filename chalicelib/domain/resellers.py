"""Resellers: independent companies a producer hands leads to, and what the producer may learn of their customers.

Routing. A ``resellers`` route (``domain.journey.ResellerRoute``) picks, among the producer's *active* resellers in
the order of their ids, those that match the lead: its postcode inside one of the reseller's ranges, or its product
among the reseller's products, or every reseller for ``round_robin``. The matches are rotated by the hand-over's own
round-robin turn, so leads of one region go to its resellers in turn. With ``others: next`` the resellers that do
not match follow, in the order of their ids (after a decline or reassignment the lead reaches them; a lead that
matches none goes to them, rotated); with ``others: never`` they never get it (no match: a gap). Each reseller
is then represented by one person: its lead inbox when it has one, else one of its contacts. The first reseller's
person is chosen by the reseller's own round-robin turn; the later ones (who only get the lead after a decline or
a reassignment) by a stable hash of the lead id, so planning takes one turn per reseller actually offered first.

Deal registration. A reseller may register an end customer it found itself. It is refused (409, naming the rule)
when, within ``REGISTRATION_WINDOW`` (90 days), another reseller registered that customer or was handed it, or the
producer's own sales hold it in a hand-over that is still running; registering a customer the reseller already
registered or holds changes nothing (a retry).

Matching sales. A reseller reports closed sales by the *keyed hash* of the customer's normalised e-mail
(``email_hash``: HMAC-SHA256 with the reseller's own match secret, hex): it can send hashes only, and a hash of a
customer that never came from the producer reveals nothing to the producer.

What the producer sees (``producer_view``). Once a reseller holds a lead, the producer sees the end customer's
contact details only with the purpose ``share_with_producer`` granted (by a form's ``consent_share_with_producer``
or recorded by the reseller, each with its source and time); without it, only pseudonymous facts: the lead id,
the postcode area, the product, the outcome and its value.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.leads import Lead, LeadOutcome

if TYPE_CHECKING:
    from chalicelib.domain.handover import HandoverState
    from chalicelib.domain.journey import ResellerRoute

SHARE_WITH_PRODUCER = "share_with_producer"
REGISTRATION_WINDOW = timedelta(days=90)
POSTCODE_FIELD = "postcode"
PRODUCT_FIELD = "product"
# Registration rules, as the 409 names them.
REGISTERED_BY_ANOTHER = "registered_by_another_reseller"
HANDED_TO_ANOTHER = "handed_to_another_reseller"
HELD_BY_PRODUCER = "held_by_producer_sales"
RUNNING = ("offered", "accepted", "contacted")

Turns = Callable[[str], int]


def normalised_email(email: str) -> str:
    """The e-mail as both sides hash it: trimmed, Unicode NFC, lower case."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def email_hash(secret: str, email: str) -> str:
    """HMAC-SHA256 of the normalised e-mail under the reseller's match secret, as lower-case hex."""
    return hmac.new(secret.encode(), normalised_email(email).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PostcodeRange:
    """An inclusive range of numeric postcodes, written ``8000-8999`` (or one code: ``9000``). Written with leading
    zeros (Copenhagen's ``0800-0999``), it is shown with them; they do not change which postcodes it holds."""

    low: int
    high: int
    # The width each end was written in (its leading zeros are shown again); 0: as many digits as it has.
    low_digits: int = field(default=0, compare=False)
    high_digits: int = field(default=0, compare=False)

    @classmethod
    def parse(cls, text: str) -> PostcodeRange:
        low, dash, high = text.strip().partition("-")
        first, last = low.strip(), (high.strip() if dash else low.strip())
        if not (first.isascii() and first.isdigit() and last.isascii() and last.isdigit()) or len(first) > 10 \
                or len(last) > 10:
            raise ValueError(f"{text!r} is not a postcode range such as 8000-8999 or 9000")
        if int(first) > int(last):
            raise ValueError(f"{text!r} runs backwards: write the lower postcode first")
        return cls(int(first), int(last), len(first), len(last))

    def holds(self, postcode: str | None) -> bool:
        code = (postcode or "").strip().replace(" ", "")
        return code.isascii() and code.isdigit() and len(code) <= 10 and self.low <= int(code) <= self.high

    def __str__(self) -> str:
        low, high = f"{self.low:0{self.low_digits}d}", f"{self.high:0{self.high_digits}d}"
        return low if self.low == self.high else f"{low}-{high}"


@dataclass(frozen=True)
class Reseller:
    """One reseller of a producer (a tenant): who it is, where and what it sells, who gets its leads."""

    tenant_id: str
    reseller_id: str
    name: str
    language: str = "da"
    contacts: tuple[str, ...] = ()
    inbox: str | None = None
    manager: str | None = None
    regions: tuple[PostcodeRange, ...] = ()
    products: tuple[str, ...] = ()
    calendar: str | None = None
    active: bool = True
    match_secret: str = ""
    created_at: str = ""
    updated_at: str = ""
    key_id: str | None = None
    key_hash: str | None = None
    version: int = 0

    @property
    def people(self) -> tuple[str, ...]:
        """Who can be handed the reseller's leads: its lead inbox, else its contacts."""
        return (self.inbox,) if self.inbox else self.contacts

    def serves(self, postcode: str | None) -> bool:
        return any(region.holds(postcode) for region in self.regions)

    def sells(self, product: str | None) -> bool:
        wanted = (product or "").strip().casefold()
        return bool(wanted) and wanted in {offered.strip().casefold() for offered in self.products}


def matching(route: ResellerRoute, fields: Mapping[str, str | None], resellers: Sequence[Reseller]
             ) -> tuple[list[Reseller], list[Reseller]]:
    """The active resellers that match the lead and those that do not, each in the order of their ids."""
    active = sorted((reseller for reseller in resellers if reseller.active and reseller.people),
                    key=lambda reseller: reseller.reseller_id)
    value = fields.get(route.lead_field)
    if route.match == "postcode":
        matched = [reseller for reseller in active if reseller.serves(value)]
    elif route.match == "product":
        matched = [reseller for reseller in active if reseller.sells(value)]
    else:
        matched = active
    return matched, [reseller for reseller in active if reseller not in matched]


def _rotate(items: Sequence[Reseller], turn: int) -> list[Reseller]:
    start = (turn - 1) % len(items) if items else 0
    return list(items[start:]) + list(items[:start])


def _stable_index(lead_id: str, reseller_id: str, size: int) -> int:
    digest = hashlib.sha256(f"{lead_id}\n{reseller_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % size


def reseller_candidates(route: ResellerRoute, fields: Mapping[str, str | None], resellers: Sequence[Reseller],
                        turns: Turns, rotation: str, lead_id: str) -> list[tuple[str, str]]:
    """(reseller id, person) for every reseller that may have the lead, in the order they get it."""
    matched, others = matching(route, fields, resellers)
    if route.others == "never":
        others = []
    elif not matched:
        matched, others = others, []
    ordered = (_rotate(matched, turns(rotation)) if len(matched) > 1 else matched) + others
    chosen: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, reseller in enumerate(ordered):
        people = [person for person in reseller.people if person not in seen]
        if not people:
            continue  # a person shared with a reseller before it: the lead never goes back to them
        if len(people) == 1:
            person = people[0]
        elif position == 0:
            person = people[(turns(f"reseller:{reseller.reseller_id}") - 1) % len(people)]
        else:
            person = people[_stable_index(lead_id, reseller.reseller_id, len(people))]
        seen.add(person)
        chosen.append((reseller.reseller_id, person))
    return chosen


# --- deal registration --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationCheck:
    """Whether a reseller may register an end customer: a rule that refuses it, or the hand-over that already
    makes it the reseller's (a retry), or neither (register it)."""

    refused_by: str | None = None
    already: HandoverState | None = None
    other: str | None = None


def offered_resellers(state: HandoverState) -> list[str]:
    """The resellers a hand-over reached so far: each candidate up to its holder, and those that declined it."""
    reached = list(state.candidates[:state.candidates.index(state.owner) + 1]) if state.owner in state.candidates \
        else []
    people = [*reached, *state.declined_by]
    named = [state.reseller_of(person) for person in people] + [state.reseller]
    return list(dict.fromkeys(name for name in named if name))


def check_registration(reseller_id: str, handovers: Sequence[HandoverState], now: datetime) -> RegistrationCheck:
    """The registration rule for one end customer's hand-overs, the latest first (see the module's docstring)."""
    from chalicelib.domain.handover import REGISTRATION

    since = now - REGISTRATION_WINDOW
    recent = sorted((state for state in handovers if parse_iso(state.started_at) >= since),
                    key=lambda state: state.started_at, reverse=True)
    for state in recent:
        if state.reseller == reseller_id and state.status in RUNNING:
            return RegistrationCheck(already=state)
        others = [name for name in offered_resellers(state) if name != reseller_id]
        if others:
            rule = REGISTERED_BY_ANOTHER if state.name == REGISTRATION else HANDED_TO_ANOTHER
            return RegistrationCheck(refused_by=rule, other=others[0])
        if not state.reseller and state.status in RUNNING:
            return RegistrationCheck(refused_by=HELD_BY_PRODUCER)
    return RegistrationCheck()


# --- what the producer may see -------------------------------------------------------------------------------


def shares_with_producer(consent: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the end customer allows the producer to see them: ``share_with_producer`` granted, not withdrawn."""
    record = consent.get(SHARE_WITH_PRODUCER)
    return bool(record) and record.get("granted") is True  # type: ignore[union-attr]


REGISTERED_BY = "reseller:"


def withheld_from_producer(lead: Lead) -> bool:
    """Whether the producer must not see who the lead is: a deal a reseller registered (the producer never had
    the customer's details) without the customer's ``share_with_producer`` consent."""
    return bool(lead.referred_by and lead.referred_by.startswith(REGISTERED_BY)) and not shares_with_producer(
        lead.consent)


def postcode_area(postcode: str | None) -> str | None:
    """The first two digits of a postcode and ``xx`` (``8210`` → ``82xx``): a region, not an address."""
    code = (postcode or "").strip().replace(" ", "")
    if len(code) < 3 or not (code.isascii() and code.isdigit()):
        return None
    return code[:2] + "x" * (len(code) - 2)


@dataclass(frozen=True)
class EndCustomerReport:
    """A sale (or loss) a reseller reported for one of the producer's leads."""

    lead_id: str
    reseller_id: str
    reported_at: str
    event_id: str
    outcome: str
    value: str | None = None
    currency: str | None = None
    outcome_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def producer_view(lead: Lead | None, report: EndCustomerReport, outcome: LeadOutcome | None = None,
                  reseller_name: str | None = None) -> dict[str, Any]:
    """What the producer may see of one end customer a reseller reported on (the one rule; see the docstring).

    ``outcome`` is the lead's current outcome when it differs from the report (a later correction); the report's
    own figures are what the reseller said then.
    """
    fields = lead.fields if lead is not None else {}
    shared = lead is not None and shares_with_producer(lead.consent)
    view: dict[str, Any] = {
        "lead_id": report.lead_id, "reseller": report.reseller_id, "reseller_name": reseller_name,
        "reported_at": report.reported_at, "event_id": report.event_id,
        "outcome": report.outcome, "value": report.value, "currency": report.currency,
        "outcome_at": report.outcome_at,
        "product": fields.get(PRODUCT_FIELD),
        "postcode_area": postcode_area(fields.get(POSTCODE_FIELD)),
        "shared": shared,
        # The same fields either way (a receiver's schema never changes); empty without consent.
        "email": None, "name": None, "phone": None, "company": None, "postcode": None,
        "current_outcome": None,
    }
    if outcome is not None and outcome.event_id != report.event_id:
        view["current_outcome"] = {"outcome": outcome.outcome, "value": outcome.value, "currency": outcome.currency}
    if shared and lead is not None:
        view.update(email=lead.email, name=lead.name, phone=lead.phone, company=lead.company,
                    postcode=fields.get(POSTCODE_FIELD))
    return view


# --- the scorecard -------------------------------------------------------------------------------------------

OUTCOME_COUNTS = ("won", "lost", "disqualified")
EXTRA_COUNTS = (*OUTCOME_COUNTS, "revenue_cents", "registered", "unmatched")


def scorecard(rows: Sequence[tuple[str, Mapping[str, int]]], names: Mapping[str, str]) -> dict[str, Any]:
    """Per reseller (and in total) from the scorecard's day rows: the hand-over figures as the hand-over report
    counts them for an owner, plus outcomes, revenue, registered deals and unmatched sales.

    ``win_rate`` is won ÷ outcomes reported (won, lost, disqualified); ``won_per_lead`` is won ÷ (leads received
    + deals registered). Both are None without a denominator; revenue is money text in the tenant's currency.
    """
    from chalicelib.domain.reports import PERCENTILE_METHOD, Tally

    def figures(tally: Tally, extra: Mapping[str, int]) -> dict[str, Any]:
        counts = tally.as_dict()
        reported = sum(extra.get(name, 0) for name in OUTCOME_COUNTS)
        taken = counts["handovers"] + extra.get("registered", 0)
        won = extra.get("won", 0)
        return {
            "leads_received": counts["handovers"], **{name: value for name, value in counts.items()
                                                      if name != "handovers"},
            **{name: extra.get(name, 0) for name in (*OUTCOME_COUNTS, "registered")},
            "revenue": f"{Decimal(extra.get('revenue_cents', 0)) / 100:.2f}",
            "win_rate": round(won / reported, 4) if reported else None,
            "won_per_lead": round(won / taken, 4) if taken else None,
            "unmatched_sales": extra.get("unmatched", 0),
        }

    tallies: dict[str, Tally] = {}
    extras: dict[str, dict[str, int]] = {}
    total, total_extra = Tally(), dict[str, int]()
    for reseller_id, counters in rows:
        tallies.setdefault(reseller_id, Tally()).add(counters)
        total.add(counters)
        for name in EXTRA_COUNTS:
            if counters.get(name):
                held = extras.setdefault(reseller_id, {})
                held[name] = held.get(name, 0) + int(counters[name])
                total_extra[name] = total_extra.get(name, 0) + int(counters[name])
    # Every reseller the producer has, and any that has rows (one removed since still counts).
    resellers = [{"reseller_id": reseller_id, "name": names.get(reseller_id),
                  **figures(tallies.get(reseller_id, Tally()), extras.get(reseller_id, {}))}
                 for reseller_id in sorted(set(tallies) | set(names))]
    return {"percentile_method": PERCENTILE_METHOD, "total": figures(total, total_extra), "resellers": resellers}
