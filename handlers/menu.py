"""The main menu: a persistent keyboard whose buttons mirror the commands of the user's role."""

from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.services.errors import N_
from bot.services.staff import Role

MENU_HELP = N_("❓ Help")
MENU_LANG = N_("🌐 Language")
MENU_PRIVACY = N_("🔒 Personal data")
MENU_STAFF = N_("👥 Staff")


MENU_PROPOSE = N_("💡 Propose an initiative")
MENU_LIST = N_("📋 Initiatives")
MENU_MY = N_("🗂 My initiatives and requests")
MENU_TOS = N_("🏘 My TOS")
MENU_REGISTRY = N_("🏘 Registry")
MENU_REQUEST = N_("🤝 Ask for support")
MENU_EVENTS = N_("📅 Events")
MENU_COMPETITIONS = N_("🏆 Competitions")
# Every button of the menu: pressed in the middle of a form, it does what it says (the form
# is kept, or the person is asked before another form replaces it) instead of being taken
# as the step's answer.
MENU_LABELS = (
    MENU_PROPOSE,
    MENU_REQUEST,
    MENU_LIST,
    MENU_MY,
    MENU_TOS,
    MENU_EVENTS,
    MENU_COMPETITIONS,
    MENU_HELP,
    MENU_LANG,
    MENU_PRIVACY,
    MENU_REGISTRY,
    MENU_STAFF,
)


def main_menu(role: Role) -> ReplyKeyboardMarkup:
    rows = [
        [KeyboardButton(text=_(MENU_PROPOSE)), KeyboardButton(text=_(MENU_REQUEST))],
        [KeyboardButton(text=_(MENU_LIST)), KeyboardButton(text=_(MENU_MY))],
        [
            KeyboardButton(text=_(MENU_TOS)),
            KeyboardButton(text=_(MENU_EVENTS)),
            KeyboardButton(text=_(MENU_COMPETITIONS)),
        ],
        [
            KeyboardButton(text=_(MENU_HELP)),
            KeyboardButton(text=_(MENU_LANG)),
            KeyboardButton(text=_(MENU_PRIVACY)),
        ],
    ]
    staff_row = []
    if role.is_staff:
        staff_row.append(KeyboardButton(text=_(MENU_REGISTRY)))
    if role.is_admin:
        staff_row.append(KeyboardButton(text=_(MENU_STAFF)))
    if staff_row:
        rows.append(staff_row)
    return ReplyKeyboardMarkup(
        keyboard=rows,
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=_("Choose an action or type a command"),
    )
