"""A small fictional town for the sandbox: 18 TOS, 34 organisations, a chair, a few initiatives,
support requests in every status, an open competition with an application, upcoming events.

`load_demo` runs the steps in `DEMO_STEPS` in order, each in its own unit of work. A feature
adds its own demo data by appending a step (`register_demo_step`). Loading twice changes
nothing: a town that is already there is kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

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
    request_ids: list[int] = field(default_factory=list)
    competition_ids: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
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


# (kind, on behalf of the first organisation?, description, wanted in days, status, answer)
_REQUESTS = (
    ("transport", True, "Автобус на 20 ветеранов на областной слёт, с 8:00 до 18:00.", 9,
     "new", None),
    ("premises", False, "Зал на 40 человек для общего собрания ТОС в субботу вечером.", None,
     "in_work", None),
    ("consultation", False, "Как оформить протокол собрания, чтобы подать заявку на грант?",
     None, "answered", "Образец протокола — на сайте администрации, раздел «ТОС»."),
    ("event", True, "Помощь со сценой и звуком на празднике двора.", None, "closed",
     "Сцену и звук выделим, ответственный свяжется с вами за неделю."),
)  # fmt: skip


def _midday(now: datetime, days: int) -> datetime:
    """A round time `days` from now (the sandbox's times read well at 07:00 UTC, 14:00 local)."""
    return (now + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)


async def demo_requests(ctx: DemoContext) -> None:
    """Support requests by the demo authors, one in each status; the first author represents
    the veterans' council, so some are on its behalf."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    (olga, _), (sergey, _) = ctx.town.people.authors
    org_id, org_name = ctx.town.org_ids[0], _ORGS[0][0]
    async with ctx.db.transaction() as uow:
        await uow.registry.grant(olga, "org", org_id, "rep", admin_id, now)
        for n, (kind, on_behalf, text, wanted, status, answer) in enumerate(_REQUESTS):
            requester = olga if on_behalf or n % 2 == 0 else sergey
            opened = now - timedelta(days=len(_REQUESTS) - n)
            request_id = await uow.requests.create(
                draft_token=f"demo-request-{n}", requester_id=requester, kind=kind,
                behalf_kind="org" if on_behalf else "self",
                behalf_id=org_id if on_behalf else None,
                behalf_name=org_name if on_behalf else None, description=text,
                wanted_date=(now + timedelta(days=wanted)).date() if wanted else None,
                phone=None, due_at=opened + timedelta(days=10), now=opened, year=now.year,
            )  # fmt: skip
            await uow.requests.add_message(request_id, "in", requester, text, None, opened)
            await uow.requests.log(request_id, requester, None, "new", None, opened)
            path = {"new": [], "in_work": ["in_work"], "answered": ["in_work", "answered"],
                    "closed": ["in_work", "answered", "closed"]}[status]  # fmt: skip
            previous = "new"
            for step in path:
                if step == "answered" and answer:
                    await uow.requests.add_message(request_id, "out", admin_id, answer, None, now)
                await uow.requests.set_status(
                    request_id, step, now, assignee_id=admin_id, closed=step == "closed"
                )
                await uow.requests.log(request_id, admin_id, previous, step, None, now)
                previous = step
            if status == "closed":
                await uow.requests.rate(request_id, True)
            ctx.town.request_ids.append(request_id)


async def demo_competitions(ctx: DemoContext) -> None:
    """A grant competition open to TOS and NGOs for three weeks (already announced), with the
    veterans' council's application; the demo chair's TOS has not applied yet."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    olga = ctx.town.people.authors[0][0]
    async with ctx.db.transaction() as uow:
        values = {
            "title": "Городской конкурс социально значимых проектов",
            "organiser": "Администрация Заречноводска",
            "description": "Гранты до 300 000 ₽ на благоустройство, спорт, память и праздники.",
            "eligible": ("tos", "ngo"), "opens_at": now - timedelta(days=2),
            "deadline": _midday(now, 21), "results_at": _midday(now, 35),
            "rules_url": "https://example.ru/konkurs", "max_grant": 300_000,
        }  # fmt: skip
        competition_id = await uow.competitions.create(values, admin_id, now)
        await uow.competitions.mark_announced(competition_id, now)
        await uow.competitions.register(
            competition_id,
            {
                "body_kind": "org", "body_id": ctx.town.org_ids[0],
                "project": "Музей боевой славы в школе № 2", "direction": "memorials",
                "amount": 180_000, "initiative_id": None, "applicant_id": olga,
            },
            now,
        )  # fmt: skip
        ctx.town.competition_ids.append(competition_id)


async def demo_events(ctx: DemoContext) -> None:
    """A clean-up of the embankment held jointly with the town hall, open to everyone, and a
    meeting of the demo chair's TOS for its members."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    chair_id = ctx.town.people.chair[0]
    first, second = ctx.town.tos_ids[0], ctx.town.tos_ids[1]
    events = (
        ({"title": "Субботник на набережной", "place": "Набережная, у лодочной станции",
          "organiser": _TOS_NAMES[1], "joint": 1, "capacity": 40, "audience_tos": None,
          "owner_kind": "tos", "owner_id": second}, 5, admin_id),
        ({"title": "Собрание жителей ТОС", "place": "ул. Ленина, 1, актовый зал школы",
          "organiser": _TOS_NAMES[0], "joint": 0, "capacity": None, "audience_tos": first,
          "owner_kind": "tos", "owner_id": first}, 9, chair_id),
    )  # fmt: skip
    async with ctx.db.transaction() as uow:
        for values, days, author in events:
            starts = _midday(now, days)
            event_id = await uow.events.create(
                {**values, "starts_at": starts, "ends_at": starts + timedelta(hours=2)},
                author,
                now,
            )
            ctx.town.event_ids.append(event_id)
        for author_id, _ in ctx.town.people.authors:
            await uow.events.set_signup(ctx.town.event_ids[0], author_id, "going", now)


# The order matters: later steps use what earlier ones made.
DEMO_STEPS: list[DemoStep] = [
    demo_registry,
    demo_initiatives,
    demo_requests,
    demo_competitions,
    demo_events,
]


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
