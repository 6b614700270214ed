"""The town's own days off (the production calendar itself comes from a library)."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.calendar import DayOff
from storage.executor import Executor, to_db


class WorkdayRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def days_off(self) -> list[DayOff]:
        rows = await self._db.fetch_all("SELECT day, name FROM local_days_off ORDER BY day")
        return [DayOff(date.fromisoformat(row[0]), str(row[1])) for row in rows]

    async def add(self, day: date, name: str, added_by: int, now: datetime) -> bool:
        """False when the day is one already."""
        added = await self._db.execute(
            "INSERT INTO local_days_off (day, name, added_by, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(day) DO NOTHING",
            (day.isoformat(), name, added_by, to_db(now)),
        )
        return bool(added)

    async def remove(self, day: date) -> bool:
        return bool(
            await self._db.execute("DELETE FROM local_days_off WHERE day = ?", (day.isoformat(),))
        )
