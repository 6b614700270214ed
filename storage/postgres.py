"""PostgreSQL as the bot's database (`DATABASE_URL=postgresql://...`), for a city or a region
served by several replicas: the same repositories, units of work and migrations as SQLite.

The driver is asyncpg (bench/drivers.py: about 2.4x less CPU in the bot's process than
psycopg 3 for the statements an update makes; see the README). What is PostgreSQL's own
stays here:

- The repositories' SQL is written once, with `?` or `:name` placeholders; `translate` turns
  it into `$1`... (cached per text), `x IS [NOT] ?` into `x IS [NOT] DISTINCT FROM $1`
  (SQLite before 3.39 has no DISTINCT FROM) and drops SQLite's `INDEXED BY` hints.
- Migrations are SQLite's DDL, translated by `schema_sql`: `INTEGER PRIMARY KEY` becomes an
  identity column, INTEGER BIGINT (Telegram's ids need 64 bits), REAL DOUBLE PRECISION, and
  TEXT compares byte by byte (COLLATE "C"), as SQLite's does: the instants kept as ISO text
  sort as time, and names sort the same on both backends.
- One writer, as on SQLite: a unit of work runs on this process's writer connection under an
  asyncio lock, and takes one transaction-scoped advisory lock, so units of work of all the
  replicas run one at a time, as the services (read, check, write) were written for. They
  are short (nothing slow is awaited inside), and reads never wait for them: `read`,
  `lookup`, single statements and side readers use a pool of other connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

import storage.db as dbmod
from storage.db import (
    Database,
    Reader,
    Repositories,
    UnitOfWork,
    _current_uow,
    for_dialect,
)
from storage.executor import Params, Row
from storage.locks import Leadership, Locks
from storage.repositories.outbox import OUTBOX_QUEUED

log = logging.getLogger(__name__)

# Advisory locks of the bot's own, in the two-key space ("tos", n): the one-key space is the
# people's (their Telegram ids, storage/locks.py), and the two never overlap.
LOCKS = 0x746F73
WRITER_LOCK = 1
MIGRATION_LOCK = 2
LEADERSHIP_LOCKS = 100  # and up: one per name of leadership
POOL_SIZE = 8
LANES = 4  # connections for point reads and single statements (Lanes)
CHANGES = "tos_bot_changes"  # the NOTIFY channel of Executor.notify
STATEMENT_CACHE = 1024  # prepared statements per connection: every text the bot runs

# What a lost or refused connection raises.
_LOST = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

_TOKEN_RE = re.compile(
    r"'(?:[^']|'')*'|\bIS(\s+NOT)?\s+(?=\?|:[A-Za-z_])|\?|(?<!:):([A-Za-z_]\w*)"
    r"|\s+INDEXED BY \w+"
)
_translated: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def translate(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """SQL as the repositories write it -> PostgreSQL's, and the names of `:name`
    parameters in `$n` order (None for `?` parameters)."""
    found = _translated.get(sql)
    if found is not None:
        return found
    names: list[str] = []
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if token[0] == "'":
            return token
        if token == "?":
            count += 1
            return f"${count}"
        if token.startswith("IS"):
            # SQLite's `x IS ?` compares NULLs as values; PostgreSQL's IS takes only NULL,
            # TRUE and the like, and says it so: IS [NOT] DISTINCT FROM.
            return "IS DISTINCT FROM " if match.group(1) else "IS NOT DISTINCT FROM "
        name = match.group(2)
        if name is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        return ""  # an INDEXED BY hint: PostgreSQL's planner chooses for itself

    text = _TOKEN_RE.sub(replace, sql)
    found = (text, tuple(names) if names else None)
    _translated[sql] = found
    return found


def _args(names: tuple[str, ...] | None, params: Params) -> Sequence[Any]:
    if names is None:
        assert not isinstance(params, dict), "`?` placeholders take a sequence"
        values: Sequence[Any] = params
    else:
        assert isinstance(params, dict), "`:name` placeholders take a mapping"
        values = [params[name] for name in names]
    for value in values:
        if type(value) is str and "\x00" in value:
            return [_no_nul(v) for v in values]
    return values


def _no_nul(value: Any) -> Any:
    """PostgreSQL's text holds no NUL character (SQLite's does): what a person typed or a
    forged button carried keeps its place, as U+FFFD, and is never a reason to fail."""
    return value.replace("\x00", "\ufffd") if type(value) is str else value


_PG_BLOCK_RE = re.compile(
    r"^-- only postgresql: begin\n.*?^-- only postgresql: end\n", re.MULTILINE | re.DOTALL
)
_COMMENT_RE = re.compile(r"--[^\n]*")
_TYPES = (
    (
        re.compile(r"\bINTEGER PRIMARY KEY(?: AUTOINCREMENT)?\b"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def has_statements(sql: str) -> bool:
    """Whether a script holds anything but comments and blank lines (asyncpg fails on an
    empty one, which is what a migration of SQLite's lines alone leaves PostgreSQL)."""
    return any(line.strip() and not line.lstrip().startswith("--") for line in sql.splitlines())


def schema_sql(sql: str) -> str:
    """A migration for PostgreSQL: SQLite's blocks left out, the shared DDL's types
    translated (see the module's docstring); PostgreSQL's own blocks as written."""
    sql = for_dialect(sql, "postgresql")
    out: list[str] = []
    position = 0
    for block in _PG_BLOCK_RE.finditer(sql):
        out.append(_shared_ddl(sql[position : block.start()]))
        out.append(block.group(0))
        position = block.end()
    out.append(_shared_ddl(sql[position:]))
    return "".join(out)


def _shared_ddl(sql: str) -> str:
    sql = _COMMENT_RE.sub("", sql)
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def _numeric(text: str) -> int | float:
    """SUM over BIGINT is NUMERIC in PostgreSQL: a whole number comes back as int, as from
    SQLite, anything else as float."""
    return float(text) if any(c in text for c in ".eEN") else int(text)


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    return None


async def _setup(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text"
    )


class Lanes:
    """A few connections of this process for point reads and single statements, each taken
    by one statement at a time: what asyncpg's pool does, at half its cost in CPU per
    statement (python -m bench.backends), since nothing here waits with a timeout or
    resets a connection (these keep no state)."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]], size: int) -> None:
        self._connect = connect
        self._size = size
        self._idle: list[asyncpg.Connection] = []
        self._waiting: deque[asyncio.Future[asyncpg.Connection]] = deque()
        self._all: list[asyncpg.Connection] = []

    async def open(self) -> None:
        for _ in range(self._size):
            conn = await self._connect()
            self._all.append(conn)
            self._idle.append(conn)

    async def close(self) -> None:
        for conn in self._all:
            with contextlib.suppress(*_LOST):
                await conn.close(timeout=2)
        self._all, self._idle = [], []

    async def _take(self) -> asyncpg.Connection:
        if self._idle:
            conn = self._idle.pop()
        else:
            waiter: asyncio.Future[asyncpg.Connection] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._give(waiter.result())  # handed over as we were cancelled
                raise
        if conn.is_closed():  # lost (the server restarted): a new one in its place
            fresh = await self._connect()
            self._all[self._all.index(conn)] = fresh
            conn = fresh
        return conn

    def _give(self, conn: asyncpg.Connection) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        conn = await self._take()
        try:
            return await conn.fetchrow(sql, *args)
        finally:
            self._give(conn)

    async def fetch(self, sql: str, *args: Any) -> Any:
        conn = await self._take()
        try:
            return await conn.fetch(sql, *args)
        finally:
            self._give(conn)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        conn = await self._take()
        try:
            return await conn.fetchval(sql, *args)
        finally:
            self._give(conn)

    async def execute(self, sql: str, *args: Any) -> Any:
        conn = await self._take()
        try:
            return await conn.execute(sql, *args)
        finally:
            self._give(conn)


class PgExecutor:
    """Statements on one connection (a unit of work's) or a pool (each statement on a
    connection of its own, committed by itself)."""

    def __init__(self, conn: asyncpg.Connection | asyncpg.Pool | Lanes) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        text, names = translate(sql)
        row: Row | None = await self._conn.fetchrow(text, *_args(names, params))
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        text, names = translate(sql)
        rows: list[Row] = await self._conn.fetch(text, *_args(names, params))
        return rows

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        text, names = translate(sql)
        return await self._conn.fetchval(text, *_args(names, params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        text, names = translate(sql)
        status: str = await self._conn.execute(text, *_args(names, params))
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def insert(self, sql: str, params: Params = ()) -> int:
        text, names = translate(sql)
        value = await self._conn.fetchval(text + " RETURNING id", *_args(names, params))
        return int(value or 0)

    async def notify(self, topic: str) -> None:
        await self._conn.execute("SELECT pg_notify($1, $2)", CHANGES, topic)


async def stored_schema_version(url: str) -> int | None:
    """The schema version a PostgreSQL database records (None: not the bot's, no tables);
    only reads, so a report never makes an empty database."""
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
            return None
        value = await conn.fetchval("SELECT version FROM schema_version")
        return None if not value else int(value)
    finally:
        await conn.close()


def redacted(url: str) -> str:
    """The URL without its password, for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class PostgresDatabase(Database):
    dialect = "postgresql"
    shared = True

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        super().__init__()
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._lanes: Lanes | None = None
        self._writer: asyncpg.Connection | None = None
        self._listener: asyncpg.Connection | None = None
        self._listening: asyncio.Future[None] | None = None
        self._notices: set[asyncio.Future[None]] = set()
        self.locks = AdvisoryLocks(self)

    @property
    def description(self) -> str:
        return redacted(self.url)

    async def _connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.url, statement_cache_size=STATEMENT_CACHE
        )
        await _setup(conn)
        return conn

    async def open(self, *, migrate_to: int | None = None) -> None:
        try:
            self._writer = await self._connect()
            self.schema_version = await self._migrate(self._writer, migrate_to)
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self._pool_size,
                statement_cache_size=STATEMENT_CACHE,
                init=_setup,
                # A pooled connection keeps no state between statements (no locks, LISTEN or
                # cursors: those have connections of their own), so it goes back as it is,
                # without asyncpg's RESET round trip after every statement.
                reset=_nothing_to_reset,
            )
            self._lanes = Lanes(self._connect, LANES)
            await self._lanes.open()
        except BaseException:
            await self.close()
            raise
        self.read = Reader(PgExecutor(self._pool))
        self.lookup = Reader(PgExecutor(self._lanes))
        if self._subscribers:
            await self._listen()

    def subscribe(self, topic: str, callback: Callable[[], Awaitable[None]]) -> None:
        super().subscribe(topic, callback)
        if self._pool is not None and self._listening is None and self._listener is None:
            self._listening = asyncio.ensure_future(self._listen())

    async def _listen(self) -> None:
        self._listener = await self._connect()
        await self._listener.add_listener(CHANGES, self._heard)

    def _heard(self, conn: Any, pid: int, channel: str, topic: str) -> None:
        for callback in self._subscribers.get(topic, ()):
            task = asyncio.ensure_future(callback())
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _migrate(self, conn: asyncpg.Connection, target: int | None) -> int:
        """Bring the schema up to `target` (default: the newest), one transaction a
        migration; replicas starting together wait for each other here."""
        files = dbmod.migration_files()  # looked up here, so a test may replace it
        target = len(files) if target is None else target
        await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCKS, MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
            )
            current = await conn.fetchval("SELECT version FROM schema_version")
            if current is None:
                await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
                current = 0
            if current > len(files):
                raise RuntimeError(
                    f"the database is at schema version {current}, newer than this code "
                    f"({len(files)})"
                )
            for number, name, sql in files:
                if number <= current or number > target:
                    continue
                log.info("applying migration %s", name)
                script = schema_sql(sql)
                async with conn.transaction():
                    if has_statements(script):  # a migration of SQLite's alone is a step here
                        await conn.execute(script)
                    await conn.execute("UPDATE schema_version SET version = $1", number)
                current = number
            return int(current)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCKS, MIGRATION_LOCK)

    async def close(self) -> None:
        await self.locks.close()
        if self._listening is not None:
            # A LISTEN still being set up (subscribe after open) ends before its connection
            # closes: closed under it, asyncpg fails the task with nobody to hear of it.
            listening, self._listening = self._listening, None
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, *_LOST):
                await listening
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()
        if self._lanes is not None:
            lanes, self._lanes = self._lanes, None
            await lanes.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
        if self._writer is not None:
            async with self._write_lock:
                writer, self._writer = self._writer, None
                await writer.close()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def ping(self) -> bool:
        if self._pool is None:
            return False
        try:
            async with asyncio.timeout(2):
                return bool(await self._pool.fetchval("SELECT 1"))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    def side_reader(self) -> AbstractAsyncContextManager[Reader]:
        return self._side_reader()

    @asynccontextmanager
    async def _side_reader(self) -> AsyncIterator[Reader]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        yield Reader(PgExecutor(self._pool))  # the pool gives each statement a connection

    def single_statement(self) -> AbstractAsyncContextManager[Repositories]:
        return self._single_statement()

    @asynccontextmanager
    async def _single_statement(self) -> AsyncIterator[Repositories]:
        if self._lanes is None:
            raise RuntimeError("database is not open")
        yield Repositories(PgExecutor(self._lanes))

    def transaction(self) -> PgTransaction:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return PgTransaction(self)

    async def writer(self) -> asyncpg.Connection:
        """The writer connection (under the write lock), connected again if it was lost."""
        if self._writer is None or self._writer.is_closed():
            log.warning("the database writer connection was lost; connecting again")
            self._writer = await self._connect()
        return self._writer

    async def advisory_connection(self) -> asyncpg.Connection:
        """A connection of its own (not from the pool), for session-scoped advisory locks
        held across awaits (the event isolation); the caller closes it."""
        return await self._connect()


