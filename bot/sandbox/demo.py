"""A small fictional town for the sandbox: 18 TOS, 34 organisations, a chair, a few initiatives.

`load_demo` runs the steps in `DEMO_STEPS` in order, each in its own unit of work. A feature
adds its own demo data by appending a step (`register_demo_step`); the features being built
elsewhere are expected to plug in here as `demo_requests`, `demo_competitions` and
`demo_events`. Loading twice changes nothing: a town that is already there is kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from bot.clock import Clock
from bot.services.users import NOTICE_VERSION
from storage.db import Database

DEMO_TOWN = "Заречноводск"
DEMO_POPULATION = 56_000
CENTRE = (54.64, 83.30)

_STREETS = (
    "ул. Ленина", "ул. Советская", "ул. Садовая", "ул. Школьная", "ул. Лесная",
    "ул. Береговая", "ул. Молодёжная", "ул. Заводская", "ул. Первомайская", "ул. Мира",
    "ул. Вокзальная", "ул. Набережная", "ул. Строителей", "ул. Гагарина", "ул. Пушкина",
    "ул. Рабочая", "ул. Полевая", "ул. Озёрная",
)  # fmt: skip
_TOS_NAMES = (
    "ТОС «Берёзка»", "ТОС «Заречье»", "ТОС «Сосновый бор»", "ТОС «Центральный»",
    "ТОС «Южный»", "ТОС «Надежда»", "ТОС «Рассвет»", "ТОС «Дружба»", "ТОС «Ключи»",
    "ТОС «Светлый»", "ТОС «Радуга»", "ТОС «Родник»", "ТОС «Луговой»", "ТОС «Северный»",
    "ТОС «Подгорный»", "ТОС «Вокзальный»", "ТОС «Речной»", "ТОС «Наш двор»",
)  # fmt: skip
_ORGS = (
    ("Совет ветеранов Заречноводска", "ngo"), ("Общество инвалидов", "ngo"),
    ("Молодёжный клуб «Импульс»", "ngo"), ("Клуб любителей бега «Старт»", "ngo"),
    ("Поисковый отряд «Память»", "ngo"), ("Общество защиты животных «Лапа»", "ngo"),
    ("Союз многодетных семей", "ngo"), ("Казачье общество", "ngo"),
    ("Центр народных ремёсел", "ngo"), ("Экологическое движение «Чистый берег»", "ngo"),
    ("Клуб скандинавской ходьбы", "ngo"), ("Волонтёры «Добрые руки»", "ngo"),
    ("Шахматный клуб «Ладья»", "ngo"), ("Хоровое общество «Лира»", "ngo"),
    ("Спортивный клуб «Олимп»", "ngo"), ("Родительский клуб «Семья»", "ngo"),
    ("Краеведческое общество", "ngo"), ("Общество садоводов", "ngo"),
    ("Туристский клуб «Вершина»", "ngo"), ("Театральная студия «Маска»", "ngo"),
    ("Клуб молодых семей", "ngo"), ("Общество слепых", "ngo"),
    ("Федерация футбола", "ngo"), ("Центр помощи «Вместе»", "ngo"),
    ("Литературное объединение «Слово»", "ngo"), ("Общество трезвости", "ngo"),
    ("Клуб юных техников", "ngo"), ("Женсовет", "ngo"),
    ("Инициативная группа «Двор на Садовой»", "group"),
    ("Инициативная группа «Сквер у школы»", "group"),
    ("Инициативная группа «Набережная»", "group"),
    ("Приход храма Святой Троицы", "other"), ("Общественная палата", "other"),
    ("Студенческий совет колледжа", "other"),
)  # fmt: skip
_INITIATIVES = (
    ("improvement", "Скамейки и урны у детской площадки",
     "Поставить три скамейки и две урны у площадки во дворе на ул. Садовой, 5.", "accepted"),
    ("sport", "Турник и брусья на школьном стадионе",
     "Установить турник и брусья, чтобы по вечерам заниматься всей семьёй.", "accepted"),
    ("festivals", "Праздник двора ко Дню города",
     "Провести праздник с играми для детей и концертом соседей в июне.", "new"),
    ("memorials", "Памятная доска ветеранам завода",
     "Разместить доску с именами работников завода — участников войны.", "review"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """The people the sandbox plays: their Telegram ids and names."""

    admin: tuple[int, str] = (1001, "Марина (администрация)")
    chair: tuple[int, str] = (3001, "Пётр (председатель ТОС)")
    residents: tuple[tuple[int, str], ...] = ((2001, "Анна"), (2002, "Борис"))
    authors: tuple[tuple[int, str], ...] = ((4001, "Ольга"), (4002, "Сергей"))


@dataclass
class DemoTown:
    """What the demo loaded (steps add to it), for the terminal's welcome and for tests."""

    people: DemoPeople
    tos_ids: list[int] = field(default_factory=list)
    org_ids: list[int] = field(default_factory=list)
    initiative_ids: list[int] = field(default_factory=list)
    join_tokens: dict[int, str] = field(default_factory=dict)  # TOS id -> join poster token
    created: bool = True  # False when the town was already in the database


