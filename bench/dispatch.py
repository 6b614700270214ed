"""Dispatch benchmark: the full app pipeline against a bare aiogram echo bot.

    python -m bench.dispatch                       # default: 1000 users, concurrency 100
    python -m bench.dispatch --users 200 --concurrency 50
    python -m bench.dispatch --profile             # also: where the full pipeline spends time
    python -m bench.dispatch --instructions        # only: instructions per update (valgrind)
    python -m bench.dispatch --instructions 300    # the same over 300 users

--instructions counts, under valgrind's callgrind, the instructions each scenario executes
per update (one at a time, 100 users by default): a figure that, unlike updates a second,
does not move with a shared machine's load, for telling a change of a few per cent. It
counts no system call's work inside the kernel (SQLite's writes), and time per instruction
differs between the two scenarios, so it shows the direction and size of a change, not the
throughput ratio itself. Needs valgrind (Debian: apt-get install valgrind).

Every scenario runs in its own subprocess, so each peak RSS (ru_maxrss) is its own:

* full   - the Dispatcher from `create_app` (all middlewares, SQLite FSM storage, a real
           SQLite file in a temp dir, FakeSession from tests/kit.py). Each user has consented
           beforehand (seeded through UserService, or through /start + the consent button with
           --onboard) and then fills a bench-only four-step form: /benchform -> title ->
           description -> place -> confirm; the confirm step inserts a row into `bench_rows`
           inside `db.transaction()` (Executor.insert: one statement, like execute, but it
           returns the new id). 5 updates per user.
* echo   - a bare `Dispatcher()` with one async handler echoing `message.text`, same Bot
           defaults, same FakeSession, the same 5 texts per user.
* import - a subprocess that only does `import aiogram` (the RSS baseline).

With --floor, two more scenarios run, each taking turns with an echo of its own, to show
what the durable form alone costs, before any of the bot's own layers:

* form-memory  - a bare `Dispatcher()` with the same form, aiogram's MemoryStorage, no
                 database (the confirm step only clears the form).
* form-durable - the same form on the bot's storage alone: DatabaseStorage over a SQLite
                 file, each update's FSM writes gathered and committed before the reply
                 (FlushBeforeSend), the confirm step writing its row as in full. No other
                 middleware of the bot.

Each scenario runs one update at a time (sequential) and with N users in flight
(asyncio.gather + semaphore; one user's updates stay in order). Throughput is updates over
wall time minus the time spent building the Update objects (built just before each feed, so
5,000 parsed updates are never held at once); latency is the `feed_update` call alone.

FakeSession keeps every request and every reply Message it produced (~15-20 KB each); that
is test-kit memory, not the bot's, so by default the bench checks and then drops those
recordings after each user finishes. Pass --keep-recordings to keep them all.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import finish, peak_rss_mib  # noqa: E402
from bot.runner import loop_for, loop_name  # noqa: E402
from bot.runner import run as run_on_loop  # noqa: E402

TOKEN = "123456:TEST-token-for-the-fake-session-000"
MARK = "[bench]"
FIRST_USER_ID = 500_000
WARMUP_USER_ID = 900_000
OUR_CODE = tuple(str(ROOT / d) + os.sep for d in ("bot", "storage", "handlers"))


def script(n: int) -> list[str]:
    """What one user sends: the command and the four answers."""
    return [
        "/benchform",
        f"Bench title {n}",
        f"A longer description of item {n}",
        f"Place {n}",
        "yes",
    ]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


# ---------------------------------------------------------------------------------------------
# The bench-only form (full scenario)
# ---------------------------------------------------------------------------------------------


FORM_KINDS = ("form-memory", "form-durable")
KINDS = ("echo", "full", *FORM_KINDS)


def build_bench_router(database: dict[str, Any], clock: Any, bare: Any = None) -> Any:
    """The bench's form as a feature of the bot (a RouterSpec), or on `bare`, a plain aiogram
    Router (--floor). Without a database (form-memory) the confirm step only clears it."""
    from aiogram.filters import Command, StateFilter
    from aiogram.fsm.context import FSMContext
    from aiogram.fsm.state import State, StatesGroup
    from aiogram.types import Message

    from handlers.filters import HasText
    from handlers.render import escape
    from handlers.spec import RouterSpec
    from storage.executor import to_db

    class BenchForm(StatesGroup):
        title = State()
        description = State()
        place = State()
        confirm = State()

    spec = bare
    if spec is None:
        spec = RouterSpec("bench", needs_consent=True)
        spec.owns(forms=(BenchForm,))

    @spec.message(Command("benchform"))
    async def begin(message: Message, state: FSMContext) -> None:
        await state.set_state(BenchForm.title)
        await message.answer(f"{MARK} Title?")

    @spec.message(StateFilter(BenchForm.title), HasText())
    async def got_title(message: Message, state: FSMContext) -> None:
        await state.update_data(title=message.text)
        await state.set_state(BenchForm.description)
        await message.answer(f"{MARK} Description?")

    @spec.message(StateFilter(BenchForm.description), HasText())
    async def got_description(message: Message, state: FSMContext) -> None:
        await state.update_data(description=message.text)
        await state.set_state(BenchForm.place)
        await message.answer(f"{MARK} Place?")

    @spec.message(StateFilter(BenchForm.place), HasText())
    async def got_place(message: Message, state: FSMContext) -> None:
        data = await state.update_data(place=message.text)
        await state.set_state(BenchForm.confirm)
        await message.answer(
            f"{MARK} <b>{escape(data['title'])}</b>\n{escape(data['description'])}\n"
            f"{escape(data['place'])}\n\nSave? yes/no"
        )

    @spec.message(StateFilter(BenchForm.confirm), HasText())
    async def got_confirm(message: Message, state: FSMContext) -> None:
        if (message.text or "").strip().casefold() not in ("yes", "да"):
            await state.clear()
            await message.answer(f"{MARK} Dropped.")
            return
        data = await state.get_data()
        assert message.from_user is not None
        if "db" not in database:  # form-memory
            await state.clear()
            await message.answer(f"{MARK} Saved.")
            return
        async with database["db"].transaction() as uow:
            row_id = await uow.executor.insert(  # execute() returns rowcount; insert() the id
                "INSERT INTO bench_rows (user_id, title, description, place, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    message.from_user.id,
                    data["title"],
                    data["description"],
                    data["place"],
                    to_db(clock.now()),
                ),
            )
            # Joins the unit of work: the row and the cleared form commit together.
            await state.clear()
        await message.answer(f"{MARK} Saved #{row_id}.")

    return spec


# ---------------------------------------------------------------------------------------------
# Worker: one scenario in this process
# ---------------------------------------------------------------------------------------------


class Recorder:
    """Checks what the FakeSession recorded, then (unless kept) drops it to bound memory."""

    def __init__(self, session: Any, keep: bool, marked: bool) -> None:
        self.session = session
        self.keep = keep
        self.marked = marked  # full scenario: every reply must carry MARK
        self.replies = 0
        self.unexpected: list[str] = []
        self._seen = 0

    def reset(self) -> None:
        self.drain()
        self.replies = 0
        self.unexpected.clear()

    def drain(self) -> None:
        sent = self.session.sent
        for s in sent[self._seen :]:
            if s.method != "SendMessage":
                continue
            self.replies += 1
            if self.marked and not s.text.startswith(MARK) and len(self.unexpected) < 5:
                self.unexpected.append(s.text[:120])
        if self.keep:
            self._seen = len(sent)
            return
        sent.clear()
        self.session.calls.clear()
        self.session.messages.clear()
        self._seen = 0


BENCH_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, "
    "user_id INTEGER NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL, "
    "place TEXT NOT NULL, created_at TEXT NOT NULL)"
)


class Scenario:
    def __init__(self, kind: str, tmp: Path, keep: bool, database_url: str | None = None) -> None:
        self.kind = kind
        self.tmp = tmp
        self.keep = keep
        self.database_url = database_url  # PostgreSQL (bench/backends.py); None: SQLite
        self.app: Any = None

    async def setup(self) -> None:
        from datetime import UTC, datetime

        from aiogram.types import Chat, Message, MessageEntity, Update, User

        from bot.clock import FrozenClock
        from tests.kit import FakeSession

        self._types = (Chat, Message, MessageEntity, Update, User)
        self.clock = FrozenClock(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
        self.session = FakeSession(self.clock.now)
        self.db: Any = None
        if self.kind == "full":
            await self._setup_full()
        else:
            self._setup_echo()
            if self.kind in FORM_KINDS:
                await self._setup_form(durable=self.kind == "form-durable")
        self.recorder = Recorder(self.session, self.keep, marked=self.kind != "echo")
        self._update_ids = iter(range(1, 1 << 62))
        self._message_ids = iter(range(1, 1 << 62))
        self._users: dict[int, tuple[Any, Any]] = {}

    def _setup_echo(self) -> None:
        from aiogram import Bot, Dispatcher, Router
        from aiogram.client.default import DefaultBotProperties
        from aiogram.enums import ParseMode
        from aiogram.types import Message

        router = Router(name="echo")

        @router.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "?")

        self.dp = Dispatcher()
        self.dp.include_router(router)
        # The same defaults as bot.app.build_bot, so FakeSession does the same checks.
        self.bot = Bot(
            token=TOKEN,
            session=self.session,
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )

    async def _setup_form(self, durable: bool) -> None:
        """--floor: the bench's form on a bare Dispatcher (the bot and its session are
        echo's), on aiogram's MemoryStorage or on the bot's durable storage alone."""
        from aiogram import BaseMiddleware, Dispatcher, Router
        from aiogram.fsm.storage.memory import MemoryStorage

        database: dict[str, Any] = {}
        if not durable:
            self.dp = Dispatcher(storage=MemoryStorage())
        else:
            from bot.middlewares.flush import FlushBeforeSend
            from storage.db import open_database
            from storage.fsm_storage import DatabaseStorage
            from storage.postgres import schema_sql

            path = self.tmp / "db" / "bot.sqlite3"
            self.db = database["db"] = open_database(path, self.database_url)
            await self.db.open()
            table = schema_sql(BENCH_TABLE) if self.database_url else BENCH_TABLE
            async with self.db.transaction() as uow:
                await uow.executor.execute(table)
            storage = DatabaseStorage(self.db, self.clock)

            class Batch(BaseMiddleware):
                """What the bot's UpdateContextMiddleware does for the FSM, and only that."""

                async def __call__(self, handler: Any, event: Any, data: Any) -> Any:
                    async with storage.batch():
                        return await handler(event, data)

            self.dp = Dispatcher(storage=storage)
            self.dp.update.outer_middleware(Batch())
            self.bot.session.middleware(FlushBeforeSend(storage))
        self.dp.include_router(build_bench_router(database, self.clock, bare=Router()))

    async def _setup_full(self) -> None:
        from bot.app import create_app
        from tests.kit import make_settings

        settings = make_settings(self.tmp, database_path=self.tmp / "db" / "bot.sqlite3")
        if self.database_url:
            settings = make_settings(self.tmp, database_url=self.database_url)
        # The form is passed like any feature, so it sits behind ConsentGate, its steps are
        # reached through the Switch, and its entry point comes before the fallback.
        database: dict[str, Any] = {}
        self.app = await create_app(
            settings,
            session=self.session,
            clock=self.clock,
            extra_features=[build_bench_router(database, self.clock)],
        )
        database["db"] = self.app.db
        await self.app.dp.emit_startup(bot=self.app.bot)
        self.dp, self.bot = self.app.dp, self.app.bot
        await self._deliver_what_startup_queued()
        table = BENCH_TABLE
        if self.app.db.dialect == "postgresql":
            from storage.postgres import schema_sql

            table = schema_sql(table)
        async with self.app.db.transaction() as uow:
            await uow.executor.execute(table)

    async def _deliver_what_startup_queued(self, seconds: float = 10.0) -> None:
        """Start-up queues the digest a restart owes the staff chat (bot/app.py); the
        background sender delivers it whenever the loop lets it, which was at times inside a
        timed run, as a reply no user asked for. It goes out now, before anything is timed."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            counts = await self.app.db.read.outbox.counts()
            if not counts.get("pending") and not counts.get("sending"):
                return
            await asyncio.sleep(0.01)
        raise SystemExit(f"start-up's messages were not delivered in {seconds:.0f} s: {counts}")

    async def close(self) -> None:
        if self.app is not None:
            await self.app.dp.emit_shutdown(bot=self.app.bot)
        else:
            await self.bot.session.close()
            if self.db is not None:
                await self.db.close()

    # -- users and updates ------------------------------------------------------------------

    def user(self, uid: int) -> tuple[Any, Any]:
        found = self._users.get(uid)
        if found is None:
            Chat, _, _, _, User = self._types
            first_name = f"User{uid}"
            found = (
                User(id=uid, is_bot=False, first_name=first_name, language_code="ru"),
                Chat(id=uid, type="private", first_name=first_name),
            )
            self._users[uid] = found
        return found

    def make_update(self, uid: int, text: str) -> Any:
        _, Message, MessageEntity, Update, _ = self._types
        user, chat = self.user(uid)
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        # Mounted on the bot up front, as polling does, so feed_update skips its JSON round trip.
        message = Message(
            message_id=next(self._message_ids),
            date=self.clock.now(),
            chat=chat,
            from_user=user,
            text=text,
            entities=entities,
        ).as_(self.bot)
        return Update(update_id=next(self._update_ids), message=message).as_(self.bot)

    async def consent(self, uids: list[int], onboard: bool) -> None:
        """Give every user consent before timing: via services (default) or via the bot."""
        if self.kind == "form-durable":  # form data is kept for consenting people only
            async with self.db.transaction() as uow:
                for uid in uids:
                    await uow.users.ensure(uid, self.clock.now())
                    await uow.users.give_consent(uid, "bench", self.clock.now())
            return
        if self.kind != "full":
            return
        if not onboard:
            from bot.services.users import TelegramProfile

            for uid in uids:
                user, _ = self.user(uid)
                profile = TelegramProfile(uid, user.first_name, None, None, user.language_code)
                await self.app.users.touch(profile)
                await self.app.users.give_consent(profile)
            return
        from aiogram.types import CallbackQuery, Update

        from handlers.consent import ConsentAction, ConsentButton

        for uid in uids:
            user, chat = self.user(uid)
            await self.dp.feed_update(self.bot, self.make_update(uid, "/start"))
            notice = next(s for s in reversed(self.session.sent) if s.chat_id == chat.id)
            query = CallbackQuery(
                id=f"cq{uid}",
                from_user=user,
                chat_instance="ci",
                message=self.session.messages[(chat.id, notice.message_id)],
                data=ConsentButton(action=ConsentAction.AGREE).pack(),
            )
            await self.dp.feed_update(
                self.bot, Update(update_id=next(self._update_ids), callback_query=query)
            )
            self.recorder.drain()
        record = await self.app.users.get(uids[-1])
        assert record is not None and record.has_consent, "onboarding did not record consent"

    async def run(self, uids: list[int], concurrency: int) -> dict[str, Any]:
        """Feed every user's script; returns this run's raw timings (see `pooled`). One
        user's updates stay in order."""
        latencies: list[float] = []
        build = 0.0
        feed = self.dp.feed_update
        bot = self.bot
        perf = time.perf_counter

        async def one_user(uid: int) -> None:
            nonlocal build
            for text in script(uid):
                t0 = perf()
                update = self.make_update(uid, text)
                t1 = perf()
                await feed(bot, update)
                t2 = perf()
                build += t1 - t0
                latencies.append(t2 - t1)
            self.recorder.drain()

        self.recorder.reset()
        cpu0, wall0 = time.process_time(), perf()
        if concurrency <= 1:
            for uid in uids:
                await one_user(uid)
        else:
            sem = asyncio.Semaphore(concurrency)

            async def gated(uid: int) -> None:
                async with sem:
                    await one_user(uid)

            await asyncio.gather(*(gated(uid) for uid in uids))
        wall = perf() - wall0
        cpu = time.process_time() - cpu0
        self.recorder.drain()
        return {
            "latencies": latencies,
            "wall_s": wall,
            "build_s": build,
            "cpu_s": cpu,
            "replies": self.recorder.replies,
            "unexpected": list(self.recorder.unexpected),
        }

    async def rows(self, *groups: list[int]) -> int | None:
        """Rows the form wrote for these users (other workers may share the database)."""
        db = self.app.db if self.app is not None else self.db
        if db is None:
            return None
        count = "SELECT count(*) FROM bench_rows WHERE user_id >= ? AND user_id <= ?"
        total = 0
        for uids in groups:
            if uids:
                read = db.read.executor
                total += int(await read.fetch_value(count, (min(uids), max(uids))))
        return total


