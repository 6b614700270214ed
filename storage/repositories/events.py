"""Events, the people signed up for them, and the waiting list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.events import Event
from storage.executor import Executor, Row, from_db, marks, to_db

EVENT_FIELDS = (
    "title",
    "draft_token",
    "starts_at",
    "ends_at",
    "place",
    "organiser",
    "joint",
    "capacity",
    "audience_tos",
    "owner_kind",
    "owner_id",
)


def _event(row: Row) -> Event:
    return Event(
        id=row["id"],
        title=row["title"],
        starts_at=from_db(row["starts_at"]),  # type: ignore[arg-type]
        ends_at=from_db(row["ends_at"]),  # type: ignore[arg-type]
        place=row["place"],
        organiser=row["organiser"],
        joint=bool(row["joint"]),
        capacity=row["capacity"],
        audience_tos=row["audience_tos"],
        owner_kind=row["owner_kind"],
        owner_id=row["owner_id"],
        attended=row["attended"],
        created_by=row["created_by"],
        going=row["going"],
        waiting=row["waiting"],
        sequence=row["sequence"],
        cancelled_at=from_db(row["cancelled_at"]),
        cancel_reason=row["cancel_reason"],
    )


_SELECT = (
    "SELECT e.*, "
    "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id AND s.status = 'going') "
    "AS going, "
    "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id AND s.status = 'waiting') "
    "AS waiting FROM events e "
)


class EventRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(self, values: dict[str, Any], created_by: int, now: datetime) -> int:
        columns: dict[str, Any] = {}
        for key, value in values.items():
            if key not in EVENT_FIELDS:
                raise KeyError(key)
            columns[key] = to_db(value) if isinstance(value, datetime) else value
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        return await self._db.insert(
            f"INSERT INTO events ({names}, created_by, created_at) "  # noqa: S608 - fixed names
            f"VALUES ({marks}, ?, ?)",
            (*columns.values(), created_by, to_db(now)),
        )

    async def get(self, event_id: int) -> Event | None:
        row = await self._db.fetch_one(_SELECT + "WHERE e.id = ?", (event_id,))
        return None if row is None else _event(row)

    async def by_draft(self, token: str) -> Event | None:
        """The event a form already saved (a second press, a retry after a failure)."""
        row = await self._db.fetch_one(_SELECT + "WHERE e.draft_token = ?", (token,))
        return None if row is None else _event(row)

    async def to_everyone_since(self, created_by: int, since: datetime) -> int:
        """Events for everyone (not one TOS's members) this person announced since then."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM events WHERE created_by = ? AND audience_tos IS NULL "
                "AND created_at > ?",
                (created_by, to_db(since)),
            )
        )

    async def upcoming(self, now: datetime, tos_ids: list[int] | None, limit: int) -> list[Event]:
        """Events not yet over, soonest first: for everyone, plus those of the given TOS
        (None: every event, for staff)."""
        if tos_ids is None:
            where, params = "", []
        else:
            marks = ", ".join("?" for _ in tos_ids) or "NULL"
            where, params = f"AND (e.audience_tos IS NULL OR e.audience_tos IN ({marks})) ", tos_ids
        rows = await self._db.fetch_all(
            _SELECT
            + "WHERE e.ends_at > ? AND e.cancelled_at IS NULL "
            + where
            + "ORDER BY e.starts_at, e.id LIMIT ?",
            (to_db(now), *params, limit),
        )
        return [_event(row) for row in rows]

    async def of_tos(self, tos_id: int, now: datetime, limit: int) -> list[Event]:
        """Upcoming events a TOS holds or holds for its members (not cancelled)."""
        rows = await self._db.fetch_all(
            _SELECT + "WHERE e.starts_at > ? AND e.cancelled_at IS NULL AND (e.audience_tos = ? OR "
            "(e.owner_kind = 'tos' AND e.owner_id = ?)) ORDER BY e.starts_at LIMIT ?",
            (to_db(now), tos_id, tos_id, limit),
        )
        return [_event(row) for row in rows]

    async def starting_after(self, since: datetime) -> list[Event]:
        """Events starting after `since` that take place (not cancelled): their reminders."""
        rows = await self._db.fetch_all(
            _SELECT + "WHERE e.starts_at > ? AND e.cancelled_at IS NULL ORDER BY e.id",
            (to_db(since),),
        )
        return [_event(row) for row in rows]

    async def ended_unmarked(self, since: datetime, now: datetime) -> list[Event]:
        """Events that ended in (since, now], took place, and have no attendance marked."""
        rows = await self._db.fetch_all(
            _SELECT + "WHERE e.ends_at > ? AND e.ends_at <= ? AND e.cancelled_at IS NULL "
            "AND e.attended IS NULL ORDER BY e.id",
            (to_db(since), to_db(now)),
        )
        return [_event(row) for row in rows]

    async def next_end(self, now: datetime) -> datetime | None:
        """When the next event that takes place ends, after now."""
        return from_db(
            await self._db.fetch_value(
                "SELECT MIN(ends_at) FROM events WHERE ends_at > ? AND cancelled_at IS NULL "
                "AND attended IS NULL",
                (to_db(now),),
            )
        )

    async def move(
        self,
        event_id: int,
        sequence: int,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        now: datetime,
    ) -> bool:
        """A new time or place, and the next SEQUENCE, if the event is still as it was read
        (its `sequence`) and takes place; False if another change or a cancellation came
        first."""
        return bool(
            await self._db.execute(
                "UPDATE events SET starts_at = ?, ends_at = ?, place = ?, changed_at = ?, "
                "sequence = sequence + 1 WHERE id = ? AND sequence = ? AND cancelled_at IS NULL",
                (to_db(starts_at), to_db(ends_at), place, to_db(now), event_id, sequence),
            )
        )

    async def call_off(self, event_id: int, reason: str | None, now: datetime) -> bool:
        """Cancel the event (the next SEQUENCE); False if it was cancelled already."""
        return bool(
            await self._db.execute(
                "UPDATE events SET cancelled_at = ?, cancel_reason = ?, sequence = sequence + 1 "
                "WHERE id = ? AND cancelled_at IS NULL",
                (to_db(now), reason, event_id),
            )
        )

    async def set_attended(self, event_id: int, count: int) -> None:
        await self._db.execute("UPDATE events SET attended = ? WHERE id = ?", (count, event_id))

    # -- sign-ups -------------------------------------------------------------------------------

    async def signup_status(self, event_id: int, user_id: int) -> str | None:
        value = await self._db.fetch_value(
            "SELECT status FROM event_signups WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        return None if value is None else str(value)

    async def set_signup(self, event_id: int, user_id: int, status: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO event_signups (event_id, user_id, status, signed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (event_id, user_id) DO UPDATE SET status = excluded.status, "
            "signed_at = excluded.signed_at",
            (event_id, user_id, status, to_db(now)),
        )

    async def promote(self, event_id: int) -> int | None:
        """The first on the waiting list goes; returns who, or None."""
        user_id = await self._db.fetch_value(
            "SELECT user_id FROM event_signups WHERE event_id = ? AND status = 'waiting' "
            "ORDER BY signed_at, user_id LIMIT 1",
            (event_id,),
        )
        if user_id is None:
            return None
        await self._db.execute(
            "UPDATE event_signups SET status = 'going' WHERE event_id = ? AND user_id = ?",
            (event_id, user_id),
        )
        return int(user_id)

    async def going(self, event_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT s.user_id FROM event_signups s JOIN users u ON u.id = s.user_id "
            "WHERE s.event_id = ? AND s.status = 'going' AND u.consent_version IS NOT NULL "
            "ORDER BY s.signed_at",
            (event_id,),
        )
        return [row[0] for row in rows]

    async def signed_up(self, event_id: int, statuses: Sequence[str]) -> list[tuple[int, str]]:
        """Everyone whose sign-up is in these statuses (going and waiting) and who may be
        written to (consent given), with their status: those told when the event changes
        or is cancelled."""
        rows = await self._db.fetch_all(
            "SELECT s.user_id, s.status FROM event_signups s JOIN users u ON u.id = s.user_id "  # noqa: S608
            f"WHERE s.event_id = ? AND s.status IN {marks(statuses)} "
            "AND u.consent_version IS NOT NULL ORDER BY s.signed_at, s.user_id",
            (event_id, *statuses),
        )
        return [(int(row[0]), str(row[1])) for row in rows]

    async def upcoming_signups(
        self, user_id: int, statuses: Sequence[str], now: datetime
    ) -> list[int]:
        """Events not yet started where the person's sign-up is in these statuses."""
        rows = await self._db.fetch_all(
            "SELECT s.event_id FROM event_signups s JOIN events e ON e.id = s.event_id "  # noqa: S608
            f"WHERE s.user_id = ? AND s.status IN {marks(statuses)} AND e.starts_at > ?",
            (user_id, *statuses, to_db(now)),
        )
        return [int(row[0]) for row in rows]

    async def forget_user(self, user_id: int) -> int:
        return await self._db.execute("DELETE FROM event_signups WHERE user_id = ?", (user_id,))
