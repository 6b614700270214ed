"""Grant competitions and the applications TOS and organisations register for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.competitions import Application, Competition
from storage.executor import Executor, Row, from_db, to_db

COMPETITION_FIELDS = (
    "title",
    "organiser",
    "description",
    "eligible",
    "opens_at",
    "deadline",
    "results_at",
    "rules_url",
    "max_grant",
    "status",
)


def _competition(row: Row) -> Competition:
    return Competition(
        id=row["id"],
        title=row["title"],
        organiser=row["organiser"],
        description=row["description"],
        eligible=tuple(e for e in row["eligible"].split(",") if e),
        opens_at=from_db(row["opens_at"]),  # type: ignore[arg-type]
        deadline=from_db(row["deadline"]),  # type: ignore[arg-type]
        results_at=from_db(row["results_at"]),
        rules_url=row["rules_url"],
        max_grant=row["max_grant"],
        status=row["status"],
        announced_at=from_db(row["announced_at"]),
        created_by=row["created_by"],
        results_announced_at=from_db(row["results_announced_at"]),
    )


def _application(row: Row) -> Application:
    return Application(
        id=row["id"],
        competition_id=row["competition_id"],
        body_kind=row["body_kind"],
        body_id=row["body_id"],
        body_name=row["body_name"] or "—",
        project=row["project"],
        direction=row["direction"],
        amount=row["amount"],
        initiative_id=row["initiative_id"],
        applicant_id=row["applicant_id"],
        status=row["status"],
        result=row["result"],
        awarded=row["awarded"],
    )


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in COMPETITION_FIELDS:
            raise KeyError(key)
        if isinstance(value, datetime):
            value = to_db(value)
        elif key == "eligible":
            value = ",".join(value)
        out[key] = value
    return out


_APP_SELECT = (
    "SELECT a.*, COALESCE(t.name, o.name) AS body_name FROM competition_applications a "
    "LEFT JOIN tos t ON a.body_kind = 'tos' AND t.id = a.body_id "
    "LEFT JOIN organisations o ON a.body_kind = 'org' AND o.id = a.body_id "
)


class CompetitionRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(self, values: dict[str, Any], created_by: int, now: datetime) -> int:
        columns = _columns(values)
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        return await self._db.insert(
            f"INSERT INTO competitions ({names}, created_by, created_at, updated_at) "  # noqa: S608
            f"VALUES ({marks}, ?, ?, ?)",
            (*columns.values(), created_by, to_db(now), to_db(now)),
        )

    async def update(self, competition_id: int, values: dict[str, Any], now: datetime) -> bool:
        columns = _columns(values)
        sets = ", ".join(f"{name} = ?" for name in columns)
        return bool(
            await self._db.execute(
                f"UPDATE competitions SET {sets}, updated_at = ? WHERE id = ?",  # noqa: S608
                (*columns.values(), to_db(now), competition_id),
            )
        )

    async def get(self, competition_id: int) -> Competition | None:
        row = await self._db.fetch_one("SELECT * FROM competitions WHERE id = ?", (competition_id,))
        return None if row is None else _competition(row)

    async def open_ones(self) -> list[Competition]:
        """Competitions not closed by staff, the nearest deadline first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM competitions WHERE status = 'open' ORDER BY deadline, id"
        )
        return [_competition(row) for row in rows]

    async def with_deadline_after(self, since: datetime) -> list[Competition]:
        rows = await self._db.fetch_all(
            "SELECT * FROM competitions WHERE status = 'open' AND deadline > ? ORDER BY id",
            (to_db(since),),
        )
        return [_competition(row) for row in rows]

    async def mark_announced(self, competition_id: int, now: datetime) -> bool:
        """Claim the opening announcement; False if another process claimed it first."""
        return bool(
            await self._db.execute(
                "UPDATE competitions SET announced_at = ? WHERE id = ? AND announced_at IS NULL",
                (to_db(now), competition_id),
            )
        )

    async def finished(self, limit: int) -> list[Competition]:
        """Competitions whose results are announced, the latest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM competitions WHERE results_announced_at IS NOT NULL "
            "ORDER BY results_announced_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_competition(row) for row in rows]

    async def mark_results_announced(
        self, competition_id: int, actor_id: int, now: datetime
    ) -> bool:
        """Claim the announcement of the results (and close the competition); False if
        they were announced already."""
        return bool(
            await self._db.execute(
                "UPDATE competitions SET results_announced_at = ?, results_announced_by = ?, "
                "status = 'closed', updated_at = ? WHERE id = ? AND results_announced_at IS NULL",
                (to_db(now), actor_id, to_db(now), competition_id),
            )
        )

    # -- applications -----------------------------------------------------------------------

    async def applications(self, competition_id: int) -> list[Application]:
        rows = await self._db.fetch_all(
            _APP_SELECT + "WHERE a.competition_id = ? ORDER BY a.status, body_name",
            (competition_id,),
        )
        return [_application(row) for row in rows]

    async def application(self, application_id: int) -> Application | None:
        row = await self._db.fetch_one(_APP_SELECT + "WHERE a.id = ?", (application_id,))
        return None if row is None else _application(row)

    async def application_of(
        self, competition_id: int, body_kind: str, body_id: int
    ) -> Application | None:
        row = await self._db.fetch_one(
            _APP_SELECT + "WHERE a.competition_id = ? AND a.body_kind = ? AND a.body_id = ?",
            (competition_id, body_kind, body_id),
        )
        return None if row is None else _application(row)

    async def applied_bodies(self, competition_id: int) -> set[tuple[str, int]]:
        rows = await self._db.fetch_all(
            "SELECT body_kind, body_id FROM competition_applications "
            "WHERE competition_id = ? AND status = 'registered'",
            (competition_id,),
        )
        return {(row[0], row[1]) for row in rows}

    async def register(self, competition_id: int, values: dict[str, Any], now: datetime) -> int:
        """Register (or register again after a withdrawal) a body's application."""
        await self._db.execute(
            "INSERT INTO competition_applications (competition_id, body_kind, body_id, project, "
            "direction, amount, initiative_id, applicant_id, created_at, updated_at) "
            "VALUES (:cid, :body_kind, :body_id, :project, :direction, :amount, :initiative_id, "
            ":applicant_id, :now, :now) "
            "ON CONFLICT (competition_id, body_kind, body_id) DO UPDATE SET "
            "project = excluded.project, direction = excluded.direction, "
            "amount = excluded.amount, initiative_id = excluded.initiative_id, "
            "applicant_id = excluded.applicant_id, status = 'registered', result = NULL, "
            "awarded = NULL, updated_at = excluded.updated_at",
            {"cid": competition_id, "now": to_db(now), **values},
        )
        return int(
            await self._db.fetch_value(
                "SELECT id FROM competition_applications WHERE competition_id = ? "
                "AND body_kind = ? AND body_id = ?",
                (competition_id, values["body_kind"], values["body_id"]),
            )
        )

    async def withdraw(self, application_id: int, now: datetime) -> bool:
        return bool(
            await self._db.execute(
                "UPDATE competition_applications SET status = 'withdrawn', updated_at = ? "
                "WHERE id = ? AND status = 'registered'",
                (to_db(now), application_id),
            )
        )

    async def set_result(
        self, application_id: int, result: str, awarded: int | None, now: datetime
    ) -> bool:
        return bool(
            await self._db.execute(
                "UPDATE competition_applications SET result = ?, awarded = ?, updated_at = ? "
                "WHERE id = ? AND status = 'registered'",
                (result, awarded, to_db(now), application_id),
            )
        )