@contextlib.contextmanager
def counted_instructions(on: bool) -> Any:
    """Under callgrind (--instructions): count only what runs inside."""
    if on:
        switch = ["callgrind_control", "--instr=on", str(os.getpid())]
        subprocess.run(switch, check=True, capture_output=True)
    try:
        yield
    finally:
        if on:
            switch[1] = "--instr=off"
            subprocess.run(switch, check=True, capture_output=True)


def run_instructions(args: argparse.Namespace) -> int:
    """Both scenarios at once under callgrind, one update at a time; instructions each."""
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (Debian: apt-get install valgrind)")
        return 2
    users = args.instructions  # 100 take about a minute under valgrind
    env = worker_env(PYTHONHASHSEED="0")  # the same dicts in both, run after run
    one_at_a_time = argparse.Namespace(**{**vars(args), "users": users})
    procs = {}
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        for kind in ("echo", "full"):
            valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
            valgrind.append(f"--callgrind-out-file={tmp}/{kind}.out")
            cmd = valgrind + worker_command(one_at_a_time, kind, 1, "--callgrind")
            procs[kind] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        per_update = {}
        for kind, proc in procs.items():
            _, err = proc.communicate()
            found = re.search(r"Collected : (\d+)", err)
            if proc.returncode != 0 or found is None:
                sys.stderr.write(err)
                raise SystemExit(f"worker {kind} under callgrind failed")
            per_update[kind] = int(found.group(1)) / (users * len(script(0)))
    print(f"instructions per update, one at a time, {users} users (callgrind):")
    for kind, count in per_update.items():
        print(f"  {kind:5} {count:12,.0f}")
    print(f"  echo/full {per_update['echo'] / per_update['full']:10.3f}")
    return 0


def pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The result of one run, or of a run in slices (`sliced`): times and replies summed,
    percentiles over every update's latency."""
    latencies = sorted(x for p in parts for x in p["latencies"])
    n = len(latencies)
    wall = sum(p["wall_s"] for p in parts)
    build = sum(p["build_s"] for p in parts)
    return {
        "updates": n,
        "wall_s": wall,
        "build_s": build,
        "cpu_s": sum(p["cpu_s"] for p in parts),
        "ups": n / (wall - build),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000,
        "replies": sum(p["replies"] for p in parts),
        "unexpected": [u for p in parts for u in p["unexpected"]][:5],
    }


async def sliced(
    scenario: Scenario, users: list[int], concurrency: int, slices: int
) -> dict[str, Any]:
    """The timed run in `slices` parts, each when the orchestrator writes a line: so echo
    and full, each in its own process, take turns (see orchestrate). Prints each part's
    update count and seconds as a line of JSON; returns the whole run's (`pooled`)."""
    size = -(-len(users) // slices)
    parts = []
    print(json.dumps({"ready": True}))  # set up: the other one's start-up is not timed
    sys.stdout.flush()
    for start in range(0, len(users), size):
        if not sys.stdin.readline():
            break
        part = await scenario.run(users[start : start + size], concurrency)
        parts.append(part)
        seconds = part["wall_s"] - part["build_s"]
        print(json.dumps({"updates": len(part["latencies"]), "s": seconds}))
        sys.stdout.flush()
    return pooled(parts)


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp:
        scenario = Scenario(args.worker, Path(tmp), args.keep_recordings, args.database_url)
        await scenario.setup()
        try:
            users = [FIRST_USER_ID + args.first_user + i for i in range(args.users)]
            warm = [WARMUP_USER_ID + args.first_user + i for i in range(args.warmup)]
            await scenario.consent(warm + users, args.onboard)
            if warm:
                await scenario.run(warm, min(args.concurrency, len(warm)))
            # What starting up left for the collector goes now, in both scenarios, so the
            # timed run measures the steady state: a full collection of what importing
            # aiogram left (0.15-0.25 s here) used to land in echo's timed second in most
            # runs and never in full's (the bot freezes its start-up objects, bot/app.py),
            # which made the ratio swing by a third. Collections the run itself causes
            # still count, in both.
            gc.collect()
            rss_before = peak_rss_mib()
            if args.turns:
                result = await sliced(scenario, users, args.concurrency, args.turns)
            else:
                with counted_instructions(args.callgrind):
                    result = pooled([await scenario.run(users, args.concurrency)])
            rows = await scenario.rows(users, warm)
            result.update(
                kind=args.worker,
                concurrency=args.concurrency,
                rss_before_mib=rss_before,
                peak_rss_mib=peak_rss_mib(),
                rows=rows,
                expected_rows=None if rows is None else len(users) + len(warm),
            )
            if args.profile:
                result["profile"] = await profile_passes(scenario, users, args.profile_users)
        finally:
            await scenario.close()
    return result


# ---------------------------------------------------------------------------------------------
# Profiling (full scenario, sequential): counted awaits, then cProfile
# ---------------------------------------------------------------------------------------------


async def profile_passes(scenario: Scenario, users: list[int], limit: int) -> dict[str, Any]:
    """Two more passes over the same (now idle) users: one with counters, one under cProfile."""
    import cProfile
    import pstats

    import aiosqlite

    uids = users[: max(1, limit)]
    n_updates = len(uids) * len(script(0))
    writer = scenario.app.db._writer if scenario.app is not None else None
    counts: dict[str, list[float]] = {}

    def add(key: str, seconds: float) -> None:
        slot = counts.setdefault(key, [0, 0.0])
        slot[0] += 1
        slot[1] += seconds

    original_execute: Any = aiosqlite.Connection._execute
    original_to_thread = asyncio.to_thread

    async def timed_execute(self: Any, fn: Any, *a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await original_execute(self, fn, *a, **kw)
        finally:
            add(
                "sqlite hop (writer)" if self is writer else "sqlite hop (reader)",
                time.perf_counter() - t0,
            )

    async def timed_to_thread(func: Any, /, *a: Any, **kw: Any) -> Any:
        inner = getattr(func, "func", func)
        name = getattr(inner, "__qualname__", None) or type(inner).__qualname__
        label = f"to_thread: {name}"
        if type(inner).__name__ == "State":
            label = f"to_thread: State filter {inner.state}"
        t0 = time.perf_counter()
        try:
            return await original_to_thread(func, *a, **kw)
        finally:
            add(label, time.perf_counter() - t0)

    # The FSM's commit of each form step (DatabaseStorage.flush, before the reply goes out):
    # echo has nothing like it. Timed on the event loop, so it counts SQLite's work and the
    # system calls, not what evicting the rest of the update from the caches costs after.
    fsm_storage = scenario.app.dp.storage
    original_flush = fsm_storage.flush
    commits: list[float] = [0, 0.0]

    async def timed_flush() -> None:
        t0 = time.perf_counter()
        try:
            await original_flush()
        finally:
            commits[0] += 1
            commits[1] += time.perf_counter() - t0

    aiosqlite.Connection._execute = timed_execute  # type: ignore[method-assign]
    asyncio.to_thread = timed_to_thread
    fsm_storage.flush = timed_flush
    try:
        counted = await scenario.run(uids, 1)
    finally:
        aiosqlite.Connection._execute = original_execute  # type: ignore[method-assign]
        asyncio.to_thread = original_to_thread
        del fsm_storage.flush  # the class's own again

    profiler = cProfile.Profile()
    profiler.enable()
    profiled = await scenario.run(uids, 1)
    profiler.disable()

    stats = pstats.Stats(profiler)
    entries = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append((filename, line, name, nc, tt, ct))
    ours = sorted((e for e in entries if e[0].startswith(OUR_CODE)), key=lambda e: -e[5])
    everything = sorted(entries, key=lambda e: -e[4])

    def row(e: tuple[Any, ...]) -> dict[str, Any]:
        filename, line, name, nc, tt, ct = e
        short = os.path.relpath(filename, ROOT) if filename.startswith(str(ROOT)) else filename
        for marker in ("site-packages" + os.sep, "lib" + os.sep + "python3"):
            if marker in short:
                short = short.split(marker, 1)[1]
        return {"where": f"{short}:{line}({name})", "calls": nc, "tottime": tt, "cumtime": ct}

    return {
        "updates": n_updates,
        "counted_wall_s": counted["wall_s"] - counted["build_s"],
        "awaits": {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1][1])},
        "fsm_flush": commits,
        "profiled_wall_s": profiled["wall_s"],
        "ours_by_cumtime": [row(e) for e in ours[:10]],
        "all_by_tottime": [row(e) for e in everything[:15]],
    }


