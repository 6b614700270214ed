"""The database: connections, units of work and schema migrations, on SQLite (the default)
or PostgreSQL (`DATABASE_URL`, storage/postgres.py); everything above storage/ sees the same
`Database`, units of work and repositories.

SQLite: one writer connection, serialised by an asyncio lock, so a unit of work is atomic
even while many updates are handled at once: no statement of one update can land inside
another's transaction. The writer runs its short statements on the event loop's thread
(see WriterExecutor for why). Reads outside a unit of work go to a separate aiosqlite
connection and, thanks to WAL, see only committed data and never wait for the writer:
`db.read` (aiosqlite, off the loop) for anything that scans, `db.lookup` (on the loop)
for the point reads by key that every update may need when a cache misses.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.people import Person
from storage.executor import ReaderExecutor, WriterExecutor
from storage.locks import Locks

# What services may name of storage besides the database and its units of work: the
# repositories a unit of work or a reader holds, and the report's queries they pass around.
from storage.repositories import Repositories as Repositories
from storage.repositories.reports import ReportRepository as ReportRepository

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A migration's lines between "-- only <dialect>: begin" and "-- only <dialect>: end" run on
# that backend alone (a backfill of rows SQLite databases had before PostgreSQL was
# supported, with SQLite's date and JSON functions; a PostgreSQL database starts empty).
_DIALECT_BLOCK_RE = re.compile(
    r"^-- only (sqlite|postgresql): begin\n.*?^-- only \1: end\n", re.MULTILINE | re.DOTALL
)
DIALECTS = ("sqlite", "postgresql")


class UnitOfWork(Repositories):
    """Repositories bound to the writer inside one transaction."""

    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        # What hooks wrote into this unit of work, to put back if it rolls back.
        self.notes: dict[str, Any] = {}
        # People this work erases (`erases`), for the commit hooks.
        self.erased: list[int] = []

    def erases(self, user_id: int) -> None:
        """This work erases a person: what is kept of them in memory (the FSM's cache) is
        forgotten when it commits, before any other write can follow it (Database.on_commit)."""
        self.erased.append(user_id)


class Reader(Repositories):
    """Repositories bound to the read connection: committed data only."""


_current_uow: ContextVar[tuple[asyncio.Task[Any] | None, UnitOfWork] | None] = ContextVar(
    "current_uow", default=None
)


# The person whose update is being handled, read together with their FSM row by the update's
# first read on a shared database (DatabaseStorage): (their id, their row or None if absent).
_person_read_ahead: ContextVar[tuple[int, Person | None] | None] = ContextVar(
    "person_read_ahead", default=None
)


def read_ahead(user_id: int, person: Person | None) -> None:
    """Keep a person read with the update's FSM row for this update (see `take_read_ahead`)."""
    _person_read_ahead.set((user_id, person))


def forget_read_ahead() -> None:
    _person_read_ahead.set(None)


def for_dialect(sql: str, dialect: str) -> str:
    """A migration's text for one backend: the other backend's blocks left out."""
    if dialect not in DIALECTS:
        raise ValueError(dialect)

    def keep(match: re.Match[str]) -> str:
        return match.group(0) if match.group(1) == dialect else ""

    return _DIALECT_BLOCK_RE.sub(keep, sql)


def migration_files() -> list[tuple[int, str, str]]:
    """All migrations shipped with the code, as (number, name, sql), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {numbers}")
    return found


def latest_version() -> int:
    return len(migration_files())


def apply_migrations(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Bring the schema up to `target` (default: the newest), one transaction a migration."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    files = migration_files()
    target = len(files) if target is None else target
    if current > len(files):
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this code ({len(files)})"
        )
    for number, name, sql in files:
        if number <= current or number > target:
            continue
        log.info("applying migration %s", name)
        # executescript commits anything pending first, then runs the script as given:
        # the explicit BEGIN/COMMIT make the migration and its version bump one transaction.
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{for_dialect(sql, 'sqlite')}\n;"
                f"PRAGMA user_version = {number};\nCOMMIT;"
            )
        except Exception:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        current = number
    return current


class Database:
    """What services use of a database, whichever backend: units of work (`transaction`), a
    single statement of its own, committed reads (`read` for scans, `lookup` for point reads
    by key), a side reader for a long job, hooks around units of work."""

    dialect = "sqlite"
    # Other processes write to it too (replicas on PostgreSQL): nothing read from it may be
    # kept in a process's memory as the truth (an FSM cache, say).
    shared = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Database:
        # `Database(path)` is the SQLite file at `path`, as before PostgreSQL came.
        return super().__new__(SqliteDatabase if cls is Database else cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._write_lock = asyncio.Lock()
        self._on_begin: list[Callable[[UnitOfWork], Awaitable[None]]] = []
        self._on_rollback: list[Callable[[UnitOfWork], None]] = []
        self._on_commit: list[Callable[[UnitOfWork], None]] = []
        self.schema_version = 0
        self.read: Reader
        self.lookup: Reader
        # Locks for the whole deployment (storage/locks.py).
        self.locks = Locks()
        self._subscribers: dict[str, list[Callable[[], Awaitable[None]]]] = {}

    @property
    def description(self) -> str:
        """Where the data lives, for a log line (no password)."""
        raise NotImplementedError

    async def open(self, *, migrate_to: int | None = None) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @property
    def is_open(self) -> bool:
        raise NotImplementedError

    async def ping(self) -> bool:
        """Whether the database answers now (the health endpoint)."""
        raise NotImplementedError

    async def checkpoint(self, *, truncate: bool = False) -> None:
        """Fold SQLite's write-ahead log into its file (nothing to do on PostgreSQL)."""
        return None

    def side_reader(self) -> AbstractAsyncContextManager[Reader]:
        raise NotImplementedError

    def single_statement(self) -> AbstractAsyncContextManager[Repositories]:
        raise NotImplementedError

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        raise NotImplementedError

    def subscribe(self, topic: str, callback: Callable[[], Awaitable[None]]) -> None:
        """Call `callback` when another process tells (Executor.notify) that what `topic`
        names changed: a cache of it is stale. Never on SQLite (no other process)."""
        self._subscribers.setdefault(topic, []).append(callback)

    def on_begin(self, hook: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        """Run `hook` first inside every unit of work: writes someone deferred in this task
        (the FSM's, see DatabaseStorage) commit together with the work."""
        self._on_begin.append(hook)

    def on_rollback(self, hook: Callable[[UnitOfWork], None]) -> None:
        """Call `hook(uow)` after a unit of work rolls back (caches undo what it wrote)."""
        self._on_rollback.append(hook)

    def on_commit(self, hook: Callable[[UnitOfWork], None]) -> None:
        """Call `hook(uow)` after a unit of work commits (e.g. wake the outbox sender)."""
        self._on_commit.append(hook)

    def take_read_ahead(self, user_id: int) -> tuple[bool, Person | None]:
        """(True, the person or None if they have no row) when this update's first read,
        its FSM row's, brought this person's row along (one round trip instead of two on
        PostgreSQL); (False, None) otherwise. Taken once."""
        ahead = _person_read_ahead.get()
        if ahead is None or ahead[0] != user_id:
            return False, None
        _person_read_ahead.set(None)
        return True, ahead[1]

    def current_unit_of_work(self) -> UnitOfWork | None:
        """The unit of work this task is inside, if any."""
        active = _current_uow.get()
        return active[1] if active is not None and active[0] is asyncio.current_task() else None


def open_database(path: Path | str, url: str | None = None) -> Database:
    """The database the settings name: PostgreSQL at `url` (DATABASE_URL) when given,
    otherwise the SQLite file at `path` (DATABASE_PATH). Not opened yet."""
    if url:
        from storage.postgres import PostgresDatabase

        return PostgresDatabase(url)
    return SqliteDatabase(path)


class SqliteDatabase(Database):
    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self._writer: sqlite3.Connection | None = None
        self._single: Repositories
        self._reader_conn: aiosqlite.Connection | None = None
        self._lookup_conn: sqlite3.Connection | None = None

    @property
    def description(self) -> str:
        return str(self.path)

    async def open(self, *, migrate_to: int | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False only so that checkpoints can run in a worker thread while
        # the write lock is held; every other use is on the event loop's thread.
        writer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._writer = writer
        try:
            writer.row_factory = sqlite3.Row
            writer.execute("PRAGMA journal_mode = WAL")
            writer.execute("PRAGMA synchronous = NORMAL")
            writer.execute("PRAGMA foreign_keys = ON")
            writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Deleted or overwritten content is zeroed, not left in free pages: a withdrawal
            # of consent really erases the person's data from the file.
            writer.execute("PRAGMA secure_delete = ON")
            # Checkpoints copy the log into the database file with fsync: never on the
            # event loop as a side effect of a commit, only in checkpoint() on a thread.
            writer.execute("PRAGMA wal_autocheckpoint = 0")
            self.schema_version = apply_migrations(writer, migrate_to)
            self._reader_conn = await aiosqlite.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._reader_conn.row_factory = sqlite3.Row
            await self._reader_conn.execute("PRAGMA query_only = ON")
            self._lookup_conn = sqlite3.connect(self.path, isolation_level=None)
            self._lookup_conn.row_factory = sqlite3.Row
            self._lookup_conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await self.close()  # an open aiosqlite thread would keep the process alive
            raise
        self.read = Reader(ReaderExecutor(self._reader_conn))
        self.lookup = Reader(WriterExecutor(self._lookup_conn))
        # What single_statement hands out: the writer's repositories hold no state of their
        # own, so one set serves every statement (the FSM's flush on every form step).
        self._single = Repositories(WriterExecutor(writer))

    def side_reader(self) -> AbstractAsyncContextManager[Reader]:
        return self._side_reader()

    @asynccontextmanager
    async def _side_reader(self) -> AsyncIterator[Reader]:
        """A read connection of its own for a long job that reads two things side by side (a
        report's period and the one it is compared with: two cores, half the wait): its own
        aiosqlite thread, committed data only, closed when the job ends."""
        conn = await aiosqlite.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA query_only = ON")
            yield Reader(ReaderExecutor(conn))
        finally:
            await conn.close()

    async def checkpoint(self, *, truncate: bool = False) -> None:
        """Fold the write-ahead log into the database file, off the event loop; `truncate`
        also empties the log (it would otherwise keep old page images until overwritten),
        waiting for readers up to the busy timeout."""
        if self._writer is None:
            return
        writer = self._writer
        mode = "TRUNCATE" if truncate else "PASSIVE"

        def fold() -> None:
            # Read the pragma's row to the end: an unfinished statement on the writer would
            # make the next COMMIT fail with "SQL statements in progress".
            writer.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()

        async with self._write_lock:
            await asyncio.to_thread(fold)

    async def close(self) -> None:
        if self._lookup_conn is not None:
            self._lookup_conn.close()
            self._lookup_conn = None
        if self._reader_conn is not None:
            await self._reader_conn.close()
            self._reader_conn = None
        if self._writer is not None:
            async with self._write_lock:
                try:
                    self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    log.warning("final checkpoint failed", exc_info=True)
                self._writer.close()
                self._writer = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def ping(self) -> bool:
        if self._lookup_conn is None:
            return False
        try:
            return bool(self._lookup_conn.execute("SELECT 1").fetchone())
        except sqlite3.Error:
            return False

    def single_statement(self) -> SingleStatement:
        """The writer for exactly one statement, which SQLite makes its own transaction:
        no BEGIN/COMMIT round, no hooks. For the FSM's one-row flush on every update."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        return SingleStatement(self, self._writer)

    def transaction(self) -> Transaction:
        """One unit of work: everything inside commits together or not at all.

            async with db.transaction() as uow:
                await uow.users.set_locale(user_id, "en")

        Nested use from the same task joins the outer unit of work instead of deadlocking.
        Do not await Telegram or anything slow inside: the writer is held until the end.
        """
        if self._writer is None:
            raise RuntimeError("database is not open")
        return Transaction(self, self._writer)


class SingleStatement:
    __slots__ = ("_db", "_writer")

    def __init__(self, db: SqliteDatabase, writer: sqlite3.Connection) -> None:
        self._db = db
        self._writer = writer

    async def __aenter__(self) -> Repositories:
        await self._db._write_lock.acquire()
        return self._db._single

    async def __aexit__(self, *exc: object) -> None:
        self._db._write_lock.release()


class Transaction:
    """The async context manager behind Database.transaction (a class: it runs on every
    update, and a generator-based one costs several times more)."""

    __slots__ = ("_db", "_joined", "_token", "_uow", "_writer")

    def __init__(self, db: SqliteDatabase, writer: sqlite3.Connection) -> None:
        self._db = db
        self._writer = writer
        self._joined = False

    async def __aenter__(self) -> UnitOfWork:
        task = asyncio.current_task()
        active = _current_uow.get()
        if active is not None and active[0] is task:
            self._joined = True
            return active[1]
        await self._db._write_lock.acquire()
        try:
            self._uow = UnitOfWork(WriterExecutor(self._writer))
            self._token = _current_uow.set((task, self._uow))
            self._writer.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._db._write_lock.release()
            raise
        try:
            for hook in self._db._on_begin:
                await hook(self._uow)
        except BaseException as error:
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        return self._uow

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._joined:
            return
        try:
            if exc_type is None:
                try:
                    self._writer.execute("COMMIT")
                except BaseException:
                    self._rollback()  # e.g. disk full: the transaction is still open
                    raise
                for committed in self._db._on_commit:
                    committed(self._uow)
            else:
                self._rollback()
        finally:
            _current_uow.reset(self._token)
            self._db._write_lock.release()

    def _rollback(self) -> None:
        if self._writer.in_transaction:
            self._writer.execute("ROLLBACK")
        for rolled_back in self._db._on_rollback:
            rolled_back(self._uow)