class PgTransaction:
    """A unit of work on PostgreSQL (see the module's docstring)."""

    __slots__ = ("_conn", "_db", "_joined", "_token", "_uow")

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        self._joined = False

    async def __aenter__(self) -> UnitOfWork:
        task = asyncio.current_task()
        active = _current_uow.get()
        if active is not None and active[0] is task:
            self._joined = True
            return active[1]
        await self._db._write_lock.acquire()
        try:
            self._conn = await self._db.writer()
            # One round trip: the transaction and the deployment's writer lock.
            await self._conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({LOCKS}, {WRITER_LOCK})")
            self._uow = UnitOfWork(PgExecutor(self._conn))
            self._token = _current_uow.set((task, self._uow))
        except BaseException:
            await self._abandon()
            self._db._write_lock.release()
            raise
        try:
            for hook in self._db._on_begin:
                await hook(self._uow)
        except BaseException as error:
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        return self._uow

    async def _abandon(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.is_closed() and conn.is_in_transaction():
            try:
                await conn.execute("ROLLBACK")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._joined:
            return
        try:
            if exc_type is None:
                try:
                    if self._uow.notes.get("outbox"):
                        # New mail: the leading replica's sender wakes (OUTBOX_QUEUED).
                        await self._conn.execute(
                            f"SELECT pg_notify('{CHANGES}', '{OUTBOX_QUEUED}'); COMMIT"
                        )
                    else:
                        await self._conn.execute("COMMIT")
                except BaseException:
                    await self._rollback()
                    raise
                for committed in self._db._on_commit:
                    committed(self._uow)
            else:
                await self._rollback()
        finally:
            _current_uow.reset(self._token)
            self._db._write_lock.release()

    async def _rollback(self) -> None:
        await self._abandon()
        for rolled_back in self._db._on_rollback:
            rolled_back(self._uow)


class AdvisoryLocks(Locks):
    """Session-scoped advisory locks, held on a connection of this process's own: a person's
    lock is free again the moment the process holding it dies (its connection closes)."""

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__()
        self._db = db
        self._conn: asyncpg.Connection | None = None
        self._mutex = asyncio.Lock()  # one statement at a time on the connection
        self._leaderships: list[PgLeadership] = []

    async def _value(self, sql: str, *args: Any) -> Any:
        async with self._mutex:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._db.advisory_connection()
            return await self._conn.fetchval(sql, *args)

    def person(self, key: int | None, *, wait: bool = True) -> AbstractAsyncContextManager[bool]:
        return self._person(key, wait)

    @asynccontextmanager
    async def _person(self, key: int | None, wait: bool) -> AsyncIterator[bool]:
        async with self._local(key, wait) as got:
            if not got or key is None:  # updates of nobody: no order to keep among them
                yield got
                return
            delay = 0.005
            while not await self._value("SELECT pg_try_advisory_lock($1)", key):
                if not wait:
                    yield False
                    return
                await asyncio.sleep(delay)  # another replica handles this person now
                delay = min(delay * 2, 0.1)
            try:
                yield True
            finally:
                try:
                    await self._value("SELECT pg_advisory_unlock($1)", key)
                except _LOST:
                    log.warning("the lock connection was lost; its locks are free again")

    def leadership(self, name: str) -> PgLeadership:
        number = LEADERSHIP_LOCKS + sum(name.encode()) % 1000
        leadership = PgLeadership(self._db, number)
        self._leaderships.append(leadership)
        return leadership

    async def close(self) -> None:
        for leadership in self._leaderships:
            await leadership.release()
        async with self._mutex:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()


class PgLeadership(Leadership):
    """An advisory lock on a connection of its own: held while that connection lives."""

    def __init__(self, db: PostgresDatabase, number: int) -> None:
        self._db = db
        self._number = number
        self._conn: asyncpg.Connection | None = None
        self._held = False

    async def hold(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                self._held = False
                self._conn = await self._db.advisory_connection()
            if self._held:
                await self._conn.fetchval("SELECT 1")  # still connected: still held
            else:
                self._held = bool(
                    await self._conn.fetchval(
                        "SELECT pg_try_advisory_lock($1, $2)", LOCKS, self._number
                    )
                )
        except _LOST:
            log.warning("lost the connection that holds the lead; trying again")
            await self.release()
        return self._held

    async def release(self) -> None:
        self._held = False
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=2)
            except _LOST:
                conn.terminate()