# ---------------------------------------------------------------------------------------------
# Orchestrator
# ---------------------------------------------------------------------------------------------

IMPORT_BASELINES = {
    "import aiogram": "import aiogram",
    "import bot.app + tests.kit": "import aiogram, bot.app, tests.kit",
}


def run_import_baseline(code: str) -> float:
    probe = f"import resource; {code}; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def worker_command(args: argparse.Namespace, kind: str, concurrency: int, *extra: str) -> list[str]:
    """`python -m bench.dispatch --worker KIND ...` with this run's options."""
    cmd = [
        sys.executable,
        "-m",
        "bench.dispatch",
        "--worker",
        kind,
        "--users",
        str(args.users),
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(args.warmup),
        *extra,
    ]
    if args.keep_recordings:
        cmd.append("--keep-recordings")
    if args.onboard:
        cmd.append("--onboard")
    if args.loop:
        cmd += ["--loop", args.loop]
    return cmd


def worker_env(**extra: str) -> dict[str, str]:
    """The environment a worker runs in: this checkout first on its path."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, **extra)


def run_worker(
    args: argparse.Namespace, kind: str, concurrency: int, profile: bool
) -> dict[str, Any]:
    extra = ["--profile-users", str(args.profile_users)] + (["--profile"] if profile else [])
    cmd = worker_command(args, kind, concurrency, *extra)
    env = worker_env()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"worker {kind} x{concurrency} failed with code {out.returncode}")
    if out.stderr.strip():
        sys.stderr.write(out.stderr)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_pair(
    args: argparse.Namespace, concurrency: int, kinds: tuple[str, str] = ("echo", "full")
) -> dict[str, dict[str, Any]]:
    """Echo and full (or with --floor, echo and a bare form), each in its own process (so
    each peak RSS is its own), taking turns slice by slice: a machine whose speed drifts
    from one second to the next (a shared one does) slows both alike, which running them
    one after the other did not. Always two: with three or four taking turns, one of them
    (which one varied with the order) spent a tenth of its timed wall off the CPU."""
    env = worker_env()
    procs = {}
    for kind in kinds:
        cmd = worker_command(args, kind, concurrency, "--turns", str(args.slices))
        procs[kind] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
    try:
        for kind, proc in procs.items():  # both set up before either is timed
            assert proc.stdout is not None
            if not proc.stdout.readline():
                raise SystemExit(f"worker {kind} x{concurrency} stopped")
        for turn in range(args.slices):
            for kind in kinds if turn % 2 == 0 else reversed(kinds):
                proc = procs[kind]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                if not proc.stdout.readline():
                    raise SystemExit(f"worker {kind} x{concurrency} stopped")
        results = {}
        for kind, proc in procs.items():
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.close()
            # Read through the same reader as the turns' lines: the result may come right
            # behind the last slice's line and sit in that reader's buffer already, where
            # communicate(), which reads the pipe itself, would miss it.
            out = proc.stdout.read()
            proc.wait()
            if proc.returncode != 0:
                raise SystemExit(f"worker {kind} x{concurrency} failed with code {proc.returncode}")
            results[kind] = dict(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()


def _pooled(rounds: list[dict[tuple[str, int], dict[str, Any]]], kind: str, c: int) -> float:
    """Updates a second over every round of one scenario together."""
    results = [one[(kind, c)] for one in rounds]
    return sum(r["updates"] for r in results) / sum(r["updates"] / r["ups"] for r in results)


def label(kind: str, concurrency: int) -> str:
    mode = "sequential" if concurrency <= 1 else f"concurrent x{concurrency}"
    return f"{kind} {mode}"


def check(result: dict[str, Any], users: int, warmup: int) -> list[str]:
    problems = []
    expected = users * len(script(0))
    if result["updates"] != expected:
        problems.append(f"fed {result['updates']} updates, expected {expected}")
    if result["replies"] != expected:
        problems.append(f"{result['replies']} replies, expected {expected}")
    if result["unexpected"]:
        problems.append(f"unexpected replies: {result['unexpected']}")
    if result["rows"] is not None and result["rows"] != result["expected_rows"]:
        problems.append(f"{result['rows']} rows written, expected {result['expected_rows']}")
    return problems


def print_profile(p: dict[str, Any]) -> None:
    n = p["updates"]
    wall = p["counted_wall_s"]
    print(
        f"\nWhere the time goes: full pipeline, sequential, {n} updates "
        f"({wall / n * 1e6:.0f} us/update wall with counters on)"
    )
    print(f"  {'awaited on another thread':44} {'per update':>10} {'us/update':>10} {'% wall':>7}")
    for key, (count, seconds) in p["awaits"].items():
        share = seconds / wall * 100
        print(f"  {key[:44]:44} {count / n:10.2f} {seconds / n * 1e6:10.0f} {share:6.1f}%")
    total = sum(s for _, s in p["awaits"].values())
    print(f"  {'(all of the above)':44} {'':10} {total / n * 1e6:10.0f} {total / wall * 100:6.1f}%")
    count, seconds = p["fsm_flush"]
    print(
        f"  {'in the FSM flush (each step commits first)':44} {count / n:10.2f} "
        f"{seconds / n * 1e6:10.0f} {seconds / wall * 100:6.1f}%"
    )

    pwall = p["profiled_wall_s"]
    print(f"\n  cProfile, same users again: {pwall / n * 1e6:.0f} us/update wall when profiled.")
    print("  Event-loop thread only; a coroutine's cumtime excludes the time it is suspended, and")
    print("  its 'calls' count every resumption, not just every call.")
    print("  top 10 cumulative in bot/, storage/, handlers/:")
    print(f"  {'calls/upd':>9} {'cum us/upd':>10} {'% wall':>7}  where")
    for r in p["ours_by_cumtime"]:
        print(
            f"  {r['calls'] / n:9.2f} {r['cumtime'] / n * 1e6:10.1f} "
            f"{r['cumtime'] / pwall * 100:6.1f}%  {r['where']}"
        )
    print("  top 15 by own time, any code:")
    print(f"  {'calls/upd':>9} {'own us/upd':>10} {'% wall':>7}  where")
    for r in p["all_by_tottime"]:
        print(
            f"  {r['calls'] / n:9.2f} {r['tottime'] / n * 1e6:10.1f} "
            f"{r['tottime'] / pwall * 100:6.1f}%  {r['where']}"
        )


def orchestrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    conc = args.concurrency
    print(
        f"dispatch bench: {args.users} users x {len(script(0))} updates, concurrency {conc}, "
        f"warmup {args.warmup} users, python {sys.version.split()[0]} on "
        f"{loop_name(args.loop or 'asyncio')}, "
        f"{os.cpu_count()} CPUs, "
        f"FakeSession recordings {'kept' if args.keep_recordings else 'dropped per user'}, "
        f"consent {'via /start + button' if args.onboard else 'seeded via UserService'}"
    )
    baselines = {name: run_import_baseline(code) for name, code in IMPORT_BASELINES.items()}
    # Rounds interleave echo and full, so a busy moment of a shared machine hits both; the
    # figure pools every round (one echo run is about a second and swings by a fifth from
    # run to run on a shared machine).
    rounds: list[dict[tuple[str, int], dict[str, Any]]] = []
    for _ in range(args.rounds):
        one: dict[tuple[str, int], dict[str, Any]] = {}
        for c in (1, conc):
            for kind, result in run_pair(args, c).items():
                one[(kind, c)] = result
            for form in FORM_KINDS if args.floor else ():
                # Each form against an echo of its own, in the same run.
                for kind, result in run_pair(args, c, ("echo", form)).items():
                    one[(kind if kind == form else f"echo (vs {form})", c)] = result
        rounds.append(one)
    results = rounds[-1]

    header = (
        f"{'scenario':42} {'updates':>7} {'upd/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU/wall':>8} {'RSS pre-run':>11} {'peak RSS MiB':>12}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, rss in baselines.items():
        print(f"{name:42} {'':>7} {'':>8} {'':>8} {'':>8} {'':>8} {'':>11} {rss:12.1f}")
    problems: list[str] = []
    for n, one in enumerate(rounds, 1):
        for (kind, c), r in sorted(one.items()):
            name = label(kind, c) + (f" #{n}" if len(rounds) > 1 else "")
            print(
                f"{name:42} {r['updates']:7d} {r['ups']:8.0f} {r['p50_ms']:8.3f} "
                f"{r['p99_ms']:8.3f} {r['cpu_s'] / r['wall_s']:8.2f} "
                f"{r['rss_before_mib']:11.1f} {r['peak_rss_mib']:12.1f}"
            )
            problems += [f"{name}: {p}" for p in check(r, args.users, args.warmup)]

    base = baselines["import aiogram"]
    print("\nratios")
    for c in (1, conc):
        # All rounds pooled: the updates of every round over their time, for each kind; so
        # a round that a collection or a busy moment slowed weighs what it cost.
        pooled = _pooled(rounds, "full", c) / _pooled(rounds, "echo", c)
        each = [one[("full", c)]["ups"] / one[("echo", c)]["ups"] for one in rounds]
        mode = "sequential" if c <= 1 else f"concurrent x{c}"
        verdict = "ok" if pooled >= 0.5 else "BELOW TARGET"
        runs = f"   rounds: {', '.join(f'{x:.3f}' for x in each)}" if len(each) > 1 else ""
        print(
            f"  full/echo throughput, {mode:16}           {pooled:6.3f}   (>= 0.5: {verdict})"
            + runs
        )
    if args.floor:
        print("  the floor: the same form on a bare Dispatcher, each against its own echo")
        for c in (1, conc):
            mode = "sequential" if c <= 1 else f"concurrent x{c}"
            full = _pooled(rounds, "full", c) / _pooled(rounds, "echo", c)
            memory, durable = (
                _pooled(rounds, k, c) / _pooled(rounds, f"echo (vs {k})", c) for k in FORM_KINDS
            )
            print(
                f"    {mode:16} form-memory/echo {memory:6.3f}   form-durable/echo "
                f"{durable:6.3f}   full keeps {full / durable:6.3f} of form-durable's"
            )
    for c in (1, conc):
        ratio = max(one[("full", c)]["peak_rss_mib"] for one in rounds) / base
        mode = "sequential" if c <= 1 else f"concurrent x{c}"
        verdict = "ok" if ratio <= 1.3 else "ABOVE TARGET"
        print(f"  full peak RSS / import aiogram, {mode:16} {ratio:6.3f}   (<= 1.3: {verdict})")
    echo_peak = max(one[("echo", c)]["peak_rss_mib"] for one in rounds for c in (1, conc))
    print(
        f"  echo peak RSS / import aiogram (max)             {echo_peak / base:6.3f}   (reference)"
    )
    if any(r["rows"] is not None for r in results.values()):
        print(
            "  rows written: "
            + ", ".join(
                f"{label(k, c)} {r['rows']}/{r['expected_rows']}"
                for (k, c), r in results.items()
                if r["rows"] is not None
            )
        )

    if args.profile:
        prof = run_worker(args, "full", 1, profile=True)
        print_profile(prof["profile"])

    return finish(started, problems)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=summary)
    parser.add_argument("--users", type=int, default=1000, help="distinct users (5 updates each)")
    parser.add_argument("--concurrency", type=int, default=100, help="users in flight at once")
    parser.add_argument("--warmup", type=int, default=20, help="untimed users run first")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of echo and full, interleaved (pooled)"
    )
    parser.add_argument(
        "--onboard",
        action="store_true",
        help="consent via /start + the consent button instead of UserService",
    )
    parser.add_argument(
        "--keep-recordings",
        action="store_true",
        help="keep every FakeSession request/reply in memory (as tests do)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile the full pipeline (sequential) and print top costs",
    )
    parser.add_argument(
        "--profile-users", type=int, default=300, help="users in each profiling pass"
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        help="the event loop (default: the bot's: asyncio's on SQLite, uvloop on PostgreSQL)",
    )
    parser.add_argument(
        "--instructions",
        type=int,
        nargs="?",
        const=100,
        metavar="USERS",
        help="only count instructions per update under valgrind, USERS users (default 100)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the same form on a bare Dispatcher, on MemoryStorage and on the "
        "bot's durable storage alone: what the durable form costs before the bot's layers",
    )
    parser.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--callgrind", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--turns", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--slices",
        type=int,
        default=10,
        help="parts of each timed run; echo and full take turns part by part",
    )
    # bench/backends.py: a worker on PostgreSQL, several of them on one database.
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--first-user", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.users, args.concurrency, args.rounds, args.slices) < 1 or args.warmup < 0:
        parser.error("--users, --concurrency, --rounds and --slices must be >= 1, --warmup >= 0")
    if args.worker:
        result = run_on_loop(worker(args), loop=args.loop or loop_for(args.database_url))
        print(json.dumps(result))
        return 0
    if args.instructions is not None:
        return run_instructions(args)
    return orchestrate(args)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
