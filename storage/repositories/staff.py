"""Municipal staff added by an admin (admins themselves come from settings)."""

from __future__ import annotations

from datetime import datetime

from storage.executor import Executor, to_db

# The topic of Executor.notify when the staff list changes.
STAFF_CHANGED = "staff"


class StaffRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def all_ids(self) -> set[int]:
        return {row[0] for row in await self._db.fetch_all("SELECT user_id FROM staff")}

    async def add(self, user_id: int, added_by: int | None, now: datetime) -> bool:
        """Add a staff member; False if they already were one."""
        changed = await self._db.execute(
            "INSERT INTO staff (user_id, added_by, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) DO NOTHING",
            (user_id, added_by, to_db(now)),
        )
        await self._db.notify(STAFF_CHANGED)  # other replicas read the list again
        return bool(changed)

    async def remove(self, user_id: int) -> bool:
        removed = await self._db.execute("DELETE FROM staff WHERE user_id = ?", (user_id,))
        await self._db.notify(STAFF_CHANGED)
        return bool(removed)
