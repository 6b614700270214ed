"""A citizen initiative with a photo, over real HTTP: the form, the staff card with the photo
downloaded and re-sent by file id, the decision, and the author's notification."""

from __future__ import annotations

from bot.sandbox.server import SandboxServer
from tests.e2e.kit import ADMIN_ID, STAFF_CHAT, BotProcess, Person


async def test_initiative_with_a_photo_to_a_decision(
    server: SandboxServer, bot: BotProcess
) -> None:
    server.group(STAFF_CHAT, "Специалисты")
    await bot.start()
    maria = await Person(server, bot, ADMIN_ID, "Мария").consent()
    staff = maria.in_chat(STAFF_CHAT)
    anna = await Person(server, bot, 5001, "Анна").consent()

    await anna.send("💡 Предложить инициативу")
    await anna.press("Благоустройство и озеленение")
    await anna.send("Скамейки во дворе")
    await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
    [added] = await anna.send_photo()
    assert added.text.startswith("Фото добавлено (1 из 5)")
    await anna.press("Готово")
    [ask_name] = await anna.send_location(54.64, 83.30)
    [preview] = await anna.press(ask_name.labels[1])  # stay anonymous
    assert "<b>" not in preview.text and "Скамейки во дворе" in preview.text  # HTML parsed
    [registered, *_] = await anna.press("✅ Отправить")
    assert "И-2026-0001" in registered.text

    # The outbox sends staff the photo (the resident's file id) and a card with buttons.
    card = await bot.wait(
        lambda: next((o for o in staff.inbox if "Гражданская инициатива" in o.text), None),
        "the staff card",
    )
    photos = [m for m in server.chat_messages(STAFF_CHAT) if m.get("photo")]
    assert [p["photo"][0]["file_id"] for p in photos] == ["photos-1"]
    assert "Статус: новая" in card.text and card.labels[:2] == ["👀 На рассмотрение", "✅ Принять"]

    query = server.press(ADMIN_ID, card.message_id, "✅ Принять", chat_id=STAFF_CHAT)
    await bot.wait(lambda: query in server.callback_answers, "the staff press answered")
    assert server.callback_answers[query]["text"] == "И-2026-0001: принята."
    await bot.wait(
        lambda: "Статус: принята" in server.messages[STAFF_CHAT][card.message_id]["text"],
        "the card edited in place",
    )
    told = await bot.wait(
        lambda: next((o for o in anna.inbox if o.text.startswith("Хорошие новости")), None),
        "the author told",
    )
    assert "И-2026-0001" in told.text
    await server.settle()
    # Nothing twice: one card, one photo, one notification.
    assert len([o for o in staff.inbox if "Гражданская инициатива" in o.text]) == 1
    assert len([o for o in anna.inbox if o.text.startswith("Хорошие новости")]) == 1
    assert "Traceback" not in bot.log
