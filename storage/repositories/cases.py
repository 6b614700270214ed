"""What the tables of initiatives and support requests share: a status log, staff cards."""

from __future__ import annotations

from datetime import datetime

from bot.domain.cases import StatusChange
from storage.executor import Executor, from_db, to_db

# The case tables these helpers may name; the names never come from input.
_TABLES = {
    ("initiative_log", "initiative_id"),
    ("initiative_cards", "initiative_id"),
    ("request_log", "request_id"),
    ("request_cards", "request_id"),
}


def _checked(table: str, key: str) -> tuple[str, str]:
    if (table, key) not in _TABLES:
        raise ValueError(f"not a case table: {table}.{key}")
    return table, key


class StatusLog:
    """A case's status log: who moved it from which status to which, when, and why."""

    def __init__(self, db: Executor, table: str, key: str) -> None:
        table, key = _checked(table, key)
        self._db = db
        self._insert = (
            f"INSERT INTO {table} ({key}, actor_id, at, from_status, to_status, comment) "  # noqa: S608 - constant names
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        self._select = (
            f"SELECT actor_id, at, from_status, to_status, comment FROM {table} "  # noqa: S608 - constant names
            f"WHERE {key} = ? ORDER BY id"
        )

    async def add(
        self,
        case_id: int,
        actor_id: int | None,
        from_status: str | None,
        to_status: str,
        comment: str | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            self._insert, (case_id, actor_id, to_db(now), from_status, to_status, comment)
        )

    async def history(self, case_id: int) -> list[StatusChange]:
        rows = await self._db.fetch_all(self._select, (case_id,))
        return [
            StatusChange(r[0], from_db(r[1]), r[2], r[3], r[4])  # type: ignore[arg-type]
            for r in rows
        ]


class StaffCards:
    """The staff cards of a case: the outbox rows that drew them, one a chat."""

    def __init__(self, db: Executor, table: str, key: str) -> None:
        table, key = _checked(table, key)
        self._db = db
        self._insert = (
            f"INSERT INTO {table} ({key}, chat_id, outbox_id) VALUES (?, ?, ?) "  # noqa: S608 - constant names
            "ON CONFLICT DO NOTHING"
        )
        self._select = f"SELECT chat_id, outbox_id FROM {table} WHERE {key} = ? ORDER BY chat_id"  # noqa: S608 - constant names

    async def add(self, case_id: int, chat_id: int, outbox_id: int) -> None:
        await self._db.execute(self._insert, (case_id, chat_id, outbox_id))

    async def all(self, case_id: int) -> list[tuple[int, int]]:
        """(chat id, outbox id of the card) for every staff card of the case."""
        rows = await self._db.fetch_all(self._select, (case_id,))
        return [(r[0], r[1]) for r in rows]
