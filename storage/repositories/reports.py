"""Figures for the digest, the yearly report and exports: read-only, indexed queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.executor import Executor, marks, to_db
from storage.repositories.outbox import UNDELIVERED


def _pairs(rows: list[sqlite3.Row]) -> dict[str, int]:
    return {str(row[0]): int(row[1]) for row in rows}


class ReportRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- staff preferences and digest runs ----------------------------------------------

    async def digest_prefs(self) -> dict[int, str]:
        rows = await self._db.fetch_all("SELECT user_id, digest FROM staff_prefs")
        return {int(r[0]): str(r[1]) for r in rows}

    async def set_digest_pref(self, user_id: int, digest: str) -> None:
        await self._db.execute(
            "INSERT INTO staff_prefs (user_id, digest) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest",
            (user_id, digest),
        )

    async def last_digest(self, chat_id: int) -> datetime | None:
        value = await self._db.fetch_value(
            "SELECT MAX(until) FROM digests WHERE chat_id = ?", (chat_id,)
        )
        return None if value is None else datetime.fromisoformat(value)

    async def record_digest(self, chat_id: int, day: str, since: datetime, until: datetime) -> bool:
        """False when this chat already has its digest for the day."""
        return bool(
            await self._db.execute(
                "INSERT INTO digests (chat_id, day, since, until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (chat_id, day, to_db(since), to_db(until)),
            )
        )

    # -- what came in ----------------------------------------------------------------------

    async def new_initiatives(
        self, since: datetime, until: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        params = (to_db(since), to_db(until))
        rows = await self._db.fetch_all(
            "SELECT id, year, seq, title, status FROM initiatives "
            "WHERE created_at >= ? AND created_at < ? ORDER BY id LIMIT ?",
            (*params, limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM initiatives WHERE created_at >= ? AND created_at < ?", params
        )
        return rows, int(total)

    async def new_requests(
        self, since: datetime, until: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        params = (to_db(since), to_db(until))
        rows = await self._db.fetch_all(
            "SELECT id, year, seq, kind, status, due_at FROM support_requests "
            "WHERE created_at >= ? AND created_at < ? ORDER BY id LIMIT ?",
            (*params, limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM support_requests WHERE created_at >= ? AND created_at < ?",
            params,
        )
        return rows, int(total)

    async def requests_due_before(
        self, statuses: Sequence[str], moment: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        """Requests in these statuses due before `moment` (overdue), the earliest first; and
        how many."""
        return await self._due(statuses, None, moment, limit)

    async def requests_due_between(
        self, statuses: Sequence[str], start: datetime, end: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        """Requests in these statuses due in [start, end), the earliest first; and how many."""
        return await self._due(statuses, start, end, limit)

    async def _due(
        self, statuses: Sequence[str], start: datetime | None, end: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        where = (
            f"WHERE status IN {marks(statuses)} AND due_at >= COALESCE(?, due_at) AND due_at < ? "
        )
        params = (*statuses, to_db(start), to_db(end))
        rows = await self._db.fetch_all(
            "SELECT id, year, seq, kind, status, due_at FROM support_requests "  # noqa: S608
            + where
            + "ORDER BY due_at LIMIT ?",
            (*params, limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM support_requests " + where,  # noqa: S608 - constant
            params,
        )
        return rows, int(total)

    async def count_by_status(self, table: str, statuses: Sequence[str]) -> dict[str, int]:
        """How many initiatives or requests are in each of these statuses now."""
        if table not in ("initiatives", "support_requests"):
            raise ValueError(table)
        return _pairs(
            await self._db.fetch_all(
                f"SELECT status, COUNT(*) FROM {table} "  # noqa: S608 - table checked above
                f"WHERE status IN {marks(statuses)} GROUP BY status",
                tuple(statuses),
            )
        )

    async def failed_deliveries(self, since: datetime, until: datetime) -> int:
        return int(
            await self._db.fetch_value(
                f"SELECT COUNT(*) FROM outbox WHERE status IN {marks(UNDELIVERED)} "  # noqa: S608
                "AND created_at >= ? AND created_at < ?",
                (*UNDELIVERED, to_db(since), to_db(until)),
            )
        )

    async def statuses_created(
        self, table: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """How many initiatives or requests created in [since, until) are in each status."""
        if table not in ("initiatives", "support_requests"):
            raise ValueError(table)
        return _pairs(
            await self._db.fetch_all(
                f"SELECT status, COUNT(*) FROM {table} "  # noqa: S608 - the table is checked
                "WHERE created_at >= ? AND created_at < ? GROUP BY status",
                (to_db(since), to_db(until)),
            )
        )

    async def new_applications(
        self, since: datetime, until: datetime, limit: int
    ) -> tuple[list[sqlite3.Row], int]:
        params = (to_db(since), to_db(until))
        rows = await self._db.fetch_all(
            "SELECT c.title AS competition, COALESCE(t.name, o.name, '') AS body "
            "FROM competition_applications a JOIN competitions c ON c.id = a.competition_id "
            "LEFT JOIN tos t ON a.body_kind = 'tos' AND t.id = a.body_id "
            "LEFT JOIN organisations o ON a.body_kind = 'org' AND o.id = a.body_id "
            "WHERE a.status = 'registered' AND a.created_at >= ? AND a.created_at < ? "
            "ORDER BY a.id LIMIT ?",
            (*params, limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM competition_applications WHERE status = 'registered' "
            "AND created_at >= ? AND created_at < ?",
            params,
        )
        return rows, int(total)

    async def deadlines_between(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT title, deadline AS at FROM competitions WHERE status = 'open' "
            "AND deadline >= ? AND deadline < ? ORDER BY deadline",
            (to_db(start), to_db(end)),
        )

    async def events_between(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT title, starts_at AS at, joint FROM events "
            "WHERE starts_at >= ? AND starts_at < ? ORDER BY starts_at",
            (to_db(start), to_db(end)),
        )

    # -- the year --------------------------------------------------------------------------

    async def events_of_year(
        self, start: datetime, end: datetime, now: datetime
    ) -> tuple[int, int, int]:
        """(events held, of them joint with the town hall, people who attended)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(joint), 0), COALESCE(SUM(attended), 0) FROM events "
            "WHERE starts_at >= ? AND starts_at < ? AND starts_at < ?",
            (to_db(start), to_db(end), to_db(now)),
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    async def competitions_of_year(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        """Per competition with its deadline in the year: applications and winners by the
        kind of body (TOS, NGO, initiative group), and the sums awarded."""
        return await self._db.fetch_all(
            "SELECT c.title, "
            "SUM(a.body_kind = 'tos') AS tos_applied, "
            "SUM(a.body_kind = 'org' AND o.kind = 'ngo') AS ngo_applied, "
            "SUM(a.body_kind = 'org' AND o.kind != 'ngo') AS group_applied, "
            "SUM(a.result = 'winner' AND a.body_kind = 'tos') AS tos_won, "
            "SUM(a.result = 'winner' AND a.body_kind = 'org') AS org_won, "
            "COALESCE(SUM(a.awarded), 0) AS awarded "
            "FROM competitions c LEFT JOIN competition_applications a "
            "ON a.competition_id = c.id AND a.status = 'registered' "
            "LEFT JOIN organisations o ON a.body_kind = 'org' AND o.id = a.body_id "
            "WHERE c.deadline >= ? AND c.deadline < ? GROUP BY c.id ORDER BY c.deadline",
            (to_db(start), to_db(end)),
        )

    async def initiatives_by_direction(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, int]]:
        rows = await self._db.fetch_all(
            "SELECT direction, status, COUNT(*) FROM initiatives INDEXED BY initiatives_year "
            "WHERE created_at >= ? AND created_at < ? GROUP BY direction, status",
            (to_db(start), to_db(end)),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def requests_by_kind(self, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
        rows = await self._db.fetch_all(
            "SELECT kind, status, COUNT(*) FROM support_requests "
            "INDEXED BY support_requests_year "
            "WHERE created_at >= ? AND created_at < ? GROUP BY kind, status",
            (to_db(start), to_db(end)),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def answer_days(self, start: datetime, end: datetime) -> list[tuple[str, float, int]]:
        """(kind, days to the first answer, how many requests) for the year's answered
        requests: a histogram read in index order, not a row per request."""
        rows = await self._db.fetch_all(
            "SELECT kind, answer_days, COUNT(*) FROM support_requests "
            "INDEXED BY support_requests_answered "
            "WHERE created_at >= ? AND created_at < ? AND answer_days IS NOT NULL "
            "GROUP BY kind, answer_days",
            (to_db(start), to_db(end)),
        )
        return [(str(r[0]), float(r[1]), int(r[2])) for r in rows]

    async def unresolved_requests(
        self,
        start: datetime,
        end: datetime,
        now: datetime,
        open_statuses: Sequence[str],
        awaiting: Sequence[str],
    ) -> tuple[int, int]:
        """(open, of them overdue: awaiting an answer past the due date) among the year's
        requests."""
        row = await self._db.fetch_one(
            f"SELECT COUNT(*), COALESCE(SUM(status IN {marks(awaiting)} AND due_at < ?), 0) "  # noqa: S608
            "FROM support_requests "
            f"WHERE created_at >= ? AND created_at < ? AND status IN {marks(open_statuses)}",
            (*awaiting, to_db(now), to_db(start), to_db(end), *open_statuses),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def registry_figures(self, year_end: str) -> dict[str, Any]:
        """Active TOS registered by the year's end, their residents; organisations by kind."""
        tos = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(residents), 0) FROM tos WHERE active = 1 "
            "AND (registered_on IS NULL OR registered_on <= ?)",
            (year_end,),
        )
        assert tos is not None
        kinds = _pairs(
            await self._db.fetch_all(
                "SELECT kind, COUNT(*) FROM organisations WHERE active = 1 GROUP BY kind"
            )
        )
        return {"tos": int(tos[0]), "residents": int(tos[1]), "org_kinds": kinds}

    # -- exports ---------------------------------------------------------------------------

    async def export_initiatives(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT i.year, i.seq, i.created_at, i.direction, i.status, i.title, i.description, "
            "i.address, i.latitude, i.longitude, t.name AS tos_name, "
            "(SELECT COUNT(*) FROM initiative_supports s WHERE s.initiative_id = i.id) "
            "AS supports, u.first_name, u.last_name, u.username "
            "FROM initiatives i LEFT JOIN tos t ON t.id = i.tos_id "
            "LEFT JOIN users u ON u.id = i.author_id "
            "WHERE i.created_at >= ? AND i.created_at < ? ORDER BY i.id",
            (to_db(start), to_db(end)),
        )

    async def export_requests(
        self,
        start: datetime,
        end: datetime,
        now: datetime,
        open_statuses: Sequence[str],
        awaiting: Sequence[str],
    ) -> list[sqlite3.Row]:
        """The requests created in [start, end), each marked open and overdue (awaiting an
        answer past its due date) by the groups given."""
        return await self._db.fetch_all(
            "SELECT r.year, r.seq, r.created_at, r.kind, r.status, r.behalf_kind, "  # noqa: S608
            "r.behalf_name, r.description, r.wanted_date, r.due_at, r.closed_at, r.helped, "
            f"r.phone, u.first_name, u.last_name, u.username, "
            f"r.status IN {marks(open_statuses)} AS is_open, "
            f"(r.status IN {marks(awaiting)} AND r.due_at < ?) AS overdue "
            "FROM support_requests r LEFT JOIN users u ON u.id = r.requester_id "
            "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.id",
            (*open_statuses, *awaiting, to_db(now), to_db(start), to_db(end)),
        )

    async def export_events(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT e.title, e.starts_at, e.ends_at, e.place, e.organiser, e.joint, e.capacity, "
            "t.name AS tos_name, e.attended, "
            "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id "
            "AND s.status = 'going') AS going, "
            "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id "
            "AND s.status = 'waiting') AS waiting "
            "FROM events e LEFT JOIN tos t ON t.id = e.audience_tos "
            "WHERE e.starts_at >= ? AND e.starts_at < ? ORDER BY e.starts_at",
            (to_db(start), to_db(end)),
        )

    async def export_competitions(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT c.title, c.organiser, c.eligible, c.opens_at, c.deadline, c.results_at, "
            "c.max_grant, c.status, "
            "COUNT(a.id) AS applications, COALESCE(SUM(a.result = 'winner'), 0) AS winners, "
            "COALESCE(SUM(a.awarded), 0) AS awarded "
            "FROM competitions c LEFT JOIN competition_applications a "
            "ON a.competition_id = c.id AND a.status = 'registered' "
            "WHERE c.deadline >= ? AND c.deadline < ? GROUP BY c.id ORDER BY c.deadline",
            (to_db(start), to_db(end)),
        )

    async def export_applications(self, start: datetime, end: datetime) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            "SELECT c.title AS competition, a.body_kind, COALESCE(t.name, o.name, '') AS body, "
            "a.project, a.direction, a.amount, a.status, a.result, a.awarded, a.created_at, "
            "u.first_name, u.last_name, u.username "
            "FROM competition_applications a JOIN competitions c ON c.id = a.competition_id "
            "LEFT JOIN tos t ON a.body_kind = 'tos' AND t.id = a.body_id "
            "LEFT JOIN organisations o ON a.body_kind = 'org' AND o.id = a.body_id "
            "LEFT JOIN users u ON u.id = a.applicant_id "
            "WHERE a.created_at >= ? AND a.created_at < ? ORDER BY a.id",
            (to_db(start), to_db(end)),
        )
