"""Every flow on MAX with the same handlers (issue 16): the bot runs in this process against
the local MAX server (and the local Telegram one, for a town on both), over HTTP, with the
sandbox's demo town.

`max`: everyone on MAX, the staff chat a MAX group. `both`: residents and the chair on MAX, the
staff and their chat on Telegram, one database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, create_app
from bot.sandbox.demo import DEMO, DemoPeople, DemoTown, load_demo
from bot.sandbox.max_server import MaxSandboxServer
from bot.sandbox.run import (
    MAX_SANDBOX_TOKEN,
    MAX_STAFF_CHAT,
    SANDBOX_TOKEN,
    STAFF_CHAT,
    internal_people,
    sandbox_settings,
    start_polling,
    stop_bot,
)
from bot.sandbox.server import SandboxServer
from bot.services.users import NOTICE_VERSION
from handlers.links import qr_photo
from tests.databases import database_settings
from tests.e2e.kit import WAIT, Person


class InProcess:
    """The bot in this process (what BotProcess is for `python -m bot`): Person waits here."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def wait(self, predicate: Callable[[], Any], what: str) -> Any:
        return await self.server.wait_for(predicate, WAIT, what)


@dataclass
class Town:
    app: App
    max: MaxSandboxServer
    telegram: SandboxServer | None
    demo: DemoTown
    bot: InProcess
    staff_chat: int

    def person(self, on_max: bool, user_id: int, name: str) -> Person:
        server: Any = self.max if on_max or self.telegram is None else self.telegram
        return Person(server, InProcess(server), user_id, name)

    @property
    def staff(self) -> Person:
        """The demo's admin, in a private chat (on Telegram when it runs)."""
        admin_id, name = DemoPeople().admin
        return self.person(self.telegram is None, admin_id, name)

    @property
    def chair(self) -> Person:
        return self.person(True, *DemoPeople().chair)

    @property
    def anna(self) -> Person:
        return self.person(True, *DemoPeople().residents[0])


Seed = Callable[[App, DemoTown], Awaitable[None]]


@asynccontextmanager
async def running_town(
    tmp_path: Path, layout: str, seed: Seed | None = None, **settings: Any
) -> AsyncIterator[Town]:
    """The demo town with the bot polling; `seed` adds to the database before the bot starts."""
    people = DemoPeople()
    max_server = await MaxSandboxServer(MAX_SANDBOX_TOKEN, bot_name=DEMO.bot_name).start()
    telegram = await SandboxServer(SANDBOX_TOKEN).start() if layout == "both" else None
    servers: list[Any] = [s for s in (max_server, telegram) if s is not None]
    try:
        settings = {**database_settings(tmp_path), **settings}  # the backend under test
        config = sandbox_settings(
            telegram, tmp_path / "s.sqlite3", people, True, max_server, **settings
        )
        app = await create_app(config)
        try:
            staff_server: Any = telegram or max_server
            staff_chat = STAFF_CHAT if telegram is not None else MAX_STAFF_CHAT
            staff_server.group(staff_chat, DEMO.staff_chat_title)
            on_max = {"anna", "chair"} | ({"staff", "authors"} if telegram is None else set())
            demo = await load_demo(app.db, app.clock, await internal_people(app, people, on_max))
            town = Town(app, max_server, telegram, demo, InProcess(max_server), staff_chat)
            for person in (town.anna, town.chair, town.staff):
                person.server.user(person.id, person.first_name)
            if seed is not None:
                await seed(app, demo)
            polling = start_polling(app)
            try:
                for server in servers:
                    await server.wait_for(lambda s=server: s.polls_waiting, WAIT, "the bot")
                yield town
            finally:
                await stop_bot(app, servers, polling)
        finally:
            await app.close()
    finally:
        for server in servers:
            await server.stop()


@pytest.fixture(params=["max", "both"])
async def town(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Town]:
    async with running_town(tmp_path, request.param) as running:
        yield running


@pytest.fixture
async def max_town(tmp_path: Path) -> AsyncIterator[Town]:
    async with running_town(tmp_path, "max") as running:
        yield running


