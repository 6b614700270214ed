"""FSM writes gathered during an update are committed before the bot says anything."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from storage.fsm_storage import DatabaseStorage


class FlushBeforeSend(BaseRequestMiddleware):
    """Commits gathered FSM writes before any request reaches Telegram: what the bot
    acknowledges to a user is saved first."""

    def __init__(self, storage: DatabaseStorage) -> None:
        self._storage = storage

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        await self._storage.flush()
        return await make_request(bot, method)
