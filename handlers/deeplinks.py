"""Acting on a /start payload once the user has consented (staff invites for now)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import publish_for_user
from bot.services.errors import DomainError
from bot.services.staff import StaffService
from bot.services.users import UserService
from bot.settings import Settings
from handlers.errors import render_error
from handlers.render import person
from storage.repositories.users import UserRecord

log = logging.getLogger(__name__)


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
        redemption = await staff.redeem(user.id, payload)
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await message.answer(
        _("You are now on the town hall's staff list. Send /help to see the staff commands.")
    )
    await publish_for_user(bot, i18n, settings.default_locale, user.id, staff.role_of(user.id))
    # Tell whoever created the invite, in their own language.
    # TODO(issue 3): send through the durable outbox once it exists.
    creator = await users.get(redemption.created_by)
    locale = users.resolve_locale(creator, None, settings.default_locale)
    with i18n.use_locale(locale):
        text = _("{name} opened your invite and joined the staff.").format(name=person(user))
    try:
        await bot.send_message(redemption.created_by, text)
    except TelegramAPIError:
        log.warning("could not tell the invite's creator", exc_info=True)
