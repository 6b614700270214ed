"""MAX's ids as the rest of the bot sees them: people and chats as internal integers (see
bot/messengers/__init__.py), messages (`mid` strings) as integers, files as file ids.

The maps live in the database (storage/repositories/messenger_ids.py), so an edit, a reply
or a button made before a restart still finds its message after it; a person's or chat's
id never changes once given, so those are also kept in memory.
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.messengers import MAX, internal_id, messenger_of, number_of
from storage.db import Database
from storage.repositories.messenger_ids import ExternalId, MessageRef

FILE_PREFIX = "max:"  # a file id of MAX's (Telegram's never has a colon)
CALLBACK_PREFIX = "max:"  # a callback query id of MAX's
DOWNLOAD_PREFIX = "max-file:"  # a File.file_path that is MAX's download address
_MESSAGES_KEPT = 4096


@dataclass(frozen=True, slots=True)
class MaxFile:
    kind: str  # image | file | video | audio
    token: str  # what attaches it to a message again
    url: str  # where it is downloaded from
    name: str | None = None


def file_id(file: MaxFile) -> str:
    raw = json.dumps([file.kind, file.token, file.url, file.name], separators=(",", ":"))
    return FILE_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_file_id(value: str) -> MaxFile | None:
    """The file behind a MAX file id; None for anything else (a Telegram file id)."""
    if not value.startswith(FILE_PREFIX):
        return None
    body = value.removeprefix(FILE_PREFIX)
    try:
        kind, token, url, name = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return None
    return MaxFile(str(kind), str(token), str(url), None if name is None else str(name))


def is_max_file(value: str) -> bool:
    return value.startswith(FILE_PREFIX)


class MaxIds:
    """Internal ids of MAX's people, chats and messages, made on first sight."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._people: dict[int, int] = {}  # MAX user id -> internal
        self._groups: dict[int, int] = {}  # MAX chat id -> internal
        self._external: dict[int, ExternalId] = {}
        self._dialogs: dict[int, int] = {}  # internal person -> their dialog's chat id
        self._messages: OrderedDict[int, MessageRef] = OrderedDict()

    async def person(self, user_id: int, dialog_id: int | None = None) -> int:
        """A MAX user's internal id (positive), and their dialog with the bot when seen."""
        internal = self._people.get(user_id)
        if internal is None:
            async with self._db.transaction() as uow:
                number = await uow.messenger_ids.number_of(MAX, "user", user_id)
            internal = self._people[user_id] = internal_id(number, group=False)
        if dialog_id is not None and self._dialogs.get(internal) != dialog_id:
            async with self._db.transaction() as uow:
                await uow.messenger_ids.set_dialog(number_of(internal), dialog_id)
            self._dialogs[internal] = dialog_id
            self._external.pop(internal, None)
        return internal

    async def group(self, chat_id: int) -> int:
        """A MAX group chat's internal id (negative)."""
        internal = self._groups.get(chat_id)
        if internal is None:
            async with self._db.transaction() as uow:
                number = await uow.messenger_ids.number_of(MAX, "chat", chat_id)
            internal = self._groups[chat_id] = internal_id(number, group=True)
        return internal

    async def external(self, internal: int) -> ExternalId | None:
        """Who an internal id is on MAX; None for an id MAX never gave."""
        if messenger_of(internal) != MAX:
            return None
        found = self._external.get(internal)
        if found is None:
            found = await self._db.lookup.messenger_ids.external(number_of(internal))
            if found is None or (found.kind == "chat") != (internal < 0):
                return None
            self._external[internal] = found
            if found.dialog_id is not None:
                self._dialogs[internal] = found.dialog_id
        return found

    async def message(
        self, mid: str, chat_id: int, media: list[dict[str, Any]] | None = None
    ) -> int:
        """The integer of a MAX message (kept in the database); `media` what it carries
        beside its keyboard, when the bot sent it."""
        async with self._db.transaction() as uow:
            number = await uow.messenger_ids.message_number(MAX, mid, chat_id, media)
        if media is None:
            self._messages.pop(number, None)  # read back as kept, with what it carries
        else:
            self._remember(number, MessageRef(mid, chat_id, media))
        return number

    async def mid(self, number: int) -> MessageRef | None:
        """The MAX message behind an integer message id; None if MAX never had it."""
        found = self._messages.get(number)
        if found is None:
            found = await self._db.lookup.messenger_ids.message(MAX, number)
            if found is not None:
                self._remember(number, found)
        return found

    async def set_media(self, number: int, media: list[dict[str, Any]]) -> None:
        async with self._db.transaction() as uow:
            await uow.messenger_ids.set_media(MAX, number, media)
        ref = await self.mid(number)
        if ref is not None:
            self._remember(number, MessageRef(ref.external_id, ref.chat_id, media))

    def _remember(self, number: int, ref: MessageRef) -> None:
        self._messages[number] = ref
        self._messages.move_to_end(number)
        while len(self._messages) > _MESSAGES_KEPT:
            self._messages.popitem(last=False)

    async def state(self, key: str) -> str | None:
        return await self._db.lookup.messenger_ids.state(MAX, key)

    async def set_state(self, key: str, value: str) -> None:
        async with self._db.transaction() as uow:
            await uow.messenger_ids.set_state(MAX, key, value)
