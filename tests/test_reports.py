"""Digests, the yearly report and exports, with a controllable clock."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.__main__ import main
from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from tests.conftest import ADMIN_ID
from tests.databases import database_env
from tests.kit import Harness, running

STAFF_CHAT = -1001234567890
CLERK = 7  # a staff member who is not an admin
LINK_RE = re.compile(r'href="https://t\.me/\w+\?start=(\w+)"')


async def seed(h: Harness, *, initiatives: int = 2, requests: int = 2) -> None:
    anna = await h.consented(h.user("Анна"))
    for n in range(initiatives):
        await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="improvement",
                title=f"Скамейки во дворе {n}",
                description="Поставить скамейки у детской площадки, пожалуйста.",
            ),
        )
    for _ in range(requests):
        await h.app.services.requests.submit(
            anna.id,
            RequestDraft(kind="consultation", description="Нужна консультация по уставу ТОС."),
        )


async def test_daily_digest_to_the_staff_chat_and_personal_choices(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_chat_id=STAFF_CHAT) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        chat = h.in_group(maria, STAFF_CHAT)
        # Before DIGEST_TIME (09:00 in Novosibirsk = 02:00 UTC) nothing goes out.
        h.clock.set(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # a Monday, 08:30 local
        await seed(h)
        assert await h.app.services.reports.send_due_digests() == 0
        h.clock.set(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
        assert await h.app.services.reports.send_due_digests() == 1  # the chat; Maria's own is off
        assert await h.app.services.reports.send_due_digests() == 0  # never twice a day
        await h.deliver()
        digest = next(s for s in chat.inbox if "Сводка" in s.text)
        assert "<b>Новые инициативы: 2</b>" in digest.text
        assert "<b>Новые обращения: 2</b>" in digest.text
        assert "Методическая консультация" in digest.text
        assert "Инициативы — новая: 2" in digest.text
        links = LINK_RE.findall(digest.text)
        assert links[:2] == ["ini_2026_1", "ini_2026_2"] and "req_2026_1" in links
        # Mondays add the chart, drawn when it is sent.
        chart = chat.inbox[-1]
        assert chart.method == "SendPhoto" and chart.file and chart.file[1][:4] == b"\x89PNG"
        assert "Неделя на диаграмме" in chart.text

        # A digest's link opens the card with the decision buttons.
        [card] = await maria.send(f"/start {links[0]}")
        assert "Скамейки во дворе 0" in card.text and card.buttons

        # A quiet day: one line. Maria turns her own digest on, weekly.
        h.clock.advance(timedelta(days=1))
        await maria.send("/digest")
        await maria.press("Только по понедельникам")
        assert maria.last_answer["text"] == "Сохранено."
        assert await h.app.services.reports.send_due_digests() == 1
        await h.deliver()
        quiet = chat.last
        assert quiet.text.endswith("Нового нет, просроченного нет.")
        assert quiet.text.count("\n") == 1
        # The next Monday she gets one too, covering the whole week.
        h.clock.advance(timedelta(days=6))
        await seed(h, initiatives=1, requests=0)
        h.clock.advance(timedelta(minutes=1))
        assert await h.app.services.reports.send_due_digests() == 2
        await h.deliver()
        mine = [s for s in maria.inbox if "<b>Сводка</b>" in s.text][-1]
        assert "<b>Новые инициативы: 1</b>" in mine.text


async def test_overdue_and_due_soon_in_english_and_restart(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
        h.clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))  # Monday, 10:00 local
        await seed(h, initiatives=0, requests=1)
        h.clock.advance(timedelta(days=28))  # due in two days
        soon, _prefs = await maria.send("/digest")
        assert "<b>Due within 3 days: 1</b>" in soon.text
        assert "Overdue" not in soon.text
        h.clock.advance(timedelta(days=3))
        late, _prefs = await maria.send("/digest")
        assert "<b>⚠️ Overdue: 1</b>" in late.text
        assert "Methodological consultation" in late.text
        assert maria.last.buttons == [["✓ Every morning", "Mondays only", "Off"]]

        # Down over DIGEST_TIME: the digest goes out when the bot is back, once.
        h.clock.advance(timedelta(hours=1))
        await h.restart()
        assert await h.app.services.reports.send_due_digests() == 1
        await h.restart()
        assert await h.app.services.reports.send_due_digests() == 0
        await h.deliver()
        assert sum("<b>Digest</b>" in s.text for s in maria.inbox if s.method == "SendMessage") == 3


async def test_digest_is_for_staff_only(harness: Harness) -> None:
    anna = await harness.consented(harness.user("Анна"))
    [refused] = await anna.send("/digest")
    assert refused.text == "Это доступно только специалистам администрации."
    from handlers.reports import DigestButton

    await anna.press("x", data=DigestButton(value="daily").pack())
    assert anna.last_answer["show_alert"] is True
    assert await harness.app.db.read.reports.digest_prefs() == {}


def fictional_town(h: Harness) -> Any:
    """The seed's 2020 figures, in 2026: 34 organisations; 18 TOS covering 4,040 residents;
    every TOS applied to the April competition, five won; two events, one held jointly."""

    async def load() -> None:
        async with h.app.db.transaction() as uow:
            now = h.clock.now()
            tos_ids = []
            for n in range(18):
                residents = 224 if n < 10 else 225
                values = {"name": f"ТОС №{n + 1}", "residents": residents}
                tos_ids.append(await uow.registry.add_tos(values, f"join{n}", now))
            for n in range(34):
                kind = "ngo" if n < 30 else "group"
                await uow.registry.add_org({"name": f"Организация {n + 1}", "kind": kind}, now)
            april = await uow.competitions.create(
                {
                    "title": "Конкурс социально значимых проектов ТОС",
                    "organiser": "Администрация",
                    "eligible": ("tos",),
                    "opens_at": datetime(2026, 4, 1, 3, tzinfo=UTC),
                    "deadline": datetime(2026, 4, 30, 10, tzinfo=UTC),
                    "status": "closed",
                },
                ADMIN_ID,
                now,
            )
            for n, tos_id in enumerate(tos_ids):
                application = await uow.competitions.register(
                    april,
                    {
                        "body_kind": "tos",
                        "body_id": tos_id,
                        "project": f"Проект {n}",
                        "direction": "improvement",
                        "amount": 100_000,
                        "initiative_id": None,
                        "applicant_id": ADMIN_ID,
                    },
                    now,
                )
                won = n < 5
                await uow.competitions.set_result(
                    application, "winner" if won else "not_winner", 100_000 if won else None, now
                )
            for joint in (1, 0):
                event = await uow.events.create(
                    {
                        "title": f"Субботник {joint}",
                        "starts_at": datetime(2026, 5, 9, 3, tzinfo=UTC),
                        "ends_at": datetime(2026, 5, 9, 6, tzinfo=UTC),
                        "place": "Сквер",
                        "organiser": "ТОС №1",
                        "joint": joint,
                        "owner_kind": "town",
                        "owner_id": 0,
                    },
                    ADMIN_ID,
                    now,
                )
                await uow.events.set_attended(event, 40)

    return load()


async def test_report_refusals(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    anna = await harness.consented(harness.user("Анна", language_code="en"))
    [bad] = await maria.send("/report 1812")
    assert bad.text == "Данных до 2000 года в боте нет: укажите период начиная с этого года."
    [word] = await maria.send("/report прошлый")
    assert word.text == (
        "Укажите год или период, например: /report 2026, /report 2025-2026 или "
        "/report 01.03.2026 31.08.2026."
    )
    [refused] = await anna.send("/report 2026")
    assert refused.text == "This is for the town hall's staff only."


async def test_exports_keep_personal_data_to_admins(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        clerk = await h.consented(h.user("Олег", user_id=CLERK))
        await h.app.services.staff.add(ADMIN_ID, CLERK)
        await seed(h)

        async def export(person: Any, what: str, fmt: str) -> tuple[str, bytes, str]:
            await person.send("/export")
            await person.press(what)
            await person.press("Этот год")
            [sent] = await person.press(fmt)
            assert sent.file
            return sent.file[0], sent.file[1], sent.text

        name, content, caption = await export(maria, "Обращения", "CSV")
        assert name.startswith("requests-2026-01-01") and name.endswith(".csv")
        assert content.startswith(b"\xef\xbb\xbf")
        text = content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("Номер;Создано;Вид поддержки;Статус")
        assert "Заявитель" in text and "Анна" in text
        assert "З-2026-0001" in text
        assert "имена и телефоны" in caption

        name, content, caption = await export(clerk, "Инициативы", "XLSX")
        rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
        assert rows[0][0] == "Номер" and "Автор" not in rows[0]
        assert len(rows) == 3 and rows[1][0] == "И-2026-0001"
        assert "python -m bot export" in caption


async def test_no_personal_data_through_telegram_when_the_town_says_so(tmp_path: Path) -> None:
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), staff_sees_personal_data=False
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await seed(h, initiatives=1, requests=1)
        await maria.send("/export")
        await maria.press("Обращения")
        await maria.press("Этот год")
        [sent] = await maria.press("CSV")
        assert sent.file
        assert "Заявитель" not in sent.file[1].decode("utf-8-sig")
        assert "Анна" not in sent.file[1].decode("utf-8-sig")
        # A forged button from a resident gets nothing.
        anna = await h.consented(h.user("Вера"))
        from handlers.reports import ExportAction, ExportButton

        before = len(h.session.calls_of("SendDocument"))
        await anna.press(
            "x",
            data=ExportButton(
                action=ExportAction.FILE, what="requests", period="year", fmt="csv"
            ).pack(),
        )
        assert anna.last_answer["show_alert"] is True
        assert len(h.session.calls_of("SendDocument")) == before


def test_the_server_commands_write_report_and_personal_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    async def prepare() -> None:
        async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
            await fictional_town(h)
            await seed(h)

    asyncio.run(prepare())
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MUNICIPALITY_POPULATION", "56111")
    out = tmp_path / "out"
    assert main(["report", "--year", "2026", "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "Report on public engagement for 2026" in printed
    assert "TOS registered: 18" in printed
    assert (out / "report-2026.docx").stat().st_size > 5000
    assert "| TOS registered | 18 |" in (out / "report-2026.md").read_text()
    assert "Share of the population in TOS, % | 7.2 |" in (out / "report-2026.md").read_text()

    code = main(
        [
            "export",
            "--what",
            "requests",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--format",
            "csv",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    exported = (out / "requests-2026-01-01-2026-12-31.csv").read_bytes().decode("utf-8-sig")
    assert "Анна" in exported and "Заявитель" in exported


def test_the_server_command_refuses_a_bad_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    async def prepare() -> None:
        async with running(tmp_path):
            pass

    asyncio.run(prepare())
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    for name, value in database_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main(["report", "--year", "1999", "--out", str(tmp_path)]) == 2
    assert "The bot has no figures before 2000" in capsys.readouterr().err
    assert not list(tmp_path.glob("report-*"))


async def test_digest_shows_applications_deadlines_and_events(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    now = h.clock.now()
    async with h.app.db.transaction() as uow:
        tos = await uow.registry.add_tos({"name": "TOS South"}, "join-south", now)
        competition = await uow.competitions.create(
            {
                "title": "Town grants",
                "organiser": "Town hall",
                "eligible": ("tos",),
                "opens_at": now - timedelta(days=1),
                "deadline": now + timedelta(days=3),
            },
            ADMIN_ID,
            now,
        )
        await uow.competitions.register(
            competition,
            {
                "body_kind": "tos",
                "body_id": tos,
                "project": "Benches",
                "direction": "improvement",
                "amount": 5000,
                "initiative_id": None,
                "applicant_id": ADMIN_ID,
            },
            now,
        )
        await uow.events.create(
            {
                "title": "Clean-up <day>",
                "starts_at": now + timedelta(days=2),
                "ends_at": now + timedelta(days=2, hours=2),
                "place": "Park",
                "organiser": "TOS",
                "joint": 1,
                "owner_kind": "town",
                "owner_id": 0,
            },
            ADMIN_ID,
            now,
        )
        await uow.events.create(
            {
                "title": "Far away",
                "starts_at": now + timedelta(days=9),
                "ends_at": now + timedelta(days=9, hours=2),
                "place": "Park",
                "organiser": "TOS",
                "joint": 0,
                "owner_kind": "town",
                "owner_id": 0,
            },
            ADMIN_ID,
            now,
        )
    h.clock.advance(timedelta(minutes=1))
    digest, _prefs = await maria.send("/digest")
    assert "<b>New applications: 1</b>\n• Town grants — TOS South" in digest.text
    assert "<b>Competition deadlines in the next 7 days</b> /competitions" in digest.text
    assert "— Town grants" in digest.text
    assert "Clean-up &lt;day&gt;" in digest.text
    assert "Far away" not in digest.text


async def test_a_long_digest_comes_in_parts(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
    anna = await h.consented(h.user("Анна"))
    now = h.clock.now()
    async with h.app.db.transaction() as uow:
        for n in range(12):
            await uow.events.create(
                {
                    "title": f"{n} " + "Очень длинное название мероприятия " * 6,
                    "starts_at": now + timedelta(days=1, hours=n),
                    "ends_at": now + timedelta(days=1, hours=n + 1),
                    "place": "Сквер",
                    "organiser": "ТОС",
                    "joint": 0,
                    "owner_kind": "town",
                    "owner_id": 0,
                },
                ADMIN_ID,
                now,
            )
            await uow.competitions.create(
                {
                    "title": f"{n} " + "Очень длинное название конкурса " * 6,
                    "organiser": "Администрация",
                    "eligible": ("tos",),
                    "opens_at": now - timedelta(days=1),
                    "deadline": now + timedelta(days=2),
                },
                ADMIN_ID,
                now,
            )
    for n in range(10):
        await h.app.services.initiatives.submit(
            anna.id,
            Draft(
                direction="sport",
                title=f"{n} " + "Длинный заголовок " * 6,
                description="Описание инициативы достаточно длинное.",
            ),
        )
    h.clock.advance(timedelta(minutes=1))
    replies = await maria.send("/digest")
    parts = [r for r in replies if r.text and "Ваша личная сводка" not in r.text]
    assert len(parts) >= 2, [len(p.text) for p in parts]
    text = "\n".join(p.text for p in parts)
    assert text.count("Очень длинное название конкурса") == 6 * 10  # ten of twelve, capped
    assert "Новые инициативы: 10" in text


async def test_exports_of_events_competitions_and_applications(tmp_path: Path) -> None:
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        await fictional_town(h)

        async def export(what: str) -> list[tuple[Any, ...]]:
            await maria.send("/export")
            await maria.press(what)
            await maria.press("Этот год")
            [sent] = await maria.press("XLSX")
            assert sent.file
            sheet = load_workbook(io.BytesIO(sent.file[1])).worksheets[0]
            return list(sheet.iter_rows(values_only=True))

        events = await export("Мероприятия")
        assert events[0][:3] == ("Мероприятие", "Начало", "Окончание")
        assert {row[5] for row in events[1:]} == {"да", "нет"}
        assert events[1][1] == "09.05.2026 10:00"  # Novosibirsk time
        competitions = await export("Конкурсы")
        assert competitions[1][0] == "Конкурс социально значимых проектов ТОС"
        assert competitions[1][8:] == (18, 5, 500_000)
        applications = await export("Заявки на конкурсы")
        assert len(applications) == 19 and applications[0][-2:] == ("Заявитель", "Имя пользователя")
        assert applications[1][1] == "ТОС №1" and applications[1][5:7] == ("подана", "победитель")


async def test_due_soon_is_listed_however_many_are_overdue(harness: Harness) -> None:
    h = harness
    maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
    await seed(h, initiatives=0, requests=25)  # 30 days each
    h.clock.advance(timedelta(days=26))
    anna = await h.consented(h.user("Анна"))
    await h.app.services.requests.submit(
        anna.id,
        RequestDraft(
            kind="transport",
            description="A bus for the veterans' meeting, please.",
            wanted_date=(h.clock.now() + timedelta(days=20)).date().isoformat(),
        ),
    )
    h.clock.advance(timedelta(days=5))  # the 25 are overdue now, the bus is due in 2 days
    digest, _prefs = await maria.send("/digest")
    assert "<b>⚠️ Overdue: 25</b>" in digest.text
    assert "<b>Due within 3 days: 1</b>" in digest.text
    soon = digest.text.split("<b>Due within 3 days: 1</b>")[1].split("\n\n")[0]
    assert "req_2026_26" in soon and "Transport" in soon


async def test_forged_export_buttons_from_staff_get_nothing(harness: Harness) -> None:
    from handlers.reports import DigestButton, ExportAction, ExportButton

    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    before = len(harness.session.calls_of("SendDocument"))
    for forged in (
        ExportButton(action=ExportAction.FILE, what="users", period="year", fmt="csv"),
        ExportButton(action=ExportAction.FILE, what="requests", period="forever", fmt="csv"),
        ExportButton(action=ExportAction.FILE, what="requests", period="year", fmt="pdf"),
    ):
        await maria.press("x", data=forged.pack())
        assert maria.last_answer == {"text": "Эта кнопка устарела.", "show_alert": True}
    assert len(harness.session.calls_of("SendDocument")) == before
    await maria.press("x", data=DigestButton(value="hourly").pack())
    assert maria.last_answer["show_alert"] is True
    assert await harness.app.db.read.reports.digest_prefs() == {}
