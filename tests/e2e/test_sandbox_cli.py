"""`python -m bot sandbox --demo` as a newcomer runs it: no token, no network; a terminal
conversation typed on stdin completes an initiative and a staff member sees it."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from pathlib import Path

import pytest

from bot.app import create_app
from bot.sandbox.demo import DemoPeople
from bot.sandbox.run import SANDBOX_TOKEN, bot_busy, sandbox_settings, start_polling, stop_bot
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import ROOT

SCRIPT = [
    "/start",
    "1",  # consent
    "k1",
    "2",  # 💡 Propose an initiative -> healthy lifestyle and sport
    "Турник во дворе",
    "Поставить турник и брусья у дома на улице Мира, 3.",
    "/photo",
    "1",  # one photo, done
    "/loc",
    "2",
    "1",  # the town centre, stay anonymous, send
    "/as staff",
    "/start",
    "/chat staff",
    "/show",  # the demo's staff have consented
    "/chat me",
    "/report 2026",
    "/inbox",
    "/competitions",
    "/events",
    "/as chair",
    "/start",
    "/tos",
    "/competitions",
    "1",
    "/as staff",
    "/show",  # the report, which took a moment to draw
    "/quit",
]


async def _sandbox(
    tmp_path: Path,
    script: list[str],
    args: tuple[str, ...] | None = None,
    **env_extra: str,
) -> tuple[int | None, str, str]:
    """Run `python -m bot sandbox --demo` (or with `args`) with `script` typed on stdin:
    (exit code, out, err)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env_extra}  # no token
    if args is None:
        args = ("--demo", "--db", str(tmp_path / "s.sqlite3"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        *args,
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdin = "\n".join(script).encode() + b"\n"
        stdout, stderr = await asyncio.wait_for(proc.communicate(stdin), 90)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, stdout.decode(), stderr.decode()


async def test_a_newcomer_completes_an_initiative_in_the_terminal(tmp_path: Path) -> None:
    code, out, err = await _sandbox(tmp_path, SCRIPT)
    assert code == 0, out[-2000:] + err[-2000:]
    assert "Demo town «Заречноводск» loaded: 18 TOS, 34 organisations." in out
    assert "[1] ✅ Даю согласие" in out
    assert "зарегистрирована под номером И-2026-0005" in out
    assert "now in the staff chat" in out
    assert "ТОС «Берёзка»" in out  # the chair's own TOS card
    # The demo's requests, competition and events, as staff and the chair see them.
    assert "Открытые обращения: 3" in out and "З-2026-0003 · дан ответ" in out
    assert "🏆 Городской конкурс социально значимых проектов" in out
    assert "Субботник на набережной" in out and "Собрание жителей ТОС" in out
    assert "📝 Подать заявку от «ТОС „Берёзка“»" in out
    assert "report-2026.docx" in out
    assert "Traceback" not in out + err and "no button" not in out
    log = (tmp_path / "s.log").read_text(encoding="utf-8")
    assert "bot started" in log and "Traceback" not in log


async def test_a_report_then_quit_at_once_shows_the_report_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    """The terminal waits for the slow reply (a chart is drawn) before its next prompt, and
    /quit right after it stops the bot before the database closes: no errors anywhere."""
    script = ["/as staff", "/start", "/report 2026", "/quit"]
    code, out, err = await _sandbox(tmp_path, script)
    assert code == 0, out[-2000:] + err[-2000:]
    headline = "Заречноводск: Отчёт о взаимодействии с общественностью за 2026 год"
    assert headline in out and "report-2026.md" in out
    # Right after the command, before the prompt that read /quit; not "N new for ..." in
    # her own chat. (The staff chat may get the morning digest: the demo's staff consented,
    # and a digest missed before the start goes out when the bot starts after DIGEST_TIME.)
    prompt = "Марина (администрация) @ private> "
    assert out.index(headline) < out.rindex(prompt)
    assert "new for Марина" not in out
    log = (tmp_path / "s.log").read_text(encoding="utf-8")
    assert "database closed" in log
    for bad in ("closed database", "Traceback", "ERROR", "WARNING"):
        assert bad not in log and bad not in err, (bad, log[-3000:], err[-2000:])


async def test_a_stop_while_an_update_is_handled_waits_for_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopping mid-update (a report still drawing): the updates stop, the handler finishes
    and answers, and only then does the app shut down and close the database."""
    caplog.set_level(logging.INFO)
    people = DemoPeople()
    admin = people.admin[0]
    server = await SandboxServer(SANDBOX_TOKEN).start()
    try:
        server.user(admin, "Марина")
        settings = sandbox_settings(server, tmp_path / "s.sqlite3", people, demo=False)
        app = await create_app(settings)
        try:
            polling = start_polling(app)
            await server.wait_for(lambda: server.polls_waiting, 30, "the bot to poll")
            server.send_text(admin, "/start")
            # Polling takes the next batch while an update is handled: wait for the answers
            # themselves, not for a quiet moment (a loaded machine is slower than 0.15 s).
            consent = await server.wait_for(
                lambda: server.last_with_buttons(admin), 30, "the consent question"
            )
            button = consent["reply_markup"]["inline_keyboard"][0][0]
            server.press(admin, consent["message_id"], data=button["callback_data"])
            await server.settle()  # taken by the bot; then handled:
            await server.wait_for(lambda: app.tracker.in_flight == 0, 30, "the consent saved")
            sent_before = len(server.sent_to(admin))
            server.send_text(admin, "/report 2026")
            await server.wait_for(lambda: app.tracker.in_flight, 10, "the report to start")
            assert await bot_busy(app, admin)
            await stop_bot(app, server, polling)
            assert polling.done() and polling.exception() is None
        finally:
            await app.close()
    finally:
        await server.stop()
    report = [item.text for item in server.sent_to(admin)[sent_before:]]
    # The headline: «<town>: Отчёт … за 2026 год» (no town set here: the title alone).
    assert report[0].split("\n")[0].endswith("за 2026 год"), report
    assert any(
        "report-2026" in m.get("document", {}).get("file_name", "")
        for m in server.chat_messages(admin)
    ), report
    assert app.tracker.in_flight == 0
    messages = [r.getMessage() for r in caplog.records]
    assert "database closed" in messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], messages


CARD_ID = re.compile(r"── bot #(\d+) ──\n🏘 ТОС «Берёзка»")


async def test_the_demo_staff_work_in_the_staff_chat_at_once(tmp_path: Path) -> None:
    """The demo's staff member and chair come set up: consent given, so the staff chat
    answers them without a private /start first."""
    script = ["/as staff", "/chat staff", "/inbox", "/quit"]
    code, out, err = await _sandbox(tmp_path, script)
    assert code == 0, out[-2000:] + err[-2000:]
    assert "Открытые обращения: 3" in out, out[-3000:]


async def test_in_the_staff_chat_a_person_without_consent_is_told_why_the_bot_is_silent(
    tmp_path: Path,
) -> None:
    script = ["/as staff", "/chat staff", "/inbox", "/inbox", "/quit"]
    code, out, err = await _sandbox(tmp_path, script, ("--db", str(tmp_path / "s.sqlite3")))
    assert code == 0, out[-2000:] + err[-2000:]
    note = "Бот отвечает только тем, кто дал согласие на обработку персональных данных."
    assert out.count(note) == 1, out[-3000:]
    assert "[1] Открыть бота" in out


async def test_a_restart_with_db_goes_on_with_the_same_chats(tmp_path: Path) -> None:
    """The second run shows the first one's chat, its old buttons still work (the pop-up
    answer to a press shows), and the bot edits the message it means."""
    first = ["/start", "1", "/tos", "Ленина, 15", "/quit"]
    code, out, err = await _sandbox(tmp_path, first)
    assert code == 0, out[-2000:] + err[-2000:]
    found = CARD_ID.search(out)
    assert found, out[-3000:]
    card = int(found.group(1))
    second = ["/show", f"/press #{card} 1", "/quit"]
    code, out, err = await _sandbox(tmp_path, second)
    assert code == 0, out[-2000:] + err[-2000:]
    assert "Demo town «Заречноводск» already in the database" in out
    assert f"#{card} bot: 🏘 ТОС «Берёзка»" in out  # /show: the card from the first run
    assert "(pop-up) Вы вступили в «ТОС „Берёзка“»." in out
    assert f"(#{card}: buttons removed)" in out  # the card that was pressed, not another
    new = [int(n) for n in re.findall(r"── bot #(\d+) ──", out)]
    assert new and min(new) > card, out[-3000:]  # numbers go on after the first run's
    assert "✅ Вы участник." in out
    assert "Traceback" not in out + err


async def test_buttons_of_an_older_message_and_alerts(tmp_path: Path) -> None:
    """/press #ID N presses a button of any message; an alert answering a press is shown."""
    script = [
        "/as staff",
        "/chat staff",
        "/inbox",  # a list with buttons, in the staff chat
        "/as boris",
        "/chat staff",
        "1",  # Boris has not consented: an alert
        "/as anna",
        "/start",
        "/start",
        "/press #2 1",  # the older of two consent notices
        "/quit",
    ]
    code, out, err = await _sandbox(tmp_path, script)
    assert code == 0, out[-2000:] + err[-2000:]
    assert "(alert) Чтобы пользоваться ботом, сначала дайте согласие" in out, out[-3000:]
    assert "Спасибо! Ваше согласие сохранено." in out, out[-3000:]
    assert "no button" not in out


async def test_the_temporary_folder_goes_with_quit(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    code, out, err = await _sandbox(tmp_path, ["/start", "/quit"], (), TMPDIR=str(temporary))
    assert code == 0, out[-2000:] + err[-2000:]
    assert "tos-sandbox-" in out  # it said where the database was, for the session
    assert list(temporary.iterdir()) == []
