"""Reports benchmark: the staff digest and the yearly report over a town-sized database.

    python -m bench.reports                        # default: 500k requests + 500k initiatives
    python -m bench.reports --repeat 9 --explain   # more runs; query plans of every query
    python -m bench.reports --regenerate           # rebuild the cached database

The database: 100,000 users; 500,000 support requests and 500,000 initiatives created over
two years (2024-2025 UTC, ids in creation order), with status mixes by age (recent ones
mostly open, old ones mostly closed or done, ~2 % of old requests still open and overdue);
request_log has the creation, in_work, answered (a few twice, after a reopen) and closed or
rejected entries; a small outbox with failed deliveries; the 2020 registry (18 TOS, 16 other
organisations). It is built once in a subprocess: migrated by our Database, closed, then
bulk-loaded with plain sqlite3 executemany in one transaction, and cached under the temp
folder keyed by a hash of the migrations and the generator's parameters, so a rerun (or a
run after an unrelated change) skips generation. No ANALYZE: the planner sees what a
production database sees.

Timed, through `create_app(settings, background=False)` and its `app.reports`, with the
clock frozen just after the last row:

* digest - `ReportService.build_digest(now - 1 day, now)`
* report - `ReportService.report(None, Period.years(2025))`: the year's figures, 2024's to
           compare with, the unresolved and what is ahead (everything the document says)
* count  - `SELECT count(*)` over initiatives and support_requests (the 1,000,000 rows),
           through the same read connection; the report also gets a second baseline that
           counts request_log too, the third table it reads.

One untimed warm-up of each, then --repeat rounds of count/digest/count/report; medians.
Peak memory: tracemalloc's peak over one more call of each (Python objects only; SQLite's
page cache is outside it) and this process's ru_maxrss (generation runs elsewhere).
Each repository query is timed on its own too, and --explain (or a missed target) prints
EXPLAIN QUERY PLAN for each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import finish, peak_rss_mib  # noqa: E402

GENERATOR_VERSION = 4  # bump when the generated data changes shape
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 12, 31, 4, 0, tzinfo=UTC)  # 11:00 in Novosibirsk, the default timezone
YEAR = 2025
FIRST_USER_ID = 10_000_000
DIGEST_TARGET = 10.0
REPORT_TARGET = 50.0
POPULATION = 56_111

DIRECTIONS = (
    ("improvement", 45),
    ("sport", 15),
    ("festivals", 15),
    ("memorials", 10),
    ("other", 15),
)
KINDS = (
    ("consultation", 35),
    ("event", 20),
    ("transport", 15),
    ("information", 15),
    ("premises", 10),
    ("other", 5),
)
# Initiative statuses by age: under 2 weeks, under 3 months, older.
INITIATIVE_MIX = (
    (14, (("new", 50), ("review", 40), ("accepted", 5), ("rejected", 5))),
    (
        90,
        (
            ("new", 5),
            ("review", 20),
            ("accepted", 25),
            ("in_progress", 20),
            ("rejected", 20),
            ("merged", 5),
            ("done", 5),
        ),
    ),
    (
        None,
        (
            ("new", 2),
            ("review", 3),
            ("accepted", 5),
            ("in_progress", 10),
            ("rejected", 25),
            ("merged", 5),
            ("done", 50),
        ),
    ),
)
# Request statuses by age: within the 30-day term, older.
REQUEST_MIX = (
    (30, (("new", 25), ("in_work", 35), ("answered", 25), ("closed", 10), ("rejected", 5))),
    (None, (("new", 0.5), ("in_work", 1.5), ("answered", 8), ("closed", 83), ("rejected", 7))),
)
WORDS = [
    "двор",
    "детская",
    "площадка",
    "освещение",
    "скамейки",
    "тротуар",
    "ремонт",
    "субботник",
    "праздник",
    "улица",
    "сквер",
    "памятник",
    "турнир",
    "футбол",
    "концерт",
    "автобус",
    "помещение",
    "консультация",
    "грант",
    "конкурс",
    "озеленение",
    "клумба",
    "забор",
    "остановка",
    "ливневка",
    "ямочный",
    "парковка",
    "горка",
    "каток",
    "зима",
    "лето",
]


def weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...], n: int) -> list[str]:
    names = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(names, weights, k=n)


def iso(moment: datetime) -> str:
    """As storage.executor.to_db writes instants (UTC, microseconds), so comparisons hold."""
    return moment.isoformat(timespec="microseconds")


def mix_for(table: tuple[tuple[int | None, Any], ...], age_days: float) -> Any:
    for limit, mix in table:
        if limit is None or age_days < limit:
            return mix
    raise AssertionError("the last age band has no limit")


# ---------------------------------------------------------------------------------------------
# Generation (in a subprocess)
# ---------------------------------------------------------------------------------------------


def cache_key(args: argparse.Namespace) -> str:
    from storage.db import migration_files

    digest = hashlib.sha256()
    for _, name, sql in migration_files():
        digest.update(name.encode() + b"\0" + sql.encode() + b"\0")
    params = (GENERATOR_VERSION, args.requests, args.initiatives, args.users, args.seed)
    digest.update(json.dumps(params).encode())
    return digest.hexdigest()[:16]


def creation_times(rng: random.Random, n: int) -> list[datetime]:
    span = (NOW - START).total_seconds() - 60
    return [START + timedelta(seconds=s) for s in sorted(rng.random() * span for _ in range(n))]


def gen_users(rng: random.Random, n: int) -> Iterator[tuple[Any, ...]]:
    span = (NOW - START).total_seconds()
    for i in range(n):
        seen = START + timedelta(seconds=rng.random() * span)
        at = iso(seen)
        consent = rng.random() < 0.95
        yield (
            FIRST_USER_ID + i,
            f"Имя{i}",
            f"Фамилия{i}" if i % 3 else None,
            f"user{i}" if i % 2 else None,
            "ru",
            "ru" if i % 10 else "en",
            "1" if consent else None,
            at if consent else None,
            at,
            at,
        )


def gen_initiatives(rng: random.Random, n: int, users: int) -> Iterator[tuple[Any, ...]]:
    created = creation_times(rng, n)
    directions = weighted(rng, DIRECTIONS, n)
    seqs: dict[int, int] = {}
    for i, at in enumerate(created):
        year = at.year
        seqs[year] = seq = seqs.get(year, 0) + 1
        age = (NOW - at).total_seconds() / 86400
        status = weighted(rng, mix_for(INITIATIVE_MIX, age), 1)[0]
        words = rng.sample(WORDS, 4)
        title = " ".join(words[:3]).capitalize()
        description = " ".join(rng.choices(WORDS, k=rng.randint(15, 45)))
        updated = at + timedelta(days=min(age, rng.random() * 60))
        yield (
            i + 1,
            year,
            seq,
            f"i{i:08d}",
            FIRST_USER_ID + rng.randrange(users),
            directions[i],
            title,
            description,
            f"ул. {words[3].capitalize()}, {rng.randint(1, 120)}",
            55.0 + rng.random(),
            82.9 + rng.random(),
            None,
            i % 4 == 0,
            status,
            iso(at),
            iso(updated),
        )


class RequestRows:
    """Support requests and their request_log rows, made together."""

    def __init__(self, rng: random.Random, n: int, users: int) -> None:
        self.rng = rng
        self.n = n
        self.users = users
        self.log: list[tuple[Any, ...]] = []

    def requests(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        created = creation_times(rng, self.n)
        kinds = weighted(rng, KINDS, self.n)
        seqs: dict[int, int] = {}
        log = self.log
        for i, at in enumerate(created):
            rid = i + 1
            year = at.year
            seqs[year] = seq = seqs.get(year, 0) + 1
            age = (NOW - at).total_seconds() / 86400
            status = weighted(rng, mix_for(REQUEST_MIX, age), 1)[0]
            term = 14 if kinds[i] in ("event", "transport") and rng.random() < 0.5 else 30
            due = at + timedelta(days=term)
            staff = rng.randint(1, 12)
            log.append((rid, None, iso(at), None, "new"))
            closed_at = None
            first_answer = None
            if status != "new":
                taken = at + timedelta(days=min(age * 0.3, rng.random() * 2))
                log.append((rid, staff, iso(taken), "new", "in_work"))
            if status in ("answered", "closed"):
                answered = at + timedelta(days=min(age * 0.9, rng.expovariate(1 / 6)))
                first_answer = round((answered - at).total_seconds() / 86400, 2)
                log.append((rid, staff, iso(answered), "in_work", "answered"))
                if status == "closed":
                    if rng.random() < 0.04:  # reopened once and answered again
                        again = answered + timedelta(days=min(age * 0.05, rng.random() * 5))
                        log.append((rid, None, iso(again), "answered", "in_work"))
                        log.append((rid, staff, iso(again), "in_work", "answered"))
                        answered = again
                    closed = answered + timedelta(days=min(age * 0.05, rng.random() * 3))
                    closed_at = iso(closed)
                    log.append((rid, None, closed_at, "answered", "closed"))
            elif status == "rejected":
                closed = at + timedelta(days=min(age * 0.9, rng.random() * 10))
                closed_at = iso(closed)
                log.append((rid, staff, closed_at, "in_work", "rejected"))
            behalf = rng.choices(("self", "tos", "org"), (70, 20, 10))[0]
            yield (
                rid,
                year,
                seq,
                f"r{i:08d}",
                FIRST_USER_ID + rng.randrange(self.users),
                kinds[i],
                behalf,
                None if behalf == "self" else rng.randint(1, 34),
                None if behalf == "self" else f"ТОС «{rng.choice(WORDS).capitalize()}»",
                " ".join(rng.choices(WORDS, k=rng.randint(10, 40))),
                iso(due)[:10] if kinds[i] in ("event", "transport") else None,
                f"+7913{rng.randrange(10**7):07d}" if rng.random() < 0.6 else None,
                status,
                None if status == "new" else staff,
                iso(at),
                iso(due),
                closed_at,
                (1 if rng.random() < 0.85 else 0) if status == "closed" else None,
                iso(at),
                closed_at or iso(at),
                first_answer,
                None if first_answer is None else int(at + timedelta(days=first_answer) > due),
            )


def gen_outbox(rng: random.Random, n: int, users: int) -> Iterator[tuple[Any, ...]]:
    for i, at in enumerate(creation_times(rng, n)):
        roll = rng.random()
        status = "failed" if roll < 0.01 else "skipped" if roll < 0.015 else "sent"
        error = "Forbidden: bot was blocked by the user" if status != "sent" else None
        yield (
            FIRST_USER_ID + rng.randrange(users),
            f"Сообщение {i}",
            f"bench:{i}",
            iso(at),
            1,
            status,
            error,
            iso(at),
            None if error else iso(at),
        )


def generate(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate through Database, then bulk-load with plain sqlite3 in one transaction."""
    from storage.db import SqliteDatabase

    async def migrate() -> None:
        db = SqliteDatabase(path)
        await db.open()
        await db.close()

    started = time.perf_counter()
    asyncio.run(migrate())
    rng = random.Random(args.seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, first_name, last_name, username, language_code, locale, "
        "consent_version, consent_at, created_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        gen_users(rng, args.users),
    )
    at = iso(START)
    conn.executemany(
        "INSERT INTO tos (id, name, name_key, registered_on, residents, join_token, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                i,
                f"TOS {i}",
                f"tos {i}",
                "2019-03-01",
                4040 // 18 + (i <= 4040 % 18),
                f"j{i}",
                at,
                at,
            )
            for i in range(1, 19)
        ),
    )
    conn.executemany(
        "INSERT INTO organisations (id, name, name_key, kind, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?)",
        ((i, f"NGO {i}", f"ngo {i}", "ngo" if i % 4 else "group", at, at) for i in range(1, 17)),
    )
    conn.executemany(
        "INSERT INTO initiatives (id, year, seq, draft_token, author_id, direction, title, "
        "description, address, latitude, longitude, tos_id, show_author, status, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        gen_initiatives(rng, args.initiatives, args.users),
    )
    rows = RequestRows(rng, args.requests, args.users)
    conn.executemany(
        "INSERT INTO support_requests (id, year, seq, draft_token, requester_id, kind, "
        "behalf_kind, behalf_id, behalf_name, description, wanted_date, phone, status, "
        "assignee_id, opened_at, due_at, closed_at, helped, created_at, updated_at, "
        "answer_days, answered_late) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows.requests(),
    )
    conn.executemany(
        "INSERT INTO request_log (request_id, actor_id, at, from_status, to_status) "
        "VALUES (?, ?, ?, ?, ?)",
        rows.log,
    )
    log_rows = len(rows.log)
    rows.log.clear()
    conn.executemany(
        "INSERT INTO outbox (chat_id, text, idempotency_key, not_before, attempts, status, "
        "last_error, created_at, sent_at) VALUES (?,?,?,?,?,?,?,?,?)",
        gen_outbox(rng, args.requests // 25, args.users),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return {
        "generate_s": time.perf_counter() - started,
        "request_log_rows": log_rows,
        "size_mib": path.stat().st_size / 2**20,
        "peak_rss_mib": peak_rss_mib(),
    }


def ensure_database(args: argparse.Namespace) -> tuple[Path, dict[str, Any] | None]:
    """The cached database for these parameters; generated (in a subprocess) if missing."""
    folder = Path(args.cache_dir) if args.cache_dir else Path(tempfile.gettempdir())
    folder = folder / "tos-bench-reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reports-{cache_key(args)}.sqlite3"
    if path.exists() and not args.regenerate:
        return path, None
    for stale in folder.glob(path.name + "*"):
        stale.unlink()
    partial = path.with_name(path.stem + ".partial.sqlite3")
    for stale in folder.glob(partial.name + "*"):
        stale.unlink()
    print(f"generating {path} ...", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "bench.reports",
        "--generate",
        str(partial),
        "--requests",
        str(args.requests),
        "--initiatives",
        str(args.initiatives),
        "--users",
        str(args.users),
        "--seed",
        str(args.seed),
    ]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"generation failed with code {out.returncode}")
    partial.rename(path)  # only a complete database is ever found in the cache
    return path, dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


