"""`python -m bot sandbox --demo` as a newcomer runs it: no token, no network; a terminal
conversation typed on stdin completes an initiative and a staff member sees it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.e2e.kit import ROOT

SCRIPT = [
    "/start", "1",  # consent
    "k1", "2",  # 💡 Propose an initiative -> healthy lifestyle and sport
    "Турник во дворе", "Поставить турник и брусья у дома на улице Мира, 3.",
    "/photo", "1",  # one photo, done
    "/loc", "2", "1",  # the town centre, stay anonymous, send
    "/as staff", "/start", "1", "/chat staff", "/show",
    "/chat me", "/report 2026", "/inbox", "/competitions", "/events",
    "/as chair", "/start", "1", "/tos", "/competitions", "1",
    "/as staff", "/show",  # the report, which took a moment to draw
    "/quit",
]  # fmt: skip


async def test_a_newcomer_completes_an_initiative_in_the_terminal(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}  # no BOT_TOKEN at all
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--demo", "--db", str(tmp_path / "s.sqlite3"),
        cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        script = "\n".join(SCRIPT).encode() + b"\n"
        stdout, stderr = await asyncio.wait_for(proc.communicate(script), 90)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out = stdout.decode()
    assert proc.returncode == 0, out[-2000:] + stderr.decode()[-2000:]
    assert "Demo town «Заречноводск» loaded: 18 TOS, 34 organisations." in out
    assert "[1] ✅ Даю согласие" in out
    assert "зарегистрирована под номером И-2026-0005" in out
    assert "now in the staff chat" in out
    assert "ТОС «Берёзка»" in out  # the chair's own TOS card
    # The demo's requests, competition and events, as staff and the chair see them.
    assert "Открытые обращения: 3" in out and "З-2026-0003 · дан ответ" in out
    assert "🏆 Городской конкурс социально значимых проектов" in out
    assert "Субботник на набережной" in out and "Собрание жителей ТОС" in out
    assert "📝 Подать заявку от «ТОС «Берёзка»»" in out
    assert "report-2026.docx" in out
    assert "Traceback" not in out + stderr.decode()
    log = (tmp_path / "s.log").read_text(encoding="utf-8")
    assert "bot started" in log and "Traceback" not in log
