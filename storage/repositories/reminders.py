"""Reminder rounds handled (`reminder_stages`) and the queued messages of a round, by their
outbox key: shared by every kind of reminder (events, competitions)."""

from __future__ import annotations

from datetime import datetime

from storage.executor import Executor, to_db


def _like(key_prefix: str) -> str:
    return key_prefix.replace("%", "\\%").replace("_", "\\_") + "%"


class ReminderRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def claim_stage(self, key: str, outcome: str, now: datetime) -> bool:
        """Record that a scheduled stage is handled; False if it was handled already."""
        return bool(
            await self._db.execute(
                "INSERT INTO reminder_stages (key, outcome, at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (key, outcome, to_db(now)),
            )
        )

    async def cancel_queued(self, key_prefix: str) -> int:
        """Reminders queued under an old time that have not gone out: they never will."""
        return await self._db.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' "
            "AND idempotency_key LIKE ? ESCAPE '\\'",
            (_like(key_prefix),),
        )

    async def queued_keys(self, key_prefix: str) -> list[str]:
        """The keys of messages under `key_prefix` that have not gone out yet."""
        rows = await self._db.fetch_all(
            "SELECT idempotency_key FROM outbox WHERE status = 'pending' "
            "AND idempotency_key LIKE ? ESCAPE '\\'",
            (_like(key_prefix),),
        )
        return [row[0] for row in rows]

    async def cancel_keys(self, keys: list[str]) -> int:
        """Messages that must not go out after all (their recipients are no longer meant)."""
        cancelled = 0
        for key in keys:
            cancelled += await self._db.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' "
                "AND idempotency_key = ?",
                (key,),
            )
        return cancelled
