"""One Bot for every messenger: each request goes through its recipient's messenger.

The session under the Bot looks at a request once and hands it to the messenger it belongs
to: by the chat it goes to (bot/messengers/__init__.py: an id tells its messenger), by the
button press it answers, by the file it reads. Everything above (handlers, services, the
outbox, the middlewares that fit texts, flush forms and retry) is written once.

What one messenger cannot take from the other is bridged here: a photo or a file a person
sent on one messenger and the bot sends to someone on the other is downloaded from the first
and uploaded to the second.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMyCommands,
    GetFile,
    GetMe,
    SendDocument,
    SendMediaGroup,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import BotCommandScopeChat, BufferedInputFile, User

from bot.messengers import MAX, TELEGRAM, Messenger, messenger_of
from bot.messengers.limits import LIMITS, Limits
from bot.messengers.max.ids import CALLBACK_PREFIX, DOWNLOAD_PREFIX, is_max_file, parse_file_id

log = logging.getLogger(__name__)

# Requests that concern the bot itself, not a chat: they go to the messenger of the Bot that
# makes them (see MessengerBot), e.g. each messenger's long polling.
_OWN = frozenset({"GetUpdates", "DeleteWebhook", "SetWebhook", "GetWebhookInfo", "LogOut", "Close"})


class MessengerBot(Bot):
    """A Bot whose own requests (long polling) go to one messenger; its other requests are
    routed by their chat like any Bot's on a RoutingSession. Same token, same id, same
    session: the handlers cannot tell which one an update came through."""

    messenger: Messenger = TELEGRAM


@dataclass(frozen=True)
class RoutedFiles(TelegramAPIServer):
    """Telegram's addresses; a MAX file's path is already its address."""

    def file_url(self, token: str, path: str | Path) -> str:
        if str(path).startswith(DOWNLOAD_PREFIX):
            return str(path)
        return super().file_url(token, path)


def file_messenger(file_id: str) -> Messenger:
    return MAX if is_max_file(file_id) else TELEGRAM


class RoutingSession(BaseSession):
    def __init__(self, sessions: dict[Messenger, BaseSession], primary: Messenger) -> None:
        telegram = sessions.get(TELEGRAM)
        api = telegram.api if telegram is not None else TelegramAPIServer.from_base("http://-")
        super().__init__(api=RoutedFiles(base=api.base, file=api.file, is_local=api.is_local))
        self.sessions = sessions
        self.primary = primary
        self._closed = False

    # -- where a request goes -----------------------------------------------------------------

    def messenger_for(self, bot: Bot, method: TelegramMethod[Any]) -> Messenger:
        name = type(method).__name__
        if name in _OWN:
            own: Messenger = getattr(bot, "messenger", self.primary)
            return own
        if isinstance(method, GetMe):
            return self.primary
        if isinstance(method, AnswerCallbackQuery):
            return MAX if method.callback_query_id.startswith(CALLBACK_PREFIX) else TELEGRAM
        if isinstance(method, GetFile):
            return file_messenger(method.file_id)
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None and isinstance(getattr(method, "scope", None), BotCommandScopeChat):
            chat_id = method.scope.chat_id  # type: ignore[attr-defined]
        if isinstance(chat_id, int):
            return messenger_of(chat_id)
        return self.primary

    def limits_for(self, bot: Bot, method: TelegramMethod[Any]) -> Limits:
        return LIMITS[self.messenger_for(bot, method)]

    # -- aiogram's session ----------------------------------------------------------------

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        if isinstance(method, SetMyCommands | DeleteMyCommands) and not isinstance(
            method.scope, BotCommandScopeChat
        ):
            # The bot's command list for everyone: on every messenger.
            for session in self.sessions.values():
                await session.make_request(bot, method, timeout)
            return True  # type: ignore[return-value]
        target = self.messenger_for(bot, method)
        found = self.sessions.get(target)
        if found is None:
            raise TelegramBadRequest(method, f"Bad Request: chat not found ({target} is not run)")
        method = await self._bridge(bot, method, target)
        result = await found.make_request(bot, method, timeout)
        if isinstance(method, GetMe) and isinstance(result, User) and target == TELEGRAM:
            self._learn_username(result.username)
        return result

    def _learn_username(self, username: str | None) -> None:
        """Links to the bot on Telegram (a digest's, an invite's) also open it on MAX."""
        max_session = self.sessions.get(MAX)
        if username and max_session is not None:
            max_session.ours.add(username)  # type: ignore[attr-defined]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        target = MAX if url.startswith(DOWNLOAD_PREFIX) else TELEGRAM
        async for chunk in self.sessions[target].stream_content(
            url, headers, timeout, chunk_size, raise_for_status
        ):
            yield chunk

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for session in self.sessions.values():
            await session.close()

    # -- files across messengers ----------------------------------------------------------

    async def _bridge(
        self, bot: Bot, method: TelegramMethod[TelegramType], target: Messenger
    ) -> TelegramMethod[TelegramType]:
        """A file id of the other messenger replaced by the file itself."""
        if isinstance(method, SendPhoto) and self._foreign(method.photo, target):
            photo = await self._fetch(bot, str(method.photo), "photo.jpg")
            return method.model_copy(update={"photo": photo})  # type: ignore[return-value]
        if isinstance(method, SendDocument) and self._foreign(method.document, target):
            document = await self._fetch(bot, str(method.document), "file")
            return method.model_copy(update={"document": document})  # type: ignore[return-value]
        if isinstance(method, SendMediaGroup) and any(
            self._foreign(item.media, target) for item in method.media
        ):
            media = []
            for item in method.media:
                if self._foreign(item.media, target):
                    item = item.model_copy(
                        update={"media": await self._fetch(bot, str(item.media), "photo.jpg")}
                    )
                media.append(item)
            return method.model_copy(update={"media": media})  # type: ignore[return-value]
        return method

    @staticmethod
    def _foreign(value: Any, target: Messenger) -> bool:
        return isinstance(value, str) and file_messenger(value) != target

    async def _fetch(self, bot: Bot, file_id: str, name: str) -> BufferedInputFile:
        origin = file_messenger(file_id)
        session = self.sessions.get(origin)
        if session is None:
            raise TelegramBadRequest(
                GetFile(file_id=file_id), f"Bad Request: the file is on {origin}, not run"
            )
        file = await session.make_request(bot, GetFile(file_id=file_id))
        url = self.api.file_url(bot.token, file.file_path or "")
        content = b"".join([chunk async for chunk in session.stream_content(url)])
        found = parse_file_id(file_id)
        if found is not None and found.name:
            name = found.name
        elif file.file_path and origin == TELEGRAM:
            name = PurePosixPath(file.file_path).name or name
        log.debug("a %s file (%d bytes) sent on: %s", origin, len(content), name)
        return BufferedInputFile(content, filename=name)
