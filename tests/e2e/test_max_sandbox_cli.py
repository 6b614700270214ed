"""`python -m bot sandbox --messenger max` and `--messenger both`: a person tries the bot on a
local MAX in the terminal (the menu as MAX's message buttons), with the staff on MAX or on
Telegram, from one database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_sandbox_cli import _sandbox

SCRIPT = [
    "/start",
    "1",  # consent
    "1",
    "2",  # the menu's «💡 Propose an initiative» (a message button), healthy lifestyle
    "Турник во дворе",
    "Поставить турник и брусья у дома на улице Мира, 3.",
    "/photo",
    "1",  # one photo, done
    "/loc",
    "2",
    "1",  # the town centre, stay anonymous, send
    "/as staff",
    "/start",
    "/report 2026",
    "/quit",
]


@pytest.mark.parametrize("messenger", ["max", "both"])
async def test_an_initiative_on_max_in_the_terminal(tmp_path: Path, messenger: str) -> None:
    db = str(tmp_path / "s.sqlite3")
    code, out, err = await _sandbox(
        tmp_path, SCRIPT, ("--demo", "--messenger", messenger, "--db", db)
    )
    assert code == 0, out[-2000:] + err[-2000:]
    assert "Demo town «Заречноводск» loaded: 18 TOS, 34 organisations." in out
    assert "[1] 💡 Предложить инициативу   [2] 🤝 Обратиться за поддержкой" in out
    assert "зарегистрирована под номером И-2026-0005" in out
    assert "report-2026.docx" in out
    assert "Traceback" not in out + err and "no button" not in out
    log = (tmp_path / "s.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "ERROR" not in log
    assert (tmp_path / "s.sandbox-max.jsonl").exists()
    assert (tmp_path / "s.sandbox.jsonl").exists() == (messenger == "both")
