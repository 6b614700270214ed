"""Issue 13: /outbox tells staff why a message failed in their own language (a code stored
next to Telegram's words, which stay in the log); an edit Telegram refuses is logged and
recorded as a failure."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramServerError
from aiogram.methods import SendMessage

from tests.conftest import ADMIN_ID
from tests.kit import Harness, running
from tests.test_initiatives import fill_form

ANY = SendMessage(chat_id=1, text="x")
ENGLISH_ADMIN = ADMIN_ID + 1
RAW = ("Bad Request", "Forbidden", "Gateway", "MESSAGE_TOO_LONG", "message to edit")


async def enqueue(h: Harness, chat_id: int, text: str) -> None:
    async with h.app.db.transaction() as uow:
        await uow.outbox.enqueue(chat_id, now=h.clock.now(), text=text)


async def test_failures_are_explained_in_the_readers_language(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID, ENGLISH_ADMIN})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID))
        john = await h.consented(h.user("John", user_id=ENGLISH_ADMIN, language_code="en"))
        anna, boris, vera = [await h.consented(h.user(n)) for n in ("Анна", "Борис", "Вера")]
        h.session.faults[anna.id] = [TelegramBadRequest(ANY, "Bad Request: MESSAGE_TOO_LONG")]
        h.session.faults[boris.id] = [
            TelegramForbiddenError(ANY, "Forbidden: bot was blocked by the user")
        ]
        h.session.faults[vera.id] = [
            TelegramServerError(ANY, "Bad Gateway") for _ in range(h.app.sender.max_attempts)
        ]
        for person in (anna, boris, vera):
            await enqueue(h, person.id, "Новость")
        await h.deliver()
        codes = await h.app.db.read.executor.fetch_all(
            "SELECT chat_id, error_code, last_error FROM outbox WHERE status != 'sent' ORDER BY id"
        )
        assert [(r[0], r[1]) for r in codes] == [
            (anna.id, "too_long"),
            (boris.id, "blocked"),
            (vera.id, "network"),
        ]
        assert "MESSAGE_TOO_LONG" in codes[0][2]  # Telegram's words are kept for developers
        assert any("MESSAGE_TOO_LONG" in r.getMessage() for r in caplog.records)

        [ru] = await maria.send("/outbox")
        assert "сообщение оказалось слишком длинным для Telegram" in ru.text
        assert "человек заблокировал бота" in ru.text
        assert "Telegram не ответил после нескольких попыток" in ru.text
        [en] = await john.send("/outbox")
        assert "the message was too long for Telegram" in en.text
        assert "the person blocked the bot" in en.text
        assert "Telegram did not answer after several tries" in en.text
        for text in (ru.text, en.text):
            assert not any(raw in text for raw in RAW), text


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_a_refused_edit_is_logged_and_recorded(tmp_path, caplog, lang: str) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="bot.delivery")
    async with running(tmp_path, admin_ids=frozenset({ADMIN_ID})) as h:
        maria = await h.consented(h.user("Мария", user_id=ADMIN_ID, language_code=lang))
        anna = await h.consented(h.user("Анна"))
        await fill_form(anna, photos=0, location=None)
        await anna.press("✅ Отправить")
        await h.deliver()
        card = next(
            s for s in reversed(maria.inbox) if "И-2026-0001" in s.text or "I-2026-0001" in s.text
        )
        # Maria deleted the card in her chat; then a decision edits it in place.
        del h.session.messages[(card.chat_id, card.message_id)]
        await h.app.services.initiatives.decide(ADMIN_ID, 1, "review")
        await h.deliver()
        [row] = await h.app.db.read.executor.fetch_all(
            "SELECT status, error_code, last_error FROM outbox WHERE kind = 'edit'"
        )
        assert (row[0], row[1]) == ("failed", "edit_target_gone")
        refused = [r for r in caplog.records if "message to edit not found" in r.getMessage()]
        assert refused and refused[0].levelno == logging.WARNING
        [listing] = await maria.send("/outbox")
        expected = {
            "ru": "сообщение для обновления удалено или не было отправлено",
            "en": "the message to update was deleted or never sent",
        }[lang]
        assert expected in listing.text
        assert "message to edit" not in listing.text
        assert "Bad Request" not in listing.text
