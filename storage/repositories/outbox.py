"""The outbox: notifications waiting for delivery, and broadcasts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.outbox import (
    ERASED,
    NOT_ALLOWED_CODE,
    OPEN,
    UNDELIVERED,
    UNREACHABLE_CODE,
    OutboxMessage,
)
from storage.executor import Executor, Row, from_db, marks, to_db

# The topic another process hears (Database.subscribe) when a unit of work queued mail.
OUTBOX_QUEUED = "outbox"


def _message(row: Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        chat_id=row["chat_id"],
        text=row["text"],
        template=row["template"],
        args=json.loads(row["args"]) if row["args"] else {},
        locale=row["locale"],
        buttons=json.loads(row["buttons"]) if row["buttons"] else None,
        broadcast_id=row["broadcast_id"],
        not_before=from_db(row["not_before"]),  # type: ignore[arg-type]
        attempts=row["attempts"],
        parts_sent=row["parts_sent"],
        status=row["status"],
        last_error=row["last_error"],
        sent_at=from_db(row["sent_at"]),
        kind=row["kind"],
        media=json.loads(row["media"]) if row["media"] else None,
        edit_of=row["edit_of"],
        message_id=row["message_id"],
        reply_to=row["reply_to"],
        error_code=row["error_code"],
        audience=row["audience"],
        readdress=bool(row["readdress"]),
    )


class OutboxRepository:
    def __init__(self, db: Executor, notes: dict[str, Any] | None = None) -> None:
        self._db = db
        self._notes = notes

    async def enqueue(
        self,
        chat_id: int,
        *,
        now: datetime,
        text: str | None = None,
        template: str | None = None,
        args: dict[str, Any] | None = None,
        locale: str | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
        key: str | None = None,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
        media: list[str] | None = None,
        edit_of: int | None = None,
        file: tuple[str, str] | None = None,
        reply_to: int | None = None,
        audience: str | None = None,
        subject: int | None = None,
        readdress: bool = False,
    ) -> int | None:
        """Queue a message: text (or a template), an album (`media`), an edit of a message
        sent before (`edit_of`), or one file (`file`: ("photo" | "document", file id)) with
        the text as its caption; `reply_to` makes it a reply to an earlier row in the chat.
        `audience` STAFF marks staff mail (see StaffService.notify); `subject` is the person
        whose words or data it carries, erased with them; `readdress` lets the sender send
        it elsewhere when its recipient may no longer get it (see `readdressed`). Returns
        the row's id; None when a message with the same idempotency key exists."""
        kind = "album" if media else "edit" if edit_of is not None else "text"
        if file is not None:
            kind, media = file[0], [file[1]]
        # RETURNING gives the id only when a row was written: a duplicate key returns none,
        # in one statement (a broadcast queues thousands of these).
        row_id = await self._db.fetch_value(
            "INSERT INTO outbox (chat_id, text, template, args, locale, buttons, "
            "idempotency_key, broadcast_id, not_before, created_at, kind, media, edit_of, "
            "reply_to, audience, subject_id, readdress) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(idempotency_key) DO NOTHING RETURNING id",
            (
                chat_id,
                text,
                template,
                json.dumps(args or {}, ensure_ascii=False),
                locale,
                json.dumps(buttons, ensure_ascii=False) if buttons else None,
                key,
                broadcast_id,
                to_db(not_before or now),
                to_db(now),
                kind,
                json.dumps(media) if media else None,
                edit_of,
                reply_to,
                audience,
                subject,
                int(readdress),
            ),
        )
        if row_id is None:
            return None
        if self._notes is not None:
            self._notes["outbox"] = True
        return int(row_id)

    async def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Messages to send now: per chat only the first open one, so a chat's messages go
        out in order even when an earlier one waits for a retry."""
        rows = await self._db.fetch_all(
            "SELECT o.* FROM outbox o "  # noqa: S608 - placeholders
            "WHERE o.status = 'pending' AND o.not_before <= ? "
            "AND (o.retry_at IS NULL OR o.retry_at <= ?) "
            "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id "
            f"  AND p.status IN {marks(OPEN)} "
            "  AND (p.not_before < o.not_before OR (p.not_before = o.not_before AND p.id < o.id))) "
            "ORDER BY o.not_before, o.id LIMIT ?",
            (to_db(now), to_db(now), *OPEN, limit),
        )
        return [_message(row) for row in rows]

    async def busy_for(self, chat_id: int, now: datetime) -> bool:
        """Something for this chat is being sent or is due now."""
        value = await self._db.fetch_value(
            "SELECT 1 FROM outbox WHERE chat_id = :chat AND (status = 'sending' OR "
            "(status = 'pending' AND not_before <= :now "
            "AND (retry_at IS NULL OR retry_at <= :now))) LIMIT 1",
            {"chat": chat_id, "now": to_db(now)},
        )
        return value is not None

    async def next_due_at(self) -> datetime | None:
        """When the earliest open message becomes due (for an idle sender's sleep)."""
        value = await self._db.fetch_value(
            "SELECT MIN(CASE WHEN retry_at > not_before THEN retry_at ELSE not_before END) "
            "FROM outbox "
            "WHERE status = 'pending'"
        )
        return from_db(value)

    async def mark_sending(self, message_id: int) -> bool:
        """Take a pending row for sending; False if it changed meanwhile (e.g. cancelled)."""
        return bool(
            await self._db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 "
                "WHERE id = ? AND status = 'pending'",
                (message_id,),
            )
        )

    async def part_sent(self, message_id: int, parts_sent: int) -> None:
        await self._db.execute(
            "UPDATE outbox SET parts_sent = ? WHERE id = ?", (parts_sent, message_id)
        )

    async def mark_sent(
        self, row_id: int, now: datetime, telegram_message_id: int | None = None
    ) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL, "
            "message_id = COALESCE(?, message_id) WHERE id = ?",
            (to_db(now), telegram_message_id, row_id),
        )

    async def retry_later(
        self, message_id: int, retry_at: datetime, error: str, *, counts: bool = True
    ) -> None:
        """Back to the queue until `retry_at`; a flood wait (counts=False) is no attempt."""
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', retry_at = ?, last_error = ?, "
            "attempts = attempts - ? WHERE id = ?",
            (to_db(retry_at), error[:500], 0 if counts else 1, message_id),
        )

    async def mark_failed(self, message_id: int, error: str, code: str) -> None:
        """Failed for good: `error` in Telegram's words, `code` what staff are told."""
        await self._db.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?, error_code = ? WHERE id = ?",
            (error[:500], code, message_id),
        )

    async def mark_skipped(
        self, message_id: int, reason: str, code: str = NOT_ALLOWED_CODE
    ) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = ?, error_code = ? WHERE id = ?",
            (reason[:500], code, message_id),
        )

    async def readdressed(self, row_id: int, chat_ids: list[int], now: datetime) -> int:
        """Queue a row again for each of `chat_ids`, due now, in each recipient's language:
        the same message, not a reply or an edit of one in the first chat, and not to be
        readdressed again. Each copy once, however often this runs. Returns how many."""
        queued = 0
        for chat_id in chat_ids:
            queued += await self._db.execute(
                "INSERT INTO outbox (chat_id, text, template, args, buttons, idempotency_key, "
                "broadcast_id, not_before, created_at, kind, media, audience, subject_id) "
                "SELECT CAST(? AS BIGINT), text, template, args, buttons, ?, broadcast_id, ?, ?, "
                "kind, media, "
                "audience, subject_id FROM outbox WHERE id = ? "
                "ON CONFLICT(idempotency_key) DO NOTHING",
                (chat_id, f"readdressed:{row_id}:{chat_id}", to_db(now), to_db(now), row_id),
            )
        if queued and self._notes is not None:
            self._notes["outbox"] = True
        return queued

    async def skip_chat(self, chat_id: int, reason: str, code: str = UNREACHABLE_CODE) -> int:
        """Stop everything queued for a chat that cannot be reached."""
        return await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = ?, error_code = ? "  # noqa: S608
            f"WHERE chat_id = ? AND status IN {marks(OPEN)}",
            (reason[:500], code, chat_id, *OPEN),
        )

    async def forget_person(self, user_id: int) -> int:
        """A withdrawal of consent: what was queued for the person or carries their words is
        cancelled, and no row, whatever its status, keeps its text, arguments or files.
        Returns how many rows were erased."""
        return await self._db.execute(
            "UPDATE outbox SET args = '{}', buttons = NULL, media = NULL, "  # noqa: S608
            "text = CASE WHEN text IS NULL THEN NULL ELSE '' END, "
            f"status = CASE WHEN status IN {marks(OPEN)} THEN 'cancelled' ELSE status END, "
            f"last_error = CASE WHEN status IN {marks(OPEN)} THEN ? ELSE last_error END "
            "WHERE chat_id = ? OR subject_id = ?",
            (*OPEN, *OPEN, ERASED, user_id, user_id),
        )

    async def recover(self) -> int:
        """After a crash: what was being sent is sent again (from the first unsent part)."""
        return await self._db.execute(
            "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in rows}

    async def recent_failures(self, limit: int) -> list[OutboxMessage]:
        rows = await self._db.fetch_all(
            f"SELECT * FROM outbox WHERE status IN {marks(UNDELIVERED)} "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            (*UNDELIVERED, limit),
        )
        return [_message(row) for row in rows]

    async def get(self, message_id: int) -> OutboxMessage | None:
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE id = ?", (message_id,))
        return None if row is None else _message(row)

    # -- broadcasts ---------------------------------------------------------------------

    async def create_broadcast(
        self, audience: str, template: str, args: dict[str, Any], created_by: int, now: datetime
    ) -> int:
        return await self._db.insert(
            "INSERT INTO broadcasts (audience, template, args, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (audience, template, json.dumps(args, ensure_ascii=False), created_by, to_db(now)),
        )

    async def broadcast_exists(self, broadcast_id: int) -> bool:
        found = await self._db.fetch_value("SELECT 1 FROM broadcasts WHERE id = ?", (broadcast_id,))
        return found is not None

    async def broadcast_progress(self, broadcast_id: int) -> dict[str, int]:
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def recent_broadcasts(self, limit: int) -> list[tuple[int, str, datetime, bool]]:
        rows = await self._db.fetch_all(
            "SELECT id, audience, created_at, cancelled_at IS NOT NULL FROM broadcasts "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1], from_db(r[2]), bool(r[3])) for r in rows]  # type: ignore[misc]

    async def cancel_broadcast(self, broadcast_id: int, now: datetime) -> int:
        """Cancel what has not gone out yet; returns how many messages were cancelled."""
        await self._db.execute(
            "UPDATE broadcasts SET cancelled_at = COALESCE(cancelled_at, ?) WHERE id = ?",
            (to_db(now), broadcast_id),
        )
        return await self._db.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'pending'",
            (broadcast_id,),
        )
