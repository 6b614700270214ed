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

        forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                "chat": {"id": 5001, "type": "private"},
                                                "from": {"id": 5001, "is_bot": False,
                                                         "first_name": "Анна"}}}  # fmt: skip
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
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "/start",
                                               "chat": {"id": 5002, "type": "private"},
                                               "from": {"id": 5002, "is_bot": False,
                                                        "first_name": "Анна"}}}  # fmt: skip
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
