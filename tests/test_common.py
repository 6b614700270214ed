"""Fallbacks, /cancel, /lang by typing, floods, stale buttons and Telegram failures."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramServerError
from aiogram.methods import SendMessage

from bot.logs import ContextFilter, JsonFormatter
from tests.kit import Harness


async def test_unknown_command_gets_a_hint(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    [reply] = await anna.send("/frobnicate")
    assert reply.text == "Такой команды я не знаю. Отправьте /help — там всё, что я умею."


async def test_stray_text_and_photo_outside_a_form(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    [reply] = await anna.send("привет")
    assert "Не понял вас" in reply.text
    assert reply.reply_keyboard is not None
    [reply] = await anna.send_photo(caption="вот фото")
    assert "Не понял вас" in reply.text


async def test_menu_buttons_work_as_typed_text(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    [help_] = await anna.send("❓ Помощь")
    assert "<b>Что я умею</b>" in help_.text
    [choose] = await anna.send("🌐 Язык")
    assert choose.text == "Выберите язык:"


async def test_language_can_be_typed(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    await anna.send("/lang")
    [again] = await anna.send("клингонский")
    assert again.text == "Пожалуйста, выберите: Русский, English."
    [sticker] = await anna.send_photo()
    assert sticker.text == "Пожалуйста, выберите: Русский, English."
    [done] = await anna.send("english")
    assert done.text == "Done: I will speak English now."
    await anna.send("/lang")
    [back] = await anna.send("Русский")
    assert back.text == "Готово: теперь я говорю по-русски."


async def test_cancel_with_and_without_a_form(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    [nothing] = await anna.send("/cancel")
    assert nothing.text == "Отменять нечего."
    await anna.send("/lang")
    [cancelled] = await anna.send("/cancel")
    assert cancelled.text == "Отменено. Ничего не сохранено."
    [stray] = await anna.send("english")
    assert "Не понял вас" in stray.text  # the form is really gone


async def test_button_from_an_old_message(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    await anna.press("x", data="zz:unknown:1")
    assert anna.last_answer == {
        "text": "Эта кнопка устарела. Откройте меню ещё раз.",
        "show_alert": True,
    }
    await anna.press("x", data="lang:xx")  # a language we do not have
    assert anna.last_answer["text"] == "Эта кнопка устарела."


async def network(method: object) -> None:
    """A request to Telegram takes a moment: updates that came at once wait for each other."""
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("language", "warning", "help_text"),
    [
        ("ru", "Слишком много сообщений", "Что я умею"),
        ("en", "You are sending too much at once", "What I can do"),
    ],
)
async def test_a_burst_gets_a_handful_of_answers_and_one_warning(
    harness: Harness, language: str, warning: str, help_text: str
) -> None:
    anna = await harness.consented(harness.user(language_code=language))
    harness.pace = timedelta(0)
    harness.session.on_request.append(network)
    for burst in range(2):
        harness.clock.advance(timedelta(minutes=1))  # after a quiet minute
        before = len(anna.inbox)
        await asyncio.gather(*(anna.send("/help") for _ in range(40)))  # forty at once
        replies = anna.inbox[before:]
        # Telegram lets a bot send about one message a second to a chat, with short bursts.
        assert len(replies) <= 6, burst
        assert [r for r in replies if warning in r.text] == [replies[-1]]  # once per burst
        assert len([r for r in replies if help_text in r.text]) == len(replies) - 1 >= 3


async def test_answers_one_after_another_are_not_a_flood(harness: Harness) -> None:
    """A person (or a script) that waits for each answer is not held up by the burst limit."""
    anna = await harness.consented(harness.user())
    harness.pace = timedelta(milliseconds=50)
    harness.clock.advance(timedelta(minutes=1))
    replies = []
    for _ in range(12):
        replies += await anna.send("/help")
    assert len(replies) == 12 and all("Что я умею" in r.text for r in replies)


async def test_a_sustained_flood_is_answered_once(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.pace = timedelta(0)  # fifty messages in the same instant, one after another
    harness.clock.advance(timedelta(minutes=1))
    replies = []
    for _ in range(50):
        replies += await anna.send("привет")
    warnings = [r for r in replies if "Слишком много сообщений" in r.text]
    handled = [r for r in replies if "Не понял вас" in r.text]
    assert len(warnings) == 1
    assert len(handled) == harness.app.throttle.burst


async def test_an_album_passes_whole(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.pace = timedelta(0)
    harness.session.on_request.append(network)
    harness.clock.advance(timedelta(minutes=1))
    await asyncio.gather(anna.send("привет"), anna.send("привет"))
    before = len(anna.inbox)
    # Ten photos: ten updates at once, one media group.
    await asyncio.gather(
        *(anna.send_photo(file_id=f"photo-{n}", media_group_id="album-1") for n in range(10))
    )
    replies = anna.inbox[before:]
    assert len([r for r in replies if "Не понял вас" in r.text]) == 10
    assert not [r for r in replies if "Слишком много" in r.text]
    # The media group does not open a way around the limit: more "members" are counted.
    before = len(anna.inbox)
    await asyncio.gather(
        *(anna.send_photo(file_id=f"more-{n}", media_group_id="album-1") for n in range(10))
    )
    assert len([r for r in anna.inbox[before:] if "Не понял вас" in r.text]) < 10


async def test_every_dropped_button_press_is_answered(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.pace = timedelta(0)
    before = len(harness.session.callback_answers)
    for _ in range(30):
        await anna.press("x", data="zz:1")
    answers = harness.session.callback_answers[before:]
    assert len(answers) == 30  # no spinner left hanging
    assert sum(1 for a in answers if a["text"] and "Слишком много" in a["text"]) == 1


async def test_old_language_button_does_not_close_another_form(harness: Harness) -> None:
    from tests.conftest import ADMIN_ID

    maria = await harness.consented(harness.user("Мария", user_id=ADMIN_ID))
    await maria.send("/lang")
    choose = maria.last_with_button("English")
    await maria.send("/staff")
    await maria.press("➕ Добавить")
    await maria.press("English", on=choose)
    [done] = await maria.send("555000")  # still in the add form
    assert done.text.startswith("Added to the staff")


async def test_telegram_5xx_in_a_handler_is_survived(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    anna = await harness.consented(harness.user())
    harness.session.fail_next.append(
        TelegramServerError(SendMessage(chat_id=anna.id, text="x"), "Internal Server Error")
    )
    caplog.set_level(logging.ERROR)
    replies = await anna.send("/help")
    assert [r.text for r in replies] == [
        "Извините, у нас что-то пошло не так. Попробуйте ещё раз через минуту."
    ]
    failure = next(r for r in caplog.records if r.name == "handlers.errors")
    assert "Traceback" not in replies[0].text
    assert failure.exc_info is not None


async def test_user_who_blocked_the_bot_does_not_break_anything(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    harness.session.blocked.add(anna.id)
    assert await anna.send("/help") == []
    harness.session.blocked.discard(anna.id)
    [reply] = await anna.send("/help")
    assert "Что я умею" in reply.text


async def test_too_long_text_is_rejected_by_the_fake_like_telegram(harness: Harness) -> None:
    with pytest.raises(Exception, match="too long"):  # below the bot's own fitting
        await harness.session.make_request(harness.app.bot, SendMessage(chat_id=1, text="а" * 4097))
    with pytest.raises(Exception, match="parse entities"):
        await harness.app.bot.send_message(1, "<b>unclosed")
    with pytest.raises(Exception, match="BUTTON_DATA_INVALID"):
        from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x" * 65)]]
        )
        await harness.app.bot.send_message(1, "ok", reply_markup=markup)


async def test_log_lines_carry_update_and_user(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    anna = await harness.consented(harness.user())
    harness.session.fail_next.append(
        TelegramForbiddenError(SendMessage(chat_id=anna.id, text="x"), "Forbidden")
    )
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(ContextFilter())
    await anna.send("/help")
    record = next(r for r in caplog.records if r.name == "handlers.errors")
    assert record.user_id == anna.id  # type: ignore[attr-defined]
    assert isinstance(record.update_id, int)  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(record))
    assert line["user_id"] == anna.id and line["level"] == "ERROR"
    assert "exception" in line


async def test_shutdown_waits_for_updates_in_flight(harness: Harness) -> None:
    import asyncio

    from aiogram.types import Update

    release = asyncio.Event()

    async def slow(event: object, data: dict[str, object]) -> None:
        await release.wait()
        assert harness.app.db.is_open  # the database is still there for the handler

    task = asyncio.create_task(harness.app.tracker(slow, Update(update_id=1), {}))
    await asyncio.sleep(0)
    stopping = asyncio.create_task(harness.app.on_shutdown())
    await asyncio.sleep(0.05)
    assert not stopping.done() and harness.app.db.is_open
    release.set()
    await task
    await stopping
    assert not harness.app.db.is_open


async def test_housekeeping_job_purges_old_invites(harness: Harness) -> None:
    from datetime import timedelta

    assert "purge-expired-invites" in harness.app.scheduler.job_ids
    invite = await harness.app.services.staff.create_invite(1)
    harness.clock.advance(timedelta(days=60))
    await harness.app.scheduler.run_now("purge-expired-invites")
    token = invite.payload.removeprefix("inv_")
    assert await harness.app.db.read.invites.get(token) is None


async def test_form_state_is_saved_before_the_bot_replies(harness: Harness) -> None:
    anna = await harness.consented(harness.user())
    seen: list[object] = []

    async def inspect(method: object) -> None:
        if isinstance(method, SendMessage):
            rows = await harness.app.db.read.executor.fetch_all(
                "SELECT state FROM fsm WHERE user_id = ?", (anna.id,)
            )
            seen.append([r[0] for r in rows])

    harness.session.on_request.append(inspect)
    await anna.send("/lang")
    assert seen == [["LangForm:choosing"]]


async def test_a_button_on_a_message_telegram_no_longer_shows(harness: Harness) -> None:
    """Messages older than 48 hours come as "inaccessible": every button on them is stale."""
    from aiogram.types import CallbackQuery, InaccessibleMessage, Update

    anna = await harness.consented(harness.user())
    for data in ("lang:en", "staff:add:0", "consent:withdraw"):
        query = CallbackQuery(
            id="old",
            from_user=anna.user,
            chat_instance="ci",
            message=InaccessibleMessage(chat=anna.chat, message_id=1, date=0),
            data=data,
        )
        # Mounted, as polling delivers them: unmounted, aiogram would re-parse the update and
        # read the old message as an ordinary one.
        bot = harness.app.bot
        update = Update(update_id=next(harness.update_ids), callback_query=query.as_(bot))
        await harness.feed(update.as_(bot))
        assert anna.last_answer == {
            "text": "Эта кнопка устарела. Откройте меню ещё раз.",
            "show_alert": True,
        }
    record = await harness.app.db.read.users.get(anna.id)
    assert record is not None and record.has_consent and record.locale is None


def test_two_features_cannot_share_a_button_prefix() -> None:
    from aiogram.filters.callback_data import CallbackData

    from handlers.spec import RouterSpec, Switch

    class OneCD(CallbackData, prefix="zz"):
        x: int = 0

    class TwoCD(CallbackData, prefix="zz"):
        y: int = 0

    switch = Switch()
    first, second = RouterSpec("first"), RouterSpec("second")
    first.owns(callbacks=(OneCD,))
    second.owns(callbacks=(TwoCD,))
    switch.add(first, *first.build_parts())
    try:
        switch.add(second, *second.build_parts())
    except ValueError as error:
        assert "'zz'" in str(error)
    else:
        raise AssertionError("a taken prefix was accepted")
