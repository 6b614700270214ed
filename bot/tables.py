"""Tables as files staff open in Excel: CSV (UTF-8 with a BOM, «;») and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook


def to_csv(rows: list[list[Any]]) -> bytes:
    # A BOM and «;» so that Excel in Russian opens Cyrillic as it is.
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[Any]], title: str = "data") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
