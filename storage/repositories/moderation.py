"""Moderation of public initiatives: residents' reports, hiding, staff's edits (with the
author's original text kept) and the moderation log."""

from __future__ import annotations

from datetime import datetime

from bot.domain.initiatives import Moderation, ModerationEntry
from storage.executor import Executor, Row, from_db, to_db


def _entry(row: Row) -> ModerationEntry:
    return ModerationEntry(
        id=row["id"],
        initiative_id=row["initiative_id"],
        year=row["year"],
        seq=row["seq"],
        action=row["action"],
        actor_id=row["actor_id"],
        reason=row["reason"],
        at=from_db(row["at"]),  # type: ignore[arg-type]
    )


_LOG = (
    "SELECT l.id, l.initiative_id, i.year, i.seq, l.action, l.actor_id, l.reason, l.at "
    "FROM moderation_log l JOIN initiatives i ON i.id = l.initiative_id "
)


class ModerationRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def report(
        self, initiative_id: int, reporter_id: int, reason: str, now: datetime
    ) -> bool:
        """A resident's report; False when they reported this initiative before."""
        return bool(
            await self._db.execute(
                "INSERT INTO moderation_reports (initiative_id, reporter_id, reason, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (initiative_id, reporter_id, reason, to_db(now)),
            )
        )

    async def has_reported(self, initiative_id: int, reporter_id: int) -> bool:
        found = await self._db.fetch_value(
            "SELECT 1 FROM moderation_reports WHERE initiative_id = ? AND reporter_id = ?",
            (initiative_id, reporter_id),
        )
        return found is not None

    async def pending_reports(self, initiative_id: int) -> dict[str, int]:
        """Reason code -> reports staff have not looked at yet."""
        rows = await self._db.fetch_all(
            "SELECT reason, COUNT(*) AS n FROM moderation_reports "
            "WHERE initiative_id = ? AND pending = 1 GROUP BY reason ORDER BY reason",
            (initiative_id,),
        )
        return {r["reason"]: int(r["n"]) for r in rows}

    async def close_reports(self, initiative_id: int) -> int:
        """Staff looked at the initiative: its reports no longer count towards hiding it."""
        return await self._db.execute(
            "UPDATE moderation_reports SET pending = 0 WHERE initiative_id = ? AND pending = 1",
            (initiative_id,),
        )

    async def set_hidden(self, initiative_id: int, hidden: bool, now: datetime) -> bool:
        """Hide or show it; False when it already was so (a concurrent action came first)."""
        return bool(
            await self._db.execute(
                "UPDATE initiatives SET hidden = ?, updated_at = ? WHERE id = ? AND hidden = ?",
                (int(hidden), to_db(now), initiative_id, int(not hidden)),
            )
        )

    async def edit(self, initiative_id: int, title: str, description: str, now: datetime) -> None:
        """Staff's new public text; the author's own is kept the first time."""
        await self._db.execute(
            "INSERT INTO initiative_originals (initiative_id, title, description, at) "
            "SELECT id, title, description, CAST(? AS TEXT) FROM initiatives WHERE id = ? "
            "ON CONFLICT DO NOTHING",
            (to_db(now), initiative_id),
        )
        await self._db.execute(
            "UPDATE initiatives SET title = ?, description = ?, updated_at = ? WHERE id = ?",
            (title, description, to_db(now), initiative_id),
        )

    async def move_card(self, initiative_id: int, chat_id: int, outbox_id: int) -> None:
        """The staff card sent anew in this chat is the one edited in place from now on."""
        await self._db.execute(
            "INSERT INTO initiative_cards (initiative_id, chat_id, outbox_id) VALUES (?, ?, ?) "
            "ON CONFLICT (initiative_id, chat_id) DO UPDATE SET outbox_id = excluded.outbox_id",
            (initiative_id, chat_id, outbox_id),
        )

    async def state(self, initiative_id: int) -> Moderation:
        """Hidden or not, the pending reports by reason, the author's original text."""
        hidden = await self._db.fetch_value(
            "SELECT hidden FROM initiatives WHERE id = ?", (initiative_id,)
        )
        original = await self._db.fetch_one(
            "SELECT title, description FROM initiative_originals WHERE initiative_id = ?",
            (initiative_id,),
        )
        return Moderation(
            hidden=bool(hidden),
            pending_reports=await self.pending_reports(initiative_id),
            original_title=None if original is None else original["title"],
            original_description=None if original is None else original["description"],
        )

    async def log(
        self,
        initiative_id: int,
        action: str,
        actor_id: int | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "INSERT INTO moderation_log (initiative_id, action, actor_id, reason, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (initiative_id, action, actor_id, reason, to_db(now)),
        )

    async def log_length(self) -> int:
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM moderation_log"))

    async def log_page(self, offset: int, limit: int) -> tuple[list[ModerationEntry], int]:
        """The log, newest first; and its length."""
        rows = await self._db.fetch_all(
            _LOG + "ORDER BY l.id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_entry(r) for r in rows], await self.log_length()

    async def export(self, start: datetime, end: datetime) -> list[Row]:
        """The log of [start, end), oldest first, with the names of staff who acted (people
        who reported are never named)."""
        return await self._db.fetch_all(
            "SELECT l.id, l.initiative_id, i.year, i.seq, l.action, l.actor_id, l.reason, l.at, "
            "u.first_name, u.last_name, u.username "
            "FROM moderation_log l JOIN initiatives i ON i.id = l.initiative_id "
            "LEFT JOIN users u ON u.id = l.actor_id AND l.action != 'report' "
            "WHERE l.at >= ? AND l.at < ? ORDER BY l.id",
            (to_db(start), to_db(end)),
        )

    async def forget_user(self, user_id: int) -> int:
        """A person's data is erased: their reports and log steps no longer name them."""
        reports = await self._db.execute(
            "UPDATE moderation_reports SET reporter_id = NULL WHERE reporter_id = ?", (user_id,)
        )
        steps = await self._db.execute(
            "UPDATE moderation_log SET actor_id = NULL WHERE actor_id = ?", (user_id,)
        )
        return reports + steps
