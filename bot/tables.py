"""Tables as files staff open in Excel: CSV (UTF-8 with a BOM, «;») and XLSX.

Every CSV and XLSX the bot writes goes through here, so one rule keeps them data: a text
cell a spreadsheet would take for a formula (OWASP, CSV injection: one that begins with
«=», «+», «-», «@», a tab or a carriage return) is written with a single quote in front,
and XLSX text cells are strings, never formulas. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# What XML 1.0 (and so XLSX) cannot hold: control characters other than tab, LF and CR.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _needs_quote(text: str) -> bool:
    # Quotes already in front count too, so that `unquote` gives back exactly what was
    # written: «'=x» is written «''=x» and read back «'=x».
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def safe_text(value: Any) -> str:
    """A text cell as it may be written: no unwritable characters, never a formula."""
    text = _UNWRITABLE.sub("", str(value))
    return QUOTE + text if _needs_quote(text) else text


def unquote(text: str) -> str:
    """A cell read back from a file we wrote: the quote `safe_text` added goes."""
    return text[1:] if text.startswith(QUOTE) and _needs_quote(text[1:]) else text


def cell(value: Any) -> Any:
    """A value as a cell: numbers and dates as they are, None empty, the rest safe text."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal | date | datetime):  # bool is an int
        return value
    return safe_text(value)


def to_csv(rows: list[list[Any]]) -> bytes:
    # A BOM and «;» so that Excel in Russian opens Cyrillic as it is.
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[Any]], title: str = "data") -> bytes:
    from openpyxl import Workbook  # 36 MB with numpy: loaded only when a file is made
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        cells = []
        for value in map(cell, row):
            written = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                written.data_type = "s"  # a string, whatever it looks like
            cells.append(written)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
