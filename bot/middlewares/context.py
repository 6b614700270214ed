"""Per update: the ids for every log line, the count of updates in flight (for a clean
stop) and the batch that commits the update's FSM writes together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.logs import update_id_var, user_id_var
from storage.fsm_storage import DatabaseStorage


class UpdateContextMiddleware(BaseMiddleware):
    def __init__(self, storage: DatabaseStorage) -> None:
        self._storage = storage
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def wait_idle(self, seconds: float) -> bool:
        """Wait for in-flight updates to finish (on shutdown); False if time ran out."""
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        update_token = update_id_var.set(event.update_id if isinstance(event, Update) else None)
        user_token = user_id_var.set(user.id if user else None)
        self._in_flight += 1
        self._idle.clear()
        try:
            async with self._storage.batch():
                result = await handler(event, data)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        # On failure the ids stay set: aiogram's errors middleware, outside this one, logs
        # the failure next, and each polled update runs in its own task anyway.
        update_id_var.reset(update_token)
        user_id_var.reset(user_token)
        return result
