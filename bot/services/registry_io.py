"""The registry as a file: import from CSV or XLSX (planned row by row first), export back.

One table holds both TOS and organisations; a `type` column tells them apart. Headers and
words in cells may be in any language we speak: the vocabulary is in locales/.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.i18n import Words, normalize_label
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
from storage.repositories.registry import OrgRecord, TosRecord, name_key

MAX_FILE_BYTES = 1_000_000
MAX_ROWS = 5_000

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
        raise DomainError(
            N_("The file's encoding is not UTF-8 or Windows-1251. Save it as CSV UTF-8.")
        ) from None


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
    """The file's rows as text cells; raises DomainError for a file we cannot read."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            N_("The file is too big: up to {size} KB, please."), size=MAX_FILE_BYTES // 1000
        )
    name = filename.lower()
    if name.endswith(".xlsx"):
        # Loaded only when a spreadsheet comes: openpyxl (with numpy) costs 36 MB of memory.
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError):
            raise DomainError(N_("This is not a readable XLSX file.")) from None
        try:
            sheet = book.worksheets[0]
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    elif name.endswith((".csv", ".txt")):
        text = _decode(data)
        # The header row tells the delimiter: Excel in Russian writes «;», others «,».
        header = text.split("\n", 1)[0]
        delimiter = max(";,\t", key=header.count)
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        rows = [[c.strip() for c in row] for row in reader]
    else:
        raise DomainError(N_("Send the registry as a CSV or XLSX file."))
    rows = [row for row in rows if any(row)]
    if len(rows) > MAX_ROWS + 1:
        raise DomainError(N_("Too many rows: up to {count} at a time."), count=MAX_ROWS)
    return rows


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
    existing_tos: dict[str, TosRecord],
    existing_orgs: dict[str, OrgRecord],
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
                DomainError(N_("«{value}» is not a type: write TOS or organisation."),
                            value=cells.get("type", ""))
            )  # fmt: skip
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


def _tos_row(tos: TosRecord, labels: dict[str, str]) -> dict[str, Any]:
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


def _org_row(org: OrgRecord, labels: dict[str, str]) -> dict[str, Any]:
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


def table(tos: list[TosRecord], orgs: list[OrgRecord], labels: dict[str, str]) -> list[list[Any]]:
    """The registry as rows; `labels` holds headers and words in the reader's language."""
    rows: list[list[Any]] = [[labels[f"col:{key}"] for key in COLUMNS]]
    for record in tos:
        item = _tos_row(record, labels)
        rows.append([item[key] for key in COLUMNS])
    for org in orgs:
        item = _org_row(org, labels)
        rows.append([item[key] for key in COLUMNS])
    return rows
