"""Async filters (aiogram runs plain sync callables in a thread: these stay on the loop)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import CommandObject, Filter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import I18n

from bot.services.staff import Role, StaffService
from bot.vocabulary import label_variants, normalize_label
from handlers.menu import MENU_LABELS


def _chat(event: TelegramObject) -> Chat | None:
    if isinstance(event, Message):
        return event.chat
    if isinstance(event, CallbackQuery) and event.message is not None:
        return event.message.chat
    return None


class PrivateChat(Filter):
    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat(event)
        return chat is not None and chat.type == "private"


class StaffPlace(Filter):
    """Staff actions work in a private chat or in the configured staff chat, nowhere else
    (StaffService.is_staff_place, the rule the role of each update follows too)."""

    async def __call__(self, event: TelegramObject, staff: StaffService) -> bool:
        chat = _chat(event)
        if chat is None:
            return False
        return staff.is_staff_place(chat.id, private=chat.type == "private")


class AddressedToBot(Filter):
    """In a private chat, every message; in a group, only replies to the bot's own messages
    (a form step in the staff chat must not swallow the staff's conversation)."""

    async def __call__(self, message: Message, bot: Bot) -> bool:
        if message.chat.type == "private":
            return True
        reply = message.reply_to_message
        return reply is not None and reply.from_user is not None and reply.from_user.id == bot.id


class IsStaff(Filter):
    async def __call__(self, event: TelegramObject, role: Role) -> bool:
        return role.is_staff


class HasText(Filter):
    async def __call__(self, message: Message) -> bool:
        return bool(message.text)


class IsCommand(Filter):
    """Any slash command (used by the fallback for commands nobody handled)."""

    async def __call__(self, message: Message) -> bool:
        return is_command(message)


class TextIs(Filter):
    """Typed text equal to one of the given labels in any language (case-insensitive)."""

    def __init__(self, *msgids: str) -> None:
        self.msgids = msgids
        self._variants: frozenset[str] | None = None

    async def __call__(self, message: Message, i18n: I18n, **_: Any) -> bool:
        if not message.text:
            return False
        if self._variants is None:
            found: set[str] = set()
            for msgid in self.msgids:
                found |= label_variants(i18n, msgid)
            self._variants = frozenset(found)
        return normalize_label(message.text) in self._variants


def is_command(message: Message) -> bool:
    return message.text is not None and message.text.startswith("/")


_menu_presses: dict[int, frozenset[str]] = {}


def is_menu_press(message: Message, i18n: I18n | None) -> bool:
    """The text is exactly a button of the main menu, in any of the bot's languages (what
    the keyboard sends; a typed answer that only resembles one is an answer)."""
    if not message.text or i18n is None:
        return False
    labels = _menu_presses.get(id(i18n))
    if labels is None:
        labels = frozenset(
            i18n.gettext(label, locale=locale)
            for label in MENU_LABELS
            for locale in (*i18n.available_locales, "")
        ) | frozenset(MENU_LABELS)
        _menu_presses[id(i18n)] = labels
    return message.text.strip() in labels


class OutsideForms(Filter):
    """Gate of a feature's entry points: commands and presses on the main menu in any
    state, anything else only outside forms (form steps reach their feature through the
    Switch)."""

    async def __call__(
        self, message: Message, raw_state: str | None = None, i18n: I18n | None = None
    ) -> bool:
        return raw_state is None or is_command(message) or is_menu_press(message, i18n)


class HasArgs(Filter):
    """A command with (or without) words after it: `/initiative` vs `/initiative <number>`."""

    def __init__(self, wanted: bool = True) -> None:
        self.wanted = wanted

    async def __call__(self, message: Message, command: CommandObject | None = None) -> bool:
        return bool(command is not None and command.args) == self.wanted


class ButtonOnMessage(Filter):
    """A button whose message the bot can still edit (Telegram hides messages older than
    48 hours as "inaccessible"). Every feature router has it, so handlers may rely on
    `query.message` (see render.button_message); other presses reach the fallback, which
    says the button is out of date."""

    async def __call__(self, query: CallbackQuery) -> bool:
        return isinstance(query.message, Message)
