"""What the step-by-step forms share: the draft kept in FSM data, typed answers, buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot.i18n import label_variants, normalize_label
from bot.services.errors import DomainError
from handlers.errors import render_error


class DraftData(Protocol):
    def to_data(self) -> dict[str, Any]: ...


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


def typed_is(i18n: I18n, text: str | None, msgid: str) -> bool:
    """The typed text is one of the words of `msgid` (in any of the bot's languages)."""
    return normalize_label(text or "") in label_variants(i18n, msgid)


def short(text: str, limit: int) -> str:
    """The text cut to `limit` characters with «…» when longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
