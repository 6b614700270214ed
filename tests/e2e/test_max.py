"""The same bot on MAX (issue 16), over real HTTP against the local MAX server
(bot/sandbox/max_server.py): the process `python -m bot` with MESSENGERS=max, or with
Telegram and MAX at once from one database.

Onboarding by MAX's Start button and by a start link (`bot_started` with its payload), the
menu as MAX's `message` buttons; an initiative with a photo to a staff decision taken after
a restart (MAX's string message ids are kept in the database); a support request of a
resident on MAX answered by staff on Telegram, with the phone shared through MAX's contact
button and a file carried across; a broadcast to people on both messengers with faults on
both; a form on MAX that survives SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections import Counter

import aiohttp

from bot.clock import Clock
from bot.messengers.max.ids import MaxIds
from bot.messengers.max.webhook import SECRET_HEADER
from bot.sandbox.demo import DemoPeople, DemoTown, load_demo
from bot.sandbox.max_server import DIALOG_BASE, MaxSandboxServer
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import (
    ADMIN_ID,
    MAX_STAFF_CHAT,
    STAFF_CHAT,
    WAIT,
    BotProcess,
    Person,
    wait_quiet,
)

ANNA, OLGA, NEWCOMER = 5001, 5101, 7001
ANNOUNCEMENT = "Субботник в субботу в 10:00, сбор у первого подъезда."


async def test_onboarding_on_max_start_button_menu_and_a_start_link(
    max_server: MaxSandboxServer, max_bot: BotProcess
) -> None:
    max_server.group(MAX_STAFF_CHAT, "Специалисты")
    await max_bot.start()
    published = max_server.commands[-1]["commands"]
    assert {"start", "initiative", "request", "cancel"} <= {c["name"] for c in published}
    assert "registry" not in {c["name"] for c in published}  # staff commands are not everyone's

    # The Start button: `bot_started`, the consent notice, consent, the menu.
    maria = Person(max_server, max_bot, ADMIN_ID, "Мария")
    [notice] = await maria._expect(lambda: max_server.start_bot(ADMIN_ID), 1, "the notice")
    assert "152-ФЗ" in notice.text and notice.labels == ["✅ Даю согласие", "Не даю согласия"]
    thanks, menu = await maria.press("✅ Даю согласие", expect=2)
    assert "Спасибо! Ваше согласие сохранено." in thanks.text
    assert menu.labels[:2] == ["💡 Предложить инициативу", "🤝 Обратиться за поддержкой"]
    assert [b["type"] for b in menu.buttons[0]] == ["message", "message"]
    # The bot wrote to the person's dialog, whose id is not the person's.
    assert max_server.dialogs[ADMIN_ID] == DIALOG_BASE + ADMIN_ID != ADMIN_ID
    assert not max_server.chat_messages(ADMIN_ID)[0].get("reply_markup")  # pressed: no buttons

    # A menu button sends its label as if typed: the initiative form starts.
    _intro, directions = await maria.press("💡 Предложить инициативу", expect=2)
    assert "Благоустройство и озеленение" in directions.labels
    await maria.send("/cancel")

    # A staff invite: the link is MAX's start link; the newcomer opens it, consents, joins.
    await maria.send("/staff")
    [given] = await maria.press("🔗 Ссылка-приглашение")
    link = next(word for word in given.text.split() if word.startswith("https://"))
    assert link.startswith("https://max.ru/tos_sandbox_bot?start=inv_") and "t.me" not in given.text
    newcomer = Person(max_server, max_bot, NEWCOMER, "Пётр")
    [notice] = await newcomer._expect(lambda: max_server.open_link(NEWCOMER, link), 1, "a notice")
    await newcomer.press("✅ Даю согласие", expect=2)
    await max_bot.wait(
        lambda: any(
            "списке специалистов" in t or "список специалистов" in t for t in newcomer.texts()
        ),
        "the newcomer made staff",
    )
    assert "Traceback" not in max_bot.log


async def test_initiative_with_a_photo_to_a_staff_decision_after_a_restart(
    max_server: MaxSandboxServer, max_bot: BotProcess
) -> None:
    max_server.group(MAX_STAFF_CHAT, "Специалисты")
    await max_bot.start()
    maria = await Person(max_server, max_bot, ADMIN_ID, "Мария").consent()
    staff = maria.in_chat(MAX_STAFF_CHAT)
    anna = await Person(max_server, max_bot, ANNA, "Анна").consent()

    await anna.press("💡 Предложить инициативу", expect=2)
    await anna.press("Благоустройство и озеленение")
    await anna.send("Скамейки во дворе")
    await anna.send("Поставить три скамейки у детской площадки на Советской, 12.")
    [added] = await anna.send_photo()
    assert added.text.startswith("Фото добавлено (1 из 5)")
    await anna.press("Готово")
    [ask_name] = await anna.send_location(54.64, 83.30)
    [preview] = await anna.press(ask_name.labels[1])  # stay anonymous
    assert "Скамейки во дворе" in preview.text and "<b>" not in preview.text
    [registered, *_] = await anna.press("✅ Отправить")
    assert "И-2026-0001" in registered.text

    card = await max_bot.wait(
        lambda: next((o for o in staff.inbox if "Гражданская инициатива" in o.text), None),
        "the staff card",
    )
    # The photo went to the staff chat by its MAX token, as the resident sent it.
    photos = [m for m in max_server.chat_messages(MAX_STAFF_CHAT) if m.get("photo")]
    assert len(photos) == 1
    assert card.labels[:2] == ["👀 На рассмотрение", "✅ Принять"]

    # A restart: the card's MAX id is found again from the database, and edited in place.
    assert await max_bot.stop() == 0
    await max_bot.start()
    query = max_server.press(ADMIN_ID, card.message_id, "✅ Принять", chat_id=MAX_STAFF_CHAT)
    await max_bot.wait(lambda: query in max_server.callback_answers, "the press answered")
    assert max_server.callback_answers[query]["text"] == "И-2026-0001: принята."

    def card_text() -> str:
        return str((max_server.message_view(MAX_STAFF_CHAT, card.message_id) or {}).get("text"))

    await max_bot.wait(lambda: "Статус: принята" in card_text(), "the card edited in place")
    told = await max_bot.wait(
        lambda: next((o for o in anna.inbox if o.text.startswith("Хорошие новости")), None),
        "the author told",
    )
    assert "И-2026-0001" in told.text
    await max_server.settle()
    assert len([o for o in staff.inbox if "Гражданская инициатива" in o.text]) == 1
    assert len([o for o in anna.inbox if o.text.startswith("Хорошие новости")]) == 1
    assert "Traceback" not in max_bot.log


async def test_a_request_from_max_answered_by_staff_on_telegram(
    server: SandboxServer, max_server: MaxSandboxServer, both_bot: BotProcess
) -> None:
    server.group(STAFF_CHAT, "Специалисты")
    await both_bot.start()
    maria = await Person(server, both_bot, ADMIN_ID, "Мария").consent()  # on Telegram
    staff = maria.in_chat(STAFF_CHAT)
    olga = await Person(max_server, both_bot, OLGA, "Ольга").consent()  # on MAX

    await olga.send("/request", expect=2)
    await olga.press("Транспортное обеспечение")
    await olga.send("Автобус на 20 детей на областной фестиваль, с 8:00 до 18:00.")
    [ask_phone] = await olga.send("завтра")
    assert "телефон" in ask_phone.text.lower()
    kinds = [b["type"] for row in ask_phone.buttons for b in row]
    assert kinds == ["request_contact", "message"]  # Telegram's reply keyboard, as MAX has it
    _thanks, ask_file = await olga.press("📱 Поделиться телефоном", expect=2)
    assert "фото или документ" in ask_file.text
    [preview] = await olga._expect(
        lambda: max_server.send_document(OLGA, "маршрут.pdf", b"%PDF-1.4 route"), 1, "a preview"
    )
    assert "📞 +79001234567" in preview.text
    [done, *_] = await olga.press("✅ Отправить")
    assert "З-2026-0001" in done.text

    # On Telegram: the file (downloaded from MAX, uploaded to Telegram) and the card.
    card = await both_bot.wait(
        lambda: next((o for o in staff.inbox if o.text.startswith("Обращение З-2026-0001")), None),
        "the staff card on Telegram",
    )
    await both_bot.wait(
        lambda: any(m.get("document") for m in server.chat_messages(STAFF_CHAT)), "the file"
    )
    [document] = [m["document"] for m in server.chat_messages(STAFF_CHAT) if m.get("document")]
    assert document["file_name"] == "маршрут.pdf"
    assert server.files[document["file_id"]].content == b"%PDF-1.4 route"

    # A Telegram reply to the card reaches the resident on MAX; her MAX reply comes back.
    [ack] = await staff.send("Автобус будет в 7:45 у школы № 5.", reply_to=card.message_id)
    assert "отправлен заявителю" in ack.text
    answer = await both_bot.wait(
        lambda: next((o for o in olga.inbox if "Автобус будет в 7:45" in o.text), None),
        "the answer on MAX",
    )
    assert answer.text.startswith("🏛 Администрация по вашему обращению З-2026-0001")
    [sent] = await olga.send("Спасибо! Список детей пришлю завтра.", reply_to=answer.message_id)
    assert "Отправлено в администрацию" in sent.text
    follow = await both_bot.wait(
        lambda: next((o for o in staff.inbox if "Список детей пришлю" in o.text), None),
        "her reply under the card on Telegram",
    )
    original = server.messages[STAFF_CHAT][follow.message_id].get("reply_to_message") or {}
    assert original.get("message_id") == card.message_id
    await wait_quiet(server, 0.3)
    assert Counter(o.text for o in olga.inbox)[answer.text] == 1
    assert "Traceback" not in both_bot.log


async def _demo_town(bot: BotProcess) -> DemoTown:
    db = bot.open_database()
    await db.open()
    try:
        people = DemoPeople(admin=(ADMIN_ID, "Мария"), chair=(3001, "Пётр"))
        return await load_demo(db, Clock(), people)
    finally:
        await db.close()


def _announcements(person: Person) -> int:
    return sum(ANNOUNCEMENT in text for text in person.texts())


async def test_a_broadcast_to_people_on_both_messengers_with_faults(
    server: SandboxServer, max_server: MaxSandboxServer, both_bot: BotProcess
) -> None:
    town = await _demo_town(both_bot)
    server.group(STAFF_CHAT, "Специалисты")
    await both_bot.start()
    token = town.join_tokens[town.tos_ids[0]]

    async def join(on_max: bool, n: int) -> Person:
        if on_max:
            person = Person(max_server, both_bot, 8000 + n, f"Житель {n}")
            await person._expect(lambda: max_server.start_bot(person.id, f"tos_{token}"), 1, "")
        else:
            person = Person(server, both_bot, 6000 + n, f"Житель {n}")
            await person.send(f"/start tos_{token}")
        await person.press("✅ Даю согласие", expect=3)
        return person

    members = list(await asyncio.gather(*(join(n % 2 == 0, n) for n in range(8))))
    on_max = [m for m in members if m.server is max_server]
    on_telegram = [m for m in members if m.server is server]
    chair = Person(server, both_bot, 3001, "Пётр")
    await chair.send("/tos")
    [prompt] = await chair.press("📣 Объявление участникам")
    assert "8 участник" in prompt.text
    await chair.send(ANNOUNCEMENT)

    # Faults on both: 429s and 5xx, and on each messenger one member who stopped the bot.
    stopped_max, stopped_telegram = on_max[-1], on_telegram[-1]
    max_server.stop_bot(stopped_max.id)
    server.blocked.add(stopped_telegram.id)
    for fake, people in ((server, on_telegram), (max_server, on_max)):
        fake.faults.chats = {p.id for p in people}
        fake.faults.plan = [429, 500, 429, 502]
        fake.faults.too_many_requests = 0.2
        fake.faults.server_errors = 0.1
    await chair.press("📣 Отправить")
    reachable = [m for m in members if m not in (stopped_max, stopped_telegram)]
    await both_bot.wait(lambda: all(_announcements(r) for r in reachable), "everyone reachable")
    await wait_quiet(server, 1.0)
    assert [_announcements(r) for r in reachable] == [1] * 6
    assert _announcements(stopped_max) == _announcements(stopped_telegram) == 0
    for fake in (server, max_server):
        assert fake.faults.seen[429] >= 2 and fake.faults.seen[500] + fake.faults.seen[502] >= 2
    # Each person who stopped the bot is marked unreachable, whatever their messenger.
    db = both_bot.open_database()
    await db.open()
    try:
        internal = await MaxIds(db).person(stopped_max.id)
        # The last refusal may come after the others' deliveries (its retries of the planned
        # 429s and 5xx): wait for it rather than look once.
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            records = [await db.read.users.get(u) for u in (internal, stopped_telegram.id)]
            marked = [r is not None and r.unreachable_at is not None for r in records]
            if all(marked) or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        assert marked == [True, True]
    finally:
        await db.close()
    assert "Traceback" not in both_bot.log


async def test_a_form_on_max_survives_sigkill(
    max_server: MaxSandboxServer, max_bot: BotProcess
) -> None:
    max_server.group(MAX_STAFF_CHAT, "Специалисты")
    await max_bot.start()
    anna = await Person(max_server, max_bot, ANNA, "Анна").consent()
    await anna.send("/initiative", expect=2)
    await anna.press("Здоровый образ жизни и спорт")
    [ask_description] = await anna.send("Турник во дворе")
    assert ask_description.text.startswith("Опишите идею")

    await max_bot.kill()  # the answer was acknowledged (the bot asked the next question)
    await max_bot.start()

    [ask_photos] = await anna.send("Поставить турник и брусья у дома на улице Мира, 3.")
    assert "фото" in ask_photos.text.lower()
    await anna.press("Готово")
    [ask_name] = await anna.press("Пропустить")
    [preview] = await anna.press(ask_name.labels[1])
    assert "Турник во дворе" in preview.text and "улице Мира" in preview.text
    [registered, *_] = await anna.press("✅ Отправить")
    assert "И-2026-0001" in registered.text
    counts = Counter(o.text for o in anna.inbox)
    assert counts[ask_description.text] == 1 and counts[ask_photos.text] == 1
    assert "Traceback" not in max_bot.log


async def test_in_production_max_posts_updates_to_the_webhook_with_its_secret(
    max_server: MaxSandboxServer, max_bot: BotProcess
) -> None:
    """MAX_WEBHOOK_URL: the bot subscribes at start (long polling is then off), listens behind
    the HTTPS proxy, takes an update only with the secret, and answers through MAX's API."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    max_bot.env |= {
        "MAX_WEBHOOK_URL": "https://bot.example.ru/max",
        "MAX_WEBHOOK_SECRET": "town-hall-secret",
        "MAX_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    max_server.group(MAX_STAFF_CHAT, "Специалисты")
    max_server.user(ANNA, "Анна")
    before = len(max_server.calls)
    with (max_bot.tmp / "bot.log").open("ab") as log:  # not max_bot.start(): it awaits a poll
        max_bot.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=max_bot.tmp, env=max_bot.env, stdout=log, stderr=log
        )
    await max_bot.wait(lambda: max_server.subscriptions, "the subscription")
    assert max_server.subscriptions[0]["url"] == "https://bot.example.ru/max"
    assert "getUpdates" not in max_server.calls[before:]  # no long polling beside a webhook

    update = {
        "update_type": "bot_started",
        "timestamp": 1,
        "chat_id": max_server.dialog_of(ANNA),
        "user": max_server.users[ANNA],
        "user_locale": "ru",
    }
    url = f"http://127.0.0.1:{port}/max"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the listener comes up right after the subscription
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as r:
                    assert r.status == 403
                    break
            await asyncio.sleep(0.1)
        assert max_server.chat_messages(ANNA) == []  # refused: never reached the handlers
        async with http.post(url, json=update, headers={SECRET_HEADER: "town-hall-secret"}) as r:
            assert r.status == 200
    [notice] = max_server.chat_messages(ANNA)
    assert "152-ФЗ" in notice["text"]
    assert await max_bot.stop() == 0
    assert "Traceback" not in max_bot.log
