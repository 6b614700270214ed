"""`python -m bot report` and `export` say which database they read, take `--db`, and refuse a
database that is not there (instead of creating an empty one and reporting zeros)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.conftest import ADMIN_ID
from tests.kit import running
from tests.test_reports import seed

EXPORT = [
    "export",
    "--what",
    "requests",
    "--from",
    "2026-01-01",
    "--to",
    "2026-12-31",
    "--format",
    "csv",
]


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A server folder without .env or DATABASE_PATH, as a first try from the README."""
    for name in ("BOT_TOKEN", "DATABASE_PATH", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "server"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("command", [["report", "--year", "2026"], EXPORT])
def test_a_missing_database_is_refused_not_created(
    no_settings: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert "data/tos-bot.sqlite3" in err and "--db" in err and "DATABASE_PATH" in err
    assert not (no_settings / "data").exists()
    assert not (no_settings / "out").exists()

    assert main([*command, "--out", "out", "--db", "elsewhere/bot.sqlite3"]) == 2
    assert "elsewhere/bot.sqlite3" in capsys.readouterr().err
    assert not (no_settings / "elsewhere").exists()


@pytest.mark.parametrize("command", [["report", "--year", "2026"], EXPORT])
def test_a_file_that_is_not_our_database_is_refused_and_left_alone(
    no_settings: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (no_settings / "notes.txt").write_text("not a database")
    assert main([*command, "--out", "out", "--db", "notes.txt"]) == 2
    assert "not a SQLite database" in capsys.readouterr().err
    sqlite3.connect(no_settings / "empty.sqlite3").close()
    assert main([*command, "--out", "out", "--db", "empty.sqlite3"]) == 2
    assert "not a tos-bot database" in capsys.readouterr().err
    with sqlite3.connect(no_settings / "empty.sqlite3") as conn:  # not migrated behind our back
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0


@pytest.mark.sqlite_only(
    "--db names a SQLite file; on PostgreSQL the server's commands read "
    "DATABASE_URL (test_reports.py, test_report_periods.py)"
)
def test_db_names_the_database_and_is_read(
    no_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
            await seed(h)

    asyncio.run(prepare())
    database = tmp_path / "db" / "bot.sqlite3"
    assert (
        main(["report", "--year", "2026", "--out", "out", "--db", str(database), "--lang", "en"])
        == 0
    )
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == f"Database: {database}"
    assert "Support requests received: 2" in printed
    assert main([*EXPORT, "--out", "out", "--db", str(database)]) == 0
    assert f"Database: {database}" in capsys.readouterr().out
    assert (no_settings / "out" / "requests-2026-01-01-2026-12-31.csv").exists()
    assert not (no_settings / "data").exists()
