"""The outbox: durable, exactly-once, ordered delivery within Telegram's limits."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot.services.broadcasts import Audience
from bot.textsplit import visible_length
from tests.conftest import ADMIN_ID
from tests.kit import Harness, Person

ANY = SendMessage(chat_id=1, text="x")


async def enqueue(harness: Harness, chat_id: int, text: str, **kwargs: object) -> int | None:
    async with harness.app.db.transaction() as uow:
        return await uow.outbox.enqueue(chat_id, now=harness.clock.now(), text=text, **kwargs)  # type: ignore[arg-type]


def texts(person: Person) -> list[str]:
    return [s.text for s in person.inbox if s.method == "SendMessage"]


async def status_of(harness: Harness, chat_id: int) -> list[str]:
    rows = await harness.app.db.read.executor.fetch_all(
        "SELECT status FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [r[0] for r in rows]


async def test_same_key_twice_is_one_message(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    assert await enqueue(harness, anna.id, "Ваша заявка принята", key="decision:1")
    assert not await enqueue(harness, anna.id, "Ваша заявка принята", key="decision:1")
    await harness.deliver()
    await harness.deliver()
    assert texts(anna).count("Ваша заявка принята") == 1


async def test_rolled_back_decision_sends_nothing(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    with pytest.raises(RuntimeError):
        async with harness.app.db.transaction() as uow:
            await uow.outbox.enqueue(anna.id, now=harness.clock.now(), text="Принято!")
            raise RuntimeError("the decision failed")
    await harness.deliver()
    assert "Принято!" not in texts(anna)
    assert await status_of(harness, anna.id) == []


async def test_flood_wait_is_respected_and_order_kept(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.session.faults[anna.id] = [TelegramRetryAfter(ANY, "Too Many Requests", 7)]
    for n in range(1, 4):
        await enqueue(harness, anna.id, f"сообщение {n}")
    start = harness.clock.now()
    await harness.deliver()
    mine = [s for s in anna.inbox if s.text.startswith("сообщение")]
    assert [s.text for s in mine] == ["сообщение 1", "сообщение 2", "сообщение 3"]
    assert mine[0].at is not None and mine[0].at - start >= timedelta(seconds=7)
    # about one a second to one private chat
    gaps = [b.at - a.at for a, b in itertools.pairwise(mine)]  # type: ignore[operator]
    assert all(gap >= timedelta(seconds=1) for gap in gaps)
    row = await harness.app.db.read.outbox.get(1)
    assert row is not None and row.attempts == 1  # a flood wait is not a failed attempt


async def test_server_errors_and_timeouts_are_retried_then_given_up(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    boris = await harness.consented(harness.user("Борис"))
    harness.session.faults[anna.id] = [
        TelegramServerError(ANY, "Internal Server Error"),
        TelegramNetworkError(ANY, "Request timeout error"),
    ]
    harness.session.faults[boris.id] = [
        TelegramServerError(ANY, "Bad Gateway") for _ in range(harness.app.sender.max_attempts)
    ]
    await enqueue(harness, anna.id, "дойдёт с третьей попытки")
    await enqueue(harness, boris.id, "не дойдёт")
    await harness.deliver()
    assert texts(anna).count("дойдёт с третьей попытки") == 1
    assert "не дойдёт" not in texts(boris)
    assert await status_of(harness, anna.id) == ["sent"]
    assert await status_of(harness, boris.id) == ["failed"]
    failed = await harness.app.db.read.outbox.recent_failures(5)
    assert "Bad Gateway" in (failed[0].last_error or "")
    assert failed[0].attempts == harness.app.sender.max_attempts


async def test_blocked_user_is_marked_skipped_and_comes_back(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.session.faults[anna.id] = [
        TelegramForbiddenError(ANY, "Forbidden: bot was blocked by the user")
    ]
    await enqueue(harness, anna.id, "первое")
    await enqueue(harness, anna.id, "второе")
    await harness.deliver()
    assert await status_of(harness, anna.id) == ["skipped", "skipped"]
    assert await harness.app.db.read.users.is_unreachable(anna.id)
    await enqueue(harness, anna.id, "третье")
    await harness.deliver()
    assert await status_of(harness, anna.id) == ["skipped"] * 3
    calls_to_anna = [
        m for m in harness.session.calls_of("SendMessage") if getattr(m, "chat_id", 0) == anna.id
    ]
    assert len([m for m in calls_to_anna if m.text in ("второе", "третье")]) == 0  # type: ignore[attr-defined]

    await anna.send("/start")  # she unblocked the bot and wrote to it
    assert not await harness.app.db.read.users.is_unreachable(anna.id)
    await enqueue(harness, anna.id, "четвёртое")
    await harness.deliver()
    assert "четвёртое" in texts(anna)


async def test_chat_not_found_is_unreachable_other_400_fails_at_once(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.session.faults[-100500] = [TelegramBadRequest(ANY, "Bad Request: chat not found")]
    harness.session.faults[anna.id] = [TelegramBadRequest(ANY, "Bad Request: wrong something")]
    await enqueue(harness, -100500, "в группу")
    await enqueue(harness, anna.id, "сломанное")
    await harness.deliver()
    assert await status_of(harness, -100500) == ["skipped"]
    assert await status_of(harness, anna.id) == ["failed"]
    row = (await harness.app.db.read.outbox.recent_failures(5))[0]
    assert row.attempts == 1


async def test_long_text_is_split_at_paragraphs_with_buttons_on_the_last(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    paragraphs = [f"<b>Пункт {n}.</b> " + "слово " * 150 for n in range(12)]
    text = "\n\n".join(paragraphs)
    assert visible_length(text) > 9000
    buttons = [[{"text": "Подробнее", "url": "https://example.org"}]]
    await enqueue(harness, anna.id, text, buttons=buttons)
    await harness.deliver()
    parts = [s for s in anna.inbox if "Пункт" in s.text]
    assert len(parts) == 3
    assert all(visible_length(p.text) <= 4096 for p in parts)
    assert all(p.text.startswith("<b>Пункт") for p in parts)  # cut between paragraphs
    assert "".join(p.text.replace("\n", "") for p in parts).count("Пункт") == 12
    calls = [m for m in harness.session.calls_of("SendMessage") if "Пункт" in m.text]  # type: ignore[attr-defined]
    assert [m.reply_markup is not None for m in calls] == [False, False, True]  # type: ignore[attr-defined]


async def test_restart_between_dequeue_and_confirmation(harness: Harness) -> None:
    """A crash after a row was taken (status `sending`) but before Telegram confirmed."""
    anna = await harness.consented(harness.user())
    await enqueue(harness, anna.id, "важное")
    async with harness.app.db.transaction() as uow:  # what step() does before sending
        [row] = await uow.outbox.due(harness.clock.now(), 10)
        await uow.outbox.mark_sending(row.id)
    await harness.restart()  # no confirmation ever came
    await harness.app.sender.start()  # recovers `sending` rows, then runs in the background
    await harness.app.sender.stop()
    await harness.deliver()
    assert texts(anna).count("важное") == 1
    assert await status_of(harness, anna.id) == ["sent"]


async def test_crash_after_first_part_resumes_with_the_second(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    text = "\n\n".join(f"Абзац {n} " + "текст " * 400 for n in range(3))
    await enqueue(harness, anna.id, text)
    # The second part fails with a network error: the first is recorded as sent.
    original = harness.session.make_request
    count = {"n": 0}

    async def flaky(bot, method, timeout=None):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        if isinstance(method, SendMessage) and method.chat_id == anna.id:
            count["n"] += 1
            if count["n"] == 2:
                raise TelegramNetworkError(method, "connection reset")
        return await original(bot, method, timeout)

    harness.session.make_request = flaky  # type: ignore[method-assign]
    await harness.deliver()
    starts = [s.text.split()[0] + s.text.split()[1] for s in anna.inbox if "Абзац" in s.text]
    assert starts == ["Абзац0", "Абзац1", "Абзац2"]  # each part exactly once, in order


async def test_pacing_overall_rate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.kit import running

    async with running(tmp_path, broadcast_rate=10) as h:
        people = [await h.consented(h.user(f"Житель {n}")) for n in range(30)]
        for person in people:
            await enqueue(h, person.id, "новости")
        started = h.clock.now()
        await h.deliver()
        sent = [s for s in h.session.sent if s.text == "новости"]
        assert len(sent) == 30
        elapsed = (sent[-1].at - started).total_seconds()  # type: ignore[operator]
        assert elapsed >= 29 / 10 * 0.95  # never faster than BROADCAST_RATE


async def test_template_is_rendered_in_the_recipients_language(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    john = await harness.consented(harness.user("John", language_code="en"))
    for person in (anna, john):
        async with harness.app.db.transaction() as uow:
            await uow.outbox.enqueue(
                person.id,
                now=harness.clock.now(),
                template="{name} opened your invite and joined the staff.",
                args={"name": "<Ева & Ко>"},
            )
    await harness.deliver()
    assert (
        anna.last.text == "Приглашение принято: &lt;Ева &amp; Ко&gt; теперь в списке специалистов."
    )
    assert john.last.text == "&lt;Ева &amp; Ко&gt; opened your invite and joined the staff."


async def test_scheduled_message_waits_for_its_time(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    later = harness.clock.now() + timedelta(hours=1)
    await enqueue(harness, anna.id, "через час", not_before=later)
    await harness.app.sender.step()
    assert "через час" not in texts(anna)
    await harness.deliver()
    [sent] = [s for s in anna.inbox if s.text == "через час"]
    assert sent.at is not None and sent.at >= later


async def test_broadcast_progress_cancel_and_staff_view(harness: Harness) -> None:
    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    residents = [await harness.consented(harness.user(f"Житель {n}")) for n in range(6)]
    harness.user("Без согласия")  # never consented: not in the audience
    await residents[0].send("/start")
    async with harness.app.db.transaction() as uow:
        await uow.users.mark_unreachable(residents[0].id, harness.clock.now())

    broadcast_id = await harness.app.services.broadcasts.start(
        ADMIN_ID, Audience.RESIDENTS, "Thank you! Your consent is recorded."
    )
    [listing] = await maria.send("/outbox")
    assert "<b>Исходящие сообщения</b>" in listing.text
    assert "<b>Рассылки</b>" in listing.text and "всем жителям" in listing.text
    assert "доставлено 0 из 6, в очереди 6" in listing.text  # Maria consented too; not [0]
    label = f"Отменить остаток рассылки № {broadcast_id}"
    assert label in listing.flat_buttons

    # Two go out, then the rest is cancelled.
    async with harness.app.db.transaction() as uow:
        first_two = await uow.outbox.due(harness.clock.now(), 2)
    for row in first_two:
        async with harness.app.db.transaction() as uow:
            await uow.outbox.mark_sent(row.id, harness.clock.now())
    await maria.press(label)
    assert maria.last_answer["text"] == "Отменено: 4 сообщения не будут отправлены."
    assert "остаток отменён" in maria.edits[-1].text
    await harness.deliver()
    progress = (await harness.app.services.broadcasts.progress(ADMIN_ID))[0]
    assert (progress.sent, progress.pending, progress.cancelled_count) == (2, 0, 4)
    assert progress.cancelled
    assert not any(
        "Спасибо! Ваше согласие сохранено." in s.text and s.at and s.at > listing.at  # type: ignore[operator]
        for s in harness.session.sent
    )


async def test_residents_cannot_see_or_cancel_deliveries(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    broadcast_id = await harness.app.services.broadcasts.start(
        ADMIN_ID, Audience.STAFF, "Thank you! Your consent is recorded."
    )
    mallory = await harness.consented(harness.user("Злоумышленник"))
    [reply] = await mallory.send("/outbox")
    assert reply.text == "Это доступно только специалистам администрации."
    await mallory.press("x", data=f"outbox:cancel:{broadcast_id}")
    assert mallory.last_answer["text"] == "Это доступно только специалистам администрации."
    progress = (await harness.app.services.broadcasts.progress(ADMIN_ID))[0]
    assert progress.pending == 1 and not progress.cancelled


async def test_group_chat_gets_at_most_twenty_a_minute(harness: Harness) -> None:
    group = -1001234
    for n in range(4):
        await enqueue(harness, group, f"в группу {n}")
    await harness.deliver()
    sent = [s for s in harness.session.sent if s.chat_id == group]
    assert len(sent) == 4
    gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]  # type: ignore[operator]
    assert all(gap >= timedelta(seconds=3) for gap in gaps)


async def test_a_commit_with_mail_wakes_the_sender(harness: Harness) -> None:
    sender = harness.app.sender
    sender._wake.clear()
    async with harness.app.db.transaction() as uow:
        await uow.users.ensure(5, harness.clock.now())  # no mail: no wake-up
    assert not sender._wake.is_set()
    await enqueue(harness, 5, "письмо")
    assert sender._wake.is_set()


async def test_background_sender_delivers_and_stops_cleanly(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    asked = asyncio.Event()

    async def watch(method: object) -> None:
        if getattr(method, "text", None) == "в фоне":
            asked.set()

    harness.session.on_request.append(watch)
    await harness.app.sender.start()
    await enqueue(harness, anna.id, "в фоне")  # the commit wakes the sender: no test loop
    await asyncio.wait_for(asked.wait(), timeout=5)
    await harness.app.sender.stop()  # waits for the send in flight to be recorded
    assert "в фоне" in texts(anna)
    assert await status_of(harness, anna.id) == ["sent"]


async def test_pacer_keeps_the_rate_without_drifting_or_bursting() -> None:
    from bot.delivery import Pacer

    now = [1000.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds + 0.0007  # the loop always wakes a little late

    pacer = Pacer(25, monotonic=lambda: now[0], sleep=sleep)
    sent = []
    for chat in range(1, 501):
        await pacer.acquire(chat)
        sent.append(now[0])
    span = sent[-1] - sent[0]
    assert 499 / 25 * 0.98 <= span <= 499 / 25 * 1.02  # late wake-ups do not add up
    window = max(sum(1 for t in sent if s <= t < s + 1.0) for s in sent)
    assert window <= 25


async def test_sparse_429s_hold_a_chat_dense_ones_hold_everyone() -> None:
    from bot.delivery import Pacer

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(25, monotonic=lambda: now[0], sleep=sleep)
    for chat in range(1, 26):
        await pacer.acquire(chat)
    for chat in (3, 7, 11):  # three of twenty-five: ordinary per-chat limits
        pacer.flood_wait(chat, 5)
    assert pacer.chat_ready_at(3) >= now[0] + 4.9
    assert pacer.chat_ready_at(30) < now[0] + 1
    for chat in range(12, 20):  # most of the second's requests: the limit is global
        pacer.flood_wait(chat, 5)
    assert pacer.chat_ready_at(30) >= now[0] + 4.9


async def test_a_row_cancelled_while_waiting_is_not_taken(harness: Harness) -> None:
    await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    broadcast_id = await harness.app.services.broadcasts.start(
        ADMIN_ID, Audience.STAFF, "Thank you! Your consent is recorded."
    )
    async with harness.app.db.transaction() as uow:
        [row] = await uow.outbox.due(harness.clock.now(), 10)  # the sender picked it...
    await harness.app.services.broadcasts.cancel(
        ADMIN_ID, broadcast_id
    )  # ...staff cancel meanwhile
    async with harness.app.db.transaction() as uow:
        assert not await uow.outbox.mark_sending(row.id)
    await harness.deliver()
    assert (await harness.app.db.read.outbox.get(row.id)).status == "cancelled"  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["photo", "document", "edit"])
async def test_files_and_edits_wait_out_429_and_5xx_and_stop_at_403(
    harness: Harness, kind: str
) -> None:
    anna = await harness.consented(harness.user())
    boris = await harness.consented(harness.user("Борис"))
    card = await enqueue(harness, anna.id, "карточка")
    card_b = await enqueue(harness, boris.id, "карточка")
    await harness.deliver()

    async def queue(chat_id: int, first: int | None) -> None:
        if kind == "edit":
            await enqueue(harness, chat_id, "карточка, новая", edit_of=first)
        else:
            await enqueue(harness, chat_id, "подпись", file=(kind, f"{kind}-file-id"))

    harness.session.faults[anna.id] = [
        TelegramRetryAfter(ANY, "Too Many Requests", 3),
        TelegramServerError(ANY, "Bad Gateway"),
    ]
    harness.session.faults[boris.id] = [
        TelegramForbiddenError(ANY, "Forbidden: bot was blocked by the user")
    ]
    await queue(anna.id, card)
    await queue(boris.id, card_b)
    await harness.deliver()
    assert await status_of(harness, anna.id) == ["sent", "sent"]
    method = {"photo": "SendPhoto", "document": "SendDocument", "edit": "EditMessageText"}[kind]
    tries = [m for m in harness.session.calls_of(method) if getattr(m, "chat_id", 0) == anna.id]
    assert len(tries) == 3  # 429, then 502, then delivered: once
    assert await status_of(harness, boris.id) == ["sent", "skipped"]
    assert await harness.app.db.read.users.is_unreachable(boris.id)


async def test_a_file_that_cannot_be_drawn_fails_alone(harness: Harness) -> None:
    anna = await harness.consented(harness.user())

    async def broken(args: dict[str, object], locale: str) -> tuple[bytes, str]:
        raise ValueError("no data to draw")

    harness.app.sender.generators["gen:broken"] = broken
    await enqueue(harness, anna.id, "график", file=("photo", "gen:broken"))
    await enqueue(harness, anna.id, "после графика")
    await harness.deliver()
    assert await status_of(harness, anna.id) == ["failed", "sent"]
    assert "после графика" in texts(anna)
    assert not harness.session.calls_of("SendPhoto")


async def test_outbox_names_each_broadcasts_audience_never_an_id(tmp_path: Path) -> None:
    """A chair's announcement to the TOS's members and an event's announcement (to everyone,
    or to a TOS's members) are described in words, with the TOS's and the event's names."""
    from bot.services.events import EventDraft
    from tests.kit import running

    starts = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ADMIN_ID + 1})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=ADMIN_ID + 1, language_code="en"))
        tos = await h.app.services.registry.add_tos(ADMIN_ID, "ТОС «Берёзка»")
        invite = await h.app.services.registry.create_invite(ADMIN_ID, "chair", tos.id)
        vera = await h.consented(h.user("Вера"))
        await vera.send(f"/start {invite.payload}")
        anna = await h.consented(h.user("Анна"))
        await h.app.services.registry.join(anna.id, tos.id)
        await h.app.services.registry.announce(
            vera.id, tos.id, "Субботник в субботу в 10:00 у дома 5."
        )
        await h.app.services.events.create(
            ADMIN_ID,
            EventDraft(
                "town",
                0,
                "Ёлка на площади",
                starts,
                starts + timedelta(hours=2),
                "Центральная площадь",
            ),
            "администрация",
        )
        await h.app.services.events.create(
            vera.id,
            EventDraft(
                "tos",
                tos.id,
                "Собрание жителей",
                starts,
                starts + timedelta(hours=1),
                "Двор дома 5",
                audience_tos=tos.id,
            ),
            "администрация",
        )
        [ru] = await maria.send("/outbox")
        [en] = await john.send("/outbox")
        for text, expected in (
            (
                ru.text,
                (
                    "анонс «Собрание жителей» членам «ТОС „Берёзка“»",
                    "анонс «Ёлка на площади» всем жителям",
                    "сообщение председателя членам «ТОС „Берёзка“»",
                ),
            ),
            (
                en.text,
                (
                    "the event «Собрание жителей» to members of «ТОС „Берёзка“»",
                    "the event «Ёлка на площади» to all residents",
                    "the chair's message to members of «ТОС „Берёзка“»",
                ),
            ),
        ):
            for phrase in expected:
                assert phrase in text, (phrase, text)
            assert "tos:" not in text and "event:" not in text
