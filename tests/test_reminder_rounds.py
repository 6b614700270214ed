"""Every reminder round goes out at its own time while the bot runs, however close the offsets
(COMPETITION_REMINDERS and EVENT_REMINDERS take seconds): the reminders job looks every minute
and also wakes up when the next round falls.

The scheduler is played here on the test clock: each step goes to the earlier of the
minute's tick and the wake-up the app asked for, and runs the job as the scheduler would."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.app import REMINDER_ROUND, REMINDERS_EVERY_SECONDS
from bot.services.competitions import CompetitionDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness, running


async def play_scheduler(h: Harness, until: datetime) -> list[datetime]:
    """Run the reminders job at each time the scheduler would, up to `until`; returns when."""
    ran = []
    tick = h.clock.now()
    await h.app.scheduler.run_now("reminders")
    while True:
        next_tick = tick + timedelta(seconds=REMINDERS_EVERY_SECONDS)
        wake = h.app.scheduler.planned(REMINDER_ROUND)
        at = next_tick if wake is None else min(wake, next_tick)
        if at > until:
            return ran
        h.clock.set(max(at, h.clock.now()))
        ran.append(h.clock.now())
        if at == next_tick:
            tick = at
            await h.app.scheduler.run_now("reminders")
        else:
            await h.app.scheduler.run_now(REMINDER_ROUND)


async def test_rounds_under_a_minute_apart_each_go_out(tmp_path: Path) -> None:
    async with running(
        tmp_path,
        admin_ids=frozenset({ADMIN_ID}),
        competition_reminders="40s,20s",
        event_reminders="50s,10s",
    ) as h:
        ivan = await h.consented(h.user("Иван"))
        anna = await h.consented(h.user("Анна"))
        start = h.clock.now()
        async with h.app.db.transaction() as uow:
            tos = await uow.registry.add_tos({"name": "ТОС «Южный»"}, "tok-south", start)
            await uow.registry.grant(ivan.id, "tos", tos, "chair", ADMIN_ID, start)
            event_id = await uow.events.create(
                {
                    "title": "Субботник",
                    "starts_at": start + timedelta(seconds=61),
                    "ends_at": start + timedelta(hours=2),
                    "place": "Сквер",
                    "organiser": "ТОС",
                    "joint": 0,
                    "owner_kind": "town",
                    "owner_id": 0,
                },
                ADMIN_ID,
                start,
            )
        await h.app.services.events.sign_up(anna.id, event_id)
        deadline = start + timedelta(seconds=81)
        await h.app.services.competitions.create(
            ADMIN_ID,
            CompetitionDraft(
                title="Конкурс ТОС",
                organiser="Администрация",
                description="Проекты ТОС",
                eligible=("tos",),
                deadline=deadline,
            ),
        )

        ran = await play_scheduler(h, deadline + timedelta(minutes=3))
        # Woken at each round's own time: 40 s and 20 s before the deadline, 50 s and 10 s
        # before the event.
        rounds = [deadline - timedelta(seconds=s) for s in (40, 20)]
        rounds += [start + timedelta(seconds=s) for s in (11, 51)]
        assert set(rounds) <= set(ran), (rounds, ran)
        await h.deliver()
        reminders = [s.text for s in ivan.inbox if "ещё нет заявки" in s.text]
        assert len(reminders) == 2, reminders
        assert "до конца — 1 минута." in reminders[0]
        assert "до конца — меньше минуты." in reminders[1]
        assert len([s for s in anna.inbox if "Напоминаем" in s.text]) == 2


async def test_a_new_competition_wakes_the_scheduler_at_once(harness: Harness) -> None:
    h = harness
    assert h.app.scheduler.planned(REMINDER_ROUND) is None
    await h.app.services.competitions.create(
        ADMIN_ID,
        CompetitionDraft(
            title="Конкурс ТОС",
            organiser="Администрация",
            description="Проекты дворов и улиц",
            eligible=("tos",),
            deadline=h.clock.now() + timedelta(days=20),
        ),
    )
    assert h.app.scheduler.planned(REMINDER_ROUND) == h.clock.now()
    await h.app.scheduler.run_now(REMINDER_ROUND)
    # Then it sleeps until the first round: 14 days before the deadline.
    assert h.app.scheduler.planned(REMINDER_ROUND) == h.clock.now() + timedelta(days=6)
