"""A small fictional town for the sandbox: 18 TOS, 34 organisations, a chair, a few initiatives,
support requests in every status, an open competition with an application, upcoming events.

`load_demo` runs the steps in `DEMO_STEPS` in order, each in its own unit of work. A feature
adds its own demo data by appending a step (`register_demo_step`). Loading twice changes
nothing: a town that is already there is kept.

The town's content (names, texts) is Russian-language data in `locales/ru/demo_town.json`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from bot.clock import Clock
from bot.services.users import NOTICE_VERSION
from storage.db import Database

DATA_FILE = ("ru", "demo_town.json")  # under the `locales` package


@dataclass(frozen=True, slots=True)
class DemoOrg:
    name: str
    kind: str  # ngo, group, other


@dataclass(frozen=True, slots=True)
class DemoInitiative:
    direction: str
    title: str
    description: str
    status: str  # new, review, accepted


@dataclass(frozen=True, slots=True)
class DemoRequest:
    kind: str
    on_behalf: bool  # on behalf of the first organisation
    text: str
    wanted_days: int | None
    status: str  # new, in_work, answered, closed
    answer: str | None
    extension: str | None = None  # 59-FZ's extension of its term: the reason


@dataclass(frozen=True, slots=True)
class DemoApplication:
    project: str
    direction: str
    amount: int


@dataclass(frozen=True, slots=True)
class DemoCompetition:
    title: str
    organiser: str
    description: str
    rules_url: str
    max_grant: int
    application: DemoApplication


@dataclass(frozen=True, slots=True)
class DemoEvent:
    title: str
    place: str


@dataclass(frozen=True, slots=True)
class DemoTemplates:
    tos_description: str  # {street}
    org_description: str  # {name}


@dataclass(frozen=True, slots=True)
class DemoData:
    """The demo town's content, as `locales/ru/demo_town.json` holds it."""

    town: str
    population: int
    centre: tuple[float, float]
    bot_name: str
    staff_chat_title: str
    streets: tuple[str, ...]
    tos: tuple[str, ...]
    orgs: tuple[DemoOrg, ...]
    admin: tuple[int, str]
    chair: tuple[int, str]
    residents: tuple[tuple[int, str], ...]
    authors: tuple[tuple[int, str], ...]
    initiatives: tuple[DemoInitiative, ...]
    requests: tuple[DemoRequest, ...]
    competition: DemoCompetition
    events: tuple[DemoEvent, ...]
    templates: DemoTemplates


def _person(raw: dict[str, Any]) -> tuple[int, str]:
    return int(raw["id"]), str(raw["name"])


def parse_demo_data(raw: dict[str, Any]) -> DemoData:
    people = raw["people"]
    competition = raw["competition"]
    lat, lon = raw["centre"]
    return DemoData(
        town=raw["town"],
        population=int(raw["population"]),
        centre=(float(lat), float(lon)),
        bot_name=raw["bot_name"],
        staff_chat_title=raw["staff_chat_title"],
        streets=tuple(raw["streets"]),
        tos=tuple(raw["tos"]),
        orgs=tuple(DemoOrg(**org) for org in raw["orgs"]),
        admin=_person(people["admin"]),
        chair=_person(people["chair"]),
        residents=tuple(_person(p) for p in people["residents"]),
        authors=tuple(_person(p) for p in people["authors"]),
        initiatives=tuple(DemoInitiative(**item) for item in raw["initiatives"]),
        requests=tuple(DemoRequest(**item) for item in raw["requests"]),
        competition=DemoCompetition(
            **{**competition, "application": DemoApplication(**competition["application"])}
        ),
        events=tuple(DemoEvent(**item) for item in raw["events"]),
        templates=DemoTemplates(**raw["templates"]),
    )


@cache
def demo_data() -> DemoData:
    """The demo town's content, read once from the `locales` package."""
    resource = files("locales").joinpath(*DATA_FILE)
    return parse_demo_data(json.loads(resource.read_text(encoding="utf-8")))