@dataclass(frozen=True, slots=True)
class DemoContext:
    db: Database
    clock: Clock
    town: DemoTown


DemoStep = Callable[[DemoContext], Awaitable[None]]


async def demo_registry(ctx: DemoContext) -> None:
    """18 TOS around the centre (streets, circles, residents) and 34 organisations."""
    now = ctx.clock.now()
    async with ctx.db.transaction() as uow:
        for n, name in enumerate(_TOS_NAMES):
            street = _STREETS[n]
            values = {
                "name": name,
                "territory": (f"{street}, 1-{20 + n}", f"{_STREETS[(n + 5) % 18]}, 2-10"),
                "latitude": CENTRE[0] + 0.004 * (n % 6 - 3),
                "longitude": CENTRE[1] + 0.006 * (n // 6 - 1),
                "radius_m": 300,
                "registered_on": date(2015 + n % 9, 1 + n % 12, 10),
                "residents": 120 + 17 * n,
                "public_contact": f"+7 900 000-{n:02d}-{n:02d}",
                "description": f"Территория вокруг {street}. Субботники, праздники двора.",
            }
            token = secrets.token_urlsafe(9)
            tos_id = await uow.registry.add_tos(values, token, now)
            ctx.town.tos_ids.append(tos_id)
            ctx.town.join_tokens[tos_id] = token
        for name, kind in _ORGS:
            org_id = await uow.registry.add_org(
                {"name": name, "kind": kind, "description": f"{name}: общественная организация."},
                now,
            )
            ctx.town.org_ids.append(org_id)
        chair_id, _ = ctx.town.people.chair
        admin_id, _ = ctx.town.people.admin
        await uow.registry.grant(chair_id, "tos", ctx.town.tos_ids[0], "chair", admin_id, now)


async def demo_initiatives(ctx: DemoContext) -> None:
    """A few initiatives by two demo authors, some already public so others can support them."""
    now = ctx.clock.now()
    async with ctx.db.transaction() as uow:
        for author_id, _ in ctx.town.people.authors:
            await uow.users.ensure(author_id, now)
            await uow.users.give_consent(author_id, NOTICE_VERSION, now)
        for n, (direction, title, description, status) in enumerate(_INITIATIVES):
            author_id = ctx.town.people.authors[n % 2][0]
            initiative_id = await uow.initiatives.create(
                draft_token=f"demo-{n}", author_id=author_id, direction=direction,
                title=title, description=description, address=None, latitude=None,
                longitude=None, tos_id=ctx.town.tos_ids[n % 3], show_author=n % 2 == 0,
                now=now, year=now.year,
            )  # fmt: skip
            await uow.initiatives.log(initiative_id, author_id, None, "new", None, now)
            if status != "new":
                await uow.initiatives.set_status(initiative_id, status, now)
                admin_id = ctx.town.people.admin[0]
                await uow.initiatives.log(initiative_id, admin_id, "new", status, None, now)
            ctx.town.initiative_ids.append(initiative_id)


# The order matters: later steps use what earlier ones made. Support requests, competitions
# and events add `demo_requests`, `demo_competitions` and `demo_events` here when they land.
DEMO_STEPS: list[DemoStep] = [demo_registry, demo_initiatives]


def register_demo_step(step: DemoStep) -> DemoStep:
    """Add a feature's demo data to the town (usable as a decorator)."""
    if step not in DEMO_STEPS:
        DEMO_STEPS.append(step)
    return step


async def load_demo(db: Database, clock: Clock, people: DemoPeople | None = None) -> DemoTown:
    """Fill an open database with the demo town, unless a registry is already there."""
    town = DemoTown(people or DemoPeople())
    existing = await db.read.registry.all_tos()
    if existing:
        town.created = False
        town.tos_ids = [tos.id for tos in existing]
        town.join_tokens = {tos.id: tos.join_token for tos in existing}
        return town
    ctx = DemoContext(db, clock, town)
    for step in DEMO_STEPS:
        await step(ctx)
    return town
