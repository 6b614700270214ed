"""Webhook mode, on either backend: the bot registers its webhook with the secret and the
update types it handles, refuses requests without the secret, says on /healthz whether its
database answers, and acknowledges an update only once it is stored: one stored and never
handled (the replica died after its 200) is handled by the next start's sweep."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import aiohttp

from bot.clock import Clock
from bot.messengers.max.webhook import SECRET_HEADER as MAX_SECRET
from bot.sandbox.max_server import MaxSandboxServer
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import STAFF_CHAT, WEBHOOK_SECRET, BotProcess, Person


async def test_the_webhook_is_set_with_its_secret_and_refuses_others(
    server: SandboxServer, tmp_path: Path
) -> None:
    bot = BotProcess(server, tmp_path, webhook=True)
    server.replicas = [bot.address]
    try:
        server.group(STAFF_CHAT, "Специалисты")
        await bot.start()
        assert server.webhook == {
            "url": "https://bot.example.org/telegram/hook",
            "secret": WEBHOOK_SECRET,
        }
        assert "callback_query" in (server._allowed or [])
        anna = await Person(server, bot, 5001, "Анна").consent()
        assert "Спасибо" in anna.texts()[1]

        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 5001, "type": "private"},
                "from": {"id": 5001, "is_bot": False, "first_name": "Анна"},
            },
        }
        url = bot.address + "/telegram/hook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
            async with http.get(bot.address + "/healthz") as response:
                assert response.status == 200
                assert (await response.json())["database"] == "ok"
        await server.settle()
        assert len(anna.inbox) == 3  # the forged /start reached nobody

        assert await bot.stop() == 0  # SIGTERM: a clean stop
        assert "stopping: finishing the updates in flight" in bot.log
    finally:
        await bot.kill()


async def test_an_update_stored_but_never_handled_is_handled_after_a_crash(
    server: SandboxServer, tmp_path: Path
) -> None:
    bot = BotProcess(server, tmp_path, webhook=True)
    server.replicas = [bot.address]
    try:
        # What a replica killed right after its 200 leaves: the update, stored, not handled.
        anna = Person(server, bot, 5002, "Анна")
        update = {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 5002, "type": "private"},
                "from": {"id": 5002, "is_bot": False, "first_name": "Анна"},
            },
        }
        db = bot.open_database()
        await db.open()
        try:
            async with db.single_statement() as writer:
                await writer.inbox.add(
                    77, 5002, json.dumps(update), Clock().now() - timedelta(minutes=1)
                )
        finally:
            await db.close()
        await bot.start()
        await bot.wait(lambda: anna.inbox, "the stored update to be handled")
        assert "Согласие на обработку персональных данных" in anna.inbox[0].text
        db = bot.open_database()
        await db.open()
        try:
            assert await db.read.inbox.count() == 0
        finally:
            await db.close()
    finally:
        await bot.kill()


async def test_telegrams_and_maxs_webhooks_on_one_port(
    server: SandboxServer, max_server: MaxSandboxServer, tmp_path: Path
) -> None:
    """A replica on both messengers in webhook mode: MAX's webhook on WEBHOOK_LISTEN's port
    is served by the same server, on its own path and with its own secret, beside
    Telegram's and /healthz; both kinds of update are handled."""
    bot = BotProcess(server, tmp_path, max_server, webhook=True)
    bot.env |= {
        "MAX_WEBHOOK_URL": "https://bot.example.org/max",
        "MAX_WEBHOOK_SECRET": "max-hook-secret",
        "MAX_WEBHOOK_LISTEN": f"0.0.0.0:{bot.port}",  # the port of WEBHOOK_LISTEN
    }
    server.replicas = [bot.address]
    try:
        server.group(STAFF_CHAT, "Специалисты")
        max_server.user(5003, "Борис")
        await bot.start()
        assert max_server.subscriptions[0]["url"] == "https://bot.example.org/max"
        anna = await Person(server, bot, 5001, "Анна").consent()
        assert "Спасибо" in anna.texts()[1]

        started = {
            "update_type": "bot_started",
            "timestamp": 1,
            "user_locale": "ru",
            "chat_id": max_server.dialog_of(5003),
            "user": max_server.users[5003],
        }
        async with aiohttp.ClientSession() as http:
            url = bot.address + "/max"
            async with http.post(url, json=started, headers={MAX_SECRET: "wrong"}) as response:
                assert response.status == 403
            async with http.post(url, json=started, headers={MAX_SECRET: "max-hook-secret"}) as r:
                assert r.status == 200  # answered once handled
            async with http.get(bot.address + "/healthz") as response:
                assert response.status == 200
        [notice] = max_server.chat_messages(5003)
        assert "152-ФЗ" in notice["text"]
        assert await bot.stop() == 0
        assert "Traceback" not in bot.log
    finally:
        await bot.kill()
