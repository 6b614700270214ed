"""Users, their language and their consent to personal data processing."""

from __future__ import annotations

from datetime import datetime

from bot.domain.people import Person
from storage.executor import Executor, Row, from_db, marks, to_db

# Ids per IN list: well under either backend's limit of parameters in one statement.
_IN_CHUNK = 500


def _record(row: Row) -> Person:
    return Person(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language_code=row["language_code"],
        locale=row["locale"],
        consent_version=row["consent_version"],
        consent_at=from_db(row["consent_at"]),
        pending_payload=row["pending_payload"],
        last_seen_at=from_db(row["last_seen_at"]),  # type: ignore[arg-type]
        unreachable_at=from_db(row["unreachable_at"]),
    )


class UserRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def get(self, user_id: int) -> Person | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _record(row)

    async def get_many(self, user_ids: list[int]) -> dict[int, Person]:
        if not user_ids:
            return {}
        found: dict[int, Person] = {}
        for start in range(0, len(user_ids), _IN_CHUNK):
            chunk = user_ids[start : start + _IN_CHUNK]
            rows = await self._db.fetch_all(
                f"SELECT * FROM users WHERE id IN {marks(chunk)}",  # noqa: S608 - marks only
                chunk,
            )
            found.update((row["id"], _record(row)) for row in rows)
        return found

    async def save_seen(
        self,
        user_id: int,
        *,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> None:
        """Create or refresh a user, who is evidently reachable again. Names are stored only
        while the stored row has consent, checked here in SQL: a withdrawal committed a moment
        ago wins over a stale read."""
        await self._db.execute(
            "INSERT INTO users (id, language_code, created_at, last_seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET "
            "first_name = CASE WHEN users.consent_version IS NOT NULL THEN ? END, "
            "last_name = CASE WHEN users.consent_version IS NOT NULL THEN ? END, "
            "username = CASE WHEN users.consent_version IS NOT NULL THEN ? END, "
            "language_code = excluded.language_code, last_seen_at = excluded.last_seen_at, "
            "unreachable_at = NULL",
            (user_id, language_code, to_db(now), to_db(now), first_name, last_name, username),
        )

    async def ensure(self, user_id: int, now: datetime) -> None:
        """Make sure a row exists (e.g. staff added by id before they open the bot)."""
        await self._db.execute(
            "INSERT INTO users (id, created_at, last_seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO NOTHING",
            (user_id, to_db(now), to_db(now)),
        )

    async def mark_unreachable(self, user_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE users SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL",
            (to_db(now), user_id),
        )

    async def is_unreachable(self, user_id: int) -> bool:
        value = await self._db.fetch_value(
            "SELECT unreachable_at IS NOT NULL FROM users WHERE id = ?", (user_id,)
        )
        return bool(value)

    async def reachable_with_consent(self) -> list[int]:
        """Everyone the bot may write to on its own: consent given, chat not blocked."""
        rows = await self._db.fetch_all(
            "SELECT id FROM users WHERE consent_version IS NOT NULL AND unreachable_at IS NULL "
            "ORDER BY id"
        )
        return [row[0] for row in rows]

    async def claim_silence_note(self, user_id: int, now: datetime, since: datetime) -> bool:
        """Take the right to tell a person without consent why the bot is silent: True when
        they have not been told since `since` (then it is recorded as told now)."""
        changed = await self._db.execute(
            "UPDATE users SET silence_note_at = ? WHERE id = ? AND consent_version IS NULL "
            "AND (silence_note_at IS NULL OR silence_note_at <= ?)",
            (to_db(now), user_id, to_db(since)),
        )
        return changed == 1

    async def set_locale(self, user_id: int, locale: str) -> None:
        await self._db.execute("UPDATE users SET locale = ? WHERE id = ?", (locale, user_id))

    async def set_pending_payload(self, user_id: int, payload: str | None) -> None:
        await self._db.execute(
            "UPDATE users SET pending_payload = ? WHERE id = ?", (payload, user_id)
        )

    async def give_consent(self, user_id: int, version: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE users SET consent_version = ?, consent_at = ?, erased_at = NULL WHERE id = ?",
            (version, to_db(now), user_id),
        )
        await self._log_consent(user_id, "given", version, now)

    async def withdraw_consent(self, user_id: int, version: str, now: datetime) -> None:
        """Withdraw consent and erase the personal data kept on the user themself."""
        await self._db.execute(
            "UPDATE users SET first_name = NULL, last_name = NULL, username = NULL, "
            "consent_version = NULL, consent_at = NULL, pending_payload = NULL, erased_at = ? "
            "WHERE id = ?",
            (to_db(now), user_id),
        )
        await self._log_consent(user_id, "withdrawn", version, now)

    async def _log_consent(self, user_id: int, action: str, version: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO consent_log (user_id, action, notice_version, at) VALUES (?, ?, ?, ?)",
            (user_id, action, version, to_db(now)),
        )

    async def consent_history(self, user_id: int) -> list[tuple[str, str, datetime]]:
        rows = await self._db.fetch_all(
            "SELECT action, notice_version, at FROM consent_log WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        return [(r["action"], r["notice_version"], from_db(r["at"])) for r in rows]  # type: ignore[misc]
