"""A fictional town with the seed report's figures, over two years, for the report's tests.

2025 (the year compared with): 15 TOS (3,400 residents), 30 public organisations, an April
competition with 12 TOS applying and 4 winners, two events (one joint), initiatives and
requests. 2026 (the report's year): 18 TOS covering 4,040 of 56,111 residents (7.2 %), 34
organisations, every TOS applying to the April competition (5 winners, 500,000 roubles),
initiative groups in the regional competition «Со мной регион успешнее!», consultations,
help with events and transport, three events held (two jointly) and one cancelled,
initiatives done, in progress, rejected and stalled, requests answered, overdue, declined
and reopened, and what is ahead: an open competition and a planned event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.services.initiatives import Draft
from bot.services.requests import RequestDraft
from tests.conftest import ADMIN_ID
from tests.kit import Harness

TOWN = "город Искитим"
POPULATION = 56_111
APRIL = "Конкурс социально значимых проектов ТОС"
REGIONAL = "Со мной регион успешнее!"
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # the harness's clock


@dataclass
class Town:
    tos_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    people: set[int] = field(default_factory=set)  # who took part in 2026


def at(year: int, month: int, day: int, hour: int = 4) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def build(h: Harness, *, with_2025: bool = True) -> Town:
    town = Town()
    app = h.app
    # People meet the bot before they do anything in it.
    h.clock.set(at(2025 if with_2025 else 2026, 1, 20))
    residents = [h.user(f"Житель{n}") for n in range(12)]
    for person in residents:
        await h.consented(person)

    # -- the registry: 15 TOS registered by 2025 (3,400 residents), 3 more in 2026 (640) ---
    h.clock.set(at(2025 if with_2025 else 2026, 2, 1))
    async with app.db.transaction() as uow:
        now = h.clock.now()
        for n in range(15):
            values = {
                "name": f"ТОС №{n + 1}",
                "residents": 227 if n < 10 else 226,
                "registered_on": date(2018 + n % 7, 3, 1),
            }
            town.tos_ids.append(await uow.registry.add_tos(values, f"join{n}", now))
        for n in range(30):
            kind = "group" if n >= 27 else "ngo"
            org = await uow.registry.add_org({"name": f"Организация {n + 1}", "kind": kind}, now)
            if kind == "group":
                town.group_ids.append(org)
    if with_2025:
        await _year_2025(h, town, residents)

    h.clock.set(at(2026, 2, 10))
    async with app.db.transaction() as uow:
        now = h.clock.now()
        for n, residents_count in enumerate((214, 213, 213)):
            values = {
                "name": f"ТОС №{16 + n}",
                "residents": residents_count,
                "registered_on": date(2026, 2 + n, 15),
            }
            town.tos_ids.append(await uow.registry.add_tos(values, f"join{15 + n}", now))
        for n in range(4):
            await uow.registry.add_org({"name": f"Организация {31 + n}", "kind": "ngo"}, now)
        for person in residents[:6]:
            await uow.registry.join(town.tos_ids[0], person.id, now)
    await _competitions_2026(h, town)
    await _initiatives_2026(h, town, residents)
    await _requests_2026(h, town, residents)
    await _events_2026(h, town, residents)
    h.clock.set(NOW)
    return town


async def _year_2025(h: Harness, town: Town, residents: list) -> None:  # type: ignore[type-arg]
    app = h.app
    async with app.db.transaction() as uow:
        now = h.clock.now()
        april = await uow.competitions.create(
            {
                "title": APRIL,
                "organiser": "Администрация",
                "eligible": ("tos",),
                "opens_at": at(2025, 4, 1),
                "deadline": at(2025, 4, 30),
                "status": "closed",
            },
            ADMIN_ID,
            now,
        )
        for n, tos_id in enumerate(town.tos_ids[:12]):
            application = await uow.competitions.register(
                april,
                {
                    "body_kind": "tos",
                    "body_id": tos_id,
                    "project": f"Проект 2025-{n}",
                    "direction": "improvement",
                    "amount": 100_000,
                    "initiative_id": None,
                    "applicant_id": ADMIN_ID,
                },
                now,
            )
            won = n < 4
            await uow.competitions.set_result(
                application, "winner" if won else "not_winner", 100_000 if won else None, now
            )
        for joint in (1, 0):
            event = await uow.events.create(
                {
                    "title": f"Праздник двора {joint}",
                    "starts_at": at(2025, 6, 12),
                    "ends_at": at(2025, 6, 12, 7),
                    "place": "Сквер",
                    "organiser": "ТОС №1",
                    "joint": joint,
                    "owner_kind": "town",
                    "owner_id": 0,
                },
                ADMIN_ID,
                now,
            )
            await uow.events.set_attended(event, 50)
        for person in residents[:3]:
            await uow.registry.join(town.tos_ids[1], person.id, now)
    h.clock.set(at(2025, 5, 20))
    for n, person in enumerate(residents[:4]):
        await app.services.initiatives.submit(
            person.id,
            Draft(
                direction="improvement",
                title=f"Лавочки у дома {n}",
                description="Поставить лавочки у подъезда, пожалуйста.",
            ),
        )
    for person in residents[4:7]:
        await app.services.requests.submit(
            person.id,
            RequestDraft(kind="consultation", description="Как зарегистрировать ТОС?"),
        )
    for request_id in (1, 2, 3):
        h.clock.advance(timedelta(days=1))
        await app.services.requests.answer(
            ADMIN_ID, request_id, "Порядок регистрации во вложении.", None
        )
        await app.services.requests.close(ADMIN_ID, request_id)


async def _competitions_2026(h: Harness, town: Town) -> None:
    app = h.app
    h.clock.set(at(2026, 3, 20))
    async with app.db.transaction() as uow:
        now = h.clock.now()
        april = await uow.competitions.create(
            {
                "title": APRIL,
                "organiser": "Администрация",
                "eligible": ("tos",),
                "opens_at": at(2026, 4, 1),
                "deadline": at(2026, 4, 30),
                "status": "closed",
            },
            ADMIN_ID,
            now,
        )
        directions = ["improvement"] * 3 + ["sport", "festivals"]
        for n, tos_id in enumerate(town.tos_ids):
            won = n < 5
            application = await uow.competitions.register(
                april,
                {
                    "body_kind": "tos",
                    "body_id": tos_id,
                    "project": [
                        "Детская площадка",
                        "Тренажёры во дворе",
                        "Скамейки и урны",
                        "Спортивная площадка",
                        "Праздник двора",
                    ][n]
                    if won
                    else f"Проект {n}",
                    "direction": directions[n] if won else "improvement",
                    "amount": 100_000,
                    "initiative_id": None,
                    "applicant_id": ADMIN_ID,
                },
                now,
            )
            await uow.competitions.set_result(
                application, "winner" if won else "not_winner", 100_000 if won else None, now
            )
        regional = await uow.competitions.create(
            {
                "title": REGIONAL,
                "organiser": "Правительство области",
                "eligible": ("group",),
                "opens_at": at(2026, 5, 10),
                "deadline": at(2026, 6, 30),
                "status": "closed",
            },
            ADMIN_ID,
            now,
        )
        for n, group in enumerate(town.group_ids[:2]):
            application = await uow.competitions.register(
                regional,
                {
                    "body_kind": "org",
                    "body_id": group,
                    "project": ["Ремонт памятника воинам-землякам", "Аллея памяти"][n],
                    "direction": "memorials",
                    "amount": 300_000,
                    "initiative_id": None,
                    "applicant_id": ADMIN_ID,
                },
                now,
            )
            await uow.competitions.set_result(
                application,
                "winner" if n == 0 else "not_winner",
                300_000 if n == 0 else None,
                now,
            )
        await uow.competitions.create(
            {
                "title": "Конкурс социально значимых проектов ТОС 2027",
                "organiser": "Администрация",
                "eligible": ("tos",),
                "opens_at": at(2026, 11, 1),
                "deadline": at(2027, 1, 31),
            },
            ADMIN_ID,
            now,
        )


async def _initiatives_2026(h: Harness, town: Town, residents: list) -> None:  # type: ignore[type-arg]
    app = h.app
    h.clock.set(at(2026, 5, 5))
    ideas = [
        ("improvement", "Детская площадка во дворе"),
        ("improvement", "Скамейки у подъездов"),
        ("improvement", "Клумбы у школы"),
        ("sport", "Турник у дома"),
        ("sport", "Каток зимой"),
        ("festivals", "День соседей"),
        ("memorials", "Табличка ветерану"),
    ]
    ids = []
    for (direction, title), person in zip(ideas, residents, strict=False):
        draft = Draft(direction=direction, title=title, description=f"{title}: очень нужно.")
        ids.append((await app.services.initiatives.submit(person.id, draft)).initiative.id)
        town.people.add(person.id)
    playground, benches, flowers, bar, rink, _neighbours, plaque = ids
    for i in (playground, benches, bar, rink, flowers):
        await app.services.initiatives.decide(ADMIN_ID, i, "accepted")
    for i in (playground, benches, bar):
        await app.services.initiatives.decide(ADMIN_ID, i, "in_progress")
    for i in (playground, benches):
        await app.services.initiatives.decide(ADMIN_ID, i, "done")
    await app.services.initiatives.decide(
        ADMIN_ID, plaque, "rejected", "Это решает совет ветеранов."
    )
    for person in residents[7:10]:
        await app.services.initiatives.support(person.id, playground)
        town.people.add(person.id)
    await app.services.initiatives.support(residents[0].id, rink)


async def _requests_2026(h: Harness, town: Town, residents: list) -> None:  # type: ignore[type-arg]
    app = h.app
    h.clock.set(at(2026, 6, 1))
    kinds = ["consultation"] * 4 + ["event"] * 3 + ["transport"] * 2
    ids = []
    for n, kind in enumerate(kinds):
        person = residents[n % len(residents)]
        wanted = "2026-07-20" if kind in ("event", "transport") else None
        draft = RequestDraft(
            kind=kind, description=f"Просим помочь: обращение {n}.", wanted_date=wanted
        )
        ids.append((await app.services.requests.submit(person.id, draft)).request.id)
        town.people.add(person.id)
    h.clock.advance(timedelta(days=2))
    for request_id in ids[:6]:
        await app.services.requests.answer(ADMIN_ID, request_id, "Ответ администрации.", None)
    for request_id in ids[:4]:
        await app.services.requests.close(ADMIN_ID, request_id)
    await app.services.requests.take(ADMIN_ID, ids[6])  # stays in work: overdue by the report's day
    await app.services.requests.reject(ADMIN_ID, ids[7], "Автобус в эти даты занят.")
    # The first consultation is reopened by its requester, and answered again.
    first = await app.services.requests.find(ids[0])
    await app.services.requests.reopen(first.requester_id, ids[0])
    await app.services.requests.answer(ADMIN_ID, ids[0], "Дополнение к ответу.", None)
    await app.services.requests.close(ADMIN_ID, ids[0])


async def _events_2026(h: Harness, town: Town, residents: list) -> None:  # type: ignore[type-arg]
    app = h.app
    h.clock.set(at(2026, 7, 1))
    async with app.db.transaction() as uow:
        now = h.clock.now()
        held = []
        for n, joint in enumerate((1, 1, 0)):
            held.append(
                await uow.events.create(
                    {
                        "title": f"Субботник {n + 1}",
                        "starts_at": at(2026, 7, 10 + n),
                        "ends_at": at(2026, 7, 10 + n, 7),
                        "place": "Сквер",
                        "organiser": "ТОС №1",
                        "joint": joint,
                        "owner_kind": "town",
                        "owner_id": 0,
                    },
                    ADMIN_ID,
                    now,
                )
            )
        await uow.events.create(
            {
                "title": "Новогодний праздник двора",
                "starts_at": at(2026, 12, 27),
                "ends_at": at(2026, 12, 27, 7),
                "place": "Двор на ул. Ленина",
                "organiser": "ТОС №2",
                "joint": 1,
                "owner_kind": "town",
                "owner_id": 0,
            },
            ADMIN_ID,
            now,
        )
        concert = {"title": "Концерт во дворе", "place": "Двор", "organiser": "ТОС №3"}
        times = {"starts_at": at(2026, 8, 15), "ends_at": at(2026, 8, 15, 7)}
        owner = {"joint": 0, "owner_kind": "town", "owner_id": 0}
        called_off = await uow.events.create(concert | times | owner, ADMIN_ID, now)
        await uow.events.call_off(called_off, "Дождь", now)
    for person in residents[10:12]:
        await app.services.events.sign_up(person.id, held[0])
        town.people.add(person.id)
    h.clock.set(at(2026, 7, 20))
    async with app.db.transaction() as uow:
        for event, count in zip(held, (60, 45, 30), strict=True):
            await uow.events.set_attended(event, count)
