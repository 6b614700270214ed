"""Rows of aiogram's finite-state machine: one per chat/user key."""

from __future__ import annotations

from datetime import datetime

from bot.domain.people import Person
from storage.executor import Executor, to_db
from storage.repositories.users import _record


class FsmRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def load(self, key: str) -> tuple[str | None, str] | None:
        """A key's state and its data as JSON text, or None."""
        row = await self._db.fetch_one("SELECT state, data FROM fsm WHERE key = ?", (key,))
        return None if row is None else (row["state"], row["data"])

    async def keys(self) -> set[str]:
        """Every key that has a row."""
        return {row[0] for row in await self._db.fetch_all("SELECT key FROM fsm")}

    async def load_with_person(
        self, key: str, user_id: int
    ) -> tuple[tuple[str | None, str] | None, Person | None]:
        """`load` and the person's row (`UserRepository.get`) in one statement: an update's
        first read on PostgreSQL, where nothing is kept between updates."""
        row = await self._db.fetch_one(
            "SELECT f.key AS fsm_key, f.state AS fsm_state, f.data AS fsm_data, u.* "
            "FROM (SELECT 1 AS one) AS here LEFT JOIN fsm f ON f.key = ? "
            "LEFT JOIN users u ON u.id = ?",
            (key, user_id),
        )
        if row is None:  # not reached: the one row of `here` always comes
            return None, None
        entry = None if row["fsm_key"] is None else (row["fsm_state"], row["fsm_data"])
        return entry, None if row["id"] is None else _record(row)

    async def save(
        self, key: str, user_id: int, state: str | None, data_json: str, now: datetime
    ) -> None:
        """Store a key's state and data (already JSON); an empty key is deleted."""
        if state is None and data_json == "{}":
            await self._db.execute("DELETE FROM fsm WHERE key = ?", (key,))
            return
        # Form answers are personal data: kept only while the user's consent is (a form
        # of another chat may still be saving while the user withdraws consent).
        await self._db.execute(
            "INSERT INTO fsm (key, user_id, state, data, updated_at) VALUES (?, ?, ?, "
            "CASE WHEN EXISTS (SELECT 1 FROM users WHERE id = ? AND consent_version IS NOT NULL)"
            " THEN ? ELSE '{}' END, ?) "
            "ON CONFLICT(key) DO UPDATE SET state = excluded.state, data = excluded.data, "
            "updated_at = excluded.updated_at",
            (key, user_id, state, user_id, data_json, to_db(now)),
        )

    async def delete_for_user(self, user_id: int) -> int:
        """Forget every unfinished form of a user."""
        return await self._db.execute("DELETE FROM fsm WHERE user_id = ?", (user_id,))
