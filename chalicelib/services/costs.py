"""Campaign costs: uploads (JSON or a spreadsheet's CSV) checked whole, stored row by row, read per campaign.

The tenant's currency lives with the costs: the first upload sets it (``currency``, default DKK); a later
upload in another currency is refused unless it says ``replace_all``, which replaces every stored row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.costs import (
    DEFAULT_CURRENCY,
    FIELDS,
    MAX_ROWS,
    CostBook,
    CostRow,
    by_campaign,
    costs_by,
    currency_problem,
    parse_day,
    read_row,
)
from chalicelib.errors import ConcurrentUpdate, Conflict, InvalidInput, MalformedInput
from chalicelib.services.ports import CostLedger

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
ROW_FIELDS = (*FIELDS, "currency")
UPLOAD_OPTIONS = ("currency", "replace_all")


@dataclass(frozen=True)
class SentRow:
    """One row as it arrived: where it was (``rows.3`` in JSON; the spreadsheet's row 5 in a CSV file)."""

    field: str
    values: Mapping[str, Any] | None
    row_number: int | None = None
    # Problems with its shape (not an object, a field no row has): (field or None for the row, message).
    problems: tuple[tuple[str | None, str], ...] = ()


@dataclass(frozen=True)
class Upload:
    rows: list[SentRow]
    currency: Any = None
    replace_all: bool = False
    decimal_comma: bool = False


@dataclass(frozen=True)
class Spent:
    """What a tenant spent per group in a date range, in ``currency`` (None: no costs were ever sent)."""

    currency: str | None
    costs: dict[str, Decimal]


# --- reading an upload --------------------------------------------------------------------------------------


def upload_from_json(document: Any, options: Mapping[str, str]) -> Upload:
    """``{"currency": "DKK", "replace_all": false, "rows": [...]}`` or a bare list of rows."""
    body = {"rows": document} if isinstance(document, list) else document
    if not isinstance(body, dict):
        raise MalformedInput("the body must be a JSON object with rows, or a list of rows", field="body")
    unknown = sorted(set(body) - {"rows", *UPLOAD_OPTIONS})
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a field of a cost upload; send currency, replace_all and rows",
                           field=unknown[0])
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise InvalidInput("rows must be a list of cost rows", field="rows")
    sent = [SentRow(f"rows.{index}", row, problems=_shape_problems(row)) if isinstance(row, dict) else
            SentRow(f"rows.{index}", None, problems=((None, "each row must be an object"),))
            for index, row in enumerate(rows)]
    return Upload(rows=sent, currency=_option(body, options, "currency"),
                  replace_all=_replace_all(_option(body, options, "replace_all")))


def _shape_problems(row: Mapping[str, Any]) -> tuple[tuple[str | None, str], ...]:
    return tuple((name, f"{name} is not a field of a cost row; a row has {', '.join(ROW_FIELDS)}")
                 for name in row if name not in ROW_FIELDS)


def upload_from_csv(data: bytes, options: Mapping[str, str]) -> Upload:
    """A spreadsheet export: a header row naming the fields, separated by ``,`` or (Danish Excel) ``;``.

    With ``;`` an amount may use a decimal comma. UTF-8 (with or without Excel's byte-order mark) is read as
    such; anything else as Windows-1252, which Excel's plain "CSV" export writes.
    """
    from chalicelib.spreadsheets import read_csv

    sheet = read_csv(data)
    separator = sheet.separator
    if not sheet.header:
        raise InvalidInput(f"the CSV file needs a header row: {separator.join(FIELDS)}", field="header")
    header = sheet.header
    missing = [name for name in FIELDS if name not in header]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if missing or repeated:
        raise _invalid([{"field": f"header.{name}", "message": f"the header row has no {name} column"}
                        for name in missing] +
                       [{"field": f"header.{name}", "message": f"the header row has {name} more than once"}
                        for name in repeated])
    rows = []
    for number, cells in sheet.rows:
        values = {name: cell for name, cell in zip(header, cells, strict=False) if name in ROW_FIELDS}
        rows.append(SentRow(f"rows.{number}", values, row_number=number))
    return Upload(rows=rows, currency=options.get("currency"), replace_all=_replace_all(options.get("replace_all")),
                  decimal_comma=sheet.decimal_comma)


def _option(body: Mapping[str, Any], options: Mapping[str, str], name: str) -> Any:
    if name in body and name in options and str(body[name]).lower() != str(options[name]).lower():
        raise InvalidInput(f"{name} is given twice with different values (in the body and the query)", field=name)
    return body.get(name, options.get(name))


def _replace_all(value: Any) -> bool:
    if value in (None, False, "false", "0"):
        return False
    if value in (True, "true", "1"):
        return True
    raise InvalidInput("replace_all must be true or false", field="replace_all")


def _invalid(problems: list[dict[str, Any]]) -> InvalidInput:
    first = problems[0]
    many = f"{len(problems)} problems, the first: " if len(problems) > 1 else ""
    return InvalidInput(f"nothing was stored; {many}{first['field']}: {first['message']}", field=first["field"],
                        details=problems)


