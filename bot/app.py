"""The app factory: builds Bot, Dispatcher, services and scheduler from Settings.

`python -m bot`, the tests and the benchmarks all go through `create_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import time
from time import monotonic as monotonic_clock
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation

from bot.clock import Clock
from bot.commands import publish_commands
from bot.delivery import Audience, Sender
from bot.domain.outbox import STAFF
from bot.i18n import CatalogI18n, create_i18n
from bot.isolation import UserIsolation
from bot.messengers.transport import Transport, bot_token
from bot.middlewares import FlushBeforeSend, UpdateContextMiddleware, setup_middlewares
from bot.middlewares.fit import FitToLimits
from bot.middlewares.retry import RetryTransient
from bot.middlewares.services import TRAVELLING, HandlerServices
from bot.middlewares.throttle import ThrottleMiddleware
from bot.scheduler import Scheduler
from bot.services.container import Services, build_services
from bot.services.events import ASK_ATTENDANCE
from bot.services.events import ICS_FILE as EVENT_FILE
from bot.services.initiatives import STAFF_CARD
from bot.services.registry import ROLE_ACCEPTED, ROLE_ACCEPTED_UNNAMED
from bot.services.reminders import earliest
from bot.services.reports import CHART_FILE, DIGEST, DIGEST_CHART
from bot.services.requests import CLOSED as REQUEST_CLOSED
from bot.services.requests import STAFF_CARD as REQUEST_CARD
from bot.services.staff import INVITE_ACCEPTED
from bot.settings import Settings
from bot.vocabulary import words_of
from handlers import build_routers
from handlers.events import AttendanceAsk
from handlers.initiative_cards import StaffCardRenderer
from handlers.notices import PersonNotice
from handlers.reports import ChartCaption, DigestRenderer, WeeklyChart
from handlers.request_cards import ClosedNotice, RequestCardRenderer
from handlers.spec import RouterSpec
from storage.db import Database, open_database
from storage.fsm_storage import DatabaseStorage
from storage.locks import Leadership
from storage.repositories.staff import STAFF_CHANGED

log = logging.getLogger(__name__)

Timing = tuple[Callable[[], float], Callable[[float], Awaitable[None]]]

# How long a stop waits for updates already being handled.
SHUTDOWN_GRACE_SECONDS = 15.0
# The reminders job looks at the database this often, and besides wakes up at the time of
# the next reminder round (REMINDER_ROUND), so every round is sent at its own time.
REMINDERS_EVERY_SECONDS = 60
REMINDER_ROUND = "reminder-round"
# How often a replica checks that it still leads (or may take the lead) on PostgreSQL.
LEAD_CHECK_SECONDS = 1.0


@dataclass
class App:
    settings: Settings
    bot: Bot
    dp: Dispatcher
    db: Database
    i18n: CatalogI18n
    clock: Clock
    services: Services
    scheduler: Scheduler
    tracker: UpdateContextMiddleware
    throttle: ThrottleMiddleware
    storage: DatabaseStorage
    sender: Sender
    # What each handler gets by name (bot/middlewares/services.py).
    handler_services: HandlerServices
    transport: Transport | None = None  # the messengers (bot/messengers/transport.py)
    background: bool = True  # the scheduler and the sender run (tests drive them by hand)
    _closed: bool = field(default=False, repr=False)
    _reminding: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _leading: bool = field(default=False, repr=False)
    _leadership: Leadership = field(default_factory=Leadership, repr=False)
    _watching: asyncio.Task[None] | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> Any:
        """`app.users` and the like for code written before `app.services` (bench/):
        the service of that name."""
        if name == "services":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.services, name)

    async def on_startup(self) -> None:
        staff = self.services.staff
        if self.transport is not None:
            await self.transport.start(self)
        await publish_commands(
            self.bot,
            self.i18n,
            self.settings.default_locale,
            [(uid, staff.role_of(uid)) for uid in sorted(staff.staff_ids())],
            self.settings.staff_chat_id,
        )
        if not self.background:
            # Reminders missed while the bot was down go out now (or are dropped as too late).
            await self.scheduler.run_now("reminders")
            log.info("bot started")
            return
        # What start-up built (modules, routers, catalogs, caches) lives as long as the
        # process: out of the collector's way, so a full collection no longer walks it
        # (python -m bench.dispatch: full pipeline 4,450 -> 5,000+ updates/s).
        gc.collect()
        gc.freeze()
        # The sender and the scheduler run in one process of the deployment at a time: the
        # one that leads (always this one on SQLite; on PostgreSQL whichever replica took
        # the lead, and another within a second or two of its death).
        self._leadership = self.db.locks.leadership("background")
        if await self._leadership.hold():
            await self._lead()
        if self.db.shared:
            self._watching = asyncio.create_task(self._watch_lead(), name="leadership")
        log.info("bot started%s", "" if self._leading else " (another replica leads)")

    async def _lead(self) -> None:
        """Take up the jobs only one process runs: the outbox sender and the scheduler."""
        self._leading = True
        log.info("leading: the outbox sender and the scheduler run here")
        # Reminders missed while nobody led go out now (or are dropped as too late).
        await self.scheduler.run_now("reminders")
        self.scheduler.start()
        await self.sender.start()
        # A digest missed while the bot was down goes out now, once.
        await self.scheduler.run_now("digest")

    async def _step_down(self) -> None:
        self._leading = False
        log.warning("lost the lead: the outbox sender and the scheduler stop here")
        self.scheduler.pause()
        await self.sender.stop()

    async def _watch_lead(self) -> None:
        while True:
            await asyncio.sleep(LEAD_CHECK_SECONDS)
            try:
                held = await self._leadership.hold()
                if held and not self._leading:
                    await self._lead()
                elif not held and self._leading:
                    await self._step_down()
            except Exception:
                log.exception("leadership check failed")

    async def reminders(self) -> None:
        """Derive what is due from the database: opened competitions, reminder rounds; then
        wake up again when the next round falls (the minute's tick alone would send only the
        latest of rounds less than a minute apart)."""
        competitions, events = self.services.competitions, self.services.events
        async with self._reminding:
            await competitions.tick()
            await events.remind_due()
            upcoming = earliest(await competitions.next_due(), await events.next_due())
            if upcoming is not None:
                self.scheduler.once(REMINDER_ROUND, self.reminders, at=upcoming)

    def rounds_changed(self) -> None:
        """A competition or an event got new times: look at the rounds again, now."""
        self.scheduler.once(REMINDER_ROUND, self.reminders, at=self.clock.now())

    async def on_shutdown(self) -> None:
        if not await self.tracker.wait_idle(SHUTDOWN_GRACE_SECONDS):
            log.warning("stopping with %d updates still in flight", self.tracker.in_flight)
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
        self.scheduler.shutdown()
        await self.sender.stop()
        if self.transport is not None:
            await self.transport.stop()
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.db.close()
        log.info("database closed")

    async def run_polling(self) -> None:
        """Receive updates from every messenger that runs, until SIGTERM or SIGINT."""
        assert self.transport is not None
        await self.transport.run(self)


def build_bot(
    settings: Settings, session: BaseSession | None = None, transport: Transport | None = None
) -> Bot:
    if transport is not None:  # every messenger that runs, under one session
        session = transport.session(session)
    elif session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_base_url))
    # The first middleware is the outermost: a text is split before anything else sees it,
    # so each part is a request of its own to every middleware after it.
    session.middleware(FitToLimits(transport.limits() if transport is not None else None))
    return Bot(
        token=bot_token(settings),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def create_app(
    settings: Settings,
    *,
    session: BaseSession | None = None,
    clock: Clock | None = None,
    events_isolation: BaseEventIsolation | None = None,
    extra_features: Sequence[RouterSpec] = (),
    background: bool = True,
    timing: Timing | None = None,
) -> App:
    """`background=False` leaves the scheduler and the sender to the caller (tests);
    `timing` replaces the sender's monotonic clock and sleep (virtual time in tests)."""
    clock = clock or Clock()
    db = open_database(settings.database_path, settings.database_address)
    await db.open()
    try:
        app = await _assemble(
            settings, db, session, clock, events_isolation, extra_features, timing
        )
        app.background = background
        return app
    except BaseException:
        await db.close()  # aiosqlite threads (pool connections) would keep the process alive
        raise


