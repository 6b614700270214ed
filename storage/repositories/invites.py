"""Deep-link invites: created by staff, redeemed once (or until expiry) by whoever opens them."""

from __future__ import annotations

from datetime import datetime

from bot.domain.invites import Invite
from storage.executor import Executor, Row, from_db, to_db


def _record(row: Row) -> Invite:
    return Invite(
        token=row["token"],
        kind=row["kind"],
        target_id=row["target_id"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        expires_at=from_db(row["expires_at"]),  # type: ignore[arg-type]
        uses_left=row["uses_left"],
        revoked_at=from_db(row["revoked_at"]),
    )


class InviteRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        token: str,
        kind: str,
        *,
        target_id: int | None,
        created_by: int,
        now: datetime,
        expires_at: datetime,
        uses_left: int | None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO invites (token, kind, target_id, created_by, created_at, expires_at, "
            "uses_left) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token, kind, target_id, created_by, to_db(now), to_db(expires_at), uses_left),
        )

    async def get(self, token: str) -> Invite | None:
        row = await self._db.fetch_one("SELECT * FROM invites WHERE token = ?", (token,))
        return None if row is None else _record(row)

    async def has_used(self, token: str, user_id: int) -> bool:
        """Has this person opened (used) this invite before?"""
        found = await self._db.fetch_value(
            "SELECT 1 FROM invite_uses WHERE token = ? AND user_id = ?", (token, user_id)
        )
        return found is not None

    async def revoke(self, token: str, now: datetime) -> bool:
        """Stop an invite before it expires; False if it was revoked already."""
        changed = await self._db.execute(
            "UPDATE invites SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
            (to_db(now), token),
        )
        return bool(changed)

    async def use(self, token: str, user_id: int, now: datetime) -> bool:
        """Spend one use, atomically; False if none is left."""
        changed = await self._db.execute(
            "UPDATE invites SET uses_left = uses_left - 1 "
            "WHERE token = ? AND uses_left IS NOT NULL AND uses_left > 0",
            (token,),
        )
        unlimited = await self._db.fetch_one(
            "SELECT 1 FROM invites WHERE token = ? AND uses_left IS NULL", (token,)
        )
        if not changed and unlimited is None:
            return False
        await self._db.execute(
            "INSERT INTO invite_uses (token, user_id, used_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (token, user_id, to_db(now)),
        )
        return True

    async def delete_expired(self, before: datetime) -> int:
        return await self._db.execute("DELETE FROM invites WHERE expires_at < ?", (to_db(before),))
