"""Events that change: the organiser or staff move an event or cancel it; everyone signed up
and the waiting list is told in their language with a calendar file that supersedes theirs
(the same UID, a higher SEQUENCE, or a CANCEL); reminders move with the time or go; nobody
else can, however the button is crafted; a past or cancelled event stays as it was."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from bot.domain.events import Event
from bot.services.errors import DomainError
from bot.services.events import EventCancel, EventChange, EventDraft
from bot.services.ics import CalendarEntry, entry_ics, event_ics
from bot.services.periods import Period
from handlers.events import EventAction, EventButton
from handlers.forms import FormAction, FormButton
from storage.repositories.events import EventRepository
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person, Sent, running

# The harness clock starts at 2026-11-27 03:00 UTC, 10:00 in Novosibirsk (UTC+7).
START = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 28.11.2026 18:00 in Novosibirsk
NEW_START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 30.11.2026 19:00
TITLE = "Субботник в сквере"


def texts(person: Person, fragment: str) -> list[str]:
    return [s.text for s in person.inbox if fragment in s.text]


def files(person: Person) -> list[Sent]:
    return [s for s in person.inbox if s.file is not None]


def parsed(sent: Sent) -> tuple[Calendar, object]:
    """A calendar file as a calendar reads it: the calendar and its one event."""
    assert sent.file is not None
    name, content = sent.file
    assert name.endswith(".ics")
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def tick(h: Harness) -> None:
    await h.app.reminders()
    await h.deliver()


async def town_event(h: Harness, *, capacity: int | None = None) -> Event:
    ends = START + timedelta(hours=2)
    draft = EventDraft("town", 0, TITLE, START, ends, "Сквер у ДК", "", capacity=capacity)
    return await h.app.services.events.create(ADMIN_ID, draft, "the town hall")


def card_button(action: EventAction, event_id: int = 1) -> str:
    return EventButton(action=action, id=event_id).pack()


async def count(h: Harness, sql: str) -> int:
    return int(await h.app.db.read.executor.fetch_value(sql))


async def test_staff_move_an_event_everyone_and_the_waiting_list_are_told(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        anna = await h.consented(h.user("Анна"))
        john = await h.consented(h.user("John", language_code="en"))
        vera = await h.consented(h.user("Вера"))
        event = await town_event(h, capacity=2)
        events = h.app.services.events
        for person in (anna, john, vera):
            await events.sign_up(person.id, event.id)
        assert await h.app.db.read.events.signup_status(event.id, vera.id) == "waiting"
        # Anna got the calendar file of the event as announced: SEQUENCE 0.
        await anna.press("x", data=card_button(EventAction.CARD))
        assert "✏️ Изменить время или место" not in anna.last.flat_buttons  # not hers
        await anna.press("🗓 Добавить в календарь")
        _calendar, first = parsed(anna.last)
        assert first["SEQUENCE"] == 0 and str(first["UID"]) == "event-1@tos-bot"

        # Staff open the card and change the time: the same rules as announcing.
        [card] = await maria.press("x", data=card_button(EventAction.CARD))
        assert "❌ Отменить мероприятие" in card.flat_buttons
        await maria.press("✏️ Изменить время или место")
        assert "Изменение мероприятия:\n«Субботник в сквере»: 28.11.2026 18:00 – 20:00" in (
            maria.inbox[-2].text
        )
        await maria.press("🕒 Время")
        [past] = await maria.send("26.11.2026 18:00")
        assert past.text == "Это время уже прошло. Выберите время в будущем."
        await maria.send("30.11.2026 19:00")
        [before] = await maria.send("18:00")
        assert before.text == "Мероприятие должно заканчиваться позже, чем начинается."
        [preview] = await maria.send("21:00")
        assert "Было: «Субботник в сквере»: 28.11.2026 18:00 – 20:00, Сквер у ДК." in preview.text
        assert "Станет: 30.11.2026 19:00 – 21:00, Сквер у ДК." in preview.text
        assert "Сообщение получат 3 человека" in preview.text
        [done] = await maria.press("📣 Сохранить и сообщить")
        assert "Сохранено: «Субботник в сквере» теперь 30.11.2026 19:00, Сквер у ДК." in done.text
        assert "Сообщение с новым файлом календаря получат 3 человека." in done.text
        await h.deliver()

        # Each in their language; the going and the waiting told what they are now.
        [told] = texts(anna, "изменилось")
        assert "Теперь: 30.11.2026 19:00, Сквер у ДК\nБыло: 28.11.2026 18:00, Сквер у ДК" in told
        assert "Ваша запись в силе." in told
        assert texts(vera, "Вы по-прежнему в листе ожидания")
        [english] = texts(john, "has changed")
        assert "Now: 30.11.2026 19:00" in english and "You are still signed up." in english
        assert not texts(maria, "изменилось")  # the one who changed it knows
        # The file that follows supersedes theirs: the same UID, a higher SEQUENCE.
        for person in (anna, john, vera):
            [sent] = files(person)[-1:]
            calendar, updated = parsed(sent)
            assert str(calendar["METHOD"]) == "PUBLISH"
            assert str(updated["UID"]) == "event-1@tos-bot"
            assert updated["SEQUENCE"] == 1 and str(updated["STATUS"]) == "CONFIRMED"
            assert updated.decoded("DTSTART") == NEW_START
        assert "обновить мероприятие в календаре" in files(anna)[-1].text
        assert "update the event in your calendar" in files(john)[-1].text

        # The place next: SEQUENCE 2, in the notice and in the card's file alike.
        await maria.press("x", data=card_button(EventAction.CARD))
        await maria.press("✏️ Изменить время или место")
        await maria.press("📍 Место")
        await maria.send("Дом культуры, ул. Ленина, 5")
        await maria.press("📣 Сохранить и сообщить")
        await h.deliver()
        assert texts(anna, "Теперь: 30.11.2026 19:00, Дом культуры, ул. Ленина, 5")
        _calendar, second = parsed(files(john)[-1])
        assert second["SEQUENCE"] == 2 and str(second["LOCATION"]) == "Дом культуры, ул. Ленина, 5"
        await anna.press("x", data=card_button(EventAction.CARD))
        await anna.press("🗓 Добавить в календарь")
        _calendar, latest = parsed(anna.last)
        assert latest["SEQUENCE"] == 2 and latest.decoded("DTSTART") == NEW_START
        # Nothing to change is refused, and nobody is told twice.
        third = await events.change(ADMIN_ID, EventChange(1, "place", place="Нигде"))
        assert third.event.sequence == 3 and third.told == 3
        with pytest.raises(DomainError, match="Nothing has changed"):
            await events.change(ADMIN_ID, EventChange(1, "place", place="Нигде"))


async def test_the_reminder_moves_with_the_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code="en"))
        anna = await h.consented(h.user("Анна"))
        event = await town_event(h)
        await h.app.services.events.sign_up(anna.id, event.id)
        # The day-before round of the old time is queued, not sent yet, when staff move it.
        h.clock.set(START - timedelta(days=1) + timedelta(seconds=30))
        assert await h.app.services.events.remind_due() == 1
        await maria.press("x", data=card_button(EventAction.CARD))
        await maria.press("✏️ Change the time or place")
        await maria.press("🕒 The time")
        await maria.send("30.11.2026 19:00")
        [preview] = await maria.send("21:00")
        assert "After: 30.11.2026 19:00 – 21:00" in preview.text
        [done] = await maria.press("📣 Save and tell them")
        assert "1 person is told, with a new calendar file." in done.text
        await h.deliver()
        # The old time's reminder never goes out; the change is told instead.
        assert not texts(anna, "⏰ Напоминаем")
        assert texts(anna, "Теперь: 30.11.2026 19:00")
        # The old time's rounds do not come back; the new time's come, once each.
        for moment in (START - timedelta(hours=2), START, NEW_START - timedelta(days=1)):
            h.clock.set(moment + timedelta(seconds=30))
            await tick(h)
            await tick(h)
        got = texts(anna, "⏰ Напоминаем")
        assert got == [
            "⏰ Напоминаем: «Субботник в сквере» начнётся 30.11.2026 19:00, Сквер у ДК. Ждём вас!"
        ]
        # The scheduler's next wake is the new time's two-hour round.
        assert await h.app.services.events.next_due() == NEW_START - timedelta(hours=2)
        h.clock.set(NEW_START - timedelta(hours=2) + timedelta(seconds=30))
        await tick(h)
        assert len(texts(anna, "⏰ Напоминаем")) == 2
        assert await count(h, "SELECT COUNT(*) FROM outbox WHERE status = 'cancelled'") == 1


async def test_cancel_with_a_reason_then_a_second_cancel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        ivan = await h.consented(h.user("Иван"))
        anna = await h.consented(h.user("Анна"))
        john = await h.consented(h.user("John", language_code="en"))
        vera = await h.consented(h.user("Вера"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
        events = h.app.services.events
        ends = START + timedelta(hours=2)
        draft = EventDraft("tos", south, TITLE, START, ends, "Двор дома 5", "", capacity=2)
        event = await events.create(ivan.id, draft, "the town hall")
        for person in (anna, john, vera):
            await events.sign_up(person.id, event.id)
        h.clock.set(START - timedelta(days=1) + timedelta(seconds=30))
        await events.remind_due()  # queued, not sent: it must not go out

        # The chair (the organiser) cancels from the card: a reason, then «Yes».
        await ivan.send("/events")
        [card] = await ivan.press(TITLE)
        old_card = card
        await ivan.press("❌ Отменить мероприятие")
        assert "Почему мероприятие отменяется?" in ivan.last.text
        [short] = await ivan.send("ну")
        assert "от 3 до 500" in short.text
        [preview] = await ivan.send("Прорвало трубу во дворе, ремонт до понедельника")
        assert "Отменить это мероприятие?" in preview.text
        assert "Причина: Прорвало трубу во дворе" in preview.text
        [done] = await ivan.press("❌ Да, отменить мероприятие")
        assert "Мероприятие «Субботник в сквере» отменено." in done.text
        assert "получат 3 человека" in done.text
        await h.deliver()

        for person in (anna, vera):
            [told] = texts(person, "отменено</b>")
            assert "Оно должно было пройти 28.11.2026 18:00, Двор дома 5." in told
            assert "Причина: Прорвало трубу во дворе, ремонт до понедельника" in told
        assert texts(john, "is cancelled</b>") and texts(john, "The reason: Прорвало трубу")
        for person in (anna, john, vera):
            calendar, gone = parsed(files(person)[-1])
            assert str(calendar["METHOD"]) == "CANCEL"
            assert str(gone["STATUS"]) == "CANCELLED"
            assert str(gone["UID"]) == "event-1@tos-bot" and gone["SEQUENCE"] == 1
        assert "убрать мероприятие из календаря" in files(anna)[-1].text
        assert not texts(anna, "⏰ Напоминаем")  # the queued reminder was cancelled

        # A second cancel: the old card's button, and the service itself.
        await ivan.press("❌ Отменить мероприятие", on=old_card)
        assert ivan.last_answer["text"] == "Это мероприятие уже отменено."
        assert ivan.last_answer["show_alert"]
        before = len(anna.inbox)
        again = EventCancel(event.id, "ещё раз")
        with pytest.raises(DomainError, match="already cancelled"):
            await events.call_off(ivan.id, again)
        await h.deliver()
        assert len(anna.inbox) == before
        # The event is gone from /events; its card says why; no sign-up, no reminder.
        await anna.send("/events")
        assert TITLE not in anna.last.text
        [cancelled_card] = await anna.press("x", data=card_button(EventAction.CARD))
        assert "❌ Мероприятие отменено." in cancelled_card.text
        assert "Причина: Прорвало трубу" in cancelled_card.text
        assert cancelled_card.flat_buttons == ["🗓 Убрать из календаря"]
        await anna.press("🗓 Убрать из календаря")
        assert str(parsed(anna.last)[0]["METHOD"]) == "CANCEL"
        await anna.press("x", data=card_button(EventAction.SIGN_UP))
        assert anna.last_answer["text"] == "Это мероприятие отменено."
        h.clock.set(START - timedelta(hours=2) + timedelta(seconds=30))
        await tick(h)
        assert not texts(anna, "⏰ Напоминаем") and not texts(john, "⏰ Reminder")


async def test_cancel_without_a_reason_in_english(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Maria", user_id=ADMIN_ID, language_code="en"))
        anna = await h.consented(h.user("Анна"))
        event = await town_event(h)
        await h.app.services.events.sign_up(anna.id, event.id)
        [card] = await maria.press("x", data=card_button(EventAction.CARD))
        await maria.press("❌ Cancel the event")
        [preview] = await maria.press("Without a reason")
        assert "Cancel this event?" in preview.text and "1 person signed up" in preview.text
        [done] = await maria.press("❌ Yes, cancel the event")
        assert "The event «Субботник в сквере» is cancelled." in done.text
        await h.deliver()
        [told] = texts(anna, "отменено</b>")
        assert "Причина" not in told
        # The card's button again: refused, nobody told twice.
        await maria.press("❌ Cancel the event", on=card)
        assert maria.last_answer["text"] == "This event is already cancelled."
        await h.deliver()
        assert len(texts(anna, "отменено</b>")) == 1


async def test_not_the_organiser_and_a_role_taken_away(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        ivan = await h.consented(h.user("Иван"))
        petr = await h.consented(h.user("Пётр"))  # the chair of another TOS
        anna = await h.consented(h.user("Анна"))
        john = await h.consented(h.user("John", language_code="en"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            north = await uow.registry.add_tos({"name": "ТОС «Северный»"}, "tok2", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
            await uow.registry.grant(petr.id, "tos", north, "chair", ADMIN_ID, now)
        events = h.app.services.events
        ends = START + timedelta(hours=2)
        draft = EventDraft("tos", south, TITLE, START, ends, "Двор дома 5", "")
        event = await events.create(ivan.id, draft, "the town hall")
        await events.sign_up(anna.id, event.id)
        # Residents and another body's chair: no buttons, and forged ones are refused.
        for person, refusal in (
            (anna, "Это может сделать только организатор мероприятия."),
            (petr, "Это может сделать только организатор мероприятия."),
            (john, "Only the event's organiser can do this."),
        ):
            [card] = await person.press("x", data=card_button(EventAction.CARD))
            assert "❌ Отменить мероприятие" not in card.flat_buttons
            for action in (EventAction.CHANGE, EventAction.CALL_OFF):
                before = len(person.inbox)
                await person.press("x", data=card_button(action))
                assert person.last_answer["text"] == refusal
                assert person.last_answer["show_alert"]
                assert len(person.inbox) == before  # no form opened
        # The chair opens the form; meanwhile the role is taken away: sending is refused.
        await ivan.press("x", data=card_button(EventAction.CARD))
        await ivan.press("✏️ Изменить время или место")
        await ivan.press("📍 Место")
        await ivan.send("Дом культуры")
        async with h.app.db.transaction() as uow:
            await uow.registry.revoke(ivan.id, "tos", south)
        [refused] = await ivan.press("📣 Сохранить и сообщить")
        assert "Это может сделать только организатор мероприятия." in refused.text
        stored = await h.app.db.read.events.get(event.id)
        assert stored is not None and stored.place == "Двор дома 5" and stored.sequence == 0
        await h.deliver()
        assert not texts(anna, "изменилось")


async def test_a_past_event_cannot_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, 2})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=2, language_code="en"))
        event = await town_event(h)
        # A form opened before the start and sent after it: refused, nothing changes.
        await maria.press("x", data=card_button(EventAction.CARD))
        await maria.press("✏️ Изменить время или место")
        await maria.press("📍 Место")
        await maria.send("Дом культуры")
        h.clock.set(START + timedelta(minutes=5))
        [refused] = await maria.press("📣 Сохранить и сообщить")
        assert "Мероприятие уже началось: изменить или отменить его нельзя." in refused.text
        await maria.send("/cancel")
        # Started, and over: the card has no such buttons; forged ones are refused.
        for moment in (START + timedelta(minutes=5), START + timedelta(days=3)):
            h.clock.set(moment)
            [card] = await maria.press("x", data=card_button(EventAction.CARD))
            assert "✏️ Изменить время или место" not in card.flat_buttons
            for action in (EventAction.CHANGE, EventAction.CALL_OFF):
                await maria.press("x", data=card_button(action))
                assert maria.last_answer["text"] == (
                    "Мероприятие уже началось: изменить или отменить его нельзя."
                )
                await john.press("x", data=card_button(action))
                assert john.last_answer["text"] == (
                    "This event has already begun: it can no longer be changed or cancelled."
                )
        stored = await h.app.db.read.events.get(event.id)
        assert stored is not None and stored.sequence == 0 and not stored.cancelled


def test_forged_callbacks_change_nothing(tmp_path: Path) -> None:
    """Whatever a resident's button carries (an action, an event's id, a form's step and
    token), no event changes and nobody is told."""
    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start())
    try:
        anna = loop.run_until_complete(h.consented(h.user("Анна")))
        boris = loop.run_until_complete(h.consented(h.user("Борис")))
        event = loop.run_until_complete(town_event(h))
        loop.run_until_complete(h.app.services.events.sign_up(boris.id, event.id))
        ids = st.one_of(st.sampled_from([event.id, 0, 2]), st.integers(-(2**63), 2**63 - 1))
        card_data = st.builds(
            lambda action, event_id: EventButton(action=action, id=event_id).pack(),
            st.sampled_from([EventAction.CHANGE, EventAction.CALL_OFF]),
            ids,
        )
        raw = st.builds(
            lambda action, tail: f"event:{action}:{tail}",
            st.sampled_from(["change", "calloff", "ics", "card"]),
            st.text(alphabet="0123456789-:x", max_size=22),
        )
        form_data = st.builds(
            lambda form, action, step, value: FormButton(
                form=form, action=action, step=step, value=value
            ).pack(),
            st.sampled_from(["evchange", "evcancel"]),
            st.sampled_from(list(FormAction)),
            st.sampled_from(["", "what", "starts_at", "place", "reason"]),
            st.sampled_from(["", "time", "both", "0" * 16]),
        )

        @given(data=st.one_of(card_data, raw, form_data))
        def press(data: str) -> None:
            before = len(h.session.callback_answers)
            loop.run_until_complete(anna.press("x", data=data))
            assert len(h.session.callback_answers) > before  # answered, never left spinning
            assert "что-то пошло не так" not in h.session.callback_answers[-1].get("text", "")
            loop.run_until_complete(anna.send("/cancel"))

        press()
        loop.run_until_complete(h.deliver())
        stored = loop.run_until_complete(h.app.db.read.events.get(event.id))
        assert stored is not None and stored.sequence == 0 and not stored.cancelled
        assert not texts(boris, "изменилось") and not texts(boris, "отменено")
    finally:
        loop.run_until_complete(h.close())
        loop.close()


def test_update_and_cancel_files_parse_with_the_same_uid() -> None:
    start = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    ends = start + timedelta(hours=2)
    entry = CalendarEntry(7, "Концерт; «Весна», хор", start, ends, "ДК, ул. Ленина, 5", "ТОС")
    seen = []
    for version in (
        entry,
        replace(entry, sequence=1),
        replace(entry, sequence=2, cancelled=True),
    ):
        calendar = Calendar.from_ical(entry_ics(version, start))
        [vevent] = calendar.walk("VEVENT")
        seen.append(
            (str(calendar["METHOD"]), str(vevent["UID"]), vevent["SEQUENCE"], str(vevent["STATUS"]))
        )
        assert str(vevent["SUMMARY"]) == "Концерт; «Весна», хор"
        assert str(vevent["LOCATION"]) == "ДК, ул. Ленина, 5"
        assert vevent.decoded("DTSTART") == start
        # The snapshot an outbox row carries gives the same file.
        assert entry_ics(CalendarEntry.from_args(version.args()), start) == entry_ics(
            version, start
        )
    assert seen == [
        ("PUBLISH", "event-7@tos-bot", 0, "CONFIRMED"),
        ("PUBLISH", "event-7@tos-bot", 1, "CONFIRMED"),
        ("CANCEL", "event-7@tos-bot", 2, "CANCELLED"),
    ]
    event = Event(7, "x", start, ends, "ДК", "ТОС", False, None, None, "town", 0, None, 1)
    event = replace(event, sequence=4, cancelled_at=start)
    calendar = Calendar.from_ical(event_ics(event, start))
    assert str(calendar["METHOD"]) == "CANCEL" and calendar.walk("VEVENT")[0]["SEQUENCE"] == 4


async def test_the_organiser_is_asked_how_many_came(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Attendance per event: once an event is over its organiser is asked, once, in their
    language, and the number goes into the report; a cancelled event is not asked about."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan = await h.consented(h.user("Иван"))
        john = await h.consented(h.user("John", language_code="en"))
        anna = await h.consented(h.user("Анна"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            north = await uow.registry.add_tos({"name": "ТОС «Северный»"}, "tok2", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
            await uow.registry.grant(john.id, "tos", north, "chair", ADMIN_ID, now)
        events = h.app.services.events
        ends = START + timedelta(hours=2)
        held = await events.create(
            ivan.id, EventDraft("tos", south, TITLE, START, ends, "Двор", ""), "the town hall"
        )
        await events.create(
            john.id, EventDraft("tos", north, "Yard party", START, ends, "Yard", ""), "town hall"
        )
        dropped = await events.create(
            ivan.id, EventDraft("tos", south, "Концерт", START, ends, "Двор", ""), "the town hall"
        )
        await events.sign_up(anna.id, held.id)
        await events.call_off(ivan.id, EventCancel(dropped.id))
        # Not before the end; at the end, once (the scheduler wakes for it).
        h.clock.set(START + timedelta(hours=1))
        await tick(h)
        assert not texts(ivan, "прошло")
        assert await events.next_due() == ends
        h.clock.set(ends + timedelta(seconds=30))
        await tick(h)
        await tick(h)
        [asked] = [s for s in ivan.inbox if "прошло" in s.text]
        assert asked.text.startswith("Мероприятие «Субботник в сквере» (28.11.2026 18:00) прошло.")
        assert "«Концерт»" not in "\n".join(s.text for s in ivan.inbox[-3:])
        assert texts(john, "«Yard party» (28.11.2026 18:00) is over. How many people came?")
        assert not texts(anna, "прошло")
        [saved] = await ivan.press("✍️ Отметить посещаемость", on=asked)
        assert "Сколько человек пришло?" in saved.text
        [done] = await ivan.send("23")
        assert done.text == "Сохранено: пришли 23 человека."
        stored = await h.app.db.read.events.get(held.id)
        assert stored is not None and stored.attended == 23
        # Another tick asks nobody again; the report's table shows each event.
        await tick(h)
        assert len([s for s in ivan.inbox if "прошло" in s.text]) == 1
        report = await h.app.services.reports.report(ADMIN_ID, Period.years(2026))
        rows = {(e.title, e.going, e.attended, e.cancelled) for e in report.current.events}
        assert rows == {
            (TITLE, 1, 23, False),
            ("Yard party", 0, None, False),
            ("Концерт", 0, None, True),
        }
        assert report.current.events_held == 2 and report.current.events_cancelled == 1


async def test_the_organiser_hears_of_a_change_by_staff(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        ivan = await h.consented(h.user("Ivan", language_code="en"))
        now = h.clock.now()
        async with h.app.db.transaction() as uow:
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok", now)
            await uow.registry.grant(ivan.id, "tos", south, "chair", ADMIN_ID, now)
        ends = START + timedelta(hours=2)
        draft = EventDraft("tos", south, TITLE, START, ends, "Двор дома 5", "")
        event = await h.app.services.events.create(ivan.id, draft, "the town hall")
        await maria.press("x", data=card_button(EventAction.CARD, event.id))
        await maria.press("✏️ Изменить время или место")
        await maria.press("📍 Место")
        [preview] = await maria.send("Дом культуры")
        assert "Пока никто не записался." in preview.text
        [done] = await maria.press("📣 Сохранить и сообщить")
        assert "Сообщение с новым файлом календаря получит 1 человек." in done.text
        await h.deliver()
        [told] = texts(ivan, "has changed")
        assert "Now: 28.11.2026 18:00, Дом культуры\nBefore: 28.11.2026 18:00, Двор дома 5" in told
        assert (
            "You announced this event: the change was made by the town hall's staff or another "
            "of its organisers." in told
        )
        assert parsed(files(ivan)[-1])[1]["SEQUENCE"] == 1


async def test_a_change_during_the_reminders_tick_wins(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The reminders' job lists the events, then handles each in a unit of work: a change
    committed in between is what the round is claimed for, never the time listed."""
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        anna = await h.consented(h.user("Анна"))
        events = h.app.services.events
        event = await town_event(h)
        await events.sign_up(anna.id, event.id)
        h.clock.set(START - timedelta(days=1) + timedelta(seconds=30))
        listed = await h.app.db.read.events.starting_after(h.clock.now())
        change = EventChange(event.id, "time", NEW_START, NEW_START + timedelta(hours=2))
        await events.change(ADMIN_ID, change)

        async def as_listed(self, since):  # type: ignore[no-untyped-def]
            return listed

        monkeypatch.setattr(EventRepository, "starting_after", as_listed)
        assert await events.remind_due() == 0
        await h.deliver()
        assert not texts(anna, "⏰ Напоминаем")
        assert texts(anna, "Теперь: 30.11.2026 19:00")
