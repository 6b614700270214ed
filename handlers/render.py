"""Small rendering helpers shared by handlers: people's names, escaped for HTML; numbers in
the reader's language. (Long texts need nothing here: bot/middlewares/fit.py fits every
message at the one place that sends.)"""

from __future__ import annotations

from typing import cast

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration
from babel.numbers import format_decimal

from bot.domain.people import Person


def escape(text: str) -> str:
    return html_decoration.quote(text)


def person(user: Person | None) -> str:
    """A person as staff see them: name and @username, never a raw id."""
    if user is None or user.display_name is None:
        return _("a person who has not opened the bot yet")
    name = escape(user.display_name)
    if user.username and user.first_name:
        name += f" (@{escape(user.username)})"
    return name


async def drop_buttons(message: Message) -> None:
    """Remove the inline buttons of a message once they are used; a second press is fine."""
    if message.reply_markup is None:
        return
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest as error:
        if "message is not modified" not in str(error):
            raise


def button_message(query: CallbackQuery) -> Message:
    """The message a pressed button sits on; ButtonOnMessage let only such presses in."""
    return cast(Message, query.message)


def number(value: float, pattern: str = "#,##0") -> str:
    """A number as the reader's language writes it: «4 040», «7,2» in Russian."""
    return format_decimal(value, format=pattern, locale=get_i18n().current_locale)
