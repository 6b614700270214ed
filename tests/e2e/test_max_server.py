"""The local MAX server refuses what MAX refuses, in MAX's error shape (the OpenAPI schema in
max-messenger-bot/max-bot-api-schemas and dev.max.ru); and the MAX session under aiogram gets
each of MAX's differences right against it: the token bare in the header, a dialog's chat id,
a file sent right after its upload, an edit that must say what the message keeps, a press
answered never empty, a person who stopped the bot, message ids kept across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import GetUpdates
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_bot
from bot.messengers.max.api import MaxApi
from bot.messengers.max.ids import MaxIds
from bot.messengers.max.session import MaxSession
from bot.messengers.max.webhook import SECRET_HEADER, webhook_app
from bot.messengers.transport import MAX_ONLY_TOKEN, Transport
from bot.sandbox.max_server import DIALOG_BASE, TEXT_LIMIT, MaxSandboxServer
from bot.sandbox.server import TINY_PNG, SandboxServer
from bot.settings import load_settings
from storage.db import open_database
from tests.databases import database_for, database_settings
from tests.e2e.kit import MAX_TOKEN, TOKEN
from tests.e2e.test_max_flows import file_content

ANNA, BORIS = 5001, 5002


async def _call(
    server: MaxSandboxServer,
    verb: str,
    path: str,
    *,
    token: str | None = MAX_TOKEN,
    body: Any = None,
    **query: Any,
) -> tuple[int, dict[str, Any]]:
    headers = {} if token is None else {"Authorization": token}
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            verb, server.base_url + path, json=body, params=query, headers=headers
        ) as response,
    ):
        return response.status, await response.json()


async def test_maxs_rules_and_error_shapes(max_server: MaxSandboxServer) -> None:
    max_server.user(ANNA, "Анна")
    assert (await _call(max_server, "GET", "/me"))[0] == 200
    for refused in (
        _call(max_server, "GET", "/me", token=f"Bearer {MAX_TOKEN}"),
        _call(max_server, "GET", "/me", token=None, access_token=MAX_TOKEN),
    ):
        status, error = await refused
        assert status == 401 and error["code"] == "verify.token" and error["message"]

    # Texts up to 4,000 characters; a dialog's chat id is not the person's id.
    status, sent = await _call(
        max_server, "POST", "/messages", user_id=ANNA, body={"text": "я" * TEXT_LIMIT}
    )
    assert status == 200 and sent["message"]["recipient"]["chat_id"] == DIALOG_BASE + ANNA
    status, error = await _call(
        max_server, "POST", "/messages", user_id=ANNA, body={"text": "я" * (TEXT_LIMIT + 1)}
    )
    assert status == 400 and error["code"] == "proto.payload"

    # A file right after its upload is not ready yet, then it is; it stands alone.
    status, endpoint = await _call(max_server, "POST", "/uploads", type="file")
    assert status == 200
    form = aiohttp.FormData()
    form.add_field("data", b"%PDF-1.4", filename="a.pdf")
    async with aiohttp.ClientSession() as http, http.post(endpoint["url"], data=form) as answer:
        token = (await answer.json())["token"]
    attached = {"attachments": [{"type": "file", "payload": {"token": token}}]}
    status, error = await _call(max_server, "POST", "/messages", user_id=ANNA, body=attached)
    assert status == 400 and error["code"] == "attachment.not.ready"
    beside = {
        "attachments": [
            *attached["attachments"],
            {"type": "location", "latitude": 1, "longitude": 2},
        ]
    }
    status, error = await _call(max_server, "POST", "/messages", user_id=ANNA, body=beside)
    assert status == 400 and "only attachment" in error["message"]
    status, _ = await _call(max_server, "POST", "/messages", user_id=ANNA, body=attached)
    assert status == 200

    # Every press is answered, never with nothing, and once.
    keyboard = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "ok", "payload": "p"}]]},
    }
    status, sent = await _call(
        max_server, "POST", "/messages", user_id=ANNA, body={"text": "?", "attachments": [keyboard]}
    )
    query = max_server.press(ANNA, sent["message"]["body"]["seq"], "ok")
    status, error = await _call(max_server, "POST", "/answers", callback_id=query, body={})
    assert status == 400 and error["code"] == "proto.payload"
    answer = {"notification": "Готово"}
    assert (await _call(max_server, "POST", "/answers", callback_id=query, body=answer))[0] == 200

    # A person who stopped the bot; then MAX's faults.
    max_server.stop_bot(ANNA)
    status, error = await _call(max_server, "POST", "/messages", user_id=ANNA, body={"text": "x"})
    assert status == 403 and error["code"] == "chat.denied"
    max_server.user(BORIS, "Борис")
    max_server.faults.plan = [429, 503]
    for expected in (429, 503):
        status, error = await _call(
            max_server, "POST", "/messages", user_id=BORIS, body={"text": "x"}
        )
        assert status == expected and error["code"] and error["message"]


@pytest.fixture
async def session(max_server: MaxSandboxServer, tmp_path: Path) -> AsyncIterator[Any]:
    db = database_for(tmp_path)
    await db.open()
    opened: list[MaxSession] = []

    def make() -> tuple[MaxSession, Bot]:
        """A session as the bot makes it at start (a restart makes a new one)."""
        made = MaxSession(MaxApi(MAX_TOKEN, max_server.base_url), MaxIds(db), 1, sleep=_no_wait)
        opened.append(made)
        default = DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True)
        return made, Bot(MAX_ONLY_TOKEN, session=made, default=default)

    try:
        yield make
    finally:
        for made in opened:
            await made.close()
        await db.close()


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def _keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data=data)]]
    )


async def test_the_session_speaks_max_for_aiogram(
    max_server: MaxSandboxServer, session: Any
) -> None:
    max_server.user(ANNA, "Анна")
    max_session, bot = session()
    anna = await max_session.ids.person(ANNA)  # known before she ever wrote: by her user id

    sent = await bot.send_message(anna, "<b>Привет</b> &amp; пока", reply_markup=_keyboard("a:1"))
    [view] = max_server.chat_messages(ANNA)
    assert view["text"] == "Привет & пока" and sent.chat.id == anna
    assert max_server.messages[view["mid"]]["body"]["markup"][0]["type"] == "strong"

    # A photo right after its upload: MAX says it is not ready; sent again, it goes.
    photo = await bot.send_photo(
        anna, BufferedInputFile(TINY_PNG, "p.png"), caption="Фото", reply_markup=_keyboard("a:2")
    )
    assert max_server.calls.count("sendMessage") == 3  # the text, the photo refused, sent
    shown = max_server.message_view(ANNA, 2)
    assert shown is not None and shown.get("photo") and shown.get("reply_markup")
    # Telegram's edit without buttons removes them; MAX must keep the photo (an omitted list
    # would keep the buttons, [] would delete the photo too).
    await bot.edit_message_reply_markup(chat_id=anna, message_id=photo.message_id)
    shown = max_server.message_view(ANNA, 2)
    assert shown is not None and shown.get("photo") and not shown.get("reply_markup")

    # A press answered with nothing to say gives MAX the message back, unchanged.
    query = max_server.press(ANNA, 1, "ok")
    [update] = await bot(GetUpdates(timeout=0))
    assert update.callback_query is not None and update.callback_query.data == "a:1"
    await bot.answer_callback_query(update.callback_query.id)
    answered = max_server.callback_answers[query]
    assert answered["message"]["text"] == "<b>Привет</b> &amp; пока"
    assert max_server.chat_messages(ANNA)[0]["text"] == "Привет & пока"

    # After a restart: the message's MAX id is found from the database, and edited.
    await max_session.close()
    max_session, bot = session()
    await bot.edit_message_text("Изменено", chat_id=anna, message_id=sent.message_id)
    assert max_server.chat_messages(ANNA)[0]["text"] == "Изменено"
    assert await bot(GetUpdates(timeout=0)) == []  # the press is not delivered twice

    # Start with a payload; a person who stopped the bot; a 429.
    max_server.start_bot(ANNA, "inv_abc")
    [started] = await bot(GetUpdates(timeout=0))
    assert started.message is not None and started.message.text == "/start inv_abc"
    assert started.message.chat.id == anna
    max_server.stop_bot(ANNA)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna, "Вы здесь?")
    max_server.faults.plan = [429]
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(anna, "Вы здесь?")


async def test_the_webhook_takes_only_maxs_requests(
    max_server: MaxSandboxServer, session: Any
) -> None:
    max_server.user(ANNA, "Анна")
    max_session, bot = session()
    fed: list[Any] = []
    held: list[int | None] = []  # whose lock is held (one person at a time, every replica)

    class Dispatcher:
        async def feed_update(self, bot: Bot, update: Any) -> None:
            fed.append((update, list(held)))

    class Locks:
        @asynccontextmanager
        async def person(self, key: int | None, *, wait: bool = True) -> AsyncIterator[bool]:
            held.append(key)
            try:
                yield True
            finally:
                held.remove(key)

    class Database:
        locks = Locks()

    class App:
        dp = Dispatcher()
        db = Database()

    App.bot = bot  # type: ignore[attr-defined]
    update = {
        "update_type": "bot_started",
        "timestamp": 1,
        "chat_id": DIALOG_BASE + ANNA,
        "user": max_server.users[ANNA],
        "payload": "tos_x",
    }
    app = webhook_app(App(), max_session, "/max", "s3cret-value")  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        refused = await client.post("/max", json=update, headers={SECRET_HEADER: "wrong"})
        assert refused.status == 403 and fed == []
        taken = await client.post("/max", json=update, headers={SECRET_HEADER: "s3cret-value"})
        assert taken.status == 200
    [(got, locked)] = fed
    assert got.message.text == "/start tos_x"
    assert locked == [await max_session.ids.person(ANNA)]  # handled under her lock


async def test_a_file_crosses_from_one_messenger_to_the_other(
    server: SandboxServer, max_server: MaxSandboxServer, tmp_path: Path
) -> None:
    """One Bot over both: a file a person sent on Telegram goes to someone on MAX (downloaded
    from Telegram, uploaded to MAX), and one sent on MAX goes to someone on Telegram."""
    server.user(BORIS, "Борис")
    max_server.user(ANNA, "Анна")
    settings = load_settings(
        bot_token=TOKEN,
        bot_api_base_url=server.base_url,
        max_bot_token=MAX_TOKEN,
        max_api_base_url=max_server.base_url,
        **database_settings(tmp_path),
    )
    db = open_database(settings.database_path, settings.database_address)
    await db.open()
    transport = Transport(settings, db)
    bot = build_bot(settings, transport=transport)
    try:
        assert transport.ids is not None
        anna = await transport.ids.person(ANNA)
        from_telegram = server.add_file(b"%PDF-1.4 from Telegram", "documents", "pdf")
        await bot.send_document(anna, from_telegram.file_id, caption="Маршрут")
        [view] = max_server.chat_messages(ANNA)
        assert view["caption"] == "Маршрут"
        assert file_content(max_server, view["document"]["file_name"]) == b"%PDF-1.4 from Telegram"

        on_max = max_server.send_document(ANNA, "смета.xlsx", b"PK smeta")
        max_bot = transport.polling_bots(bot)[-1]  # the Bot whose polling reads MAX
        [update] = await max_bot(GetUpdates(timeout=0))
        assert update.message is not None and update.message.document is not None
        assert on_max["body"]["attachments"][0]["filename"] == "смета.xlsx"
        await bot.send_document(BORIS, update.message.document.file_id)
        [document] = [m["document"] for m in server.chat_messages(BORIS) if m.get("document")]
        assert document["file_name"] == "смета.xlsx"
        assert server.files[document["file_id"]].content == b"PK smeta"

        # Each text is fitted to its recipient's messenger: MAX counts the tags in its 4,000.
        long = "\n\n".join(f"<b>{n}</b> " + "я" * 90 for n in range(40))  # 3,790 + 280 in tags
        await bot.send_message(anna, long)
        await bot.send_message(BORIS, long)
        on_max = [m["mid"] for m in max_server.chat_messages(ANNA) if m.get("text")]
        assert len(on_max) == 2
        for mid in on_max:
            body = max_server.messages[mid]["body"]
            assert body["markup"] and len(body["text"]) < 4000
        assert [m.get("text", "")[:3] for m in server.chat_messages(BORIS)][-1] == "0 я"
        assert len([m for m in server.chat_messages(BORIS) if m.get("text")]) == 1
    finally:
        await bot.session.close()
        await db.close()
