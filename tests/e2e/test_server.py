"""The sandbox server rejects what Telegram rejects, in Telegram's shape, through aiogram's
real HTTP session; and its faults reach the bot as Telegram's would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.sandbox.server import SandboxServer
from tests.e2e.kit import TOKEN

ANNA = 5001


@pytest.fixture
async def api(server: SandboxServer) -> AsyncIterator[Bot]:
    server.user(ANNA, "Анна")
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        yield bot
    finally:
        await bot.session.close()


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data=data)]]
    )


async def test_limits_and_errors_in_telegrams_shape(server: SandboxServer, api: Bot) -> None:
    me = await api.me()
    assert me.username == "tos_sandbox_bot"
    sent = await api.send_message(ANNA, "<b>Привет</b> &amp; пока", reply_markup=_keyboard("a"))
    assert sent.text == "Привет & пока" and sent.html_text == "<b>Привет</b> &amp; пока"
    unchanged = api.edit_message_text(
        "<b>Привет</b> &amp; пока",
        chat_id=ANNA,
        message_id=sent.message_id,
        reply_markup=_keyboard("a"),
    )
    cases = [
        (api.send_message(ANNA, "я" * 4097), "message is too long"),
        (api.send_message(ANNA, "<b>открыт"), "can't parse entities"),
        (api.send_message(ANNA, "a < b"), "can't parse entities"),
        (api.send_message(ANNA, "   "), "message text is empty"),
        (api.send_message(ANNA, "x", reply_markup=_keyboard("d" * 65)), "BUTTON_DATA_INVALID"),
        (api.send_message(42, "x"), "chat not found"),
        (api.edit_message_text("y", chat_id=ANNA, message_id=999), "message to edit not found"),
        (unchanged, "message is not modified"),
        (
            api.send_photo(ANNA, BufferedInputFile(b"png", "a.png"), caption="c" * 1025),
            "message caption is too long",
        ),
        (api.send_photo(ANNA, "no-such-file"), "wrong file identifier"),
        (api.answer_callback_query("777"), "query ID is invalid"),
    ]
    for call, description in cases:
        with pytest.raises(TelegramBadRequest, match=description):
            await call
    # Editing the text without a keyboard drops the keyboard, as Telegram does.
    edited = await api.edit_message_text("новый", chat_id=ANNA, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.reply_markup is None
    assert [o.method for o in server.sent_to(ANNA, edits=True)] == [
        "sendMessage",
        "editMessageText",
    ]


async def test_files_round_trip_and_answers(server: SandboxServer, api: Bot) -> None:
    photo = await api.send_photo(ANNA, BufferedInputFile(b"\x89PNG-bytes", "qr.png"), caption="QR")
    assert photo.photo is not None
    again = await api.send_photo(ANNA, photo.photo[-1].file_id)  # re-sent by file id
    assert again.photo is not None and again.photo[-1].file_id == photo.photo[-1].file_id
    upload = server.send_document(ANNA, "list.csv", "Название;Улицы\n".encode())
    file = await api.get_file(upload["document"]["file_id"])
    data = await api.download(file)
    assert data is not None and data.read() == "Название;Улицы\n".encode()
    query = server.press(ANNA, photo.message_id, data="forged")
    assert await api.answer_callback_query(query, text="ok")
    assert server.callback_answers[query] == {"text": "ok", "show_alert": False}
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await api.answer_callback_query(query)  # answered once only


async def test_faults_and_a_wrong_token(server: SandboxServer, api: Bot) -> None:
    server.faults.plan = [429, 500]
    server.faults.retry_after = 7
    with pytest.raises(TelegramRetryAfter) as flood:
        await api.send_message(ANNA, "a")
    assert flood.value.retry_after == 7
    with pytest.raises(TelegramServerError):
        await api.send_message(ANNA, "b")
    assert (await api.send_message(ANNA, "c")).text == "c"
    server.blocked.add(ANNA)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await api.send_message(ANNA, "d")
    server.send_text(ANNA, "/start")  # writing again unblocks
    assert (await api.send_message(ANNA, "e")).text == "e"
    wrong = Bot(
        "999:WRONG-token-0000000000000000",
        session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)),
    )
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()


def _bot_for(server: SandboxServer) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def test_a_restarted_server_goes_on_with_the_same_chats(tmp_path: Path) -> None:
    """With a state file (the sandbox keeps it next to `--db`), a restart is not a new
    Telegram: message numbers go on, so the bot's stored numbers still name its messages;
    the chats, their buttons and menus and the files are still there."""
    state = tmp_path / "s.sandbox.jsonl"
    first = await SandboxServer(TOKEN, state=state).start()
    api = _bot_for(first)
    try:
        first.user(ANNA, "Анна")
        first.group(-100777, "Специалисты")
        first.send_text(ANNA, "/start")
        card = await api.send_message(ANNA, "карточка", reply_markup=_keyboard("card"))
        photo = await api.send_photo(ANNA, BufferedInputFile(b"\x89PNG-1", "a.png"))
        menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="меню")]])
        gone = await api.send_message(ANNA, "меню ниже", reply_markup=menu)
        await api.delete_message(ANNA, gone.message_id)
        assert photo.photo is not None
        file_id = photo.photo[-1].file_id
        before = first.chat_messages(ANNA)
    finally:
        await api.session.close()
        await first.stop()
    assert state.exists()

    second = await SandboxServer(TOKEN, state=state).start()
    api = _bot_for(second)
    try:
        assert second.chat_messages(ANNA) == before
        assert second.chats[-100777]["title"] == "Специалисты"
        assert second.keyboards[ANNA] is not None
        # Numbers go on after the highest ever used (the deleted message's too).
        fresh = await api.send_message(ANNA, "после перезапуска")
        assert fresh.message_id == gone.message_id + 1
        said = second.send_text(ANNA, "привет")
        assert said["message_id"] == fresh.message_id + 1
        # The bot edits the card it sent before the restart, by its stored number.
        await api.edit_message_text("карточка, изменена", chat_id=ANNA, message_id=card.message_id)
        assert second.messages[ANNA][card.message_id]["text"] == "карточка, изменена"
        assert second.messages[ANNA][fresh.message_id]["text"] == "после перезапуска"
        # Its buttons can be pressed; its files are still there.
        second.press(ANNA, card.message_id, data="card")
        again = await api.send_photo(ANNA, file_id)
        assert again.photo is not None and again.photo[-1].file_id == file_id
        downloaded = await api.download(await api.get_file(file_id))
        assert downloaded is not None and downloaded.read() == b"\x89PNG-1"
        # A new file gets a new id, not one of the old ones.
        other = await api.send_photo(ANNA, BufferedInputFile(b"\x89PNG-2", "b.png"))
        assert other.photo is not None and other.photo[-1].file_id != file_id
    finally:
        await api.session.close()
        await second.stop()
    # A third start replays the snapshot the second one wrote, and what it added after; a
    # line torn by a kill mid-write is skipped.
    with state.open("a", encoding="utf-8") as journal:
        journal.write('{"message": {"message_id": 99, "te')
    third = SandboxServer(TOKEN, state=state)
    assert third.messages[ANNA][card.message_id]["text"] == "карточка, изменена"
    assert max(third.messages[ANNA]) == said["message_id"] + 2  # the photo and the other
