"""Resolves who is writing: their stored profile and their role, for every handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.services.staff import Role, StaffService
from bot.services.users import TelegramProfile, UserService


class UserMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: User | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            data["user"] = None
            data["role"] = Role.RESIDENT
            return await handler(event, data)
        users: UserService = data["users"]
        staff: StaffService = data["staff"]
        data["profile"] = TelegramProfile(
            id=tg_user.id,
            first_name=tg_user.first_name,
            last_name=tg_user.last_name,
            username=tg_user.username,
            language_code=tg_user.language_code,
        )
        if not users.shared:
            return await self._resolved(handler, event, data, users, staff, tg_user)
        with users.scope():  # on PostgreSQL: people read once in this update, not kept after
            return await self._resolved(handler, event, data, users, staff, tg_user)

    async def _resolved(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
        users: UserService,
        staff: StaffService,
        tg_user: User,
    ) -> Any:
        data["user"] = await users.touch(data["profile"])
        # The role in this chat: staff act as staff only where staff work (a private chat or
        # the staff chat); in any other group they are residents and see what residents see.
        chat: Chat | None = data.get("event_chat")
        if chat is None:
            data["role"] = staff.role_of(tg_user.id)
        else:
            data["role"] = staff.role_in(tg_user.id, chat.id, private=chat.type == "private")
        return await handler(event, data)