DEMO = demo_data()
DEMO_TOWN = DEMO.town
DEMO_POPULATION = DEMO.population
CENTRE = DEMO.centre


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """The people the sandbox plays: their Telegram ids and names."""

    admin: tuple[int, str] = DEMO.admin
    chair: tuple[int, str] = DEMO.chair
    residents: tuple[tuple[int, str], ...] = DEMO.residents
    authors: tuple[tuple[int, str], ...] = DEMO.authors


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
        streets = DEMO.streets
        for n, name in enumerate(DEMO.tos):
            street = streets[n]
            values = {
                "name": name,
                "territory": (f"{street}, 1-{20 + n}", f"{streets[(n + 5) % 18]}, 2-10"),
                "latitude": CENTRE[0] + 0.004 * (n % 6 - 3),
                "longitude": CENTRE[1] + 0.006 * (n // 6 - 1),
                "radius_m": 300,
                "registered_on": date(2015 + n % 9, 1 + n % 12, 10),
                "residents": 120 + 17 * n,
                "public_contact": f"+7 900 000-{n:02d}-{n:02d}",
                "description": DEMO.templates.tos_description.format(street=street),
            }
            token = secrets.token_urlsafe(9)
            tos_id = await uow.registry.add_tos(values, token, now)
            ctx.town.tos_ids.append(tos_id)
            ctx.town.join_tokens[tos_id] = token
        for org in DEMO.orgs:
            description = DEMO.templates.org_description.format(name=org.name)
            org_id = await uow.registry.add_org(
                {"name": org.name, "kind": org.kind, "description": description}, now
            )
            ctx.town.org_ids.append(org_id)
        chair_id, _ = ctx.town.people.chair
        admin_id, _ = ctx.town.people.admin
        # The staff member and the chair come set up: they have opened the bot and consented
        # (a chair is linked by an invite only after consent), so the staff chat answers them.
        for person_id in (admin_id, chair_id):
            await uow.users.ensure(person_id, now)
            await uow.users.give_consent(person_id, NOTICE_VERSION, now)
        await uow.registry.grant(chair_id, "tos", ctx.town.tos_ids[0], "chair", admin_id, now)


async def demo_initiatives(ctx: DemoContext) -> None:
    """A few initiatives by two demo authors, some already public so others can support them."""
    now = ctx.clock.now()
    async with ctx.db.transaction() as uow:
        for author_id, _ in ctx.town.people.authors:
            await uow.users.ensure(author_id, now)
            await uow.users.give_consent(author_id, NOTICE_VERSION, now)
        for n, item in enumerate(DEMO.initiatives):
            status = item.status
            author_id = ctx.town.people.authors[n % 2][0]
            initiative_id = await uow.initiatives.create(
                draft_token=f"demo-{n}",
                author_id=author_id,
                direction=item.direction,
                title=item.title,
                description=item.description,
                address=None,
                latitude=None,
                longitude=None,
                tos_id=ctx.town.tos_ids[n % 3],
                show_author=n % 2 == 0,
                now=now,
                year=now.year,
            )
            await uow.initiatives.log(initiative_id, author_id, None, "new", None, now)
            if status != "new":
                await uow.initiatives.set_status(initiative_id, status, now)
                admin_id = ctx.town.people.admin[0]
                await uow.initiatives.log(initiative_id, admin_id, "new", status, None, now)
            ctx.town.initiative_ids.append(initiative_id)


def _midday(now: datetime, days: int) -> datetime:
    """A round time `days` from now (the sandbox's times read well at 07:00 UTC, 14:00 local)."""
    return (now + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)


async def demo_requests(ctx: DemoContext) -> None:
    """Support requests by the demo authors, one in each status; the first author represents
    the veterans' council, so some are on its behalf."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    (olga, _), (sergey, _) = ctx.town.people.authors
    org_id, org_name = ctx.town.org_ids[0], DEMO.orgs[0].name
    async with ctx.db.transaction() as uow:
        await uow.registry.grant(olga, "org", org_id, "rep", admin_id, now)
        requests = DEMO.requests
        for n, item in enumerate(requests):
            on_behalf, text, wanted = item.on_behalf, item.text, item.wanted_days
            status, answer = item.status, item.answer
            requester = olga if on_behalf or n % 2 == 0 else sergey
            opened = now - timedelta(days=len(requests) - n)
            request_id = await uow.requests.create(
                draft_token=f"demo-request-{n}",
                requester_id=requester,
                kind=item.kind,
                behalf_kind="org" if on_behalf else "self",
                behalf_id=org_id if on_behalf else None,
                behalf_name=org_name if on_behalf else None,
                description=text,
                wanted_date=(now + timedelta(days=wanted)).date() if wanted else None,
                phone=None,
                due_at=opened + timedelta(days=10),
                now=opened,
                year=now.year,
            )
            await uow.requests.add_message(request_id, "in", requester, text, None, opened)
            await uow.requests.log(request_id, requester, None, "new", None, opened)
            path = {
                "new": [],
                "in_work": ["in_work"],
                "answered": ["in_work", "answered"],
                "closed": ["in_work", "answered", "closed"],
            }[status]
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
            if item.extension:  # extended by ten days, as staff do from the card
                due = opened + timedelta(days=10)
                await uow.requests.extend(
                    request_id,
                    due_at=due + timedelta(days=10),
                    was=due,
                    reason=item.extension,
                    by=admin_id,
                    nudged=0,
                    now=now,
                )
            ctx.town.request_ids.append(request_id)


async def demo_competitions(ctx: DemoContext) -> None:
    """A grant competition open to TOS and NGOs for three weeks (already announced), with the
    veterans' council's application; the demo chair's TOS has not applied yet."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    olga = ctx.town.people.authors[0][0]
    competition, application = DEMO.competition, DEMO.competition.application
    async with ctx.db.transaction() as uow:
        values = {
            "title": competition.title,
            "organiser": competition.organiser,
            "description": competition.description,
            "eligible": ("tos", "ngo"),
            "opens_at": now - timedelta(days=2),
            "deadline": _midday(now, 21),
            "results_at": _midday(now, 35),
            "rules_url": competition.rules_url,
            "max_grant": competition.max_grant,
        }
        competition_id = await uow.competitions.create(values, admin_id, now)
        await uow.competitions.mark_announced(competition_id, now)
        await uow.competitions.register(
            competition_id,
            {
                "body_kind": "org",
                "body_id": ctx.town.org_ids[0],
                "project": application.project,
                "direction": application.direction,
                "amount": application.amount,
                "initiative_id": None,
                "applicant_id": olga,
            },
            now,
        )
        ctx.town.competition_ids.append(competition_id)


async def demo_events(ctx: DemoContext) -> None:
    """A clean-up of the embankment held jointly with the town hall, open to everyone, and a
    meeting of the demo chair's TOS for its members."""
    now = ctx.clock.now()
    admin_id = ctx.town.people.admin[0]
    chair_id = ctx.town.people.chair[0]
    first, second = ctx.town.tos_ids[0], ctx.town.tos_ids[1]
    clean_up, meeting = DEMO.events
    events = (
        (
            {
                "title": clean_up.title,
                "place": clean_up.place,
                "organiser": DEMO.tos[1],
                "joint": 1,
                "capacity": 40,
                "audience_tos": None,
                "owner_kind": "tos",
                "owner_id": second,
            },
            5,
            admin_id,
        ),
        (
            {
                "title": meeting.title,
                "place": meeting.place,
                "organiser": DEMO.tos[0],
                "joint": 0,
                "capacity": None,
                "audience_tos": first,
                "owner_kind": "tos",
                "owner_id": first,
            },
            9,
            chair_id,
        ),
    )
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


@register_demo_step
async def demo_moderation(ctx: DemoContext) -> None:
    """Residents reported the first public initiative, fewer times than hide it (the default
    MODERATION_HIDE_AFTER): its staff card lists the reports, /moderation logs them."""
    from bot.services.status_groups import INITIATIVE_PUBLIC

    now = ctx.clock.now()
    public = [
        initiative_id
        for initiative_id, item in zip(ctx.town.initiative_ids, DEMO.initiatives, strict=False)
        if item.status in INITIATIVE_PUBLIC
    ]
    if not public:
        return
    async with ctx.db.transaction() as uow:
        for (resident_id, _), reason in zip(
            ctx.town.people.residents, ("spam", "off_topic"), strict=False
        ):
            await uow.moderation.report(public[0], resident_id, reason, now)
            await uow.moderation.log(public[0], "report", resident_id, reason, now)
