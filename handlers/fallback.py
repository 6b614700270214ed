"""Last in line: unknown commands, stray messages outside a form, buttons from old messages."""

from __future__ import annotations

from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.services.staff import Role
from handlers.filters import IsCommand, PrivateChat
from handlers.menu import main_menu
from handlers.spec import RouterSpec

router = RouterSpec(__name__)


@router.message(PrivateChat(), IsCommand())
async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. Send /help to see what I can do."))


@router.message(PrivateChat(), StateFilter(None))
async def stray_message(message: Message, user: Person, role: Role) -> None:
    if not user.has_consent:
        await message.answer(_("To begin, send /start."))
        return
    await message.answer(
        _("I did not understand that. Choose an action in the menu below or send /help."),
        reply_markup=main_menu(role),
    )


@router.message(PrivateChat())
async def unexpected_in_form(message: Message) -> None:
    # A form is open but none of its steps took this message (e.g. a sticker).
    await message.answer(_("Please answer the question above, or send /cancel to leave the form."))


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(
        _("This button is out of date. Please open the menu again."), show_alert=True
    )
