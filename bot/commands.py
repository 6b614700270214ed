"""The bot's commands: one list for the Telegram menu (setMyCommands) and for /help."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n

from bot.services.errors import N_
from bot.services.staff import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: str  # msgid, translated per language
    audience: Role = Role.RESIDENT  # the least role that sees it


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Main menu")),
    CommandSpec("initiative", N_("Propose a citizen initiative")),
    CommandSpec("initiatives", N_("Initiatives of the town: see and support")),
    CommandSpec("request", N_("Ask the town hall for support")),
    CommandSpec("my", N_("My initiatives and requests, their status")),
    CommandSpec("tos", N_("Find your TOS and join it")),
    CommandSpec("events", N_("Events: what is coming, signing up")),
    CommandSpec("competitions", N_("Grant competitions and applications")),
    CommandSpec("help", N_("What the bot can do")),
    CommandSpec("lang", N_("Language: Russian or English")),
    CommandSpec("privacy", N_("Personal data: the notice and withdrawing consent")),
    CommandSpec("cancel", N_("Leave the current form")),
    CommandSpec("registry", N_("TOS and organisations: the registry"), Role.STAFF),
    CommandSpec("inbox", N_("Open support requests, the earliest due first"), Role.STAFF),
    CommandSpec("digest", N_("The digest now, and how often to get it"), Role.STAFF),
    CommandSpec("report", N_("The yearly report: /report 2026"), Role.STAFF),
    CommandSpec(
        "export",
        N_(
            "Export initiatives, requests, events, competitions or the moderation log as CSV "
            "or XLSX"
        ),
        Role.STAFF,
    ),
    CommandSpec("outbox", N_("Outgoing messages: the queue and failures"), Role.STAFF),
    CommandSpec("daysoff", N_("The town's own days off, which due dates skip"), Role.STAFF),
    CommandSpec("moderation", N_("Moderation log: reports, hidden and edited"), Role.STAFF),
    CommandSpec("staff", N_("Staff list: add and remove staff"), Role.ADMIN),
)


def commands_for(role: Role) -> list[CommandSpec]:
    return [c for c in COMMANDS if c.audience <= role]


def _menu(i18n: I18n, role: Role, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=c.name, description=i18n.gettext(c.description, locale=locale))
        for c in commands_for(role)
    ]


async def _set(bot: Bot, commands: list[BotCommand], scope: object, language: str | None) -> None:
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=language)  # type: ignore[arg-type]
    except TelegramAPIError as exc:
        # A staff member who never opened the bot has no chat yet; that is not fatal.
        log.warning("setMyCommands failed for %s: %s", scope, exc)


async def publish_commands(
    bot: Bot,
    i18n: I18n,
    default_locale: str,
    staff_roles: Iterable[tuple[int, Role]],
    staff_chat_id: int | None,
) -> None:
    """Residents see their commands; each staff member and the staff chat also see staff ones."""
    for language in (*i18n.available_locales, None):
        locale = language or default_locale
        await _set(bot, _menu(i18n, Role.RESIDENT, locale), BotCommandScopeDefault(), language)
        if staff_chat_id is not None:
            await _set(
                bot,
                _menu(i18n, Role.STAFF, locale),
                BotCommandScopeChat(chat_id=staff_chat_id),
                language,
            )
    for user_id, role in staff_roles:
        await publish_for_user(bot, i18n, default_locale, user_id, role)


async def publish_for_user(
    bot: Bot, i18n: I18n, default_locale: str, user_id: int, role: Role
) -> None:
    """Show one user the commands of their role (after being added to or removed from staff)."""
    scope = BotCommandScopeChat(chat_id=user_id)
    for language in (*i18n.available_locales, None):
        if role.is_staff:
            await _set(bot, _menu(i18n, role, language or default_locale), scope, language)
        else:
            try:
                await bot.delete_my_commands(scope=scope, language_code=language)
            except TelegramAPIError as exc:
                log.warning("deleteMyCommands failed for %s: %s", user_id, exc)
