"""One commit for the FSM writes of an update, made before the bot says anything."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject

from storage.fsm_storage import SqliteStorage


class FsmBatchMiddleware(BaseMiddleware):
    """Gathers the FSM writes of one update (see storage/fsm_storage.py)."""

    def __init__(self, storage: SqliteStorage) -> None:
        self._storage = storage

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._storage.batch():
            return await handler(event, data)


class FlushBeforeSend(BaseRequestMiddleware):
    """Commits gathered FSM writes before any request reaches Telegram: what the bot
    acknowledges to a user is saved first."""

    def __init__(self, storage: SqliteStorage) -> None:
        self._storage = storage

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        await self._storage.flush()
        return await make_request(bot, method)
