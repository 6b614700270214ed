"""Onboarding over real HTTP: /start, the consent notice, consent, the menu, a language."""

from __future__ import annotations

import json

from bot.sandbox.server import SandboxServer
from tests.e2e.kit import STAFF_CHAT, BotProcess, Person


async def test_start_consent_menu_and_a_clean_stop(server: SandboxServer, bot: BotProcess) -> None:
    server.group(STAFF_CHAT, "Специалисты")
    await bot.start()
    assert {"getMe", "setMyCommands", "getUpdates"} <= set(server.calls)
    anna = Person(server, bot, 5001, "Анна")

    [notice] = await anna.send("/start")
    assert "152-ФЗ" in notice.text and "«Тестовск»" in notice.text
    assert notice.labels == ["✅ Даю согласие", "Не даю согласия"]
    thanks, menu = await anna.press("✅ Даю согласие", expect=2)
    assert "Спасибо! Ваше согласие сохранено." in thanks.text
    assert "Здравствуйте!" in menu.text
    keyboard = server.keyboards[anna.chat_id]
    assert keyboard is not None and keyboard["keyboard"][0][0]["text"] == "💡 Предложить инициативу"
    # The pressed notice lost its buttons; the press was answered.
    assert not server.messages[anna.chat_id][notice.message_id].get("reply_markup")

    await anna.send("/lang")
    [done] = await anna.press("English")
    assert done.text == "Done: I will speak English now."
    [unknown] = await anna.send("/nonsense")
    assert "/help" in unknown.text

    assert await bot.stop() == 0
    lines = [json.loads(line) for line in bot.log.splitlines() if line.startswith("{")]
    assert "database closed" in [line["message"] for line in lines]
    assert "Traceback" not in bot.log
