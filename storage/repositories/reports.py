"""Figures for the digest, the yearly report and exports: read-only, indexed queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.outbox import UNDELIVERED
from storage.executor import Executor, Row, marks, to_db


def _pairs(rows: list[Row]) -> dict[str, int]:
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
    ) -> tuple[list[Row], int]:
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
    ) -> tuple[list[Row], int]:
        params = (to_db(since), to_db(until))
        rows = await self._db.fetch_all(
            "SELECT id, year, seq, kind, status, due_at, extended_to FROM support_requests "
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
    ) -> tuple[list[Row], int]:
        """Requests in these statuses due before `moment` (overdue), the earliest first; and
        how many."""
        return await self._due(statuses, None, moment, limit)

    async def requests_due_between(
        self, statuses: Sequence[str], start: datetime, end: datetime, limit: int
    ) -> tuple[list[Row], int]:
        """Requests in these statuses due in [start, end), the earliest first; and how many."""
        return await self._due(statuses, start, end, limit)

    async def _due(
        self, statuses: Sequence[str], start: datetime | None, end: datetime, limit: int
    ) -> tuple[list[Row], int]:
        where = (
            f"WHERE status IN {marks(statuses)} AND due_at >= COALESCE(CAST(? AS TEXT), due_at) "
            "AND due_at < ? "
        )
        params = (*statuses, to_db(start), to_db(end))
        rows = await self._db.fetch_all(
            "SELECT id, year, seq, kind, status, due_at, extended_to FROM support_requests "  # noqa: S608
            + where
            + "ORDER BY due_at, id LIMIT ?",
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
    ) -> tuple[list[Row], int]:
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

    async def deadlines_between(self, start: datetime, end: datetime) -> list[Row]:
        return await self._db.fetch_all(
            "SELECT title, deadline AS at FROM competitions WHERE status = 'open' "
            "AND deadline >= ? AND deadline < ? ORDER BY deadline, id",
            (to_db(start), to_db(end)),
        )

    async def events_between(self, start: datetime, end: datetime) -> list[Row]:
        return await self._db.fetch_all(
            "SELECT title, starts_at AS at, joint FROM events "
            "WHERE starts_at >= ? AND starts_at < ? AND cancelled_at IS NULL "
            "ORDER BY starts_at, id",
            (to_db(start), to_db(end)),
        )

    # -- a report's period -------------------------------------------------------------------
    # Figures of what was created, answered, held or joined in [start, end). The counts seek
    # each (direction | kind, status) pair's range of created_at in an index (the pairs are
    # given), so a period costs its own rows, not the whole table's.

    async def initiatives_by_direction(
        self, start: datetime, end: datetime, directions: Sequence[str], statuses: Sequence[str]
    ) -> list[tuple[str, str, int]]:
        rows = await self._db.fetch_all(
            "SELECT direction, status, COUNT(*) FROM initiatives "  # noqa: S608 - marks only
            f"INDEXED BY initiatives_year WHERE direction IN {marks(directions)} "
            f"AND status IN {marks(statuses)} AND created_at >= ? AND created_at < ? "
            "GROUP BY direction, status",
            (*directions, *statuses, to_db(start), to_db(end)),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def requests_by_kind(
        self,
        periods: Sequence[tuple[datetime, datetime]],
        kinds: Sequence[str],
        statuses: Sequence[str],
    ) -> list[tuple[int, str, str, int, int, int]]:
        """(which of the periods, kind, status, how many, of them answered, of them answered
        by their due date) for requests created in each of these [start, end) periods
        (consecutive months, say): one statement, each period walking its own index rows."""
        one = (
            "SELECT {n}, kind, status, COUNT(*), COUNT(answered_late), "  # noqa: S608
            "COALESCE(SUM(CASE WHEN answered_late = 0 THEN 1 ELSE 0 END), 0) FROM support_requests "
            f"INDEXED BY support_requests_year WHERE kind IN {marks(kinds)} "
            f"AND status IN {marks(statuses)} AND created_at >= ? AND created_at < ? "
            "GROUP BY kind, status"
        )
        params: list[Any] = []
        for start, end in periods:
            params += [*kinds, *statuses, to_db(start), to_db(end)]
        rows = await self._db.fetch_all(
            " UNION ALL ".join(one.format(n=n) for n in range(len(periods))), params
        )
        return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]

    async def answer_days_at(
        self, start: datetime, end: datetime, positions: Sequence[tuple[str | None, int]]
    ) -> list[list[float]]:
        """Days to the first answer of the period's answered requests of a kind (None: of
        every kind) at a position in their ascending order, and the one after it (a
        median's two middle values): read in that order from an index up to the position,
        not a whole period's worth of rows. The positions come from the answered counts
        (requests_by_kind)."""
        if not positions:
            return []
        of_kind = (
            "SELECT * FROM (SELECT {n} AS part, answer_days FROM support_requests "
            "INDEXED BY support_requests_answered WHERE kind = ? AND answer_days IS NOT NULL "
            "AND created_at >= ? AND created_at < ? ORDER BY answer_days LIMIT 2 OFFSET ?) AS part"
        )
        of_all = (
            "SELECT * FROM (SELECT {n} AS part, answer_days FROM support_requests "
            "INDEXED BY support_requests_answer_time WHERE answer_days IS NOT NULL "
            "AND created_at >= ? AND created_at < ? ORDER BY answer_days LIMIT 2 OFFSET ?) AS part"
        )
        parts: list[str] = []
        params: list[Any] = []
        for n, (kind, position) in enumerate(positions):
            if kind is None:
                parts.append(of_all.format(n=n))
                params += [to_db(start), to_db(end), position]
            else:
                parts.append(of_kind.format(n=n))
                params += [kind, to_db(start), to_db(end), position]
        rows = await self._db.fetch_all(" UNION ALL ".join(parts), params)
        found: list[list[float]] = [[] for _ in positions]
        for row in rows:
            found[int(row[0])].append(float(row[1]))
        return found

    async def overdue_by_kind(
        self, start: datetime, end: datetime, now: datetime, awaiting: Sequence[str]
    ) -> dict[str, int]:
        """The period's requests awaiting an answer past their due date, by kind."""
        return _pairs(
            await self._db.fetch_all(
                "SELECT kind, COUNT(*) FROM support_requests "  # noqa: S608 - marks only
                f"INDEXED BY support_requests_open WHERE status IN {marks(awaiting)} "
                "AND due_at < ? AND created_at >= ? AND created_at < ? GROUP BY kind",
                (*awaiting, to_db(now), to_db(start), to_db(end)),
            )
        )

    async def extended_requests(self, start: datetime, end: datetime) -> int:
        """The period's requests whose term was extended (59-FZ art. 12 part 2)."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM support_requests INDEXED BY support_requests_extended "
                "WHERE extended_at IS NOT NULL AND created_at >= ? AND created_at < ?",
                (to_db(start), to_db(end)),
            )
        )

    async def reopened_requests(self, start: datetime, end: datetime) -> int:
        """The period's requests reopened after an answer, at least once."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM support_requests INDEXED BY support_requests_reopened "
                "WHERE cycle > 0 AND created_at >= ? AND created_at < ?",
                (to_db(start), to_db(end)),
            )
        )

    async def initiatives_untouched(
        self, start: datetime, end: datetime, statuses: Sequence[str], before: datetime
    ) -> int:
        """The period's initiatives in these statuses with no change since `before`."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM initiatives INDEXED BY initiatives_progress "  # noqa: S608
                f"WHERE status IN {marks(statuses)} AND created_at >= ? AND created_at < ? "
                "AND updated_at < ?",
                (*statuses, to_db(start), to_db(end), to_db(before)),
            )
        )

    async def initiative_examples(
        self, start: datetime, end: datetime, directions: Sequence[str], status: str, each: int
    ) -> list[tuple[str, str]]:
        """(direction, title): the latest `each` initiatives of every direction in this
        status among the period's, each direction's read straight from its index range.
        The report is published: none hidden by moderation (its title may be what residents
        reported), as the public list."""
        one = (
            "SELECT * FROM (SELECT direction, title FROM initiatives INDEXED BY initiatives_year "
            "WHERE direction = ? AND status = ? AND created_at >= ? AND created_at < ? "
            "AND hidden = 0 "
            "ORDER BY created_at DESC, id DESC LIMIT ?) AS part"
        )
        params: list[Any] = []
        for direction in directions:
            params += [direction, status, to_db(start), to_db(end), each]
        rows = await self._db.fetch_all(" UNION ALL ".join([one] * len(directions)), params)
        return [(str(r[0]), str(r[1])) for r in rows]

    async def people(self, start: datetime, end: datetime) -> int:
        """People who took part in the period: submitted an initiative or a request,
        supported an initiative or signed up for an event. One index seek per person and
        source, in person order, for the people the bot knew by the period's end."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM users u WHERE u.created_at < :end AND ("
                "EXISTS (SELECT 1 FROM initiatives i WHERE i.author_id = u.id "
                "AND i.created_at >= :start AND i.created_at < :end) "
                "OR EXISTS (SELECT 1 FROM support_requests r WHERE r.requester_id = u.id "
                "AND r.created_at >= :start AND r.created_at < :end) "
                "OR EXISTS (SELECT 1 FROM initiative_supports s WHERE s.user_id = u.id "
                "AND s.at >= :start AND s.at < :end) "
                "OR EXISTS (SELECT 1 FROM event_signups e WHERE e.user_id = u.id "
                "AND e.signed_at >= :start AND e.signed_at < :end))",
                {"start": to_db(start), "end": to_db(end)},
            )
        )

    async def supporters(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(people who supported an initiative in the period, their supports)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(DISTINCT user_id), COUNT(*) FROM initiative_supports "
            "WHERE at >= ? AND at < ?",
            (to_db(start), to_db(end)),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def tos_members(self, moment: datetime) -> int:
        """People in a TOS through the bot (active TOS), who joined before `moment`."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(DISTINCT m.user_id) FROM tos_members m JOIN tos t "
                "ON t.id = m.tos_id WHERE t.active = 1 AND m.joined_at < ?",
                (to_db(moment),),
            )
        )

    async def events_of_period(
        self, start: datetime, end: datetime, now: datetime
    ) -> tuple[int, int, int, int]:
        """Events held in the period (begun before `now`, not cancelled): (how many, of them
        joint with the town hall, people who attended as organisers marked, people signed up
        in the bot)."""
        params = (to_db(start), to_db(end), to_db(now))
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(joint), 0), COALESCE(SUM(attended), 0), "
            "(SELECT COUNT(DISTINCT s.user_id) FROM event_signups s JOIN events h "
            "ON h.id = s.event_id WHERE s.status = 'going' AND h.starts_at >= ? "
            "AND h.starts_at < ? AND h.starts_at < ? AND h.cancelled_at IS NULL) "
            "FROM events WHERE starts_at >= ? AND starts_at < ? AND starts_at < ? "
            "AND cancelled_at IS NULL",
            (*params, *params),
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    async def events_of_period_each(
        self, start: datetime, end: datetime, now: datetime
    ) -> list[Row]:
        """Each event of the period held (begun before `now`) or cancelled, in order: its
        title, start, joint, attended as marked, people going, and when it was cancelled."""
        return await self._db.fetch_all(
            "SELECT e.title, e.starts_at, e.joint, e.attended, e.cancelled_at, "
            "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id "
            "AND s.status = 'going') AS going "
            "FROM events e WHERE e.starts_at >= ? AND e.starts_at < ? "
            "AND (e.starts_at < ? OR e.cancelled_at IS NOT NULL) ORDER BY e.starts_at, e.id",
            (to_db(start), to_db(end), to_db(now)),
        )

    async def events_ahead(self, now: datetime, limit: int) -> tuple[list[Row], int]:
        """Events not begun yet (nor cancelled), the nearest first; and how many."""
        rows = await self._db.fetch_all(
            "SELECT title, starts_at, joint FROM events WHERE starts_at >= ? "
            "AND cancelled_at IS NULL ORDER BY starts_at, id LIMIT ?",
            (to_db(now), limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM events WHERE starts_at >= ? AND cancelled_at IS NULL",
            (to_db(now),),
        )
        return rows, int(total)

    async def competitions_of_period(
        self,
        start: datetime,
        end: datetime,
        ngo_kinds: Sequence[str],
        group_kinds: Sequence[str],
    ) -> list[Row]:
        """Per competition with its deadline in the period: when it opened, who could apply,
        applications by the kind of body (TOS, NGO, initiative group), results recorded,
        winners and the sums awarded, and when the results were announced."""
        return await self._db.fetch_all(
            "SELECT c.id, c.title, c.opens_at, c.deadline, c.eligible, "  # noqa: S608
            "c.results_announced_at, "
            "COALESCE(SUM(CASE WHEN a.body_kind = 'tos' THEN 1 ELSE 0 END), 0) AS tos_applied, "
            "COALESCE(SUM(CASE WHEN a.body_kind = 'org' "
            f"AND o.kind IN {marks(ngo_kinds)} THEN 1 ELSE 0 END), 0) AS ngo_applied, "
            "COALESCE(SUM(CASE WHEN a.body_kind = 'org' "
            f"AND o.kind IN {marks(group_kinds)} THEN 1 ELSE 0 END), 0) AS group_applied, "
            "COALESCE(SUM(CASE WHEN a.result IS NOT NULL THEN 1 ELSE 0 END), 0) AS decided, "
            "COALESCE(SUM(CASE WHEN a.result = 'winner' THEN 1 ELSE 0 END), 0) AS winners, "
            "COALESCE(SUM(a.awarded), 0) AS awarded "
            "FROM competitions c LEFT JOIN competition_applications a "
            "ON a.competition_id = c.id AND a.status = 'registered' "
            "LEFT JOIN organisations o ON a.body_kind = 'org' AND o.id = a.body_id "
            "WHERE c.deadline >= ? AND c.deadline < ? GROUP BY c.id ORDER BY c.deadline, c.id",
            (*ngo_kinds, *group_kinds, to_db(start), to_db(end)),
        )

    async def winning_projects(self, start: datetime, end: datetime) -> list[Row]:
        """The winners of the competitions with their deadline in the period."""
        return await self._db.fetch_all(
            "SELECT a.competition_id, a.project, a.direction, a.awarded "
            "FROM competition_applications a JOIN competitions c ON c.id = a.competition_id "
            "WHERE a.status = 'registered' AND a.result = 'winner' "
            "AND c.deadline >= ? AND c.deadline < ? ORDER BY a.competition_id, a.id",
            (to_db(start), to_db(end)),
        )

    async def competitions_open(self, now: datetime) -> list[Row]:
        """Competitions still taking applications, the nearest deadline first."""
        return await self._db.fetch_all(
            "SELECT title, deadline FROM competitions WHERE status = 'open' AND deadline >= ? "
            "ORDER BY deadline, id",
            (to_db(now),),
        )

    async def tos_figures(
        self, day: str, moment: datetime, *, undated_since: datetime | None = None
    ) -> tuple[int, int]:
        """(TOS registered by this day and active at `moment`, their residents). One
        deactivated after `moment` (its last change) counts as active then. One without a
        registration date counts as registered; with `undated_since`, only if it was in the
        registry before then."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(residents), 0) FROM tos "
            "WHERE (active = 1 OR updated_at >= :moment) AND (registered_on <= :day "
            "OR (registered_on IS NULL AND (CAST(:undated AS TEXT) IS NULL "
            "OR created_at < :undated)))",
            {"moment": to_db(moment), "day": day, "undated": to_db(undated_since)},
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def organisations(self, moment: datetime | None = None) -> dict[str, int]:
        """Organisations by kind: active now (None), or in the registry and active at
        `moment` (entered before it, not deactivated before it)."""
        if moment is None:
            rows = await self._db.fetch_all(
                "SELECT kind, COUNT(*) FROM organisations WHERE active = 1 GROUP BY kind"
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT kind, COUNT(*) FROM organisations WHERE created_at < ? "
                "AND (active = 1 OR updated_at >= ?) GROUP BY kind",
                (to_db(moment), to_db(moment)),
            )
        return _pairs(rows)

    async def first_record(self) -> datetime | None:
        """When the bot's records begin: the earliest initiative, request, event,
        competition or registry entry."""
        value = await self._db.fetch_value(
            "SELECT MIN(at) FROM ("
            "SELECT MIN(created_at) AS at FROM initiatives UNION ALL "
            "SELECT MIN(created_at) FROM support_requests UNION ALL "
            "SELECT MIN(created_at) FROM events UNION ALL "
            "SELECT MIN(created_at) FROM competitions UNION ALL "
            "SELECT MIN(created_at) FROM tos UNION ALL "
            "SELECT MIN(created_at) FROM organisations) AS firsts"
        )
        return None if value is None else datetime.fromisoformat(value)

    # -- exports ---------------------------------------------------------------------------

    async def export_initiatives(self, start: datetime, end: datetime) -> list[Row]:
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
    ) -> list[Row]:
        """The requests created in [start, end), each marked open and overdue (awaiting an
        answer past its due date) by the groups given."""
        return await self._db.fetch_all(
            "SELECT r.year, r.seq, r.created_at, r.kind, r.status, r.behalf_kind, "  # noqa: S608
            "r.behalf_name, r.description, r.wanted_date, r.due_at, r.closed_at, r.helped, "
            "r.extended_to, r.extension_reason, "
            f"r.phone, u.first_name, u.last_name, u.username, "
            f"r.status IN {marks(open_statuses)} AS is_open, "
            f"(r.status IN {marks(awaiting)} AND r.due_at < ?) AS overdue "
            "FROM support_requests r LEFT JOIN users u ON u.id = r.requester_id "
            "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.id",
            (*open_statuses, *awaiting, to_db(now), to_db(start), to_db(end)),
        )

    async def export_events(self, start: datetime, end: datetime) -> list[Row]:
        return await self._db.fetch_all(
            "SELECT e.title, e.starts_at, e.ends_at, e.place, e.organiser, e.joint, e.capacity, "
            "t.name AS tos_name, e.attended, e.cancelled_at, "
            "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id "
            "AND s.status = 'going') AS going, "
            "(SELECT COUNT(*) FROM event_signups s WHERE s.event_id = e.id "
            "AND s.status = 'waiting') AS waiting "
            "FROM events e LEFT JOIN tos t ON t.id = e.audience_tos "
            "WHERE e.starts_at >= ? AND e.starts_at < ? ORDER BY e.starts_at, e.id",
            (to_db(start), to_db(end)),
        )

    async def export_competitions(self, start: datetime, end: datetime) -> list[Row]:
        return await self._db.fetch_all(
            "SELECT c.title, c.organiser, c.eligible, c.opens_at, c.deadline, c.results_at, "
            "c.max_grant, c.status, "
            "COUNT(a.id) AS applications, "
            "COALESCE(SUM(CASE WHEN a.result = 'winner' THEN 1 ELSE 0 END), 0) AS winners, "
            "COALESCE(SUM(a.awarded), 0) AS awarded "
            "FROM competitions c LEFT JOIN competition_applications a "
            "ON a.competition_id = c.id AND a.status = 'registered' "
            "WHERE c.deadline >= ? AND c.deadline < ? GROUP BY c.id ORDER BY c.deadline",
            (to_db(start), to_db(end)),
        )

    async def export_applications(self, start: datetime, end: datetime) -> list[Row]:
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
