"""Ids of the messengers beside Telegram: people and chats mapped to internal ids, message
ids mapped to integers, and where long polling stopped (migration 0015)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.executor import Executor


@dataclass(frozen=True, slots=True)
class ExternalId:
    """Who an internal id is on its messenger."""

    messenger: str
    kind: str  # "user" | "chat"
    external_id: int
    dialog_id: int | None = None  # a person's dialog with the bot (MAX), once seen


@dataclass(frozen=True, slots=True)
class MessageRef:
    external_id: str  # the messenger's message id (MAX: `mid`)
    chat_id: int  # internal
    media: list[dict[str, Any]]  # what the message carries beside its keyboard


class MessengerIdRepository:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- people and chats -------------------------------------------------------------------

    async def number_of(self, messenger: str, kind: str, external_id: int) -> int:
        """The row number of an external id, made on first sight (then never changes)."""
        await self._db.execute(
            "INSERT INTO messenger_ids (messenger, kind, external_id) VALUES (?, ?, ?) "
            "ON CONFLICT (messenger, kind, external_id) DO NOTHING",
            (messenger, kind, external_id),
        )
        number = await self._db.fetch_value(
            "SELECT number FROM messenger_ids WHERE messenger = ? AND kind = ? AND external_id = ?",
            (messenger, kind, external_id),
        )
        return int(number)

    async def find_number(self, messenger: str, kind: str, external_id: int) -> int | None:
        number = await self._db.fetch_value(
            "SELECT number FROM messenger_ids WHERE messenger = ? AND kind = ? AND external_id = ?",
            (messenger, kind, external_id),
        )
        return None if number is None else int(number)

    async def external(self, number: int) -> ExternalId | None:
        row = await self._db.fetch_one(
            "SELECT messenger, kind, external_id, dialog_id FROM messenger_ids WHERE number = ?",
            (number,),
        )
        if row is None:
            return None
        return ExternalId(row[0], row[1], int(row[2]), row[3])

    async def set_dialog(self, number: int, dialog_id: int) -> None:
        await self._db.execute(
            "UPDATE messenger_ids SET dialog_id = ? WHERE number = ? AND dialog_id IS NOT ?",
            (dialog_id, number, dialog_id),
        )

    # -- messages ---------------------------------------------------------------------------

    async def message_number(
        self,
        messenger: str,
        external_id: str,
        chat_id: int,
        media: list[dict[str, Any]] | None = None,
    ) -> int:
        """The integer of a message, made on first sight; `media` is kept when given."""
        await self._db.execute(
            "INSERT INTO messenger_messages (messenger, external_id, chat_id, media) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (messenger, external_id) DO NOTHING",
            (messenger, external_id, chat_id, json.dumps(media) if media else None),
        )
        if media is not None:
            await self._db.execute(
                "UPDATE messenger_messages SET media = ? WHERE messenger = ? AND external_id = ?",
                (json.dumps(media) if media else None, messenger, external_id),
            )
        number = await self._db.fetch_value(
            "SELECT id FROM messenger_messages WHERE messenger = ? AND external_id = ?",
            (messenger, external_id),
        )
        return int(number)

    async def message(self, messenger: str, number: int) -> MessageRef | None:
        row = await self._db.fetch_one(
            "SELECT external_id, chat_id, media FROM messenger_messages "
            "WHERE id = ? AND messenger = ?",
            (number, messenger),
        )
        if row is None:
            return None
        return MessageRef(row[0], int(row[1]), json.loads(row[2]) if row[2] else [])

    async def set_media(self, messenger: str, number: int, media: list[dict[str, Any]]) -> None:
        await self._db.execute(
            "UPDATE messenger_messages SET media = ? WHERE id = ? AND messenger = ?",
            (json.dumps(media) if media else None, number, messenger),
        )

    # -- polling ----------------------------------------------------------------------------

    async def state(self, messenger: str, key: str) -> str | None:
        value = await self._db.fetch_value(
            "SELECT value FROM messenger_state WHERE messenger = ? AND key = ?", (messenger, key)
        )
        return None if value is None else str(value)

    async def set_state(self, messenger: str, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO messenger_state (messenger, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (messenger, key) DO UPDATE SET value = excluded.value",
            (messenger, key, value),
        )
