"""Lets a handler run only for users who have consented to personal data processing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.services.users import UserService


class ConsentGate(BaseMiddleware):
    """Inner middleware: runs only once a handler matched, so unmatched updates fall through."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: Person | None = data.get("user")
        if user is not None and user.has_consent:
            return await handler(event, data)
        text = _(
            "To use the bot, please first agree to the processing of your personal data: "
            "send /start."
        )
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message) and event.chat.type == "private":
            await event.answer(text)
        elif isinstance(event, Message) and user is not None:
            await _explain_in_group(event, data["users"], user.id)
        return None


async def _explain_in_group(message: Message, users: UserService, user_id: int) -> None:
    """In a group (the staff chat) the person is told why the bot does not answer them, as
    a reply, once a day: more often it would only be noise there."""
    if not await users.should_explain_silence(user_id):
        return
    me = await message.bot.me() if message.bot is not None else None
    markup = None
    if me is not None and me.username:
        button = InlineKeyboardButton(text=_("Open the bot"), url=f"https://t.me/{me.username}")
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    await message.reply(
        _(
            "The bot answers only people who have agreed to the processing of their personal "
            "data. Open the bot in a private chat and send /start there."
        ),
        reply_markup=markup,
    )
