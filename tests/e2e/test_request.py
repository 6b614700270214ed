"""A support request over real HTTP: an NGO representative asks for transport, staff take it
from the card in the staff chat and answer with a Telegram reply to the card, the answer reaches
the requester in the town hall's name, her reply lands under the card, staff close, she rates.
Every message exactly once."""

from __future__ import annotations

from collections import Counter

from bot.clock import Clock
from bot.domain.requests import SupportRequest
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import ADMIN_ID, STAFF_CHAT, BotProcess, Person, wait_quiet

OLGA_ID = 5101
NUMBER = "З-2026-0001"


async def _seed_representative(bot: BotProcess) -> None:
    """Olga represents an NGO (setup: the registry is not what this test is about)."""
    db = bot.open_database()
    await db.open()
    try:
        now = Clock().now()
        async with db.transaction() as uow:
            org = await uow.registry.add_org({"name": "Рука помощи", "kind": "ngo"}, now)
            await uow.registry.grant(OLGA_ID, "org", org, "rep", ADMIN_ID, now)
    finally:
        await db.close()


async def _request(bot: BotProcess) -> SupportRequest:
    """The request as the database has it (a second connection; WAL lets it read)."""
    db = bot.open_database()
    await db.open()
    try:
        record = await db.read.requests.get(1)
    finally:
        await db.close()
    assert record is not None
    return record


def _reply_to(server: SandboxServer, chat_id: int, message_id: int) -> int | None:
    original = server.messages[chat_id][message_id].get("reply_to_message")
    return None if original is None else int(original["message_id"])


async def test_a_transport_request_answered_in_the_cards_thread_closed_and_rated(
    server: SandboxServer, bot: BotProcess
) -> None:
    await _seed_representative(bot)
    server.group(STAFF_CHAT, "Специалисты")
    await bot.start()
    maria = await Person(server, bot, ADMIN_ID, "Мария").consent()
    staff = maria.in_chat(STAFF_CHAT)
    olga = await Person(server, bot, OLGA_ID, "Ольга").consent()

    # The form: type, on whose behalf, what, when, phone, no file, the preview, send.
    intro, kinds = await olga.send("/request", expect=2)
    assert "Специалисты администрации увидят" in intro.text
    assert "Транспортное обеспечение" in kinds.labels
    [behalf] = await olga.press("Транспортное обеспечение")
    assert behalf.labels == ["От себя", "организация «Рука помощи»"]
    await olga.press("организация «Рука помощи»")
    [ask_date] = await olga.send("Автобус на 20 детей на областной фестиваль, с 8:00 до 18:00.")
    assert "дд.мм.гггг" in ask_date.text
    [ask_phone] = await olga.send("завтра")
    assert "телефон" in ask_phone.text.lower()
    keyboard = server.keyboards[olga.chat_id]
    assert keyboard is not None and keyboard["keyboard"][0][0].get("request_contact") is True
    _thanks, ask_file = await olga.send_contact("+7 913 555-12-34", expect=2)
    assert "фото или документ" in ask_file.text
    [preview] = await olga.press("Пропустить")
    assert "организация «Рука помощи»" in preview.text and "📞 +79135551234" in preview.text
    [done, *_] = await olga.press("✅ Отправить")
    assert NUMBER in done.text  # the sandbox shows text as Telegram does, tags as entities

    # The outbox puts the card in the staff chat; staff take it from the card.
    card = await bot.wait(
        lambda: next((o for o in staff.inbox if o.text.startswith(f"Обращение {NUMBER}")), None),
        "the staff card",
    )
    assert "Транспортное обеспечение" in card.text and "организация «Рука помощи»" in card.text
    assert card.labels == ["🙋 Взять в работу", "💬 Ответить", "✖ Отклонить", "⏳ Продлить срок"]
    query = server.press(ADMIN_ID, card.message_id, "🙋 Взять в работу", chat_id=STAFF_CHAT)
    await bot.wait(lambda: query in server.callback_answers, "the take answered")
    assert server.callback_answers[query]["text"] == f"Обращение {NUMBER} теперь у вас в работе."
    await bot.wait(
        lambda: "Статус: в работе" in server.messages[STAFF_CHAT][card.message_id]["text"],
        "the card edited in place",
    )
    taken = await bot.wait(
        lambda: next((o for o in olga.inbox if "взято в работу" in o.text), None), "Olga told"
    )
    assert NUMBER in taken.text

    # A Telegram reply to the card is the answer; the requester reads it from the town hall.
    [ack] = await staff.send("Автобус будет в 7:45 у школы № 5.", reply_to=card.message_id)
    assert ack.text == f"Ответ по обращению {NUMBER} отправлен заявителю."
    answer = await bot.wait(
        lambda: next((o for o in olga.inbox if "Автобус будет в 7:45" in o.text), None),
        "the answer delivered",
    )
    assert answer.text.startswith(f"🏛 Администрация по вашему обращению {NUMBER}")
    assert "Мария" not in answer.text

    # Olga replies to the answer; staff close the request without waiting for the staff chat,
    # which the bot paces at one message every three seconds (Telegram's group limit).
    [sent] = await olga.send("Спасибо! Список детей пришлю завтра.", reply_to=answer.message_id)
    assert sent.text == f"Отправлено в администрацию ({NUMBER})."
    query = server.press(ADMIN_ID, card.message_id, "✅ Закрыть", chat_id=STAFF_CHAT)
    await bot.wait(lambda: query in server.callback_answers, "the close answered")
    assert server.callback_answers[query]["text"] == f"Обращение {NUMBER} закрыто."

    # The requester rates it, with a comment.
    closed = await bot.wait(
        lambda: next((o for o in olga.inbox if "👍 Да, помогло" in o.labels), None),
        "Olga asked to rate",
    )
    assert f"Ваше обращение {NUMBER} закрыто." in closed.text
    [ask_comment] = await olga.press("👍 Да, помогло", on=closed.message_id)
    assert ask_comment.text.startswith("Хотите добавить комментарий")
    [bye] = await olga.send("Автобус пришёл вовремя, спасибо!")
    assert bye.text == "Спасибо! Администрация прочитает ваш комментарий."

    # In the staff chat: her reply in the card's thread, the card closed, the rating.
    follow = await bot.wait(
        lambda: next((o for o in staff.inbox if "Список детей пришлю" in o.text), None),
        "the reply under the card",
    )
    assert _reply_to(server, STAFF_CHAT, follow.message_id) == card.message_id
    assert "пишет заявитель" in follow.text and "Ольга" not in follow.text
    await bot.wait(
        lambda: "Статус: закрыто" in server.messages[STAFF_CHAT][card.message_id]["text"],
        "the card closed",
    )
    # The rating is kept (its note to the staff chat waits its turn behind the group's pace).
    record = await _request(bot)
    assert record.status == "closed" and record.helped is True
    assert record.rating_comment == "Автобус пришёл вовремя, спасибо!"

    await wait_quiet(server, 0.5)
    # Exactly once each: one card, one answer, one echo of the reply, one close.
    to_olga = Counter(o.text for o in olga.inbox)
    assert to_olga[answer.text] == 1 and to_olga[taken.text] == 1 and to_olga[closed.text] == 1
    to_staff = Counter(o.text for o in staff.inbox)
    assert to_staff[card.text] == 1 and to_staff[follow.text] == 1 and to_staff[ack.text] == 1
    assert "Traceback" not in bot.log
