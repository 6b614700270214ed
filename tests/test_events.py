"""Events: announced to the audience, sign-ups with a waiting list, both reminders, a calendar
file, attendance; a restart over a reminder's time; bad times and access."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.events import Event
from bot.services.errors import DomainError, NotAllowed
from bot.services.events import EventDraft
from bot.services.ics import event_ics
from bot.services.when import parse_when
from handlers.events import EventAction, EventButton
from storage.repositories.outbox import OutboxRepository
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running

# The harness clock starts at 2026-11-27 03:00 UTC, 10:00 in Novosibirsk (UTC+7).
START = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # «завтра 18:00» in Novosibirsk


def texts(person: Person, fragment: str) -> list[str]:
    return [s.text for s in person.inbox if fragment in s.text]


async def tick(h: Harness) -> None:
    await h.app.reminders()
    await h.deliver()


async def test_event_signups_waiting_list_reminders(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna, boris, vera = [await h.consented(h.user(n)) for n in ("Анна", "Борис", "Вера")]
        john = await h.consented(h.user("John", language_code="en"))

        await maria.send("/events")
        assert "Пока ничего не запланировано" in maria.last.text
        await maria.press("➕ Новое мероприятие")
        await maria.send("Субботник, уборка сквера")
        [unknown] = await maria.send("в субботу")
        assert "«завтра 18:00»" in unknown.text
        [past] = await maria.send("26.11.2026 18:00")
        assert past.text == "Это время уже прошло. Выберите время в будущем."
        await maria.send("завтра 18:00")
        [before] = await maria.send("17:00")
        assert before.text == "Мероприятие должно заканчиваться позже, чем начинается."
        await maria.send("20:00")
        await maria.send("Сквер у ДК; вход с ул. Ленина, 5")
        await maria.press("Администрация города")
        await maria.send("да")
        for bad in ("много", "abc", "-1", "0"):
            [bad_capacity] = await maria.send(bad)
            assert (
                bad_capacity.text
                == "Напишите число мест, например 30, или нажмите «Без ограничений»."
            )
        [preview] = await maria.send("2")
        assert "Когда: 28.11.2026 18:00 – 20:00" in preview.text  # as the card shows it
        assert "Мероприятие, совместное с администрацией." in preview.text
        await maria.press("📣 Объявить")
        await h.deliver()
        # Everyone who consented hears of it, in their language.
        assert texts(anna, "Субботник, уборка сквера</b>\n28.11.2026 18:00")
        assert texts(john, "Organiser: Администрация города (jointly with the town hall)")
        assert not texts(maria, "Запись и другие мероприятия")

        # Two places: Anna and Boris go, Vera waits; signing up twice is refused.
        for person in (anna, boris):
            await person.send("/events")
            await person.press("Субботник, уборка сквера")
            await person.press("✅ Записаться")
            assert "Вы записаны" in person.last_answer["text"]
        await anna.press("x", data=EventButton(action=EventAction.SIGN_UP, id=1).pack())
        assert anna.last_answer["text"] == "Вы уже записаны."
        await vera.send("/events")
        [card] = await vera.press("Субботник, уборка сквера")
        assert "Занято мест: 2 из 2" in card.text
        await vera.press("⏳ Встать в лист ожидания")
        assert "вы в листе ожидания" in vera.last_answer["text"]
        assert "⏳ Вы в листе ожидания." in vera.last.text

        # A calendar file: RFC 5545, UTC times, escaped text, CRLF.
        await anna.press("🗓 Добавить в календарь")
        name, content = anna.last.file or ("", b"")
        assert name == "event-1.ics"
        ics = content.decode()
        assert "DTSTART:20261128T110000Z\r\nDTEND:20261128T130000Z\r\n" in ics
        assert "LOCATION:Сквер у ДК\\; вход с ул. Ленина\\, 5\r\n" in ics
        assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")

        # Boris cancels: Vera takes his place and is told.
        await boris.send("/events")
        await boris.press("Субботник, уборка сквера")
        await boris.press("✖ Отменить запись")
        await h.deliver()
        assert texts(vera, "Освободилось место: теперь вы записаны на «Субботник, уборка сквера»")

        # Both reminders, once each, to those going; none to Boris.
        h.clock.set(START - timedelta(days=1) + timedelta(seconds=30))
        await tick(h)
        await tick(h)
        h.clock.set(START - timedelta(hours=2) + timedelta(seconds=30))
        await tick(h)
        for person in (anna, vera):
            got = texts(person, "⏰ Напоминаем")
            assert len(got) == 2, got
            assert "начнётся 28.11.2026 18:00, Сквер у ДК; вход с ул. Ленина, 5" in got[0]
        assert not texts(boris, "⏰ Напоминаем")

        # After the event the organiser records attendance; a resident cannot.
        h.clock.set(START + timedelta(hours=3))
        await anna.press("x", data=EventButton(action=EventAction.ATTENDANCE, id=1).pack())
        assert anna.last_answer["show_alert"]
        await maria.send("/events")
        assert "Пока ничего не запланировано" in maria.last.text
        view = await h.app.services.events.view(ADMIN_ID, 1)
        await maria.press("x", data=EventButton(action=EventAction.CARD, id=view.event.id).pack())
        await maria.press("✍️ Отметить посещаемость")
        for bad in ("abc", "-1"):
            [refused] = await maria.send(bad)
            assert refused.text == "Напишите, сколько человек пришло, например 35."
        [saved] = await maria.send("35")
        assert saved.text == "Сохранено: пришли 35 человек."
        stored = await h.app.db.read.events.get(1)
        assert stored is not None and stored.attended == 35


async def test_chair_event_for_the_tos_and_the_card(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        ivan = await h.consented(h.user("Иван"))
        member = await h.consented(h.user("Ольга"))
        outsider = await h.consented(h.user("Пётр"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            other = await uow.registry.add_tos({"name": "ТОС «Северный»"}, "tok2", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
            await uow.registry.join(south, member.id, now)
        events = h.app.services.events
        draft = EventDraft(
            "tos",
            south,
            "Собрание жителей",
            START,
            START + timedelta(hours=1),
            "Двор дома 5",
            "",
            False,
            None,
            south,
        )
        # Not for another TOS, and not on behalf of a TOS one does not lead.
        with pytest.raises(NotAllowed):
            await events.create(
                ivan.id, EventDraft(**{**draft.__dict__, "audience_tos": other}), "the town hall"
            )
        with pytest.raises(NotAllowed):
            await events.create(outsider.id, draft, "the town hall")
        await events.create(ivan.id, draft, "the town hall")
        await h.deliver()
        assert texts(member, "Собрание жителей") and not texts(outsider, "Собрание жителей")
        # The TOS card shows it; an outsider cannot sign up for a members' event.
        [card] = await member.send("/tos")
        assert "Ближайшие мероприятия:</b>\n• 28.11 18:00 — Собрание жителей" in card.text
        await outsider.press("x", data=EventButton(action=EventAction.SIGN_UP, id=1).pack())
        assert outsider.last_answer["text"] == "Этого мероприятия больше нет в боте."
        # A resident cannot announce: no button, and a forged one is refused.
        await outsider.send("/events")
        assert "➕ Новое мероприятие" not in outsider.last.flat_buttons
        await outsider.press("x", data=EventButton(action=EventAction.NEW).pack())
        assert outsider.last_answer["show_alert"]
        with pytest.raises(DomainError, match="end after it starts"):
            await events.create(
                ivan.id,
                EventDraft(**{**draft.__dict__, "ends_at": START - timedelta(hours=1)}),
                "x",
            )


async def test_restart_over_event_reminders(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        anna = await h.consented(h.user("Анна"))
        events = h.app.services.events
        soon = START + timedelta(days=2)
        for title, start in (("Концерт", soon), ("Лекция", soon + timedelta(days=3))):
            ends = start + timedelta(hours=2)
            draft = EventDraft("town", 0, title, start, ends, "Дом культуры", "")
            e = await events.create(ADMIN_ID, draft, "the town hall")
            await events.sign_up(anna.id, e.id)
        # Down across the concert's 1-day mark: on start it is sent, once, and not again.
        h.clock.set(soon - timedelta(hours=20))
        await h.restart()
        await h.deliver()
        await h.restart()
        await tick(h)
        assert len(texts(anna, "⏰ Напоминаем: «Концерт»")) == 1
        # Down across the lecture's start: both rounds are dropped with a log line.
        caplog.clear()
        h.clock.set(soon + timedelta(days=3, hours=1))
        with caplog.at_level(logging.INFO, logger="bot.services.reminders"):
            await h.restart()
        await h.deliver()
        assert not texts(anna, "«Лекция»")
        assert sum("its time has passed" in r.message for r in caplog.records) == 2


def test_times_as_people_type_them() -> None:
    tz = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    words = {"tomorrow": frozenset({"tomorrow", "завтра"}), "today": frozenset({"today"})}

    def parse(text: str) -> datetime:
        return parse_when(text, now, tz, lambda msgid: words.get(msgid, frozenset()))

    # Daylight saving starts on 29.03.2026 in Berlin: zoneinfo, not a fixed offset.
    assert parse("28.03.2026 12:00") == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    assert parse("29.03.2026 12:00") == datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert parse("завтра 18:00") == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    assert parse("25.12 18:00") == datetime(2026, 12, 25, 17, 0, tzinfo=UTC)
    assert parse("01.01 09:00").year == 2027  # a day already past this year: the next
    for bad in ("31.02.2026 10:00", "25.12.2026 25:00", "в пятницу", "18:00", ""):
        with pytest.raises(DomainError):
            parse(bad)
    # A time alone is read on a given day (the end of an event on its start's day).
    base = datetime(2026, 3, 29, 12, 0, tzinfo=UTC).astimezone(tz).date()
    same = lambda text: parse_when(text, now, tz, lambda _m: frozenset(), base_day=base)  # noqa: E731
    assert same(" 20:30 ") == datetime(2026, 3, 29, 18, 30, tzinfo=UTC)
    assert same("30.03.2026 09:00") == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    with pytest.raises(DomainError):
        same("24:00")


def test_calendar_lines_fold_at_75_octets() -> None:
    title = "Субботник по уборке сквера у Дома культуры и высадка деревьев, всем жителям"
    start = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    event = Event(
        7,
        title,
        start,
        start + timedelta(hours=2),
        "ДК",
        "ТОС",
        False,
        None,
        None,
        "town",
        0,
        None,
        1,
    )
    ics = event_ics(event, start, "tos-bot").decode()
    lines = ics.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the title is folded
    escaped = title.replace(",", "\\,")
    assert f"\r\nSUMMARY:{escaped}\r\n" in ics.replace("\r\n ", "")  # unfolds to the title


async def count(h: Harness, sql: str) -> int:
    return int(await h.app.db.read.executor.fetch_value(sql))


async def announce(person: Person, title: str, audience: str | None = None) -> list[Sent]:
    """The whole /events form; returns what pressing «Announce» sent."""
    await person.send("/events")
    await person.press("➕ Новое мероприятие")
    await person.send(title)
    await person.send("завтра 18:00")
    await person.send("20:00")
    await person.send("Двор дома 5")
    await person.send("Совет дома")
    await person.press("Нет")
    await person.press("Без ограничений")
    if audience:
        await person.press(audience)
    return await person.press("📣 Объявить")


async def test_members_event_hidden_from_forged_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan, member, outsider = [await h.consented(h.user(n)) for n in ("Иван", "Ольга", "Пётр")]
        john = await h.consented(h.user("John", language_code="en"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
            await uow.registry.join(south, member.id, now)
        draft = EventDraft(
            "tos",
            south,
            "Закрытое собрание",
            START,
            START + timedelta(hours=1),
            "Двор дома 5",
            "",
            False,
            None,
            south,
        )
        event = await h.app.services.events.create(ivan.id, draft, "the town hall")
        for action in (EventAction.CARD, EventAction.CALENDAR, EventAction.SIGN_UP):
            before = len(outsider.inbox)
            await outsider.press("x", data=EventButton(action=action, id=event.id).pack())
            assert outsider.last_answer["text"] == "Этого мероприятия больше нет в боте."
            assert len(outsider.inbox) == before, action  # no card, no file
            await john.press("x", data=EventButton(action=action, id=event.id).pack())
            assert john.last_answer["text"] == "This event is no longer in the bot."
        assert await h.app.db.read.events.signup_status(event.id, outsider.id) is None
        # The same answer as for an event that does not exist.
        await outsider.press("x", data=EventButton(action=EventAction.CARD, id=999).pack())
        assert outsider.last_answer["text"] == "Этого мероприятия больше нет в боте."
        # Members, the chair and staff see it and get the file.
        for person in (member, ivan, maria):
            card_button = EventButton(action=EventAction.CARD, id=event.id)
            [card] = await person.press("x", data=card_button.pack())
            assert "Закрытое собрание" in card.text
            await person.press("🗓 Добавить в календарь")
            assert person.last.file is not None
        await member.press("✅ Записаться")
        assert "Вы записаны" in member.last_answer["text"]


async def test_long_events_list_fits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        anna = await h.consented(h.user("Анна"))
        for i in range(10):
            start = START + timedelta(hours=i)
            title = f"{i}" + "Т" * 199
            draft = EventDraft("town", 0, title, start, start + timedelta(hours=1), "М" * 300, "")
            await h.app.services.events.create(ADMIN_ID, draft, "the town hall")
        sent = await anna.send("/events")
        assert sent and all("Мероприятия" in sent[0].text for _ in [0])
        text = "\n".join(s.text for s in sent)
        assert "что-то пошло не так" not in text
        assert text.count("…") >= 20 and "Т" * 150 not in text  # short lines; the card has all
        assert len(sent[-1].flat_buttons) == 10
        [card] = await anna.press(sent[-1].flat_buttons[0])
        assert "0" + "Т" * 199 in card.text and "М" * 300 in card.text


async def test_event_and_announcement_in_one_transaction(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        people = [await h.consented(h.user(n)) for n in ("Анна", "Борис", "Вера")]
        real = OutboxRepository.enqueue
        calls = {"n": 0}

        async def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("disk full")
            return await real(self, *args, **kwargs)

        monkeypatch.setattr(OutboxRepository, "enqueue", flaky)
        await announce(maria, "Ярмарка")
        assert "что-то пошло не так" in maria.last_answer["text"]
        assert await count(h, "SELECT COUNT(*) FROM events") == 0
        assert await count(h, "SELECT COUNT(*) FROM broadcasts") == 0
        assert await count(h, "SELECT COUNT(*) FROM outbox WHERE template LIKE '%Organiser%'") == 0
        # The form is still there: pressing again announces it, once.
        await maria.press("📣 Объявить")
        assert "объявлено" in maria.last.text
        await maria.press("📣 Объявить")  # a second press of the old button
        await h.deliver()
        assert await count(h, "SELECT COUNT(*) FROM events") == 1
        assert await count(h, "SELECT COUNT(*) FROM broadcasts") == 1
        for person in people:
            assert len(texts(person, "Ярмарка</b>")) == 1
        # The announcement is an ordinary broadcast (BroadcastService.start_for).
        assert await count(h, "SELECT COUNT(*) FROM broadcasts WHERE audience LIKE 'event:%'") == 1
        # A retry of the same draft in the service finds the event instead of a copy.
        draft = EventDraft("town", 0, "Концерт", START, START + timedelta(hours=1), "Клуб", "")
        first = await h.app.services.events.create(ADMIN_ID, draft, "the town hall")
        again = await h.app.services.events.create(ADMIN_ID, draft, "the town hall")
        assert first.id == again.id
        await h.deliver()
        assert await count(h, "SELECT COUNT(*) FROM events") == 2
        for person in people:
            assert len(texts(person, "Концерт</b>")) == 1


async def test_chairs_events_to_everyone_are_limited(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(
        tmp_path, admin_ids=frozenset({ADMIN_ID}), tos_announcements_per_week=1
    ) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan, anna = await h.consented(h.user("Иван")), await h.consented(h.user("Анна"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
        await announce(ivan, "Первое для всех", audience="Всем")
        assert "объявлено" in ivan.last.text
        [refused] = await announce(ivan, "Второе для всех", audience="Всем")
        assert "Недельный лимит объявлений (1) исчерпан" in refused.text
        assert "Ответы сохранены" in refused.text  # the form stays for a later try
        await ivan.send("/cancel")
        # Members' events are not limited; staff are not limited.
        await announce(ivan, "Для участников", audience="Участникам «ТОС „Южный“»")
        await announce(maria, "От администрации", audience="Всем")
        await announce(maria, "Ещё от администрации", audience="Всем")
        await h.deliver()
        assert texts(anna, "Первое для всех") and not texts(anna, "Второе для всех")
        assert texts(anna, "Ещё от администрации")
        assert await count(h, "SELECT COUNT(*) FROM events") == 4
        # A week later the chair may announce again.
        h.clock.set(now + timedelta(days=7, minutes=1))
        await announce(ivan, "Третье для всех", audience="Всем")
        assert "объявлено" in ivan.last.text


def test_the_form_and_announcing_keep_the_same_text_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A title or a place the form's step takes is one announcing takes, and the other way
    round: both ask EventService, at every length around the limits."""
    import asyncio

    from hypothesis import given
    from hypothesis import strategies as st

    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start())
    try:
        maria = loop.run_until_complete(h.consented(h.user("Мария", user_id=ADMIN_ID)))
        answers = st.builds(
            lambda body, pad: " " * pad + body + " " * pad,
            st.text(alphabet="Ёжик в тумане 🌲", min_size=1, max_size=310),
            st.integers(0, 2),
        )

        @given(field=st.sampled_from(["title", "place"]), text=answers)
        def step(field: str, text: str) -> None:
            new = EventButton(action=EventAction.NEW).pack()
            loop.run_until_complete(maria.press("x", data=new))
            if field == "place":
                loop.run_until_complete(maria.send("Субботник"))
                loop.run_until_complete(maria.send("завтра 18:00"))
                loop.run_until_complete(maria.send("20:00"))
            [reply] = loop.run_until_complete(maria.send(text))
            taken = reply.text.startswith(
                "Когда начало?" if field == "title" else "Кто организатор?"
            )
            values = {"title": "Субботник", "place": "Двор дома 5", field: text.strip()}
            end = START + timedelta(hours=2)
            draft = EventDraft("town", 0, values["title"], START, end, values["place"], "")
            try:
                loop.run_until_complete(h.app.services.events.create(ADMIN_ID, draft, "town hall"))
                announced = True
            except DomainError:
                announced = False
            assert taken == announced, (field, len(text), reply.text)
            loop.run_until_complete(maria.send("/cancel"))

        step()
    finally:
        loop.run_until_complete(h.close())
        loop.close()
