"""What the step-by-step forms share: the draft kept in FSM data, typed answers, buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import label_variants, normalize_label
from bot.services.errors import N_, DomainError
from bot.services.staff import Role
from bot.textsplit import shorten
from handlers.errors import render_error
from handlers.menu import main_menu
from handlers.render import drop_buttons

SKIP = N_("Skip")
SKIP_WORDS = N_("skip, no, without")
# A preview's buttons carry the draft's token: pressed under another form (the one they
# belonged to is sent and a new one is under way), they are out of date.
PREVIEW_ACTIONS = frozenset({"send", "edit", "cancel"})


class DraftData(Protocol):
    def to_data(self) -> dict[str, Any]: ...


# (label, action, value) -> a button of the form's own callback data.
MakeButton = Callable[[str, str, str], InlineKeyboardButton]


D = TypeVar("D")


async def load_draft(state: FSMContext, from_data: Callable[[dict[str, Any]], D]) -> D:
    """The form's draft from its FSM data (kept there as a dict under «draft»)."""
    return from_data((await state.get_data()).get("draft", {}))


async def save_draft(state: FSMContext, draft: DraftData, next_state: State | None) -> None:
    """Keep the draft, and move to `next_state` unless it is None."""
    data: dict[str, Any] = {"draft": draft.to_data()}
    await state.update_data(data)
    if next_state is not None:
        await state.set_state(next_state)


async def is_editing(state: FSMContext) -> bool:
    """A step is being corrected from the preview (so the form goes back to the preview)."""
    return bool((await state.get_data()).get("editing", False))


async def checked_text(message: Message, missing: str, check: Callable[[str], str]) -> str | None:
    """The typed text passed through `check`; None, with the person told why, if there is
    no text (`missing`, already translated) or `check` refuses it."""
    if not message.text:
        await message.answer(missing)
        return None
    try:
        return check(message.text)
    except DomainError as error:
        await message.answer(render_error(error))
        return None


def markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def typed_is(i18n: I18n, text: str | None, *msgids: str) -> bool:
    """The typed text is one of the words of one of `msgids` (in any of the bot's languages)."""
    typed = normalize_label(text or "")
    return bool(typed) and any(typed in label_variants(i18n, msgid) for msgid in msgids)


def is_skip(i18n: I18n, text: str | None) -> bool:
    """The typed text skips an optional step («Skip», «no», «without»...)."""
    return typed_is(i18n, text, SKIP_WORDS, SKIP)


def preview_markup(button: MakeButton, token: str) -> InlineKeyboardMarkup:
    """Send, change a step or cancel, each carrying the draft's token."""
    return markup(
        [
            [button(_("✅ Send"), "send", token)],
            [button(_("✏️ Change a step"), "edit", token), button(_("✖ Cancel"), "cancel", token)],
        ]
    )


async def form_step(
    query: CallbackQuery, state: FSMContext, form: type[StatesGroup], action: str, value: str
) -> str | None:
    """The form's current step for a press on one of its buttons; None, the person told,
    when the button is stale: its form is already sent or closed, or it is a preview's
    button of another draft than the one under way."""
    current = await state.get_state()
    if current is None or current not in form.__all_states_names__:
        await query.answer(_("This form is already sent or closed."), show_alert=True)
        return None
    token = (await state.get_data()).get("draft", {}).get("token")
    if action in PREVIEW_ACTIONS and value and value != token:
        # An empty value: a preview drawn before the buttons carried the form's token.
        await query.answer(_("This button is out of date."), show_alert=True)
        return None
    return current


async def cancel_form(
    query: CallbackQuery, message: Message, state: FSMContext, role: Role
) -> None:
    """The form's «Cancel»: nothing is sent, the menu is back."""
    await query.answer()
    await drop_buttons(message)
    await state.clear()
    await message.answer(_("Cancelled. Nothing was sent."), reply_markup=main_menu(role))


def short(text: str, limit: int) -> str:
    """The text cut to `limit` characters (as Telegram counts them) with «…» when longer."""
    return shorten(text, limit)


async def edit_step(state: FSMContext, draft: DraftData, step: State) -> None:
    """Go back to `step` from the preview; once answered, the form returns to the preview."""
    await state.update_data(editing=True)
    await save_draft(state, draft, step)


def prompt_markup(message: Message) -> ForceReply | None:
    # In the staff group a step answers only replies to the bot (AddressedToBot).
    return ForceReply(selective=True) if message.chat.type != "private" else None


async def ask_about(
    message: Message, state: FSMContext, step: State, case_id: int, question: str
) -> None:
    """Open a one-question step about a case (a reason, a comment, an answer, a number)."""
    await state.set_state(step)
    await state.set_data({"id": case_id})
    await message.answer(question, reply_markup=prompt_markup(message))
