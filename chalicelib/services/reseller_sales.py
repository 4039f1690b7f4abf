"""Closed sales a reseller reports in bulk (``POST /reseller/sales``, JSON or CSV), and the producer's feed of the end
customers its resellers reported on (``GET /producer/end-customers``, JSON or CSV).

Matching. Each row names its customer by e-mail or by the keyed hash of it (``domain.resellers.email_hash`` with
the reseller's match secret); a hash is looked up among the leads handed to *that* reseller only. A match the
reseller still holds gets its outcome recorded as the reseller's report (an offer not yet accepted is accepted
first: reporting the sale says the reseller took it). A row that matches no lead the reseller holds is kept and
counted as unmatched, never dropped; the same row sent again is the same record. Every row is checked before any is
recorded, so a bad row changes nothing and the answer names it.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.domain.actors import Actor
from chalicelib.domain.clock import Clock, iso, parse_instant, parse_iso
from chalicelib.domain.resellers import email_hash, producer_view
from chalicelib.errors import InvalidInput
from chalicelib.observability import count, traced
from chalicelib.services.ports import HandoverRepository, LeadRepository
from chalicelib.services.reseller_ports import ResellerLedger, UnmatchedSale
from chalicelib.services.resellers import held

if TYPE_CHECKING:
    from chalicelib.reseller_bodies import SaleRow
    from chalicelib.services.resellers import ResellerDesk, Resellers

SALE_COLUMNS = ("email", "email_hash", "outcome", "value", "currency", "reason", "at")
FEED_DEFAULT_DAYS = 30
FEED_LIMIT = 100
EXPORT_MAX = 50_000
FEED_COLUMNS = ("reported_at", "lead_id", "reseller", "reseller_name", "outcome", "value", "currency", "outcome_at",
                "product", "postcode_area", "shared", "email", "name", "phone", "company", "postcode")


def sales_from_csv(data: bytes) -> list[SaleRow]:
    """Rows of a spreadsheet with a header naming the columns (``email`` or ``email_hash``, ``outcome``, and
    optionally ``value``, ``currency``, ``reason``, ``at``); every bad row is named in one 422."""
    from pydantic import ValidationError

    from chalicelib.reseller_bodies import MAX_SALES_ROWS, SaleRow
    from chalicelib.spreadsheets import read_csv

    sheet = read_csv(data)
    missing = [name for name in ("outcome",) if name not in sheet.header]
    if not sheet.header or missing or not ({"email", "email_hash"} & set(sheet.header)):
        raise InvalidInput("the CSV file needs a header row with outcome and email (or email_hash), e.g. "
                           "email,outcome,value,at", field="header")
    unknown = sorted({name for name in sheet.header if name and name not in SALE_COLUMNS})
    if unknown:
        raise InvalidInput(f"unknown column {unknown[0]!r}; the columns are {', '.join(SALE_COLUMNS)}",
                           field=f"header.{unknown[0]}")
    if len(sheet.rows) > MAX_SALES_ROWS:
        raise InvalidInput(f"at most {MAX_SALES_ROWS} rows per report", field="body")
    rows: list[SaleRow] = []
    problems: list[dict[str, Any]] = []
    for number, cells in sheet.rows:
        values: dict[str, Any] = {name: cell.strip() for name, cell in zip(sheet.header, cells, strict=False)
                                  if name in SALE_COLUMNS and cell.strip()}
        if "value" in values and sheet.decimal_comma and "," in values["value"] and "." not in values["value"]:
            values["value"] = values["value"].replace(",", ".")
        try:
            rows.append(SaleRow(**values))
        except ValidationError as error:
            problems += [{"field": ".".join(["rows", str(number), *map(str, item["loc"])]).rstrip("."),
                          "message": item["msg"].removeprefix("Value error, ")} for item in error.errors()]
    if problems:
        raise InvalidInput(f"nothing was recorded; {problems[0]['field']}: {problems[0]['message']}",
                           field=problems[0]["field"], details=problems)
    if not rows:
        raise InvalidInput("the CSV file has no sales rows under its header", field="body")
    return rows


def _row_identity(customer: str, row: SaleRow) -> str:
    said = "\n".join([customer, row.outcome, str(row.value or ""), row.currency or "", row.at or ""])
    return hashlib.sha256(said.encode()).hexdigest()[:32]


class ResellerSales:
    def __init__(self, resellers: Resellers, ledger: ResellerLedger, desk: ResellerDesk,
                 handovers: HandoverRepository, clock: Clock):
        self.resellers = resellers
        self.ledger = ledger
        self.desk = desk
        self.handovers = handovers
        self.clock = clock

    @traced
    def report(self, tenant_id: str, actor: Actor, rows: list[SaleRow]) -> dict[str, Any]:
        """Record each row's outcome on the lead it matches, keep the rest as unmatched; say what became of each."""
        from chalicelib.services.outcomes import OutcomeReport

        reseller = self.resellers.get(tenant_id, str(actor.reseller))
        now = self.clock()
        late = [index for index, row in enumerate(rows) if row.at and parse_iso(row.at) > now]
        if late:
            raise InvalidInput(f"nothing was recorded; sales.{late[0]}.at: at must not be in the future",
                               field=f"sales.{late[0]}.at",
                               details=[{"field": f"sales.{index}.at", "message": "at must not be in the future"}
                                        for index in late])
        results: list[dict[str, Any]] = []
        tally = {"recorded": 0, "unchanged": 0, "unmatched": 0}
        for index, row in enumerate(rows):
            customer = row.email_hash or email_hash(reseller.match_secret, row.email or "")
            lead_id = self.ledger.customer(tenant_id, reseller.reseller_id, customer)
            state = held(self.handovers.lead_handovers(tenant_id, lead_id), reseller.reseller_id) \
                if lead_id else None
            if lead_id is None or state is None or state.status == "gap":
                sale = UnmatchedSale(tenant_id=tenant_id, reseller_id=reseller.reseller_id,
                                     row=_row_identity(customer, row), reported_at=iso(now), email_hash=customer,
                                     outcome=row.outcome, value=f"{row.value:.2f}" if row.value is not None else None,
                                     currency=row.currency, outcome_at=row.at,
                                     reason="no_match" if lead_id is None else "not_held")
                self.ledger.record_unmatched(sale, iso(now)[:10])
                tally["unmatched"] += 1
                results.append({"row": index, "result": "unmatched"})
                continue
            if state.status == "offered":
                self.desk.act(tenant_id, actor, state.lead_id, "accept", None)
            answer = self.desk.outcome(tenant_id, actor, state.lead_id, OutcomeReport(
                outcome=row.outcome, value=Decimal(row.value) if row.value is not None else None,
                currency=row.currency, reason=row.reason, at=parse_iso(row.at) if row.at else None), None)
            result = "recorded" if answer.get("changed") else "unchanged"
            tally[result] += 1
            results.append({"row": index, "result": result, "lead_id": state.lead_id})
        count("ResellerSalesReported", len(rows))
        return {"reseller_id": reseller.reseller_id, "received": len(rows),
                "matched": tally["recorded"] + tally["unchanged"], **tally, "results": results}

    def unmatched(self, tenant_id: str, actor: Actor) -> dict[str, Any]:
        sales = self.ledger.unmatched(tenant_id, str(actor.reseller))
        return {"unmatched": [{"email_hash": sale.email_hash, "outcome": sale.outcome, "value": sale.value,
                               "currency": sale.currency, "at": sale.outcome_at, "reported_at": sale.reported_at,
                               "reason": sale.reason} for sale in sales]}


