"""What the step-by-step forms share: the draft kept in FSM data, typed answers, buttons;
a refusal on sending that keeps the form; and the guard that never lets one form replace
another that holds answers without asking first."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StateType
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.services.errors import N_, DomainError
from bot.services.staff import Role
from bot.services.vocabulary import SKIP, SKIP_WORDS
from bot.textsplit import shorten
from bot.vocabulary import label_variants, normalize_label
from handlers.errors import render_error
from handlers.menu import main_menu
from handlers.render import button_message, drop_buttons

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


async def refused_on_sending(
    message: Message,
    state: FSMContext,
    error: DomainError,
    steps: Mapping[str, State],
    ask: Callable[[State], Awaitable[None]],
) -> None:
    """A rule refused the form when it was sent (its deadline passed meanwhile, a limit, a
    role taken away): the form and its answers stay. A refusal that names a field (see
    DomainError.at) takes the person back to that step, and answering it returns to the
    preview (`message`, the preview, loses its buttons); any other leaves them at the
    preview, told why, to send again later or leave."""
    target = steps.get(error.field or "")
    if target is None:
        await message.answer(
            render_error(error) + "\n\n" + _("Your answers are kept. /cancel leaves the form.")
        )
        return
    await drop_buttons(message)
    await state.update_data(editing=True)
    await state.set_state(target)
    await message.answer(
        render_error(error) + "\n\n" + _("Your other answers are kept: answer this step again.")
    )
    await ask(target)


# -- one form at a time ----------------------------------------------------------------------

ANSWERED = "_answered"  # FSM data: a step of the form took an answer (something to lose)
PENDING = "_pending"  # FSM data: what the person chose while the form was under way
# A choice kept that long is out of date: the person is asked to choose again.
PENDING_LIFETIME = timedelta(hours=1)
UNFINISHED = N_("You have not finished the previous form.")
GO_ON = N_("↩️ Go on with it")
DROP = N_("🗑 Drop it and go on")


def form_group(state: str | None) -> str | None:
    """The form (StatesGroup) a state belongs to: «InitiativeForm:title» -> «InitiativeForm»."""
    return None if state is None else state.partition(":")[0]


class FormSwitch(Exception):
    """Another form would replace one that holds answers: FormGuard asks the person first."""


class FormContext(FSMContext):
    """The FSM context every handler gets (see FormGuard). A step answered in a later update
    than the one that opened the form marks the form as holding answers; opening another
    form over it (a state of another group, new data with set_data, or leave_form) raises
    FormSwitch instead of losing them. Steps keep their answers with update_data; set_data
    opens a form."""

    def __init__(self, base: FSMContext, start: str | None) -> None:
        super().__init__(storage=base.storage, key=base.key)
        self.base = base
        self.start = start
        self._form = form_group(start)  # the form this update began in, while it is open
        self._answered: bool | None = None  # as it was before this update wrote anything

    async def has_answers(self) -> bool:
        """The form this update began in is still open and held answers when it began."""
        if self._form is None:
            return False
        if self._answered is None:
            self._answered = bool((await self.base.get_data()).get(ANSWERED))
        return self._answered

    async def set_state(self, state: StateType = None) -> None:
        target = state.state if isinstance(state, State) else state
        same_form = self._form is not None and form_group(target) == self._form
        if self._form is not None and not same_form:
            if target is not None and await self.has_answers():
                raise FormSwitch
            self._form = None  # left (sent, cancelled), or it had nothing to lose
        if same_form:
            await self.has_answers()
        await self.base.set_state(state)
        if same_form:
            await self.base.update_data({ANSWERED: True})

    async def set_data(self, data: Mapping[str, Any]) -> None:
        if await self.has_answers():
            raise FormSwitch
        await self.base.set_data(data)

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        merged = {**(data or {}), **kwargs}
        if self._form is not None:
            await self.has_answers()
            merged[ANSWERED] = True
        return await self.base.update_data(merged)


async def holds_answers(state: FSMContext) -> bool:
    """A form is open that another one would not replace without asking."""
    return isinstance(state, FormContext) and await state.has_answers()


async def leave_form(state: FSMContext) -> None:
    """Leave whatever form is open, as a new start does: asked first if it holds answers."""
    if await holds_answers(state):
        raise FormSwitch
    await state.clear()


class FormSwitchCD(CallbackData, prefix="w1"):
    action: str  # on | drop
    token: str  # the question's, so an older question's buttons are stale


class FormGuard(BaseMiddleware):
    """The outer middleware of the router that holds every feature (handlers/__init__.py):
    handlers get a FormContext, and a FormSwitch becomes a question: «You have not sent
    your initiative yet. Your answers are kept. Go on with it, or drop it and go on?». What
    the person chose (the command, the menu press, the button) is kept with the form, as
    what replays it only (`pending_choice`), and done once they drop it, within
    PENDING_LIFETIME (handlers/common.py, `restored` below)."""

    def __init__(self, forms: Mapping[str, type[StatesGroup]]) -> None:
        self._forms = forms

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state = data.get("state")
        if not isinstance(state, FSMContext):
            return await handler(event, data)
        base = state.base if isinstance(state, FormContext) else state
        data["state"] = FormContext(base, data.get("raw_state"))
        try:
            return await handler(event, data)
        except FormSwitch:
            await self._ask(event, base, data)
            return True

    async def _ask(self, event: TelegramObject, base: FSMContext, data: dict[str, Any]) -> None:
        start = data.get("raw_state")
        await base.set_state(start)  # undo a step the switching update took on the way
        token = secrets.token_hex(4)
        clock: Clock = data["clock"]
        await base.update_data({PENDING: pending_choice(event, token, clock.now())})
        group = self._forms.get(form_group(start) or "")
        unfinished = str(getattr(group, "unfinished", UNFINISHED))
        text = (
            _(unfinished)
            + " "
            + _("Your answers are kept. Go on with it, or drop it and go on to what you chose?")
        )
        buttons = markup(
            [
                [
                    InlineKeyboardButton(
                        text=_(GO_ON), callback_data=FormSwitchCD(action="on", token=token).pack()
                    ),
                    InlineKeyboardButton(
                        text=_(DROP), callback_data=FormSwitchCD(action="drop", token=token).pack()
                    ),
                ]
            ]
        )
        bot: Bot = data["bot"]
        if isinstance(event, CallbackQuery):
            with contextlib.suppress(TelegramBadRequest):  # the handler may have answered it
                await event.answer()
            chat = event.message.chat if event.message is not None else None
        else:
            chat = event.chat if isinstance(event, Message) else None
        if chat is not None:
            await bot.send_message(chat.id, text, reply_markup=buttons)


def pending_choice(event: TelegramObject, token: str, now: datetime) -> dict[str, Any]:
    """What is kept of the person's choice while they are asked (FSM data, under PENDING):
    only what replays it. A press keeps its callback data and the message id it was on,
    never that message: a card carries other people's names and texts, and this row is
    erased only with this person. A message keeps the text this person typed."""
    kept: dict[str, Any] = {"token": token, "at": now.isoformat()}
    if isinstance(event, CallbackQuery):
        place = event.message
        kept.update(
            kind="callback_query",
            data=event.data,
            message_id=place.message_id if place is not None else None,
            date=int(place.date.timestamp()) if isinstance(place, Message) else 0,
        )
    elif isinstance(event, Message):
        reply = event.reply_to_message
        kept.update(
            kind="message",
            text=event.text,
            message_id=event.message_id,
            date=int(event.date.timestamp()),
            thread=event.message_thread_id,
            # A reply to the bot is answered as one (only its id is needed to find it).
            reply_to=reply.message_id
            if reply is not None and reply.from_user is not None and reply.from_user.is_bot
            else None,
        )
    return kept


def live_pending(pending: Any, token: str, now: datetime) -> dict[str, Any] | None:
    """The kept choice a press on the question's buttons (with `token`) answers; None when
    it is not there, is of another question, or has outlived PENDING_LIFETIME."""
    if not isinstance(pending, dict) or pending.get("token") != token:
        return None
    if pending.get("kind") not in ("message", "callback_query") or "at" not in pending:
        return None  # kept before choices were kept this way
    try:
        asked = datetime.fromisoformat(pending["at"])
    except (TypeError, ValueError):
        return None
    return pending if now - asked <= PENDING_LIFETIME else None


def restored(pending: dict[str, Any], press: CallbackQuery, bot: Bot) -> Message | CallbackQuery:
    """What the person chose while a form was under way, to be done now, in the chat of the
    question (`press` is on it): a message as they typed it; a button press answered
    through the press on «Drop it and go on», on a message known by its id only."""
    question = button_message(press)
    chat = question.chat.model_dump(mode="json", include={"id", "type", "is_forum"})
    person = press.from_user.model_dump(mode="json", exclude_none=True)
    the_bot = question.from_user.model_dump(mode="json") if question.from_user else None
    if pending["kind"] == "callback_query":
        # The message had this button at least: a handler that removes a used message's
        # buttons still does.
        markup = [[{"text": "\u2026", "callback_data": pending["data"]}]]
        message = {
            "message_id": pending["message_id"],
            "date": pending["date"],
            "chat": chat,
            "from": the_bot,
            "reply_markup": {"inline_keyboard": markup},
        }
        event = {
            "id": press.id,
            "from": person,
            "chat_instance": press.chat_instance,
            "message": message,
            "data": pending["data"],
        }
        return CallbackQuery.model_validate(event, context={"bot": bot})
    reply = pending.get("reply_to")
    message = {
        "message_id": pending["message_id"],
        "date": pending["date"],
        "chat": chat,
        "from": person,
        "text": pending.get("text"),
        "message_thread_id": pending.get("thread"),
        "reply_to_message": None
        if reply is None or the_bot is None
        else {"message_id": reply, "date": pending["date"], "chat": chat, "from": the_bot},
    }
    return Message.model_validate(message, context={"bot": bot})
