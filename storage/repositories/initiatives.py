"""Citizen initiatives, their photos, decisions log, supports and staff cards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain.cases import StatusChange
from bot.domain.initiatives import Initiative, Photo
from storage.executor import Executor, Row, from_db, marks, to_db
from storage.repositories.cases import StaffCards, StatusLog


def _record(row: Row) -> Initiative:
    keys = set(row.keys())  # asyncpg's keys() is an iterator: each `in` would consume it
    return Initiative(
        id=row["id"],
        year=row["year"],
        seq=row["seq"],
        author_id=row["author_id"],
        direction=row["direction"],
        title=row["title"],
        description=row["description"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        tos_id=row["tos_id"],
        show_author=bool(row["show_author"]),
        status=row["status"],
        merged_into=row["merged_into"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        supports=row["supports"] if "supports" in keys else 0,
        rejection_reason=row["rejection_reason"] if "rejection_reason" in keys else None,
        hidden=bool(row["hidden"]) if "hidden" in keys else False,
    )


_WITH_SUPPORTS = (
    "SELECT i.*, (SELECT COUNT(*) FROM initiative_supports s WHERE s.initiative_id = i.id) "
    "AS supports FROM initiatives i "
)


# One initiative's card for one reader: the record, its TOS's name and whether the reader
# supports it, in one query.
_CARD = (
    "SELECT i.*, (SELECT COUNT(*) FROM initiative_supports s WHERE s.initiative_id = i.id) "
    "AS supports, (SELECT t.name FROM tos t WHERE t.id = i.tos_id) AS tos_name, "
    "(SELECT COUNT(*) FROM initiative_supports s "
    "WHERE s.initiative_id = i.id AND s.user_id = ?) AS supported FROM initiatives i "
)


def _card(row: Row | None) -> tuple[Initiative, str | None, bool] | None:
    return None if row is None else (_record(row), row["tos_name"], bool(row["supported"]))


class InitiativeRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db
        self._log = StatusLog(db, "initiative_log", "initiative_id")
        self._cards = StaffCards(db, "initiative_cards", "initiative_id")

    async def create(
        self,
        *,
        draft_token: str,
        author_id: int,
        direction: str,
        title: str,
        description: str,
        address: str | None,
        latitude: float | None,
        longitude: float | None,
        tos_id: int | None,
        show_author: bool,
        now: datetime,
        year: int,
    ) -> int:
        seq = await self._db.fetch_value(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM initiatives WHERE year = ?", (year,)
        )
        return await self._db.insert(
            "INSERT INTO initiatives (year, seq, draft_token, author_id, direction, title, "
            "description, address, latitude, longitude, tos_id, show_author, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                year,
                seq,
                draft_token,
                author_id,
                direction,
                title,
                description,
                address,
                latitude,
                longitude,
                tos_id,
                int(show_author),
                to_db(now),
                to_db(now),
            ),
        )

    async def by_draft(self, draft_token: str) -> Initiative | None:
        row = await self._db.fetch_one(_WITH_SUPPORTS + "WHERE i.draft_token = ?", (draft_token,))
        return None if row is None else _record(row)

    async def get(self, initiative_id: int) -> Initiative | None:
        row = await self._db.fetch_one(_WITH_SUPPORTS + "WHERE i.id = ?", (initiative_id,))
        return None if row is None else _record(row)

    async def by_number(self, year: int, seq: int) -> Initiative | None:
        row = await self._db.fetch_one(
            _WITH_SUPPORTS + "WHERE i.year = ? AND i.seq = ?", (year, seq)
        )
        return None if row is None else _record(row)

    async def card(
        self, initiative_id: int, reader_id: int
    ) -> tuple[Initiative, str | None, bool] | None:
        """(the initiative, its TOS's name, whether `reader_id` supports it)."""
        return _card(await self._db.fetch_one(_CARD + "WHERE i.id = ?", (reader_id, initiative_id)))

    async def card_by_number(
        self, year: int, seq: int, reader_id: int
    ) -> tuple[Initiative, str | None, bool] | None:
        """The same as `card`, found by the public number."""
        row = await self._db.fetch_one(
            _CARD + "WHERE i.year = ? AND i.seq = ?", (reader_id, year, seq)
        )
        return _card(row)

    async def set_status(
        self, initiative_id: int, status: str, now: datetime, merged_into: int | None = None
    ) -> None:
        await self._db.execute(
            "UPDATE initiatives SET status = ?, updated_at = ?, "
            "merged_into = COALESCE(?, merged_into) WHERE id = ?",
            (status, to_db(now), merged_into, initiative_id),
        )

    async def log(
        self,
        initiative_id: int,
        actor_id: int | None,
        from_status: str | None,
        to_status: str,
        comment: str | None,
        now: datetime,
    ) -> None:
        await self._log.add(initiative_id, actor_id, from_status, to_status, comment, now)

    async def history(self, initiative_id: int) -> list[StatusChange]:
        return await self._log.history(initiative_id)

    async def add_photos(
        self,
        initiative_id: int,
        stage: str,
        file_ids: list[str],
        captions: Mapping[str, str] | None = None,
    ) -> None:
        """Photos in order, each with the caption typed under it (`captions` by file id)."""
        start = await self._db.fetch_value(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM initiative_photos "
            "WHERE initiative_id = ? AND stage = ?",
            (initiative_id, stage),
        )
        for offset, file_id in enumerate(file_ids):
            await self._db.execute(
                "INSERT INTO initiative_photos (initiative_id, stage, position, file_id, caption) "
                "VALUES (?, ?, ?, ?, ?)",
                (initiative_id, stage, start + offset, file_id, (captions or {}).get(file_id)),
            )

    async def photos(self, initiative_id: int, stage: str) -> list[Photo]:
        rows = await self._db.fetch_all(
            "SELECT file_id, caption FROM initiative_photos "
            "WHERE initiative_id = ? AND stage = ? ORDER BY position",
            (initiative_id, stage),
        )
        return [Photo(r[0], r[1]) for r in rows]

    async def add_card(self, initiative_id: int, chat_id: int, outbox_id: int) -> None:
        await self._cards.add(initiative_id, chat_id, outbox_id)

    async def cards(self, initiative_id: int) -> list[tuple[int, int]]:
        """(chat id, outbox id of the card) for every staff card of the initiative."""
        return await self._cards.all(initiative_id)

    async def support(self, initiative_id: int, user_id: int, now: datetime) -> bool:
        return bool(
            await self._db.execute(
                "INSERT INTO initiative_supports (initiative_id, user_id, at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (initiative_id, user_id, to_db(now)),
            )
        )

    async def unsupport(self, initiative_id: int, user_id: int) -> bool:
        return bool(
            await self._db.execute(
                "DELETE FROM initiative_supports WHERE initiative_id = ? AND user_id = ?",
                (initiative_id, user_id),
            )
        )

    async def supports_count(self, initiative_id: int) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM initiative_supports WHERE initiative_id = ?",
                (initiative_id,),
            )
        )

    async def has_supported(self, initiative_id: int, user_id: int) -> bool:
        found = await self._db.fetch_value(
            "SELECT 1 FROM initiative_supports WHERE initiative_id = ? AND user_id = ?",
            (initiative_id, user_id),
        )
        return found is not None

    async def move_supports(self, from_id: int, to_id: int, except_user: int) -> int:
        moved = await self._db.execute(
            "INSERT INTO initiative_supports (initiative_id, user_id, at) "
            "SELECT CAST(? AS BIGINT), user_id, at FROM initiative_supports "
            "WHERE initiative_id = ? AND user_id != ? ON CONFLICT DO NOTHING",
            (to_id, from_id, except_user),
        )
        await self._db.execute(
            "DELETE FROM initiative_supports WHERE initiative_id = ?", (from_id,)
        )
        return moved

    async def public_page(
        self,
        statuses: Sequence[str],
        direction: str | None,
        offset: int,
        limit: int,
        *,
        tos_id: int | None = None,
    ) -> tuple[list[Initiative], int]:
        """Initiatives in these statuses (the public ones) not hidden by moderation, newest
        first; and their total."""
        where = f"WHERE i.status IN {marks(statuses)} AND i.hidden = 0 "
        params: tuple[object, ...] = tuple(statuses)
        if direction is not None:
            where += "AND i.direction = ? "
            params += (direction,)
        if tos_id is not None:
            where += "AND i.tos_id = ? "
            params += (tos_id,)
        rows = await self._db.fetch_all(
            _WITH_SUPPORTS + where + "ORDER BY i.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM initiatives i " + where,  # noqa: S608 - constant fragments
            params,
        )
        return [_record(r) for r in rows], int(total)

    async def public_tos(self, statuses: Sequence[str]) -> list[tuple[int, str]]:
        """(id, name) of the active TOS that have initiatives in these statuses (not hidden by
        moderation), by name."""
        rows = await self._db.fetch_all(
            "SELECT t.id, t.name FROM tos t WHERE t.active = 1 AND EXISTS (SELECT 1 FROM "  # noqa: S608
            f"initiatives i WHERE i.tos_id = t.id AND i.status IN {marks(statuses)} "
            "AND i.hidden = 0) "
            "ORDER BY t.name_key",
            tuple(statuses),
        )
        return [(r[0], r[1]) for r in rows]

    async def of_tos(self, tos_id: int, statuses: Sequence[str], limit: int) -> list[Initiative]:
        """A TOS's initiatives in these statuses not hidden by moderation, newest first."""
        rows = await self._db.fetch_all(
            _WITH_SUPPORTS + f"WHERE i.tos_id = ? AND i.status IN {marks(statuses)} "
            "AND i.hidden = 0 ORDER BY i.id DESC LIMIT ?",
            (tos_id, *statuses, limit),
        )
        return [_record(r) for r in rows]

    async def by_author(self, author_id: int, limit: int) -> list[Initiative]:
        """The author's initiatives, newest first, with the reason of a rejected one."""
        rows = await self._db.fetch_all(
            "SELECT i.*, (SELECT COUNT(*) FROM initiative_supports s "
            "WHERE s.initiative_id = i.id) AS supports, "
            "CASE WHEN i.status = 'rejected' THEN (SELECT l.comment FROM initiative_log l "
            "WHERE l.initiative_id = i.id AND l.to_status = 'rejected' ORDER BY l.id DESC "
            "LIMIT 1) END AS rejection_reason "
            "FROM initiatives i WHERE i.author_id = ? ORDER BY i.id DESC LIMIT ?",
            (author_id, limit),
        )
        return [_record(r) for r in rows]

    async def candidates_for_duplicates(
        self,
        statuses: Sequence[str],
        direction: str,
        tos_id: int | None,
        exclude_id: int,
        limit: int = 200,
    ) -> list[Initiative]:
        """Recent initiatives in these statuses (the open ones) in the same direction or the
        same TOS."""
        rows = await self._db.fetch_all(
            _WITH_SUPPORTS + f"WHERE i.id != ? AND i.status IN {marks(statuses)} "
            "AND (i.direction = ? OR (CAST(? AS BIGINT) IS NOT NULL AND i.tos_id = ?)) "
            "ORDER BY i.id DESC LIMIT ?",
            (exclude_id, *statuses, direction, tos_id, tos_id, limit),
        )
        return [_record(r) for r in rows]