class TimedExecutor:
    """Wraps the read executor under ReportRepository: how long each query took."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.recording = False
        self.calls: dict[str, list[Any]] = {}  # sql -> [params, count, seconds, rows]

    def _note(self, sql: str, params: Any, seconds: float, rows: int) -> None:
        if self.recording:
            slot = self.calls.setdefault(sql, [params, 0, 0.0, 0])
            slot[1] += 1
            slot[2] += seconds
            slot[3] += rows

    async def fetch_all(self, sql: str, params: Any = ()) -> list[Any]:
        t0 = time.perf_counter()
        rows: list[Any] = await self.inner.fetch_all(sql, params)
        self._note(sql, params, time.perf_counter() - t0, len(rows))
        return rows

    async def fetch_one(self, sql: str, params: Any = ()) -> Any:
        t0 = time.perf_counter()
        row = await self.inner.fetch_one(sql, params)
        self._note(sql, params, time.perf_counter() - t0, 1)
        return row

    async def fetch_value(self, sql: str, params: Any = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = await fn()
    return time.perf_counter() - t0, result


async def traced_peak(fn: Callable[[], Awaitable[Any]]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def query_plan(path: Path, sql: str, params: Any) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        conn.close()


async def measure(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import create_app
    from bot.clock import FrozenClock
    from tests.kit import FakeSession, make_settings

    clock = FrozenClock(NOW)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        settings = make_settings(Path(tmp), database_path=path, municipality_population=POPULATION)
        app = await create_app(
            settings, session=FakeSession(clock.now), clock=clock, background=False
        )
        try:
            return await measure_app(app, path, args)
        finally:
            await app.close()


async def measure_app(app: Any, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bot.services.periods import Period
    from bot.services.reports import ReportService

    reports: ReportService = app.reports
    read = app.db.read
    spy = TimedExecutor(read.reports._db)
    read.reports._db = spy
    # The report reads the period it compares with on a connection of its own: time it too.
    side_reader = app.db.side_reader

    @contextlib.asynccontextmanager
    async def spied_side_reader() -> AsyncIterator[Any]:
        async with side_reader() as aside:
            inner = TimedExecutor(aside.reports._db)
            inner._note = spy._note  # type: ignore[method-assign]
            aside.reports._db = inner
            yield aside

    app.db.side_reader = spied_side_reader
    since, until = NOW - timedelta(days=1), NOW

    async def count(tables: tuple[str, ...]) -> int:
        total = 0
        for table in tables:
            sql = f"SELECT count(*) FROM {table}"  # noqa: S608 - the tables are ours
            total += int(await read.executor.fetch_value(sql))
        return total

    main = ("initiatives", "support_requests")
    with_log = (*main, "request_log")

    def digest() -> Awaitable[Any]:
        return reports.build_digest(since, until)

    def report() -> Awaitable[Any]:
        return reports.report(None, Period.years(YEAR))

    # Warm-up: pages into the OS cache, statements into the connection's cache.
    rows = await count(main)
    log_rows = await count(("request_log",))
    await count(with_log)
    first_digest = (await timed(digest))[0]
    first_report = (await timed(report))[0]
    rss_before = peak_rss_mib()

    times: dict[str, list[float]] = {"count": [], "count+log": [], "digest": [], "report": []}
    result_digest = result_report = None
    for _ in range(args.repeat):
        times["count"].append((await timed(lambda: count(main)))[0])
        seconds, result_digest = await timed(digest)
        times["digest"].append(seconds)
        times["count+log"].append((await timed(lambda: count(with_log)))[0])
        seconds, result_report = await timed(report)
        times["report"].append(seconds)

    spy.recording = True
    await digest()
    digest_queries = dict(spy.calls)
    spy.calls = {}
    await report()
    report_queries = dict(spy.calls)
    spy.recording = False

    peak_digest = await traced_peak(digest)
    peak_report = await traced_peak(report)

    # What a correct report must say, counted directly.
    start, end = Period.years(YEAR).bounds(reports.timezone)
    params = (iso(start.astimezone(UTC)), iso(end.astimezone(UTC)))
    year_requests = await read.executor.fetch_value(
        "SELECT count(*) FROM support_requests WHERE created_at >= ? AND created_at < ?", params
    )
    before_start, before_end = Period.years(YEAR - 1).bounds(reports.timezone)
    before_requests = await read.executor.fetch_value(
        "SELECT count(*) FROM support_requests WHERE created_at >= ? AND created_at < ?",
        (iso(before_start.astimezone(UTC)), iso(before_end.astimezone(UTC))),
    )
    day_requests = await read.executor.fetch_value(
        "SELECT count(*) FROM support_requests WHERE created_at >= ? AND created_at < ?",
        (iso(since), iso(until)),
    )
    assert result_digest is not None and result_report is not None

    def plans(queries: dict[str, list[Any]]) -> list[dict[str, Any]]:
        out = []
        for sql, (p, n, seconds, nrows) in sorted(queries.items(), key=lambda kv: -kv[1][2]):
            out.append(
                {
                    "sql": sql,
                    "calls": n,
                    "s": seconds,
                    "rows": nrows,
                    "plan": query_plan(path, sql, p),
                }
            )
        return out

    return {
        "rows": rows,
        "log_rows": log_rows,
        "first_digest_s": first_digest,
        "first_report_s": first_report,
        "times": times,
        "peak_digest_mib": peak_digest,
        "peak_report_mib": peak_report,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss_mib(),
        "digest": {
            "new_initiatives": result_digest.new_initiatives_total,
            "new_requests": result_digest.new_requests_total,
            "overdue": result_digest.overdue_total,
            "due_soon": result_digest.due_soon_total,
            "failed_deliveries": result_digest.failed_deliveries,
        },
        "report": {
            "requests": result_report.current.requests_total,
            "initiatives": result_report.current.initiatives_total,
            "unresolved": result_report.current.unresolved(),
            "overdue": result_report.overdue_total,
            "answer_days": result_report.current.answer_days.get(""),
            "tos": result_report.current.tos,
            "coverage": result_report.current.coverage,
            "people": result_report.current.people,
            "compared": result_report.previous is not None and result_report.previous.tracked,
            "previous_requests": result_report.previous.requests_total
            if result_report.previous is not None
            else None,
        },
        "expected": {
            "year_requests": year_requests,
            "before_requests": before_requests,
            "day_requests": day_requests,
        },
        "queries": {"digest": plans(digest_queries), "report": plans(report_queries)},
    }


# ---------------------------------------------------------------------------------------------
# Orchestrator
# ---------------------------------------------------------------------------------------------


def print_queries(name: str, queries: list[dict[str, Any]], explain: bool) -> None:
    print(f"\n{name}: each query once (slowest first)")
    for q in queries:
        sql = " ".join(q["sql"].split())
        print(f"  {q['s'] * 1000:9.2f} ms  {q['rows']:7d} rows  {sql[:110]}")
        if explain:
            for line in q["plan"]:
                print(f"  {'':33}plan: {line}")


def orchestrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print(
        f"reports bench: {args.requests} requests + {args.initiatives} initiatives over "
        f"{START.date()}..{NOW.date()}, {args.users} users, seed {args.seed}, "
        f"repeat {args.repeat}, python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    path, generated = ensure_database(args)
    if generated is None:
        print(f"database: cached {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    else:
        print(
            f"database: generated {path} in {generated['generate_s']:.1f}s "
            f"({generated['size_mib']:.0f} MiB, {generated['request_log_rows']} request_log "
            f"rows, generator peak RSS {generated['peak_rss_mib']:.0f} MiB)"
        )
    sys.stdout.flush()
    r = asyncio.run(measure(path, args))

    med = {k: statistics.median(v) for k, v in r["times"].items()}
    best = {k: min(v) for k, v in r["times"].items()}
    print(
        f"\nrows: {r['rows']} initiatives + requests, {r['log_rows']} request_log; "
        f"first (cold-ish) digest {r['first_digest_s'] * 1000:.1f} ms, "
        f"report {r['first_report_s'] * 1000:.1f} ms"
    )
    header = f"{'what':44} {'median ms':>10} {'min ms':>9} {'/ count':>8} {'target':>7}"
    print()
    print(header)
    print("-" * len(header))
    lines = (
        ("count", "count(*) initiatives + support_requests", None),
        ("count+log", "count(*) the same + request_log", None),
        ("digest", "build_digest (one day)", DIGEST_TARGET),
        ("report", f"report({YEAR}, with {YEAR - 1})", REPORT_TARGET),
    )
    for key, text, target in lines:
        ratio = f"{med[key] / med['count']:8.1f}" if target else f"{'':8}"
        goal = f"{'< ' + format(target, 'g') + 'x':>7}" if target else ""
        print(f"{text:44} {med[key] * 1000:10.2f} {best[key] * 1000:9.2f} {ratio} {goal}")
    print(
        f"  report / count(*) with request_log: {med['report'] / med['count+log']:.1f}x "
        f"(the three tables the report reads)"
    )
    print(
        f"\nmemory: tracemalloc peak digest {r['peak_digest_mib']:.2f} MiB, report "
        f"{r['peak_report_mib']:.2f} MiB; ru_maxrss {r['rss_before_mib']:.0f} MiB after "
        f"warm-up, {r['peak_rss_mib']:.0f} MiB at the end"
    )
    d, y, e = r["digest"], r["report"], r["expected"]
    print(
        f"digest: new initiatives {d['new_initiatives']}, new requests {d['new_requests']}, "
        f"overdue {d['overdue']}, due within 3 days {d['due_soon']}, failed deliveries "
        f"{d['failed_deliveries']}"
    )
    print(
        f"report {YEAR}: requests {y['requests']}, initiatives {y['initiatives']}, unresolved "
        f"{y['unresolved']} (overdue {y['overdue']}), median days to answer {y['answer_days']}, "
        f"TOS {y['tos']} covering {y['coverage']} %, people who took part {y['people']}; "
        f"compared with {YEAR - 1}: {y['compared']} ({y['previous_requests']} requests)"
    )

    problems: list[str] = []
    digest_ratio = med["digest"] / med["count"]
    report_ratio = med["report"] / med["count"]
    missed = digest_ratio >= DIGEST_TARGET or report_ratio >= REPORT_TARGET
    print_queries("digest", r["queries"]["digest"], args.explain or missed)
    print_queries("report", r["queries"]["report"], args.explain or missed)

    print("\nverdict")

    def verdict(ok: bool, text: str) -> None:
        print(f"  {text}: {'ok' if ok else 'FAIL'}")
        if not ok:
            problems.append(text)

    verdict(digest_ratio < DIGEST_TARGET, f"digest / count {digest_ratio:.1f}x (< 10x)")
    verdict(report_ratio < REPORT_TARGET, f"report / count {report_ratio:.1f}x (< 50x)")
    verdict(
        y["requests"] == e["year_requests"],
        f"report counts {y['requests']} requests of {YEAR} ({e['year_requests']} by count)",
    )
    verdict(
        y["compared"] and y["previous_requests"] == e["before_requests"],
        f"report compares with {YEAR - 1}: {y['previous_requests']} requests "
        f"({e['before_requests']} by count)",
    )
    verdict(
        d["new_requests"] == e["day_requests"] and d["new_requests"] > 0,
        f"digest counts {d['new_requests']} new requests ({e['day_requests']} by count)",
    )
    verdict(d["overdue"] > 0 and y["overdue"] > 0, "overdue open requests are found")
    return finish(started, problems)


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=summary)
    parser.add_argument("--requests", type=int, default=500_000, help="support requests")
    parser.add_argument("--initiatives", type=int, default=500_000, help="initiatives")
    parser.add_argument("--users", type=int, default=100_000, help="users")
    parser.add_argument("--seed", type=int, default=20_251_231, help="generator RNG seed")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (medians)")
    parser.add_argument("--cache-dir", help="where to keep the generated database (temp dir)")
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached database")
    parser.add_argument("--explain", action="store_true", help="print every query's plan")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.requests, args.initiatives, args.users, args.repeat) < 1:
        parser.error("--requests, --initiatives, --users and --repeat must be >= 1")
    if args.generate:
        print(json.dumps(generate(Path(args.generate), args)))
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
