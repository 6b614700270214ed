"""Support requests: the cases, their status log, conversation, staff cards and thread links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.domain.cases import StatusChange
from bot.domain.requests import RequestMessage, SupportRequest
from storage.executor import Executor, Row, from_db, marks, to_db
from storage.repositories.cases import StaffCards, StatusLog


def _record(row: Row) -> SupportRequest:
    return SupportRequest(
        id=row["id"],
        year=row["year"],
        seq=row["seq"],
        requester_id=row["requester_id"],
        kind=row["kind"],
        behalf_kind=row["behalf_kind"],
        behalf_id=row["behalf_id"],
        behalf_name=row["behalf_name"],
        description=row["description"],
        wanted_date=date.fromisoformat(row["wanted_date"]) if row["wanted_date"] else None,
        phone=row["phone"],
        status=row["status"],
        assignee_id=row["assignee_id"],
        opened_at=from_db(row["opened_at"]),  # type: ignore[arg-type]
        due_at=from_db(row["due_at"]),  # type: ignore[arg-type]
        cycle=row["cycle"],
        nudged=row["nudged"],
        closed_at=from_db(row["closed_at"]),
        helped=None if row["helped"] is None else bool(row["helped"]),
        rating_comment=row["rating_comment"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        extended_from=from_db(row["extended_from"]),
        extended_to=from_db(row["extended_to"]),
        extension_reason=row["extension_reason"],
    )


def _message(row: Row) -> RequestMessage:
    return RequestMessage(
        id=row["id"],
        request_id=row["request_id"],
        direction=row["direction"],
        author_id=row["author_id"],
        text=row["text"],
        file_kind=row["file_kind"],
        file_id=row["file_id"],
        at=from_db(row["at"]),  # type: ignore[arg-type]
    )


class RequestRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db
        self._log = StatusLog(db, "request_log", "request_id")
        self._cards = StaffCards(db, "request_cards", "request_id")

    async def create(
        self,
        *,
        draft_token: str,
        requester_id: int,
        kind: str,
        behalf_kind: str,
        behalf_id: int | None,
        behalf_name: str | None,
        description: str,
        wanted_date: date | None,
        phone: str | None,
        due_at: datetime,
        now: datetime,
        year: int,
    ) -> int:
        seq = await self._db.fetch_value(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM support_requests WHERE year = ?", (year,)
        )
        return await self._db.insert(
            "INSERT INTO support_requests (year, seq, draft_token, requester_id, kind, "
            "behalf_kind, behalf_id, behalf_name, description, wanted_date, phone, opened_at, "
            "due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                year,
                seq,
                draft_token,
                requester_id,
                kind,
                behalf_kind,
                behalf_id,
                behalf_name,
                description,
                wanted_date.isoformat() if wanted_date else None,
                phone,
                to_db(now),
                to_db(due_at),
                to_db(now),
                to_db(now),
            ),
        )

    async def get(self, request_id: int) -> SupportRequest | None:
        row = await self._db.fetch_one("SELECT * FROM support_requests WHERE id = ?", (request_id,))
        return None if row is None else _record(row)

    async def by_draft(self, draft_token: str) -> SupportRequest | None:
        row = await self._db.fetch_one(
            "SELECT * FROM support_requests WHERE draft_token = ?", (draft_token,)
        )
        return None if row is None else _record(row)

    async def by_number(self, year: int, seq: int) -> SupportRequest | None:
        row = await self._db.fetch_one(
            "SELECT * FROM support_requests WHERE year = ? AND seq = ?", (year, seq)
        )
        return None if row is None else _record(row)

    async def set_status(
        self,
        request_id: int,
        status: str,
        now: datetime,
        *,
        assignee_id: int | None = None,
        closed: bool = False,
    ) -> None:
        await self._db.execute(
            "UPDATE support_requests SET status = ?, updated_at = ?, "
            "assignee_id = COALESCE(?, assignee_id), "
            "closed_at = CASE WHEN ? = 1 THEN ? ELSE closed_at END, "
            "answer_days = CASE WHEN ? = 'answered' AND answer_days IS NULL "
            "THEN ROUND((julianday(?) - julianday(created_at)) * 100) / 100 ELSE answer_days END, "
            # the first answer past the due date then in force (as request_overdue says)
            "answered_late = CASE WHEN ? = 'answered' AND answer_days IS NULL "
            "THEN CASE WHEN ? > due_at THEN 1 ELSE 0 END ELSE answered_late END "
            "WHERE id = ?",
            (
                status,
                to_db(now),
                assignee_id,
                int(closed),
                to_db(now),
                status,
                to_db(now),
                status,
                to_db(now),
                request_id,
            ),
        )

    async def reopen(self, request_id: int, status: str, due_at: datetime, now: datetime) -> None:
        """A new term from now: a fresh due date, nudges again, the old rating set aside."""
        await self._db.execute(
            "UPDATE support_requests SET status = ?, opened_at = ?, due_at = ?, "
            "cycle = cycle + 1, nudged = 0, closed_at = NULL, helped = NULL, "
            "rating_comment = NULL, updated_at = ? WHERE id = ?",
            (status, to_db(now), to_db(due_at), to_db(now), request_id),
        )

    async def extend(
        self,
        request_id: int,
        *,
        due_at: datetime,
        was: datetime,
        reason: str,
        by: int,
        nudged: int,
        now: datetime,
    ) -> bool:
        """59-FZ's extension: the new due date, once (False when it was extended before);
        `nudged`, the nudges already past at the new term's share."""
        return bool(
            await self._db.execute(
                "UPDATE support_requests SET due_at = ?, extended_from = ?, extended_to = ?, "
                "extension_reason = ?, extended_by = ?, extended_at = ?, nudged = ?, "
                "updated_at = ? WHERE id = ? AND extended_at IS NULL",
                (
                    to_db(due_at),
                    to_db(was),
                    to_db(due_at),
                    reason,
                    by,
                    to_db(now),
                    nudged,
                    to_db(now),
                    request_id,
                ),
            )
        )

    async def rate(self, request_id: int, helped: bool) -> None:
        await self._db.execute(
            "UPDATE support_requests SET helped = ? WHERE id = ?", (int(helped), request_id)
        )

    async def rate_comment(self, request_id: int, comment: str) -> None:
        await self._db.execute(
            "UPDATE support_requests SET rating_comment = ? WHERE id = ?", (comment, request_id)
        )

    async def set_nudged(self, request_id: int, level: int) -> None:
        await self._db.execute(
            "UPDATE support_requests SET nudged = ? WHERE id = ? AND nudged < ?",
            (level, request_id, level),
        )

    async def forget_requester(self, requester_id: int) -> int:
        """Withdrawn consent: the requests stay (their type, dates, status and on whose
        behalf, for the town's figures) without the person's data: the phone they shared,
        what they wrote (the description, their messages, a rating comment) and the files
        they sent. Returns how many requests were touched."""
        await self._db.execute(
            "UPDATE request_messages SET text = '', file_kind = NULL, file_id = NULL "
            "WHERE direction = 'in' AND request_id IN "
            "(SELECT id FROM support_requests WHERE requester_id = ?)",
            (requester_id,),
        )
        return await self._db.execute(
            "UPDATE support_requests SET phone = NULL, description = '', rating_comment = NULL "
            "WHERE requester_id = ?",
            (requester_id,),
        )

    # -- log and conversation ---------------------------------------------------------------

    async def log(
        self,
        request_id: int,
        actor_id: int | None,
        from_status: str | None,
        to_status: str,
        comment: str | None,
        now: datetime,
    ) -> None:
        await self._log.add(request_id, actor_id, from_status, to_status, comment, now)

    async def history(self, request_id: int) -> list[StatusChange]:
        return await self._log.history(request_id)

    async def add_message(
        self,
        request_id: int,
        direction: str,
        author_id: int | None,
        text: str | None,
        file: tuple[str, str] | None,
        now: datetime,
    ) -> int:
        return await self._db.insert(
            "INSERT INTO request_messages (request_id, direction, author_id, text, file_kind, "
            "file_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                direction,
                author_id,
                text,
                file[0] if file else None,
                file[1] if file else None,
                to_db(now),
            ),
        )

    async def messages(self, request_id: int) -> list[RequestMessage]:
        rows = await self._db.fetch_all(
            "SELECT * FROM request_messages WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [_message(r) for r in rows]

    # -- staff cards and thread links -------------------------------------------------------

    async def add_card(self, request_id: int, chat_id: int, outbox_id: int) -> None:
        await self._cards.add(request_id, chat_id, outbox_id)

    async def cards(self, request_id: int) -> list[tuple[int, int]]:
        """(chat id, outbox id of the card) for every staff card of the request."""
        return await self._cards.all(request_id)

    async def link(
        self,
        request_id: int,
        side: str,
        chat_id: int,
        *,
        outbox_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO request_links (request_id, side, chat_id, outbox_id, message_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (request_id, side, chat_id, outbox_id, message_id),
        )

    async def thread_of(self, chat_id: int, message_id: int) -> tuple[int, str] | None:
        """The request (and side) a Telegram message in this chat belongs to."""
        row = await self._db.fetch_one(
            "SELECT request_id, side FROM request_links WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        if row is None:
            row = await self._db.fetch_one(
                "SELECT l.request_id, l.side FROM outbox o "
                "JOIN request_links l ON l.outbox_id = o.id "
                "WHERE o.chat_id = ? AND o.message_id = ?",
                (chat_id, message_id),
            )
        return None if row is None else (int(row[0]), str(row[1]))

    # -- lists ------------------------------------------------------------------------------

    async def by_due(self, statuses: Sequence[str], limit: int) -> tuple[list[SupportRequest], int]:
        """Requests in these statuses, the earliest due first; and how many there are."""
        where = f"WHERE status IN {marks(statuses)} "
        rows = await self._db.fetch_all(
            "SELECT * FROM support_requests " + where + "ORDER BY due_at, id LIMIT ?",  # noqa: S608
            (*statuses, limit),
        )
        total = await self._db.fetch_value(
            "SELECT COUNT(*) FROM support_requests " + where,  # noqa: S608 - placeholders
            tuple(statuses),
        )
        return [_record(r) for r in rows], int(total)

    async def by_requester(self, requester_id: int, limit: int) -> list[SupportRequest]:
        rows = await self._db.fetch_all(
            "SELECT * FROM support_requests WHERE requester_id = ? ORDER BY id DESC LIMIT ?",
            (requester_id, limit),
        )
        return [_record(r) for r in rows]

    async def awaiting_nudge(self, statuses: Sequence[str]) -> list[SupportRequest]:
        """Requests in these statuses (those awaiting an answer) not yet nudged at 80 %."""
        rows = await self._db.fetch_all(
            f"SELECT * FROM support_requests WHERE status IN {marks(statuses)} "  # noqa: S608
            "AND nudged < 80 ORDER BY due_at, id",
            tuple(statuses),
        )
        return [_record(r) for r in rows]
