"""The SQLite database: connections, units of work and schema migrations.

One writer connection serialised by a lock, so a unit of work is atomic even while many
updates are handled at once: no statement of one update can land inside another's
transaction. Reads outside a unit of work go to a separate connection and, thanks to
WAL, see only committed data and never wait for the writer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.executor import Executor
from storage.repositories import Repositories

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class UnitOfWork(Repositories):
    """Repositories bound to the writer inside one transaction."""


class Reader(Repositories):
    """Repositories bound to the read connection: committed data only."""


_current_uow: ContextVar[tuple[asyncio.Task[Any] | None, UnitOfWork] | None] = ContextVar(
    "current_uow", default=None
)


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


async def _apply_migrations(conn: aiosqlite.Connection, target: int | None = None) -> int:
    current = (await (await conn.execute("PRAGMA user_version")).fetchone() or (0,))[0]
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
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {number};\nCOMMIT;"
            )
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        current = number
    return int(current)


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader_conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self.read: Reader

    async def open(self, *, migrate_to: int | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        try:
            await self._writer.execute("PRAGMA journal_mode = WAL")
            await self._writer.execute("PRAGMA synchronous = NORMAL")
            self.schema_version = await _apply_migrations(self._writer, migrate_to)
            self._reader_conn = await self._connect()
            await self._reader_conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await self.close()  # an open aiosqlite thread would keep the process alive
            raise
        self.read = Reader(Executor(self._reader_conn))

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    async def close(self) -> None:
        for conn in (self._reader_conn, self._writer):
            if conn is not None:
                await conn.close()
        self._reader_conn = self._writer = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One unit of work: everything inside commits together or not at all.

        Nested use from the same task joins the outer unit of work instead of deadlocking.
        """
        task = asyncio.current_task()
        active = _current_uow.get()
        if active is not None and active[0] is task:
            yield active[1]
            return
        if self._writer is None:
            raise RuntimeError("database is not open")
        writer = self._writer
        async with self._write_lock:
            uow = UnitOfWork(Executor(writer))
            token = _current_uow.set((task, uow))
            await writer.execute("BEGIN IMMEDIATE")
            try:
                yield uow
            except BaseException:
                await writer.execute("ROLLBACK")
                raise
            else:
                await writer.execute("COMMIT")
            finally:
                _current_uow.reset(token)
