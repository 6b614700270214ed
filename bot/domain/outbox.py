"""The outbox: messages waiting for delivery, and what their statuses mean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Telegram's words for a chat the bot can no longer write to (it blocked us, was deleted).
UNREACHABLE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights")
# Why a row was skipped, as kept in last_error (staff read it in /outbox).
NOT_ALLOWED = "the recipient may no longer see it"
# error_code of such a row, and of rows skipped because their chat is unreachable.
NOT_ALLOWED_CODE = "not_allowed"
UNREACHABLE_CODE = "unreachable"
ERASED = "the person withdrew their consent"
STAFF = "staff"  # the audience of staff mail, checked again when it is sent

OPEN = ("pending", "sending")  # on its way: waiting for its turn or being sent
UNDELIVERED = ("failed", "skipped")  # will not be sent: failed, or not for this recipient
ENDED_UNSENT = (*UNDELIVERED, "cancelled")  # will not be sent, for whatever reason


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    chat_id: int
    text: str | None
    template: str | None
    args: dict[str, Any]
    locale: str | None
    buttons: list[list[dict[str, str]]] | None
    broadcast_id: int | None
    not_before: datetime
    attempts: int
    parts_sent: int
    status: str
    last_error: str | None
    sent_at: datetime | None
    kind: str = "text"  # text | album | edit | photo | document
    media: list[str] | None = None  # photo file ids of an album; the file of a photo/document
    edit_of: int | None = None  # the outbox row whose sent message this one edits
    message_id: int | None = None  # Telegram's id of what was sent
    reply_to: int | None = None  # the outbox row (same chat) this one replies to
    error_code: str | None = None  # why it failed or was skipped (see bot/delivery.py)
    audience: str | None = None  # STAFF: only to whoever may get staff mail when it goes
    # Staff mail about a case for one person: to current staff instead if they may no
    # longer get it when it goes (see bot/delivery.py, Audience).
    readdress: bool = False
