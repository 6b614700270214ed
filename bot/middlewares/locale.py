"""Chooses the reply language: the user's choice, else Telegram's if we speak it, else default."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.services.users import UserService


class LocaleMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        users: UserService = data["users"]
        tg_user: User | None = data.get("event_from_user")
        return users.resolve_locale(
            data.get("user"), tg_user.language_code if tg_user else None, self.i18n.default_locale
        )

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        locale = await self.get_locale(event, data)
        data["locale"] = locale
        if self.i18n_key:
            data[self.i18n_key] = self.i18n
        # Plain context variables rather than i18n.context()/use_locale(): this runs on
        # every update, and two generator-based context managers cost more than the rest.
        i18n_token = I18n.set_current(self.i18n)
        locale_token = self.i18n.ctx_locale.set(locale)
        try:
            return await handler(event, data)
        finally:
            self.i18n.ctx_locale.reset(locale_token)
            I18n.reset_current(i18n_token)
