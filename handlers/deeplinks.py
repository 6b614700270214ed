"""Acting on a /start payload once the user has consented (staff invites for now)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import publish_for_user
from bot.services.errors import DomainError
from bot.services.staff import WELCOME_STAFF, StaffService
from bot.services.users import UserService
from bot.settings import Settings
from handlers.errors import render_error
from storage.repositories.users import UserRecord


async def act_on_payload(
    message: Message,
    bot: Bot,
    user: UserRecord,
    payload: str,
    staff: StaffService,
    users: UserService,
    i18n: I18n,
    settings: Settings,
) -> None:
    """Act on the payload; the caller shows the main menu afterwards."""
    try:
        await staff.redeem(user.id, payload)  # the invite's author hears of it by the outbox
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await message.answer(_(WELCOME_STAFF))
    await publish_for_user(bot, i18n, settings.default_locale, user.id, staff.role_of(user.id))