class ProducerFeed:
    """The end customers the producer's resellers reported on, as the consent rule lets the producer see them."""

    def __init__(self, resellers: Resellers, ledger: ResellerLedger, leads: LeadRepository, clock: Clock):
        self.resellers = resellers
        self.ledger = ledger
        self.leads = leads
        self.clock = clock

    def end_customers(self, tenant_id: str, params: dict[str, str], whole: bool = False) -> dict[str, Any]:
        """A page of reports at or after ``since`` (default: the last 30 days), ``next_cursor`` to go on; ``whole``
        reads every page (the CSV export, up to ``EXPORT_MAX`` reports)."""
        unknown = sorted(set(params) - {"since", "cursor", "limit"})
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}; use since, cursor and limit", field=unknown[0])
        since = self._since(params.get("since"))
        limit = self._limit(params.get("limit"))
        reports, cursor = self.ledger.end_customers(tenant_id, since, params.get("cursor") or None, limit)
        while whole and cursor and len(reports) < EXPORT_MAX:
            more, cursor = self.ledger.end_customers(tenant_id, since, cursor, 500)
            reports += more
        names = {reseller.reseller_id: reseller.name for reseller in self.resellers.resellers(tenant_id)}
        items = []
        for report in reports:
            lead = self.leads.lead(tenant_id, report.lead_id)
            items.append(producer_view(lead, report, lead.outcome if lead else None, names.get(report.reseller_id)))
        return {"since": since, "end_customers": items, "next_cursor": cursor}

    def _since(self, text: str | None) -> str:
        if not text:
            return iso(self.clock() - timedelta(days=FEED_DEFAULT_DAYS))
        try:
            return iso(parse_instant(text))
        except ValueError as error:
            raise InvalidInput(f"since must be a time like 2026-12-01T00:00:00Z: {error}", field="since") from None

    @staticmethod
    def _limit(text: str | None) -> int:
        if not text:
            return FEED_LIMIT
        if not text.isdigit() or not 1 <= int(text) <= 500:
            raise InvalidInput("limit must be a whole number from 1 to 500", field="limit")
        return int(text)


def feed_csv(feed: dict[str, Any]) -> str:
    """The feed as a spreadsheet: one line per report; contact columns empty without the customer's consent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FEED_COLUMNS)
    for item in feed["end_customers"]:
        writer.writerow(["" if item.get(name) is None else item.get(name) for name in FEED_COLUMNS])
    return out.getvalue()