async def _assemble(
    settings: Settings,
    db: Database,
    session: BaseSession | None,
    clock: Clock,
    events_isolation: BaseEventIsolation | None,
    extra_features: Sequence[RouterSpec],
    timing: Timing | None,
) -> App:
    transport = Transport(settings, db)
    settings = await transport.resolve_ids()  # MAX's admins and staff chat as internal ids
    storage = DatabaseStorage(db, clock)
    i18n = create_i18n(settings.default_locale)
    services = await build_services(settings, db, clock, words=words_of(i18n))
    db.subscribe(STAFF_CHANGED, services.staff.load)  # another replica changed the list
    scheduler = Scheduler(settings.timezone)
    tracker = UpdateContextMiddleware(storage)
    monotonic, sleep = timing or (monotonic_clock, asyncio.sleep)
    throttle = ThrottleMiddleware(monotonic=monotonic)

    # Handlers ask for the settings and each service by name; what the update's middlewares
    # and filters read travels with it from the start, the rest joins as a handler runs.
    by_name = {"settings": settings, **services.by_name()}
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation or UserIsolation(),
        clock=clock,
        **{name: by_name[name] for name in TRAVELLING},
    )
    setup_middlewares(dp, i18n, tracker, throttle)
    handler_services = HandlerServices(by_name)
    handler_services.install(dp)
    build_routers(dp, extra_features)

    bot = build_bot(settings, session, transport)
    reports, requests, users = services.reports, services.requests, services.users
    bot.session.middleware(FlushBeforeSend(storage))
    bot.session.middleware(RetryTransient(sleep))  # inside: FSM writes flushed once
    sender = Sender(
        db,
        bot,
        i18n,
        users,
        clock,
        rate=settings.broadcast_rate,
        default_locale=settings.default_locale,
        monotonic=monotonic,
        sleep=sleep,
        rates=transport.rates(),
    )
    sender.renderers[DIGEST] = DigestRenderer(i18n, reports, bot)
    sender.renderers[DIGEST_CHART] = ChartCaption(i18n)
    sender.generators[CHART_FILE] = WeeklyChart(i18n, reports)
    sender.generators[EVENT_FILE] = services.events.calendar_of
    sender.renderers[ASK_ATTENDANCE] = AttendanceAsk(i18n)
    sender.renderers[STAFF_CARD] = StaffCardRenderer(i18n, services.initiatives)
    sender.renderers[REQUEST_CARD] = RequestCardRenderer(i18n, requests, settings)
    sender.renderers[REQUEST_CLOSED] = ClosedNotice(i18n, requests)
    sender.renderers[ROLE_ACCEPTED] = PersonNotice(
        i18n, services.registry.holder_for_staff, ROLE_ACCEPTED, unnamed=ROLE_ACCEPTED_UNNAMED
    )
    sender.renderers[INVITE_ACCEPTED] = PersonNotice(
        i18n, services.staff.colleague, INVITE_ACCEPTED
    )
    sender.audiences[STAFF] = Audience(services.staff.reaches_staff, services.staff.case_recipients)
    app = App(
        settings=settings,
        bot=bot,
        dp=dp,
        db=db,
        i18n=i18n,
        clock=clock,
        services=services,
        scheduler=scheduler,
        tracker=tracker,
        throttle=throttle,
        storage=storage,
        sender=sender,
        handler_services=handler_services,
        transport=transport,
    )
    dp.startup.register(app.on_startup)
    dp.shutdown.register(app.on_shutdown)
    if db.dialect == "sqlite":
        scheduler.every("wal-checkpoint", db.checkpoint, seconds=60)
    scheduler.every("request-nudges", requests.nudge_due, seconds=60)
    scheduler.daily("digest", reports.send_due_digests, at=settings.digest_time)
    scheduler.every("reminders", app.reminders, seconds=REMINDERS_EVERY_SECONDS)
    services.competitions.rounds_changed = services.events.rounds_changed = app.rounds_changed
    scheduler.daily("purge-expired-invites", services.staff.purge_expired_invites, at=time(3, 30))
    return app
