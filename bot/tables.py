"""Tables as files staff open in Excel: CSV (UTF-8 with a BOM, «;») and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any


def to_csv(rows: list[list[Any]]) -> bytes:
    # A BOM and «;» so that Excel in Russian opens Cyrillic as it is.
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[list[Any]], title: str = "data") -> bytes:
    from openpyxl import Workbook  # 36 MB with numpy: loaded only when a file is made

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