# --- the service --------------------------------------------------------------------------------------------


class Costs:
    def __init__(self, ledger: CostLedger, clock: Clock):
        self.ledger = ledger
        self.clock = clock

    def upload(self, tenant_id: str, upload: Upload) -> dict[str, Any]:
        """Store the rows (each replaces the row of the same campaign, source, medium and period); all or none."""
        if len(upload.rows) > MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows per request (this one has {len(upload.rows)}); send the "
                               "rest in another request", field="rows")
        book = self.ledger.cost_book(tenant_id)
        currency = self._currency(book, upload)
        rows = self._read(upload, currency)
        at = iso(self.clock())
        changed_currency = currency != book.currency
        stored = {row.identity: row for row in book.rows}
        put = [replace(row, updated_at=at) for row in rows.values()
               if changed_currency or stored.get(row.identity) != row]
        remove = [row for identity, row in stored.items() if identity not in rows] if upload.replace_all else []
        if put or remove or changed_currency:
            try:
                self.ledger.save_costs(tenant_id, book.currency, currency, put, remove)
            except ConcurrentUpdate:
                raise Conflict("another upload changed the costs' currency meanwhile; send this one again",
                               field="currency") from None
        created = sum(1 for row in put if row.identity not in stored)
        return {"currency": currency, "rows": len(rows), "created": created, "replaced": len(put) - created,
                "unchanged": len(rows) - len(put), "removed": len(remove)}

    def _currency(self, book: CostBook, upload: Upload) -> str:
        if upload.currency is None:
            return book.currency or DEFAULT_CURRENCY
        problem = currency_problem(upload.currency)
        if problem:
            raise InvalidInput(problem, field="currency")
        currency = str(upload.currency).strip().upper()
        if book.currency and currency != book.currency and not upload.replace_all:
            raise InvalidInput(
                f"costs are kept in {book.currency} (set by the first upload); send amounts in {book.currency}, or "
                f"send replace_all: true to replace every stored cost row with these rows in {currency}",
                field="currency")
        return currency

    def _read(self, upload: Upload, currency: str) -> dict[tuple[Any, ...], CostRow]:
        rows: dict[tuple[Any, ...], CostRow] = {}
        where: dict[tuple[Any, ...], str] = {}
        problems: list[dict[str, Any]] = []
        for sent in upload.rows:
            row, row_problems = read_row(sent.values, currency, upload.decimal_comma) if sent.values is not None \
                else (None, [])
            extra = {"row": sent.row_number} if sent.row_number else {}
            prefix = f"row {sent.row_number}: " if sent.row_number else ""
            problems += [{"field": f"{sent.field}.{name}" if name else sent.field, "message": f"{prefix}{message}",
                          **extra} for name, message in (*sent.problems, *row_problems)]
            if sent.problems:
                continue
            if row is None:
                continue
            earlier = rows.get(row.identity)
            if earlier is not None and earlier != row:
                problems.append({"field": sent.field, **extra, "message": f"{prefix}the same campaign, source, "
                                 f"medium and period as {where[row.identity]} with another amount; send one"})
                continue
            rows[row.identity], where[row.identity] = row, where.get(row.identity, sent.field)
        if problems:
            raise _invalid(problems)
        return rows

    def listing(self, tenant_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The stored rows whose period shares a day with ``from``..``to`` (either may be left out)."""
        unknown = sorted(set(params) - {"from", "to", "campaign"})
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}; use from, to and campaign", field=unknown[0])
        start, end = _query_day(params, "from"), _query_day(params, "to")
        if start and end and start > end:
            raise InvalidInput("from must not be after to", field="from")
        book = self.ledger.cost_book(tenant_id, params.get("campaign") or None)
        rows = [row for row in book.rows if (start is None or row.end >= start) and (end is None or row.start <= end)]
        return {"currency": book.currency or DEFAULT_CURRENCY,
                "rows": [{**row.as_dict(), "updated_at": row.updated_at} for row in rows]}

    def spent(self, tenant_id: str, start: date, end: date, group: Callable[[CostRow], str] = by_campaign) -> Spent:
        """Cost per campaign (or per ``group``, e.g. ``channel_of``) on the days ``start``..``end``, spread by day."""
        book = self.ledger.cost_book(tenant_id)
        return Spent(currency=book.currency, costs=costs_by(book.rows, start, end, group))


def _query_day(params: Mapping[str, str], name: str) -> date | None:
    if not params.get(name):
        return None
    day = parse_day(params[name])
    if day is None:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name)
    return day


def listing_csv(listing: Mapping[str, Any]) -> str:
    """The listing as a spreadsheet: the upload's columns (so it can be edited and sent back) and currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIELDS, "currency", "updated_at"])
    for row in listing["rows"]:
        writer.writerow([*(row[name] for name in FIELDS), listing["currency"], row.get("updated_at") or ""])
    return out.getvalue()

