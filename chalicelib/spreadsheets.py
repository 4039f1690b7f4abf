"""Reading what marketers and resellers export from spreadsheets: CSV with a header row, ``,`` or ``;``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from chalicelib.errors import MalformedInput


@dataclass(frozen=True)
class Sheet:
    """The header (trimmed, lower case), each non-empty row with its line number, and the separator used."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    separator: str

    @property
    def decimal_comma(self) -> bool:
        """Danish Excel separates with ``;`` and writes amounts with a decimal comma."""
        return self.separator == ";"


def read_csv(data: bytes) -> Sheet:
    """UTF-8 (with or without Excel's byte-order mark) is read as such; anything else as Windows-1252, which
    Excel's plain "CSV" export writes. The separator is the one the header row uses most."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    header_line = text.split("\n", 1)[0]
    separator = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as error:
        raise MalformedInput(f"the body is not readable CSV: {error}", field="body") from None
    if not lines:
        return Sheet(header=[], rows=[], separator=separator)
    header = [name.strip().lower() for name in lines[0]]
    # Spreadsheets end with empty rows (";;;;;").
    rows = [(number, cells) for number, cells in enumerate(lines[1:], start=2) if any(cell.strip() for cell in cells)]
    return Sheet(header=header, rows=rows, separator=separator)
