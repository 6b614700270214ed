"""A resident reports a public initiative to the moderators: «⚑ Report» on its public card,
then one of a short list of reasons (bot/services/moderation.py decides the rest)."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.domain.people import Person
from bot.i18n import fill
from bot.services.moderation import REPORT_REASONS, REPORTED, ModerationService
from handlers.buttons import Press, Presses, Stale
from handlers.forms import short
from handlers.initiative_cards import number_of
from handlers.moderation_buttons import FlagAction, FlagButton
from handlers.render import button_message, escape
from handlers.spec import RouterSpec

router = RouterSpec(__name__, needs_consent=True, presses=Presses(drop=False))


router.owns(callbacks=(FlagButton,))


def report_button(initiative_id: int) -> InlineKeyboardButton:
    """The public card's «⚑ Report» (handlers/initiatives_public.py draws the card)."""
    data = FlagButton(action=FlagAction.ASK, id=initiative_id).pack()
    return InlineKeyboardButton(text=_("⚑ Report"), callback_data=data)


@router.callback_query(FlagButton.filter(F.action == FlagAction.ASK))
async def ask_reason(
    query: CallbackQuery,
    callback_data: FlagButton,
    press: Press,
    user: Person,
    moderation: ModerationService,
) -> None:
    record = await moderation.check_report(user.id, callback_data.id)  # checked now
    await press.accept()
    rows = [
        [
            InlineKeyboardButton(
                text=_(label),
                callback_data=FlagButton(action=FlagAction.SEND, id=record.id, reason=code).pack(),
            )
        ]
        for code, label in REPORT_REASONS.items()
    ]
    text = fill(
        _(
            "What is wrong with initiative {number} «{title}»? Choose the reason; the town "
            "hall's staff will look at it. Nobody else will know who reported it."
        ),
        number=escape(number_of(record)),
        title=escape(short(record.title, 100)),
    )
    await button_message(query).answer(
        text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


@router.callback_query(FlagButton.filter(F.action == FlagAction.SEND))
async def send_report(
    query: CallbackQuery,
    callback_data: FlagButton,
    press: Press,
    user: Person,
    moderation: ModerationService,
) -> None:
    if callback_data.reason not in REPORT_REASONS:
        raise Stale()
    await moderation.report(user.id, callback_data.id, callback_data.reason)
    press.tell(_(REPORTED))
    await press.accept()
    await button_message(query).edit_text(_(REPORTED))  # the reasons go