def buttons_of(person: Person) -> list[dict[str, Any]]:
    """The buttons of the latest message with buttons in the person's chat."""
    view = person.server.last_with_buttons(person.chat_id) or {}
    rows = view.get("reply_markup", {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def latest(person: Person) -> dict[str, Any]:
    return dict(person.server.chat_messages(person.chat_id)[-1])


def file_content(server: MaxSandboxServer, name: str) -> bytes:
    [found] = [f.content for f in server.files.values() if f.name == name]
    return found


async def test_a_resident_on_max_events_ics_tos_competitions_language_privacy(
    town: Town,
) -> None:
    anna = await town.anna.consent()

    # Events: the card, signing up, the .ics file.
    [listing] = await anna.send("/events")
    assert "Субботник на набережной" in listing.text
    [card] = await anna.press("Субботник на набережной")
    assert "Занято мест: 2 из 40" in card.text
    [signed] = await anna.press("✅ Записаться")
    assert "✅ Вы записаны." in signed.text and "Занято мест: 3 из 40" in signed.text
    await anna.press("🗓 Добавить в календарь")
    document = latest(anna).get("document") or {}
    assert document.get("file_name", "").endswith(".ics")
    ics = file_content(town.max, document["file_name"]).decode()
    assert ics.startswith("BEGIN:VCALENDAR") and "Субботник на набережной" in ics

    # /tos by a shared location; by street (a typo forgiven), and joining.
    await anna.send("/tos")
    [near] = await anna.send_location(54.64, 83.30)
    assert near.text.startswith("🏘 ТОС")
    await anna.send("/tos")
    [found] = await anna.send("Ленена, 15")
    assert found.text.startswith("🏘 ТОС «Берёзка»")
    query = town.max.press(anna.id, found.message_id, "✅ Вступить")
    await anna.bot.wait(lambda: query in town.max.callback_answers, "the join answered")
    await town.max.settle()
    assert town.max.callback_answers[query]["text"] == "Вы вступили в «ТОС „Берёзка“»."

    # Competitions: the chair (on MAX) may apply for the TOS.
    chair = town.chair
    [competitions] = await chair.send("/competitions")
    assert "Городской конкурс социально значимых проектов" in competitions.text
    [competition] = await chair.press("Городской конкурс социально значимых проектов")
    assert "📝 Подать заявку от «ТОС „Берёзка“»" in competition.labels

    # The language, then the consent withdrawn.
    await anna.send("/lang")
    query = town.max.press(anna.id, latest(anna)["message_id"], "English")
    await anna.bot.wait(lambda: query in town.max.callback_answers, "the language answered")
    await town.max.settle()
    [help_text] = await anna.send("/help")
    assert "/initiative" in help_text.text and "инициатив" not in help_text.text.lower()
    [notice] = await anna.send("/privacy")
    assert "Withdraw consent" in notice.labels
    await anna.press("Withdraw consent", expect=0)
    await town.max.settle()
    [done] = await anna.press(buttons_of(anna)[0]["text"])
    assert done.text.startswith("Done. Your consent is withdrawn")
    assert town.app.transport is not None and town.app.transport.ids is not None
    user = await town.app.db.read.users.get(await town.app.transport.ids.person(anna.id))
    assert user is not None and not user.has_consent and user.first_name is None


async def test_staff_on_max_digest_report_export_and_links_that_open_max(max_town: Town) -> None:
    town = max_town
    staff = town.staff
    [digest, _choice] = await staff.send("/digest", expect=2)
    assert digest.text.startswith("Сводка с ") and "И-2026-0001" in digest.text

    # The report: the figures, then the DOCX and the Markdown, uploaded to MAX as files.
    [figures, docx, markdown] = await staff.send("/report 2026", expect=3)
    assert "Отчёт о взаимодействии с общественностью за 2026 год" in figures.text
    names = [
        m["document"]["file_name"] for m in town.max.chat_messages(staff.id) if m.get("document")
    ]
    assert names == ["report-2026.docx", "report-2026.md"]
    assert file_content(town.max, "report-2026.docx").startswith(b"PK")  # a zip: a DOCX
    assert "Отчёт" in docx.text and "Markdown" in markdown.text

    # An export: three choices, then the CSV file.
    await staff.send("/export")
    for label in ("Инициативы", "Этот год", "CSV"):
        await staff.press(label, expect=0)
    document = await staff.bot.wait(lambda: latest(staff).get("document"), "the export file")
    content = file_content(town.max, document["file_name"]).decode("utf-8-sig")
    assert document["file_name"].endswith(".csv") and "И-2026-0001" in content

    # The registry: exported as CSV on MAX, and the same file imported (a dry run first).
    await staff.send("/registry")
    await staff.press("📤 Выгрузить CSV")
    exported = await staff.bot.wait(lambda: latest(staff).get("document"), "the registry file")
    content = file_content(town.max, exported["file_name"])
    await staff.send("/registry")
    await staff.press("📥 Загрузить CSV/XLSX")
    [dry_run] = await staff._expect(
        lambda: town.max.send_document(staff.id, "registry.csv", content), 1, "the dry run"
    )
    assert dry_run.text.startswith("Пробная проверка: пока ничего не записано.")
    assert "Обновить: 52 строки" in dry_run.text

    # The chair's join poster: its QR code and its link open the bot on MAX, not Telegram.
    chair = town.chair
    await chair.send("/tos")
    [poster] = await chair.press("🔳 Плакат для вступления")
    link = poster.text.split()[-1]
    assert link.startswith("https://max.ru/tos_sandbox_bot?start=tos_")
    assert file_content(town.max, "join.png") == qr_photo(link, "join.png").data

    # In the staff group, a person who has not consented is shown the way to the bot on MAX.
    boris = town.person(True, *DemoPeople().residents[1]).in_chat(town.staff_chat)
    [note] = await boris.send("/inbox")
    assert note.text.startswith("Бот отвечает только тем, кто дал согласие")
    assert buttons_of(boris)[0]["url"] == "https://max.ru/tos_sandbox_bot"


async def test_a_request_on_max_answered_in_its_thread_in_the_max_staff_chat(
    max_town: Town,
) -> None:
    town = max_town
    staff = town.staff.in_chat(town.staff_chat)
    anna = await town.anna.consent()
    await anna.send("/request", expect=2)
    await anna.press("Методическая консультация")
    await anna.send("Как оформить протокол собрания ТОС? Нужен образец.")
    [ask_phone] = await anna.send("завтра")
    _, ask_file = await anna.press("📱 Поделиться телефоном", expect=2)
    [preview] = await anna.press(buttons_of(anna)[-1]["text"])
    [done, *_] = await anna.press("✅ Отправить")
    number = re.findall(r"З-2026-\d{4}", done.text)[0]
    card = await town.bot.wait(
        lambda: next((o for o in staff.inbox if o.text.startswith(f"Обращение {number}")), None),
        "the card in the MAX staff chat",
    )
    [ack] = await staff.send("Образец протокола пришлём сегодня.", reply_to=card.message_id)
    assert "отправлен заявителю" in ack.text
    answer = await town.bot.wait(
        lambda: next((o for o in anna.inbox if "Образец протокола" in o.text), None), "the answer"
    )
    [sent] = await anna.send("Спасибо, жду.", reply_to=answer.message_id)
    assert "Отправлено в администрацию" in sent.text
    follow = await town.bot.wait(
        lambda: next((o for o in staff.inbox if "Спасибо, жду." in o.text), None), "her reply"
    )
    under = town.max.message_view(town.staff_chat, follow.message_id)
    assert under is not None
    linked = town.max.messages[under["mid"]].get("link") or {}
    assert linked.get("message", {}).get("seq") == card.message_id  # under the card
    assert ask_phone and ask_file and preview


START_IN = 30  # seconds from seeding to the event's start
REMIND_AT = 20  # EVENT_REMINDERS: seconds before the start


async def test_an_event_reminder_reaches_a_resident_on_max_once(tmp_path: Path) -> None:
    anna_id, anna_name = DemoPeople().residents[0]

    async def seed(app: App, demo: DemoTown) -> None:
        assert app.transport is not None and app.transport.ids is not None
        anna = await app.transport.ids.person(anna_id)
        now = app.clock.now()
        starts = now + timedelta(seconds=START_IN)
        async with app.db.transaction() as uow:
            await uow.users.ensure(anna, now)
            await uow.users.give_consent(anna, NOTICE_VERSION, now)
            event = await uow.events.create(
                {
                    "title": "Встреча у фонтана",
                    "place": "Сквер",
                    "organiser": "ТОС",
                    "joint": 0,
                    "capacity": None,
                    "audience_tos": None,
                    "owner_kind": "tos",
                    "owner_id": demo.tos_ids[0],
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=1),
                },
                demo.people.admin[0],
                now,
            )
            await uow.events.set_signup(event, anna, "going", now)

    async with running_town(tmp_path, "max", seed, event_reminders=f"{REMIND_AT}s") as town:
        anna = town.person(True, anna_id, anna_name)
        reminder = await town.bot.wait(
            lambda: next((o for o in anna.inbox if "Встреча у фонтана" in o.text), None),
            "the reminder",
        )
        assert reminder.text.startswith("⏰ Напоминаем: «Встреча у фонтана» начнётся")
        await asyncio.sleep(1)
        await town.max.settle()
        assert sum("Встреча у фонтана" in o.text for o in anna.inbox) == 1
