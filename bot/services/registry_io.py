"""The registry as a file: import from CSV or XLSX (planned row by row first), export back.

One table holds both TOS and organisations; a `type` column tells them apart. Headers and
words in cells may be in any language we speak: the vocabulary is in locales/.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.registry import Organisation, Tos, name_key
from bot.services.errors import N_, DomainError
from bot.services.registry_fields import (
    parse_contact,
    parse_date,
    parse_description,
    parse_kind,
    parse_name,
    parse_polygon,
    parse_residents,
    parse_territory,
)
from bot.services.when import local_text
from bot.tables import unquote
from bot.textsplit import shorten
from bot.vocabulary import Words, normalize_label

MAX_FILE_BYTES = 1_000_000
MAX_ROWS = 5_000
# The shape of a file we read, checked before its rows are loaded.
MAX_LINES = 2 * MAX_ROWS  # rows read, blank ones included (a header and some gaps)
MAX_COLUMNS = 64  # the registry has 14
MAX_CELL_CHARS = 100_000  # a territory of 300 lines of 200 characters fits
MAX_DELIMITERS = 10_000  # on one line of a CSV file (a long polygon's «;» are quoted)
MAX_ZIP_PARTS = 200  # an XLSX holds a dozen parts, a few per extra sheet
MAX_UNPACKED_BYTES = 20_000_000  # a 1 MB spreadsheet of text unpacks to a few MB
MAX_RATIO = 100  # deflated XML shrinks 5-20 times; a zip bomb, thousands of times
RATIO_CHECKED_FROM = 1_000_000  # a small part may be packed as tightly as it likes
# What openpyxl holds at once, checked by a streaming count before it reads anything. It
# reads every part but the sheets whole (the styles, the workbook, relationships: an object
# for each element, a style costing about 1.6 KB) and the shared-string table whole (a
# string for each entry); it streams the sheet a row at a time (each cell an object).
MAX_PART_BYTES = 2_000_000
MAX_PART_ELEMENTS = 5_000  # a spreadsheet's styles have hundreds
MAX_TEXTS = 50_000  # entries of the shared-string table: ten per registry row
MAX_TEXT_ELEMENTS = 4 * MAX_TEXTS  # with their rich-text runs
MAX_TEXT_BYTES = 10_000_000
MAX_SHEET_BYTES = 16_000_000  # our own export of 5,000 long rows (inline texts): 14.5 MB
MAX_SHEET_ELEMENTS = 400_000  # ... and 215,000 elements
MAX_PART_NAME = 100  # characters of a part's name in a refusal
MAX_ROW_CELLS = 1_000  # beyond MAX_COLUMNS only empty cells are let through

# Column key -> header msgid (the header in any of our languages is accepted).
COLUMNS = {
    "type": N_("type"),
    "name": N_("name"),
    "kind": N_("kind"),
    "territory": N_("territory"),
    "residents": N_("residents"),
    "registered_on": N_("registration date"),
    "latitude": N_("latitude"),
    "longitude": N_("longitude"),
    "radius_m": N_("radius in metres"),
    "polygon": N_("polygon"),
    "contacts": N_("contacts"),
    "public_contact": N_("public contact"),
    "description": N_("description"),
    "active": N_("active"),
}
TOO_BIG = N_("The file is too big: up to {size} KB, please.")
NOT_XLSX = N_("This is not a readable XLSX file.")
BAD_ENCODING = N_("The file's encoding is not UTF-8 or Windows-1251. Save it as CSV UTF-8.")
TOO_MANY_ROWS = N_("Too many rows: up to {count} at a time.")
TOO_MANY_COLUMNS = N_(
    "Row {line} has more than {columns} columns, more than a registry has. Check the file's "
    "delimiter."
)
CELL_TOO_LONG = N_(
    'Row {line} has a cell longer than {size} characters: perhaps a quote «"» is not closed.'
)
SHEET_TOO_BIG = N_(
    "The sheet «{sheet}» spans {ref}, while a registry has at most {rows} rows and {columns} "
    "columns. Delete what lies beyond the table, or copy the table into a new file."
)
ZIP_PARTS = N_(
    "This XLSX file holds {count} parts inside, more than a spreadsheet does. Copy the table "
    "into a new file."
)
ZIP_SIZE = N_(
    "This XLSX file unpacks to more than {size} MB, more than a registry takes. Copy the table "
    "into a new file, without pictures."
)
ZIP_RATIO = N_(
    "This XLSX file is packed far more tightly than a spreadsheet can be, so it is not read. "
    "Copy the table into a new file."
)
TOO_MUCH_TEXT = N_(
    "This XLSX file holds more text than a registry: over {count} different texts or {size} "
    "MB. Copy the table into a new file."
)
PART_TOO_BIG = N_(
    "The formatting or settings of this XLSX file are too big to read (its part {part}). "
    "Copy the table into a new file, without formatting."
)
SHEET_TOO_LARGE = N_(
    "The sheet is far bigger than a registry of {rows} rows can be. Delete what lies beyond "
    "the table, or copy the table into a new file."
)
TYPE_WORDS = {"tos": N_("tos"), "org": N_("organisation, org")}
YES_WORDS = N_("yes, 1, true")
NO_WORDS = N_("no, 0, false")


@dataclass
class RowPlan:
    line: int
    body_kind: str | None
    name: str
    action: str = "add"  # add | update
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[DomainError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportPlan:
    rows: list[RowPlan]

    @property
    def good(self) -> list[RowPlan]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[RowPlan]:
        return [row for row in self.rows if not row.ok]


# -- reading -------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1251, as Excel in Russian saves CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return codecs.decode(data, "cp1251")
    except UnicodeDecodeError:
        raise DomainError(BAD_ENCODING) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a spreadsheet's date: a calendar day, no zone
        return local_text(value.date(), None, "date")
    if isinstance(value, date):
        return local_text(value, None, "date")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text cells; raises DomainError for a file we cannot read.

    A hostile file is refused by its shape before its rows are loaded, and rows are
    streamed with a cap, so memory and time stay bounded whatever the file declares."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(TOO_BIG, size=MAX_FILE_BYTES // 1000)
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        rows = _csv_rows(data)
    else:
        raise DomainError(N_("Send the registry as a CSV or XLSX file."))
    return _kept(rows)


def _kept(rows: Iterator[list[str]]) -> list[list[str]]:
    """Non-empty rows, at most MAX_ROWS and a header; each row and cell within bounds."""
    kept: list[list[str]] = []
    for line, row in enumerate(rows, start=1):
        if line > MAX_LINES:
            raise DomainError(TOO_MANY_ROWS, count=MAX_ROWS)
        if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
            raise DomainError(TOO_MANY_COLUMNS, line=line, columns=MAX_COLUMNS)
        if any(len(cell) > MAX_CELL_CHARS for cell in row):
            raise DomainError(CELL_TOO_LONG, line=line, size={"n": MAX_CELL_CHARS})
        if any(row):
            kept.append(row[:MAX_COLUMNS])
            if len(kept) > MAX_ROWS + 1:
                raise DomainError(TOO_MANY_ROWS, count=MAX_ROWS)
    return kept


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data:  # UTF-16, a spreadsheet renamed, a binary file: not CSV text
        raise DomainError(BAD_ENCODING)
    text = _decode(data)
    # The header row tells the delimiter: Excel in Russian writes «;», others «,».
    header = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header.count)
    reader = csv.reader(_lines(text, delimiter), delimiter=delimiter)
    try:
        for row in reader:
            yield [c.strip() for c in row]
    except csv.Error:
        # Only a cell over the csv module's field limit (131,072 characters) gets here.
        raise DomainError(CELL_TOO_LONG, line=reader.line_num, size={"n": MAX_CELL_CHARS}) from None


def _lines(text: str, delimiter: str) -> Iterator[str]:
    """The text's lines; one with a flood of delimiters is refused before the csv module
    makes a list of its thousands of cells."""
    for number, line in enumerate(io.StringIO(text), start=1):
        if line.count(delimiter) > MAX_DELIMITERS:
            raise DomainError(TOO_MANY_COLUMNS, line=number, columns=MAX_COLUMNS)
        yield line


def _check_zip(data: bytes) -> None:
    """Refuse an XLSX by its shape before anything is unpacked: the number of parts, their
    declared sizes (zipfile never unpacks more than a part declares) and how tightly each
    is packed (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DomainError(NOT_XLSX) from None
    if len(parts) > MAX_ZIP_PARTS:
        raise DomainError(ZIP_PARTS, count=len(parts))
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise DomainError(ZIP_SIZE, size=MAX_UNPACKED_BYTES // 1_000_000)
    for part in parts:
        if part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise DomainError(ZIP_RATIO)


# An element's start tag, with any namespace prefix: its local name.
_START_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?([A-Za-z_][\w.-]{0,40})(?=[\s/>])")
_ROW_NUMBER = re.compile(rb'[^<>]{0,200}?\br="(\d{1,7})"')  # a <row>'s own number, if given
_LONGEST_TAG = 300  # bytes a chunk keeps for the next, so no tag is cut in two
_CHUNK = 1 << 16
_CONTENT_TYPES = "[Content_Types].xml"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_WORKSHEET = _SPREADSHEET + "worksheet+xml"
_SHARED_STRINGS = _SPREADSHEET + "sharedStrings+xml"
# Parts openpyxl reads whole under fixed names, whatever the manifest says of them.
_READ_WHOLE = frozenset(
    {
        _CONTENT_TYPES,
        "xl/workbook.xml",
        "xl/styles.xml",
        "docProps/core.xml",
        "docProps/custom.xml",
        "xl/theme/theme1.xml",
    }
)


@dataclass
class _Shape:
    """What a streaming look at a part's XML found (it stops once `elements` is past the
    limit it was given)."""

    elements: int = 0
    texts: int = 0  # <si>: entries of a shared-string table
    widest: int = 0  # <c> in the widest <row> of a sheet
    widest_at: int = 0  # that row's number


def _shape(archive: zipfile.ZipFile, name: str, limit: int) -> _Shape:
    """Count a part's elements, a chunk at a time: memory stays at a chunk, and the time at
    a fast scan of at most the part's declared size (checked before)."""
    shape = _Shape()
    row = cells = 0
    carry = b""
    with archive.open(name) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            region = carry + chunk
            safe = len(region) - _LONGEST_TAG if chunk else len(region)
            done = 0
            for match in _START_TAG.finditer(region):
                if match.start() >= safe:
                    break
                done = match.end()
                shape.elements += 1
                tag = match.group(1)
                if tag == b"c":
                    cells += 1
                    if cells > shape.widest:
                        shape.widest, shape.widest_at = cells, row
                elif tag == b"row":
                    number = _ROW_NUMBER.match(region, match.end())
                    row, cells = int(number.group(1)) if number else row + 1, 0
                elif tag == b"si":
                    shape.texts += 1
                if shape.elements > limit:
                    return shape
            if not chunk:
                return shape
            carry = region[max(safe, done) :]


def _manifest(archive: zipfile.ZipFile) -> dict[str, set[str]]:
    """Each part's content types as the manifest declares them (a part may be named twice)."""
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        root = fromstring(archive.read(_CONTENT_TYPES))
    except (KeyError, ParseError, zipfile.BadZipFile, OSError, ValueError):
        raise DomainError(NOT_XLSX) from None
    declared: dict[str, set[str]] = {}
    for item in root:
        if item.tag.rpartition("}")[2] == "Override":
            part = item.get("PartName", "").lstrip("/")
            declared.setdefault(part, set()).add(item.get("ContentType", ""))
    return declared


def _check_parts(data: bytes) -> None:
    """Refuse an XLSX whose parts would cost openpyxl more than a registry could: a part it
    reads whole (the manifest first, since it tells the others apart), the shared-string
    table, the sheet: each by its size and a streaming count of its elements."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            _check_part(archive, archive.getinfo(_CONTENT_TYPES), set())
        except KeyError:
            raise DomainError(NOT_XLSX) from None
        declared = _manifest(archive)
        for part in archive.infolist():
            if part.filename != _CONTENT_TYPES:
                _check_part(archive, part, declared.get(part.filename, set()))


def _check_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, types: set[str]) -> None:
    name = part.filename
    if not name.endswith((".xml", ".rels", ".vml")) and not types:
        return  # a picture or another file openpyxl leaves alone (sizes checked already)
    try:
        if _SHARED_STRINGS in types:
            shape = _shape(archive, name, MAX_TEXT_ELEMENTS)
            if (
                part.file_size > MAX_TEXT_BYTES
                or shape.texts > MAX_TEXTS
                or shape.elements > MAX_TEXT_ELEMENTS
            ):
                raise DomainError(
                    TOO_MUCH_TEXT, count={"n": MAX_TEXTS}, size=MAX_TEXT_BYTES // 1_000_000
                )
        elif types == {_WORKSHEET} and name not in _READ_WHOLE:
            if part.file_size > MAX_SHEET_BYTES:
                raise DomainError(SHEET_TOO_LARGE, rows={"n": MAX_ROWS})
            shape = _shape(archive, name, MAX_SHEET_ELEMENTS)
            if shape.elements > MAX_SHEET_ELEMENTS:
                raise DomainError(SHEET_TOO_LARGE, rows={"n": MAX_ROWS})
            if shape.widest > MAX_ROW_CELLS:
                raise DomainError(TOO_MANY_COLUMNS, line=shape.widest_at, columns=MAX_COLUMNS)
        else:
            too_big = part.file_size > MAX_PART_BYTES
            if too_big or _shape(archive, name, MAX_PART_ELEMENTS).elements > MAX_PART_ELEMENTS:
                raise DomainError(PART_TOO_BIG, part=shorten(name, MAX_PART_NAME))
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise DomainError(NOT_XLSX) from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    _check_zip(data)
    _check_parts(data)
    # Loaded only when a spreadsheet comes: openpyxl (with numpy) costs 36 MB of memory.
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Links to other workbooks hold cached copies of their sheets: not read at all.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError):
        raise DomainError(NOT_XLSX) from None
    try:
        if not book.worksheets:
            raise DomainError(NOT_XLSX)
        sheet = book.worksheets[0]
        # The sheet's declared size (its <dimension>), when it has one, before any row.
        rows, columns = sheet.max_row or 0, sheet.max_column or 0
        if rows > MAX_LINES or columns > MAX_COLUMNS:
            raise DomainError(
                SHEET_TOO_BIG,
                sheet=sheet.title,
                ref=f"A1:{get_column_letter(min(max(columns, 1), 18_278))}{rows}",
                rows={"n": MAX_ROWS},
                columns=MAX_COLUMNS,
            )
        # Streamed (read-only mode), one column past the limit to see a row that is too wide;
        # the caller stops at the row limit, whatever the sheet declares.
        try:
            for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
                yield [_cell(v) for v in row]
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError):
            raise DomainError(NOT_XLSX) from None
    finally:
        book.close()


def _header_map(header: list[str], words: Words) -> dict[int, str]:
    found: dict[int, str] = {}
    variants = {key: words(msgid) | {key} for key, msgid in COLUMNS.items()}
    for index, title in enumerate(header):
        typed = normalize_label(title)
        for key, names in variants.items():
            if typed in names and key not in found.values():
                found[index] = key
                break
    return found


def _number(value: str, low: float, high: float) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise DomainError(N_("«{value}» is not a number."), value=value) from None
    if not low <= number <= high:
        raise DomainError(N_("«{value}» is out of range."), value=value)
    return number


def _values(cells: dict[str, str], body_kind: str, words: Words, today: date) -> RowPlan:
    plan = RowPlan(0, body_kind, cells.get("name", ""))

    def take(key: str, parse: Callable[[str], Any]) -> None:
        raw = cells.get(key, "")
        if not raw:
            return
        try:
            plan.values[key] = parse(raw)
        except DomainError as error:
            plan.problems.append(error)

    take("name", parse_name)
    take("description", parse_description)
    take("contacts", parse_contact)
    take("active", lambda v: _yes_no(v, words))
    if body_kind == "org":
        take("kind", lambda v: parse_kind(v, words))
        return plan
    take("territory", parse_territory)
    take("residents", parse_residents)
    take("registered_on", lambda v: parse_date(v, today))
    take("public_contact", parse_contact)
    take("polygon", parse_polygon)
    take("latitude", lambda v: _number(v, -90, 90))
    take("longitude", lambda v: _number(v, -180, 180))
    take("radius_m", lambda v: int(_number(v, 10, 20_000)))
    if ("latitude" in plan.values) != ("longitude" in plan.values):
        plan.problems.append(DomainError(N_("Give both latitude and longitude, or neither.")))
    return plan


def _yes_no(value: str, words: Words) -> bool:
    typed = normalize_label(value)
    if typed in words(YES_WORDS):
        return True
    if typed in words(NO_WORDS):
        return False
    raise DomainError(N_("«{value}» should be yes or no."), value=value)


def plan_import(
    rows: list[list[str]],
    words: Words,
    today: date,
    existing_tos: dict[str, Tos],
    existing_orgs: dict[str, Organisation],
) -> ImportPlan:
    """What importing these rows would do, and every row's problems, without writing."""
    if not rows:
        raise DomainError(N_("The file is empty."))
    columns = _header_map(rows[0], words)
    if "name" not in columns.values() or "type" not in columns.values():
        raise DomainError(
            N_(
                "The first row must name the columns; «type» and «name» are required. "
                "Export the registry to get a file with every column."
            )
        )
    type_words = {kind: words(msgid) for kind, msgid in TYPE_WORDS.items()}
    seen: dict[tuple[str, str], int] = {}
    plans: list[RowPlan] = []
    for line, row in enumerate(rows[1:], start=2):
        # A file we exported has a quote before text that looks like a formula: it goes.
        cells = {key: (unquote(row[i]) if i < len(row) else "") for i, key in columns.items()}
        typed = normalize_label(cells.get("type", ""))
        body_kind = next((k for k, names in type_words.items() if typed in names), None)
        if body_kind is None:
            plan = RowPlan(line, None, cells.get("name", ""))
            plan.problems.append(
                DomainError(
                    N_("«{value}» is not a type: write TOS or organisation."),
                    value=cells.get("type", ""),
                )
            )
            plans.append(plan)
            continue
        plan = _values(cells, body_kind, words, today)
        plan.line = line
        if "name" not in plan.values:
            if not cells.get("name"):
                plan.problems.append(DomainError(N_("The name is missing.")))
            plans.append(plan)
            continue
        key = (body_kind, name_key(plan.values["name"]))
        if key in seen:
            plan.problems.append(DomainError(N_("The same name as in row {line}."), line=seen[key]))
        seen.setdefault(key, line)
        existing = (existing_tos if body_kind == "tos" else existing_orgs).get(key[1])
        plan.action = "update" if existing is not None else "add"
        plans.append(plan)
    return ImportPlan(plans)


# -- writing --------------------------------------------------------------------------------


def _tos_row(tos: Tos, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": labels["tos"],
        "name": tos.name,
        "kind": "",
        "territory": "; ".join(tos.territory),
        "residents": tos.residents,
        "registered_on": local_text(tos.registered_on, None, "date"),  # a calendar day
        "latitude": tos.latitude if tos.latitude is not None else "",
        "longitude": tos.longitude if tos.longitude is not None else "",
        "radius_m": tos.radius_m or "",
        "polygon": "; ".join(f"{a} {b}" for a, b in tos.polygon) if tos.polygon else "",
        "contacts": tos.contacts or "",
        "public_contact": tos.public_contact or "",
        "description": tos.description or "",
        "active": labels["yes" if tos.active else "no"],
    }


def _org_row(org: Organisation, labels: dict[str, str]) -> dict[str, Any]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        type=labels["org"],
        name=org.name,
        kind=labels[f"kind:{org.kind}"],
        contacts=org.contacts or "",
        description=org.description or "",
        active=labels["yes" if org.active else "no"],
    )
    return row


def table(tos: list[Tos], orgs: list[Organisation], labels: dict[str, str]) -> list[list[Any]]:
    """The registry as rows; `labels` holds headers and words in the reader's language."""
    rows: list[list[Any]] = [[labels[f"col:{key}"] for key in COLUMNS]]
    for record in tos:
        item = _tos_row(record, labels)
        rows.append([item[key] for key in COLUMNS])
    for org in orgs:
        item = _org_row(org, labels)
        rows.append([item[key] for key in COLUMNS])
    return rows
