"""Lets a handler run only for users who have consented to personal data processing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from storage.repositories.users import UserRecord


class ConsentGate(BaseMiddleware):
    """Inner middleware: runs only once a handler matched, so unmatched updates fall through."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: UserRecord | None = data.get("user")
        if user is not None and user.has_consent:
            return await handler(event, data)
        text = _(
            "To use the bot, please first agree to the processing of your personal data: "
            "send /start."
        )
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message) and event.chat.type == "private":
            await event.answer(text)  # in a group the hint would only be noise
        return None
