"""The registry: TOS, organisations, the people who lead them (roles) and TOS members."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.domain.registry import BodyRole, Organisation, Tos, name_key
from storage.executor import Executor, Row, from_db, to_db

# The columns a TOS and an organisation may be written with (the names go into SQL).
TOS_FIELDS = (
    "name",
    "territory",
    "latitude",
    "longitude",
    "radius_m",
    "polygon",
    "registered_on",
    "residents",
    "contacts",
    "public_contact",
    "description",
    "active",
)
ORG_FIELDS = ("name", "kind", "description", "contacts", "active")


def _tos(row: Row) -> Tos:
    polygon = json.loads(row["polygon"]) if row["polygon"] else None
    keys = row.keys()
    return Tos(
        id=row["id"],
        name=row["name"],
        territory=tuple(json.loads(row["territory"] or "[]")),
        latitude=row["latitude"],
        longitude=row["longitude"],
        radius_m=row["radius_m"],
        polygon=tuple((float(a), float(b)) for a, b in polygon) if polygon else None,
        registered_on=date.fromisoformat(row["registered_on"]) if row["registered_on"] else None,
        residents=row["residents"],
        contacts=row["contacts"],
        public_contact=row["public_contact"],
        description=row["description"],
        join_token=row["join_token"],
        active=bool(row["active"]),
        members=row["members"] if "members" in keys else 0,
    )


def _org(row: Row) -> Organisation:
    return Organisation(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        description=row["description"],
        contacts=row["contacts"],
        active=bool(row["active"]),
    )


def _with_key(columns: dict[str, Any]) -> dict[str, Any]:
    if "name" in columns:
        columns["name_key"] = name_key(columns["name"])
    return columns


def tos_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Python values of TOS fields -> what the columns hold."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in TOS_FIELDS:
            raise KeyError(key)
        if key == "territory":
            value = json.dumps(list(value), ensure_ascii=False)
        elif key == "polygon":
            value = json.dumps([list(p) for p in value]) if value else None
        elif key == "registered_on":
            value = value.isoformat() if value else None
        elif key == "active":
            value = int(bool(value))
        out[key] = value
    return _with_key(out)


def org_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Python values of organisation fields -> what the columns hold (names checked)."""
    for key in values:
        if key not in ORG_FIELDS:
            raise KeyError(key)
    return _with_key({k: (int(bool(v)) if k == "active" else v) for k, v in values.items()})


_TOS_SELECT = (
    "SELECT t.*, (SELECT COUNT(*) FROM tos_members m WHERE m.tos_id = t.id) AS members FROM tos t "
)


class RegistryRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- TOS ------------------------------------------------------------------------------

    async def add_tos(self, values: dict[str, Any], join_token: str, now: datetime) -> int:
        columns = tos_columns(values)
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        return await self._db.insert(
            f"INSERT INTO tos ({names}, join_token, created_at, updated_at) "  # noqa: S608 - fixed names
            f"VALUES ({marks}, ?, ?, ?)",
            (*columns.values(), join_token, to_db(now), to_db(now)),
        )

    async def update_tos(self, tos_id: int, values: dict[str, Any], now: datetime) -> bool:
        columns = tos_columns(values)
        if not columns:
            return False
        sets = ", ".join(f"{name} = ?" for name in columns)
        return bool(
            await self._db.execute(
                f"UPDATE tos SET {sets}, updated_at = ? WHERE id = ?",  # noqa: S608 - fixed names
                (*columns.values(), to_db(now), tos_id),
            )
        )

    async def get_tos(self, tos_id: int) -> Tos | None:
        row = await self._db.fetch_one(_TOS_SELECT + "WHERE t.id = ?", (tos_id,))
        return None if row is None else _tos(row)

    async def tos_by_name(self, name: str) -> Tos | None:
        row = await self._db.fetch_one(_TOS_SELECT + "WHERE t.name_key = ?", (name_key(name),))
        return None if row is None else _tos(row)

    async def tos_by_join_token(self, token: str) -> Tos | None:
        row = await self._db.fetch_one(_TOS_SELECT + "WHERE t.join_token = ?", (token,))
        return None if row is None else _tos(row)

    async def all_tos(self, *, active_only: bool = False) -> list[Tos]:
        where = "WHERE t.active = 1 " if active_only else ""
        rows = await self._db.fetch_all(_TOS_SELECT + where + "ORDER BY t.name_key")
        return [_tos(row) for row in rows]

    async def tos_names(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.fetch_all(
            f"SELECT id, name FROM tos WHERE id IN ({marks})",  # noqa: S608 - placeholders only
            ids,
        )
        return {row["id"]: row["name"] for row in rows}

    # -- organisations ----------------------------------------------------------------------

    async def add_org(self, values: dict[str, Any], now: datetime) -> int:
        columns = org_columns(values)
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        return await self._db.insert(
            f"INSERT INTO organisations ({names}, created_at, updated_at) "  # noqa: S608
            f"VALUES ({marks}, ?, ?)",
            (*columns.values(), to_db(now), to_db(now)),
        )

    async def update_org(self, org_id: int, values: dict[str, Any], now: datetime) -> bool:
        columns = org_columns(values)
        if not columns:
            return False
        sets = ", ".join(f"{name} = ?" for name in columns)
        return bool(
            await self._db.execute(
                f"UPDATE organisations SET {sets}, updated_at = ? WHERE id = ?",  # noqa: S608
                (*columns.values(), to_db(now), org_id),
            )
        )

    async def get_org(self, org_id: int) -> Organisation | None:
        row = await self._db.fetch_one("SELECT * FROM organisations WHERE id = ?", (org_id,))
        return None if row is None else _org(row)

    async def org_by_name(self, name: str) -> Organisation | None:
        row = await self._db.fetch_one(
            "SELECT * FROM organisations WHERE name_key = ?", (name_key(name),)
        )
        return None if row is None else _org(row)

    async def all_orgs(self, *, active_only: bool = False) -> list[Organisation]:
        where = "WHERE active = 1 " if active_only else ""
        rows = await self._db.fetch_all(
            "SELECT * FROM organisations " + where + "ORDER BY name_key"  # noqa: S608
        )
        return [_org(row) for row in rows]

    # -- roles ------------------------------------------------------------------------------

    async def roles_of(self, user_id: int) -> list[BodyRole]:
        rows = await self._db.fetch_all(
            "SELECT r.user_id, r.body_kind, r.body_id, r.role, "
            "COALESCE(t.name, o.name, '') AS body_name FROM body_roles r "
            "LEFT JOIN tos t ON r.body_kind = 'tos' AND t.id = r.body_id AND t.active = 1 "
            "LEFT JOIN organisations o ON r.body_kind = 'org' AND o.id = r.body_id "
            "AND o.active = 1 "
            "WHERE r.user_id = ? AND (t.id IS NOT NULL OR o.id IS NOT NULL) "
            "ORDER BY r.body_kind DESC, body_name",
            (user_id,),
        )
        return [
            BodyRole(r["user_id"], r["body_kind"], r["body_id"], r["role"], r["body_name"])
            for r in rows
        ]

    async def people_of(self, body_kind: str, body_id: int) -> list[BodyRole]:
        rows = await self._db.fetch_all(
            "SELECT user_id, body_kind, body_id, role, granted_at FROM body_roles "
            "WHERE body_kind = ? AND body_id = ? ORDER BY role = 'chair' DESC, granted_at",
            (body_kind, body_id),
        )
        return [
            BodyRole(
                r["user_id"],
                r["body_kind"],
                r["body_id"],
                r["role"],
                since=from_db(r["granted_at"]),
            )
            for r in rows
        ]

    async def chair_of(self, tos_id: int) -> int | None:
        value = await self._db.fetch_value(
            "SELECT user_id FROM body_roles WHERE body_kind = 'tos' AND body_id = ? "
            "AND role = 'chair'",
            (tos_id,),
        )
        return None if value is None else int(value)

    async def grant(
        self, user_id: int, body_kind: str, body_id: int, role: str, by: int | None, now: datetime
    ) -> None:
        """Give (or change) a person's role in a body."""
        await self._db.execute(
            "INSERT INTO body_roles (user_id, body_kind, body_id, role, granted_by, granted_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, body_kind, body_id) "
            "DO UPDATE SET role = excluded.role, granted_by = excluded.granted_by, "
            "granted_at = excluded.granted_at",
            (user_id, body_kind, body_id, role, by, to_db(now)),
        )

    async def revoke(self, user_id: int, body_kind: str, body_id: int) -> str | None:
        """Take a person's role away; returns the role they had."""
        role = await self._db.fetch_value(
            "SELECT role FROM body_roles WHERE user_id = ? AND body_kind = ? AND body_id = ?",
            (user_id, body_kind, body_id),
        )
        if role is None:
            return None
        await self._db.execute(
            "DELETE FROM body_roles WHERE user_id = ? AND body_kind = ? AND body_id = ?",
            (user_id, body_kind, body_id),
        )
        return str(role)

    async def chairs(self, body_kind: str = "tos") -> list[BodyRole]:
        """Everyone who speaks for an active body (chairs and deputies, or representatives)."""
        table = "tos" if body_kind == "tos" else "organisations"
        rows = await self._db.fetch_all(
            f"SELECT r.user_id, r.body_kind, r.body_id, r.role, b.name AS body_name "  # noqa: S608
            f"FROM body_roles r JOIN {table} b ON b.id = r.body_id AND b.active = 1 "
            "WHERE r.body_kind = ?",
            (body_kind,),
        )
        return [
            BodyRole(r["user_id"], r["body_kind"], r["body_id"], r["role"], r["body_name"])
            for r in rows
        ]

    async def forget_user(self, user_id: int) -> int:
        """Withdrawn consent: the person's roles and memberships go."""
        roles = await self._db.execute("DELETE FROM body_roles WHERE user_id = ?", (user_id,))
        members = await self._db.execute("DELETE FROM tos_members WHERE user_id = ?", (user_id,))
        return roles + members

    # -- members ----------------------------------------------------------------------------

    async def join(self, tos_id: int, user_id: int, now: datetime) -> bool:
        return bool(
            await self._db.execute(
                "INSERT INTO tos_members (tos_id, user_id, joined_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (tos_id, user_id, to_db(now)),
            )
        )

    async def leave(self, tos_id: int, user_id: int) -> bool:
        return bool(
            await self._db.execute(
                "DELETE FROM tos_members WHERE tos_id = ? AND user_id = ?", (tos_id, user_id)
            )
        )

    async def tos_of_user(self, user_id: int) -> list[Tos]:
        """Active TOS the person leads (first) or belongs to, in one query."""
        rows = await self._db.fetch_all(
            _TOS_SELECT + "JOIN (SELECT body_id AS tid, 0 AS led FROM body_roles "  # noqa: S608
            "WHERE user_id = ? AND body_kind = 'tos' "
            "UNION SELECT tos_id, 1 FROM tos_members WHERE user_id = ?) x ON x.tid = t.id "
            "WHERE t.active = 1 GROUP BY t.id ORDER BY MIN(x.led), t.name_key",
            (user_id, user_id),
        )
        return [_tos(row) for row in rows]

    async def memberships(self, user_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT m.tos_id FROM tos_members m JOIN tos t ON t.id = m.tos_id AND t.active = 1 "
            "WHERE m.user_id = ? ORDER BY m.joined_at",
            (user_id,),
        )
        return [row[0] for row in rows]

    async def member_count(self, tos_id: int) -> int:
        """Members the bot can write to (the same people as member_ids)."""
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM tos_members m JOIN users u ON u.id = m.user_id "
                "WHERE m.tos_id = ? AND u.consent_version IS NOT NULL "
                "AND u.unreachable_at IS NULL",
                (tos_id,),
            )
        )

    async def member_ids(self, tos_id: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT m.user_id FROM tos_members m JOIN users u ON u.id = m.user_id "
            "WHERE m.tos_id = ? AND u.consent_version IS NOT NULL AND u.unreachable_at IS NULL "
            "ORDER BY m.user_id",
            (tos_id,),
        )
        return [row[0] for row in rows]

    # -- announcements ----------------------------------------------------------------------

    async def announcements_since(self, tos_id: int, since: datetime) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM tos_announcements WHERE tos_id = ? AND at >= ?",
                (tos_id, to_db(since)),
            )
        )

    async def record_announcement(
        self, tos_id: int, author_id: int, broadcast_id: int | None, now: datetime
    ) -> int:
        return await self._db.insert(
            "INSERT INTO tos_announcements (tos_id, author_id, at, broadcast_id) "
            "VALUES (?, ?, ?, ?)",
            (tos_id, author_id, to_db(now), broadcast_id),
        )

    async def link_announcement(self, announcement_id: int, broadcast_id: int) -> None:
        await self._db.execute(
            "UPDATE tos_announcements SET broadcast_id = ? WHERE id = ?",
            (broadcast_id, announcement_id),
        )

    # -- figures ----------------------------------------------------------------------------

    async def coverage(self) -> tuple[int, int]:
        """(active TOS, residents they cover)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(residents), 0) FROM tos WHERE active = 1"
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def totals(self) -> tuple[int, int]:
        row = await self._db.fetch_one(
            "SELECT (SELECT COUNT(*) FROM tos), (SELECT COUNT(*) FROM organisations)"
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def org_count(self) -> int:
        sql = "SELECT COUNT(*) FROM organisations WHERE active = 1"
        return int(await self._db.fetch_value(sql))

    # -- competitions (issue 7) -------------------------------------------------------------

    async def org_leaders(self, kinds: tuple[str, ...]) -> list[BodyRole]:
        """Representatives of active organisations of the given kinds (ngo, group, other)."""
        if not kinds:
            return []
        marks = ", ".join("?" for _ in kinds)
        rows = await self._db.fetch_all(
            "SELECT r.user_id, r.body_kind, r.body_id, r.role, o.name AS body_name "  # noqa: S608
            "FROM body_roles r JOIN organisations o ON o.id = r.body_id AND o.active = 1 "
            f"WHERE r.body_kind = 'org' AND o.kind IN ({marks})",
            kinds,
        )
        return [
            BodyRole(r["user_id"], r["body_kind"], r["body_id"], r["role"], r["body_name"])
            for r in rows
        ]
