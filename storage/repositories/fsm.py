"""Rows of aiogram's finite-state machine: one per chat/user key."""

from __future__ import annotations

from datetime import datetime

from storage.executor import Executor, to_db


class FsmRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def load(self, key: str) -> tuple[str | None, str] | None:
        """A key's state and its data as JSON text, or None."""
        row = await self._db.fetch_one("SELECT state, data FROM fsm WHERE key = ?", (key,))
        return None if row is None else (row["state"], row["data"])

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
