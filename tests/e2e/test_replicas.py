"""Two replicas of the bot on one PostgreSQL database, in webhook mode, behind the sandbox's
round-robin delivery (as behind a load balancer): one person's updates land on both, in turn.

- a form whose steps land on different replicas completes;
- two presses of one button, delivered at once to the two replicas, make one action;
- the replica sending a 500-recipient broadcast is SIGKILLed in the middle: the other takes
  the lead and finishes it, nobody gets it twice or not at all, and the rate stays within
  BROADCAST_RATE for the bot as a whole;
- a reminder round due while both run goes out once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.sandbox.demo import DemoPeople, load_demo
from bot.sandbox.server import SandboxServer
from bot.services.users import NOTICE_VERSION
from tests.e2e.kit import ADMIN_ID, STAFF_CHAT, BotProcess, Person, wait_quiet

pytestmark = pytest.mark.postgresql_only(
    "several processes share one database only on PostgreSQL (SQLite's is one process's)"
)

CHAIR_ID = 3001
RATE = 30
ANNOUNCEMENT = "Собрание жителей в четверг в 19:00 во дворе."


@pytest.fixture
async def replicas(server: SandboxServer, tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    both = [
        BotProcess(server, tmp_path, name=name, webhook=True, BROADCAST_RATE=str(RATE))
        for name in ("replica-a", "replica-b")
    ]
    server.replicas = [replica.address for replica in both]
    try:
        yield both
    finally:
        for replica in both:
            await replica.kill()


async def _start(replicas: list[BotProcess]) -> None:
    for replica in replicas:
        await replica.start()


async def test_a_form_whose_steps_land_on_both_replicas_completes(
    server: SandboxServer, replicas: list[BotProcess]
) -> None:
    a, b = replicas
    server.group(STAFF_CHAT, "Специалисты")
    await _start(replicas)
    anna = await Person(server, a, 5001, "Анна").consent()
    await anna.send("/initiative")
    await anna.press("Здоровый образ жизни и спорт")
    [ask_description] = await anna.send("Турник во дворе")
    assert ask_description.text.startswith("Опишите идею")
    [ask_photos] = await anna.send("Поставить турник и брусья у дома на улице Мира, 3.")
    assert "фото" in ask_photos.text.lower()
    await anna.press("Готово")
    [ask_name] = await anna.press("Пропустить")
    [preview] = await anna.press(ask_name.labels[1])
    assert "Турник во дворе" in preview.text and "улице Мира" in preview.text
    [registered, *_] = await anna.press("✅ Отправить")
    assert "И-2026-0001" in registered.text
    # The steps went to both replicas, and every question was asked once.
    assert server.deliveries[a.address] >= 3 and server.deliveries[b.address] >= 3
    counts = Counter(o.text for o in anna.inbox)
    assert counts[ask_description.text] == 1 and counts[ask_photos.text] == 1
    assert "Traceback" not in a.log + b.log


async def test_two_presses_on_two_replicas_make_one_action(
    server: SandboxServer, replicas: list[BotProcess]
) -> None:
    a, b = replicas
    server.group(STAFF_CHAT, "Специалисты")
    await _start(replicas)
    anna = await Person(server, a, 5002, "Анна").consent()
    await anna.send("/initiative")
    await anna.press("Благоустройство и озеленение")
    await anna.send("Скамейка у подъезда")
    await anna.send("Поставить скамейку у второго подъезда дома на улице Ленина, 7.")
    await anna.press("Готово")
    [ask_name] = await anna.press("Пропустить")
    await anna.press(ask_name.labels[1])
    send = anna.with_button("✅ Отправить").message_id
    before = dict(server.deliveries)
    # A double tap: both presses are out at once, one to each replica.
    server.press(anna.id, send, "✅ Отправить")
    server.press(anna.id, send, "✅ Отправить")
    await a.wait(lambda: any("И-2026-0001" in t for t in anna.texts()), "the initiative")
    await wait_quiet(server, 1.5)
    assert server.deliveries[a.address] > before.get(a.address, 0)
    assert server.deliveries[b.address] > before.get(b.address, 0)
    assert sum("И-2026-" in t for t in anna.texts()) == 1
    assert not any("И-2026-0002" in t for t in anna.texts())
    db = a.open_database()
    await db.open()
    try:
        assert await db.read.executor.fetch_value("SELECT COUNT(*) FROM initiatives") == 1
    finally:
        await db.close()


async def _members(bot: BotProcess, server: SandboxServer, count: int) -> list[int]:
    """The demo town and `count` residents who joined its first TOS (seeded directly)."""
    db = bot.open_database()
    await db.open()
    try:
        people = DemoPeople(admin=(ADMIN_ID, "Мария"), chair=(CHAIR_ID, "Пётр"))
        town = await load_demo(db, Clock(), people)
        now = Clock().now()
        ids = [70_000 + n for n in range(count)]
        async with db.transaction() as uow:
            for user_id in ids:
                await uow.users.ensure(user_id, now)
                await uow.users.give_consent(user_id, NOTICE_VERSION, now)
                await uow.registry.join(town.tos_ids[0], user_id, now)
    finally:
        await db.close()
    for user_id in ids:
        server.user(user_id, f"Житель {user_id}")
    return ids


def _announced(server: SandboxServer, members: list[int]) -> Counter[int]:
    wanted = set(members)
    return Counter(
        o.chat_id
        for o in server.outgoing
        if o.chat_id in wanted and o.method == "sendMessage" and ANNOUNCEMENT in o.text
    )


async def test_a_broadcast_survives_the_sigkill_of_its_replica(
    server: SandboxServer, replicas: list[BotProcess]
) -> None:
    a, b = replicas
    members = await _members(a, server, 500)
    server.group(STAFF_CHAT, "Специалисты")
    await _start(replicas)
    chair = Person(server, a, CHAIR_ID, "Пётр")  # the demo's chair has consented
    await chair.send("/tos")
    [prompt] = await chair.press("📣 Объявление участникам")
    assert "500 участник" in prompt.text
    [preview] = await chair.send(ANNOUNCEMENT)
    assert preview.labels == ["📣 Отправить"]

    server.hold_sends(after=120, chats=members)
    server.press(CHAIR_ID, chair.with_button("📣 Отправить").message_id, "📣 Отправить")
    await a.wait(lambda: server.held and len(_announced(server, members)) == 120, "120 sent")
    leader, other = (a, b) if a.leads else (b, a)
    assert leader.leads and not other.leads
    await leader.kill()  # mid-broadcast: 120 delivered, what was in flight never arrives
    server.release_sends(drop=True)

    await other.wait(lambda: len(_announced(server, members)) == 500, "everyone to get it")
    await wait_quiet(server, 1.5)
    got = _announced(server, members)
    assert len(got) == 500 and set(got.values()) == {1}  # 0 lost, 0 duplicated
    assert other.leads and "were being sent when the bot stopped" in other.log
    # The rate of the bot as a whole: no second with more than BROADCAST_RATE messages (as
    # they arrive here: a send taken a second after another may arrive a little sooner).
    times = sorted(
        o.at for o in server.outgoing if o.chat_id in set(members) and ANNOUNCEMENT in o.text
    )
    busiest = max(sum(1 for t in times[i:] if t < start + 0.95) for i, start in enumerate(times))
    assert busiest <= RATE, busiest
    assert (len(times) - 1) / (times[-1] - times[0]) <= RATE


async def test_a_reminder_round_goes_out_once_while_both_run(
    server: SandboxServer, replicas: list[BotProcess]
) -> None:
    a, b = replicas
    ivan = 4101
    db = a.open_database()
    await db.open()
    try:
        now = Clock().now()
        async with db.transaction() as uow:
            await uow.users.ensure(ivan, now)
            await uow.users.give_consent(ivan, NOTICE_VERSION, now)
            south = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok-south", now)
            await uow.registry.grant(ivan, "tos", south, "chair", ADMIN_ID, now)
            values = {
                "title": "Городской конкурс",
                "organiser": "Администрация",
                "description": "Проекты ТОС",
                "eligible": ("tos",),
                "opens_at": now - timedelta(minutes=1),
                "deadline": now + timedelta(seconds=40),
                "results_at": None,
                "rules_url": None,
                "max_grant": None,
            }
            await uow.competitions.create(values, ADMIN_ID, now)
    finally:
        await db.close()
    round_at = time.monotonic() + 40 - 25
    for replica in replicas:
        replica.env["COMPETITION_REMINDERS"] = "25s"
    server.group(STAFF_CHAT, "Специалисты")
    server.user(ivan, "Иван")
    await _start(replicas)
    chair = Person(server, a, ivan, "Иван")
    await a.wait(lambda: any("Новый конкурс" in t for t in chair.texts()), "the announcement")
    await asyncio.sleep(max(0.0, round_at - time.monotonic()))
    await a.wait(lambda: any("ещё нет заявки" in t for t in chair.texts()), "the reminder")
    await wait_quiet(server, 3.0)  # both replicas had their minute's look meanwhile
    assert sum("ещё нет заявки" in t for t in chair.texts()) == 1
    assert sum("Новый конкурс" in t for t in chair.texts()) == 1
    assert a.leads != b.leads
