"""Updates received by webhook, kept from the moment Telegram is told "received" until they
are handled (bot/webhook.py): a replica killed in between loses none of them."""

from __future__ import annotations

from datetime import datetime

from storage.executor import Executor, to_db


class InboxRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def add(self, update_id: int, person: int | None, body: str, now: datetime) -> bool:
        """Keep an update; False when it is kept already (Telegram sent it again)."""
        return bool(
            await self._db.execute(
                "INSERT INTO inbox (update_id, person, body, received_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update_id, person, body, to_db(now)),
            )
        )

    async def next_of(self, person: int | None, after: int) -> tuple[int, str] | None:
        """A person's earliest update after `after` (None: updates of nobody), with its body."""
        if person is None:
            row = await self._db.fetch_one(
                "SELECT update_id, body FROM inbox WHERE person IS NULL AND update_id > ? "
                "ORDER BY update_id LIMIT 1",
                (after,),
            )
        else:
            row = await self._db.fetch_one(
                "SELECT update_id, body FROM inbox WHERE person = ? AND update_id > ? "
                "ORDER BY update_id LIMIT 1",
                (person, after),
            )
        return None if row is None else (int(row[0]), str(row[1]))

    async def done(self, update_id: int) -> None:
        await self._db.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))

    async def waiting_since(self, before: datetime, limit: int) -> list[int | None]:
        """People with an update received before `before` and not handled yet (a replica
        stopped or died meanwhile), the longest waiting first."""
        rows = await self._db.fetch_all(
            "SELECT person, MIN(update_id) AS first FROM inbox WHERE received_at < ? "
            "GROUP BY person ORDER BY first LIMIT ?",
            (to_db(before), limit),
        )
        return [None if row[0] is None else int(row[0]) for row in rows]

    async def count(self) -> int:
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM inbox"))
