"""Issue 13: the registry import reads a hostile file within bounded memory and time, and
says why it refused it; a long dry run is summarised, with the full list as a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest import MonkeyPatch

from tests.conftest import ADMIN_ID
from tests.hostile_files import (
    HOSTILE,
    far_cell_xlsx,
    legit_xlsx,
    many_styles_xlsx,
    shared_strings_xlsx,
    zip_bomb_xlsx,
)
from tests.kit import running
from tests.test_registry import import_file

ROOT = Path(__file__).resolve().parent.parent
GROWTH_LIMIT_KB = 8 * 1024  # "a few MB" over what the bot held before the file came

REFUSALS_RU = {
    "far cell, declared": (
        "Лист «Sheet» занимает диапазон A1:XFD1048576, а в реестре не больше 5\xa0000 строк "
        "и 64 столбцов. Удалите всё, что за пределами таблицы, или скопируйте таблицу в новый "
        "файл."
    ),
    "far cell, undeclared": "Слишком много строк: не больше 5000 за раз.",
    "wide row": (
        "В строке 2 больше 64 столбцов — в реестре их меньше. Проверьте разделитель в файле."
    ),
    "zip bomb": (
        "Этот файл XLSX распаковывается больше чем в 20 МБ — реестр столько не занимает. "
        "Скопируйте таблицу в новый файл, без картинок."
    ),
    "many parts": (
        "Внутри этого файла XLSX частей: 5009 — больше, чем бывает у таблицы. Скопируйте "
        "таблицу в новый файл."
    ),
    "shared strings": (
        "В этом файле XLSX больше текста, чем бывает в реестре: больше 50\xa0000 разных текстов "
        "или 10 МБ. Скопируйте таблицу в новый файл."
    ),
    "many styles": (
        "Оформление или настройки этого файла XLSX слишком велики, чтобы их прочитать (часть "
        "xl/styles.xml). Скопируйте таблицу в новый файл без оформления."
    ),
    "long row": (
        "В строке 300 больше 64 столбцов — в реестре их меньше. Проверьте разделитель в файле."
    ),
    "garbage xlsx": "Не удаётся прочитать этот файл XLSX.",
    "garbage csv": ("Кодировка файла — не UTF-8 и не Windows-1251. Сохраните его как «CSV UTF-8»."),
    "huge csv field": (
        'В строке 2 есть ячейка длиннее 100\xa0000 символов — возможно, не закрыта кавычка «"».'
    ),
    "many csv columns": (
        "В строке 2 больше 64 столбцов — в реестре их меньше. Проверьте разделитель в файле."
    ),
    "many csv rows": "Слишком много строк: не больше 5000 за раз.",
    "utf-16 csv": "Кодировка файла — не UTF-8 и не Windows-1251. Сохраните его как «CSV UTF-8».",
    "20 MB said to be 1 byte": "Файл слишком большой: допускается до 1000 КБ.",
}


def test_hostile_files_are_refused_within_a_memory_cap(tmp_path: Path) -> None:
    """In a process of its own whose address space is capped: a file that would make the bot
    allocate gigabytes fails there, not on the machine running the tests."""
    assert set(REFUSALS_RU) == set(HOSTILE)
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile_files", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = {r["case"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert set(results) == set(HOSTILE), done.stderr[-3000:]
    for case, expected in REFUSALS_RU.items():
        assert results[case]["reply"] == expected, case
        assert results[case]["grown_kb"] <= GROWTH_LIMIT_KB, (case, results[case]["grown_kb"])


async def test_hostile_files_refused_in_english(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        john = await h.consented(h.user("John", user_id=ADMIN_ID, language_code="en"))
        [far] = await import_file(john, "r.xlsx", far_cell_xlsx(dimension=True))
        assert far.text == (
            "The sheet «Sheet» spans A1:XFD1048576, while a registry has at most 5,000 rows and "
            "64 columns. Delete what lies beyond the table, or copy the table into a new file."
        )
        [bomb] = await john.send_document("r.xlsx", zip_bomb_xlsx())
        assert bomb.text == (
            "This XLSX file unpacks to more than 20 MB, more than a registry takes. Copy the "
            "table into a new file, without pictures."
        )
        [texts] = await john.send_document("r.xlsx", shared_strings_xlsx())
        assert texts.text == (
            "This XLSX file holds more text than a registry: over 50,000 different texts or 10 "
            "MB. Copy the table into a new file."
        )
        [styles] = await john.send_document("r.xlsx", many_styles_xlsx())
        assert styles.text == (
            "The formatting or settings of this XLSX file are too big to read (its part "
            "xl/styles.xml). Copy the table into a new file, without formatting."
        )
        field = ("type,name\ntos," + '"' + "x" * 200_000 + '"\n').encode()
        [long] = await john.send_document("r.csv", field)
        assert long.text == (
            'Row 2 has a cell longer than 100,000 characters: perhaps a quote «"» is not closed.'
        )
        wide = ("type,name\ntos,North" + ",1" * 20_000).encode()
        [columns] = await john.send_document("r.csv", wide)
        assert columns.text == (
            "Row 2 has more than 64 columns, more than a registry has. Check the file's delimiter."
        )
        assert await h.app.db.read.registry.all_tos() == []


def slid_file(rows: int) -> bytes:
    """A file whose columns slid by one: each coordinate cell holds the next column's text,
    and every bad cell is echoed in the dry run."""
    header = "тип;название;широта;долгота;радиус в метрах;описание\n"
    text = "Совет ТОС собирается по четвергам в библиотеке, " * 18  # 900 characters
    lines = [f"ТОС;ТОС «Квартал {n}»;{text}{n};{text};{text};54.6\n" for n in range(rows)]
    return (header + "".join(lines)).encode()


async def test_a_long_dry_run_is_summarised_with_the_full_list_as_a_file(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, 2})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=2, language_code="en"))
        for person, header, first_row, more, file_note in (
            (maria, "Пробная проверка", "• строка 2: ", "…и ещё 5", "Полный список проблем"),
            (john, "Dry run", "• row 2: ", "…and 5", "The full list of problems is in the file"),
        ):
            replies = await import_file(person, "r.csv", slid_file(60))
            summary, listing = replies
            assert header in summary.text and first_row in summary.text
            assert file_note in summary.text
            assert more in summary.text  # "…and 55 more." or fewer when the room is short
            assert listing.file is not None
            name, content = listing.file
            assert name.endswith(".csv")
            table = content.decode("utf-8-sig")
            # Every bad row, each cell's problem in full.
            for n in range(60):
                assert f"{n + 2};" in table
                assert f"по четвергам в библиотеке, {n}" in table
        assert await h.app.db.read.registry.all_tos() == []


async def test_a_short_dry_run_comes_as_one_message(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        short = "тип;название;широта;долгота\nТОС;ТОС «А»;север;1\nТОС;ТОС «Б»;юг;1\n"
        [dry] = await import_file(maria, "r.csv", short.encode())
        assert "• строка 3: «юг» — не число." in dry.text
        assert "Полный список" not in dry.text


async def test_an_import_reads_its_file_once(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    """The dry run reads the file; pressing «Import» writes what it read, not a new read."""
    import bot.services.registry as registry_module

    reads: list[str] = []
    real = registry_module.read_table

    def counted(data: bytes, filename: str) -> list[list[str]]:
        reads.append(filename)
        return real(data, filename)

    monkeypatch.setattr(registry_module, "read_table", counted)
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        [dry] = await import_file(maria, "r.xlsx", legit_xlsx())
        assert "Добавить: 200 строк" in dry.text
        [done] = await maria.press("✅ Импортировать 200 строк")
        assert done.text == "Импорт завершён: добавлено — 200, обновлено — 0, пропущено — 0."
        assert reads == ["r.xlsx"]
        assert len(await h.app.db.read.registry.all_tos()) == 200
