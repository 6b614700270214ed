"""Acting on a /start payload once the user has consented: invites and join posters."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.commands import publish_for_user
from bot.domain.people import Person
from bot.i18n import fill
from bot.services.errors import DomainError
from bot.services.registry import JOIN_PREFIX, ROLE_GIVEN, ROLE_KINDS, RegistryService
from bot.services.registry_fields import ROLE_NAMES
from bot.services.staff import WELCOME_STAFF, StaffService
from bot.services.users import UserService
from bot.settings import Settings
from handlers.errors import render_error
from handlers.render import escape
from handlers.reports import INITIATIVE_LINK, REQUEST_LINK


async def act_on_payload(
    message: Message,
    bot: Bot,
    user: Person,
    payload: str,
    staff: StaffService,
    users: UserService,
    i18n: I18n,
    settings: Settings,
    registry: RegistryService,
) -> None:
    """Act on the payload; the caller shows the main menu afterwards."""
    if payload.startswith((INITIATIVE_LINK, REQUEST_LINK)):
        return  # a card link opened before consent: the menu is what is left to show
    try:
        if payload.startswith(JOIN_PREFIX):
            tos = await registry.join_by_token(user.id, payload)
            await message.answer(
                fill(_("Welcome to «{name}»! /tos shows its card and news."), name=escape(tos.name))
            )
            return
        if await registry.invite_kind(payload) in ROLE_KINDS:
            got = await registry.redeem(user.id, payload)  # staff hear of it by the outbox
            await message.answer(
                fill(_(ROLE_GIVEN), role=_(ROLE_NAMES[got.role]), body=escape(got.body_name))
            )
            return
        await staff.redeem(user.id, payload)  # the invite's author hears of it by the outbox
    except DomainError as error:
        await message.answer(render_error(error))
        return
    await message.answer(_(WELCOME_STAFF))
    await publish_for_user(bot, i18n, settings.default_locale, user.id, staff.role_of(user.id))


def card_number(payload: str) -> tuple[str, str] | None:
    """A digest's link `ini_2026_42` / `req_2026_17` -> ("initiative" | "request", "2026-42")."""
    for kind, prefix in (("initiative", INITIATIVE_LINK), ("request", REQUEST_LINK)):
        if payload.startswith(prefix):
            year, _sep, seq = payload.removeprefix(prefix).partition("_")
            if year.isdigit() and seq.isdigit():
                return kind, f"{year}-{seq}"
    return None
