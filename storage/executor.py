"""Thin async statement runners: SQLite's here, PostgreSQL's in storage/postgres.py.

Repositories write one SQL text for both backends, with `?` (or `:name`) placeholders; what
is one backend's own stays in the runner: SQLite's `INDEXED BY` hints are stripped for
PostgreSQL there, and `notify` is PostgreSQL's NOTIFY (SQLite has no other process to tell).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import aiosqlite

Params = Sequence[Any] | dict[str, Any]


def to_db(moment: datetime | None) -> str | None:
    """Store instants as sortable UTC ISO text."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def marks(values: Sequence[Any]) -> str:
    """Placeholders for an IN list of these values: `(?, ?, ?)`."""
    if not values:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join("?" * len(values)) + ")"


def from_db(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class Row(Protocol):
    """A result row of either backend: by column name or position (sqlite3.Row,
    asyncpg.Record)."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Executor(Protocol):
    """What repositories run statements on: a unit of work or the read connection."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_value(self, sql: str, params: Params = ()) -> Any: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a write; returns the number of rows it changed."""
        ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; returns the new row's id."""
        ...

    async def notify(self, topic: str) -> None:
        """Tell the other processes, once this transaction commits, that what `topic`
        names changed (PostgreSQL's NOTIFY; nothing on SQLite, which has one process)."""
        ...


class WriterExecutor:
    """Statements of a unit of work (or point lookups), run on the event loop's thread.

    Our writes are single-row, indexed and committed without fsync (WAL, synchronous=NORMAL):
    about 9 us each here, where handing one to a thread and back costs about 60 us. The
    methods stay async so that a slow statement could move to a thread without touching
    any caller.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        # The one read that can stop before the end of its rows: close the cursor at once,
        # since a statement left unfinished on the writer makes the next COMMIT fail
        # ("SQL statements in progress"). The others run to completion by themselves.
        cursor = self._conn.execute(sql, params)
        try:
            row: Row | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).lastrowid or 0

    async def notify(self, topic: str) -> None:
        return None


class ReaderExecutor:
    """Reads outside a unit of work, on aiosqlite's thread: committed data only, and a
    long query (a report, an export) never stalls the event loop."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        raise sqlite3.OperationalError("the read connection does not write: use a unit of work")

    async def insert(self, sql: str, params: Params = ()) -> int:
        raise sqlite3.OperationalError("the read connection does not write: use a unit of work")

    async def notify(self, topic: str) -> None:
        return None
