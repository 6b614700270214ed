"""The bot killed with SIGKILL mid-form and mid-broadcast, then started again: the form goes
on where it stopped, nothing acknowledged is lost and nothing is sent twice. And Telegram's
faults (429 with retry_after, 5xx, a user who blocked the bot) during a broadcast."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.clock import Clock
from bot.sandbox.demo import DemoPeople, DemoTown, load_demo
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import ADMIN_ID, STAFF_CHAT, BotProcess, Person, wait_quiet

CHAIR_ID = 3001
ANNOUNCEMENT = "Субботник в субботу в 10:00, сбор у первого подъезда."


async def test_a_form_survives_sigkill(server: SandboxServer, bot: BotProcess) -> None:
    server.group(STAFF_CHAT, "Специалисты")
    await bot.start()
    anna = await Person(server, bot, 5001, "Анна").consent()
    await anna.send("/initiative")
    await anna.press("Здоровый образ жизни и спорт")
    [ask_description] = await anna.send("Турник во дворе")
    assert ask_description.text.startswith("Опишите идею")

    await bot.kill()  # the answer was acknowledged (the bot asked the next question)
    await bot.start()

    [ask_photos] = await anna.send("Поставить турник и брусья у дома на улице Мира, 3.")
    assert "фото" in ask_photos.text.lower()
    await anna.press("Готово")
    [ask_name] = await anna.press("Пропустить")
    [preview] = await anna.press(ask_name.labels[1])
    assert "Турник во дворе" in preview.text and "улице Мира" in preview.text
    [registered, *_] = await anna.press("✅ Отправить")
    assert "И-2026-0001" in registered.text
    # Every question was asked once: nothing was sent twice around the restart.
    counts = Counter(o.text for o in anna.inbox)
    assert counts[ask_description.text] == 1 and counts[ask_photos.text] == 1


async def _town_with_members(
    server: SandboxServer, bot: BotProcess, members: int
) -> tuple[Person, list[Person]]:
    """The demo town, a chair of its first TOS, and residents who joined by its poster."""
    db = bot.open_database()
    await db.open()
    try:
        people = DemoPeople(admin=(ADMIN_ID, "Мария"), chair=(CHAIR_ID, "Пётр"))
        town: DemoTown = await load_demo(db, Clock(), people)
    finally:
        await db.close()
    server.group(STAFF_CHAT, "Специалисты")
    await bot.start()
    token = town.join_tokens[town.tos_ids[0]]

    async def join(n: int) -> Person:
        person = Person(server, bot, 6000 + n, f"Житель {n}")
        await person.send(f"/start tos_{token}")
        await person.press("✅ Даю согласие", expect=3)
        assert any("Добро пожаловать в «ТОС „Берёзка“»" in t for t in person.texts())
        return person

    residents = list(await asyncio.gather(*(join(n) for n in range(members))))
    chair = Person(server, bot, CHAIR_ID, "Пётр")  # the demo's chair has consented
    await chair.send("/tos")
    [prompt] = await chair.press("📣 Объявление участникам")
    assert f"{members} участник" in prompt.text
    [preview] = await chair.send(ANNOUNCEMENT)
    assert preview.labels == ["📣 Отправить"]
    return chair, residents


def _announcements(person: Person) -> int:
    return sum(ANNOUNCEMENT in text for text in person.texts())


async def test_a_broadcast_survives_sigkill_without_duplicates(
    server: SandboxServer, bot: BotProcess
) -> None:
    chair, residents = await _town_with_members(server, bot, members=10)
    server.hold_sends(after=3, chats=[r.id for r in residents])
    server.press(CHAIR_ID, chair.with_button("📣 Отправить").message_id, "📣 Отправить")
    await bot.wait(
        lambda: server.held and sum(map(_announcements, residents)) == 3,
        "three delivered and the rest held",
    )
    await bot.wait(lambda: any("Отправлено 10" in t for t in chair.texts()), "the chair told")

    await bot.kill()  # mid-broadcast: 3 delivered, the others were being sent
    server.release_sends(drop=True)  # what was in flight never reached "Telegram"
    await bot.start()

    await bot.wait(lambda: all(_announcements(r) for r in residents), "everyone to get it")
    await wait_quiet(server, 1.0)
    assert [_announcements(r) for r in residents] == [1] * 10
    assert sum("Отправлено 10" in t for t in chair.texts()) == 1
    assert "were being sent when the bot stopped" in bot.log


async def test_telegram_faults_during_a_broadcast(server: SandboxServer, bot: BotProcess) -> None:
    chair, residents = await _town_with_members(server, bot, members=8)
    blocker = residents[-1]
    server.blocked.add(blocker.id)
    server.faults.chats = {r.id for r in residents}
    server.faults.plan = [429, 500, 429, 502, 500, 429]
    server.faults.too_many_requests = 0.2
    server.faults.server_errors = 0.1
    await chair.press("📣 Отправить")
    reachable = residents[:-1]
    await bot.wait(lambda: all(_announcements(r) for r in reachable), "everyone reachable")
    await wait_quiet(server, 1.0)
    assert [_announcements(r) for r in reachable] == [1] * 7
    assert _announcements(blocker) == 0
    assert server.faults.seen[429] >= 3 and server.faults.seen[500] + server.faults.seen[502] >= 3
    assert "Traceback" not in bot.log
