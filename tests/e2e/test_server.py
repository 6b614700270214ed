"""The sandbox server rejects what Telegram rejects, in Telegram's shape, through aiogram's
real HTTP session; and its faults reach the bot as Telegram's would."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

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
        "<b>Привет</b> &amp; пока", chat_id=ANNA, message_id=sent.message_id,
        reply_markup=_keyboard("a"),
    )  # fmt: skip
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
    wrong = Bot("999:WRONG-token-0000000000000000", session=AiohttpSession(
        api=TelegramAPIServer.from_base(server.base_url)
    ))  # fmt: skip
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await wrong.get_me()
    finally:
        await wrong.session.close()
