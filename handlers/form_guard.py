"""One form at a time: a form that holds answers is never replaced by another without
asking first («You have not sent your initiative yet. Go on with it, or drop it?»), and
what the person chose meanwhile is kept to be done once they drop it."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StateType
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.services.errors import N_
from handlers.render import button_message

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
        self._marked = False  # this update has written ANSWERED into the open form's data

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
        if same_form and not self._marked:
            await self.base.update_data({ANSWERED: True})
            self._marked = True

    async def set_data(self, data: Mapping[str, Any]) -> None:
        if await self.has_answers():
            raise FormSwitch
        await self.base.set_data(data)
        self._marked = False  # the data is replaced

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        merged = {**(data or {}), **kwargs}
        if self._form is None:
            return await self.base.update_data(merged)
        await self.has_answers()
        merged[ANSWERED] = True
        result = await self.base.update_data(merged)
        self._marked = True
        return result


async def holds_answers(state: FSMContext) -> bool:
    """A form is open that another one would not replace without asking."""
    return isinstance(state, FormContext) and await state.has_answers()


async def leave_form(state: FSMContext) -> None:
    """Leave whatever form is open, as a new start does: asked first if it holds answers."""
    if await holds_answers(state):
        raise FormSwitch
    await state.clear()


class FormSwitchAction(StrEnum):
    """The answers to «You have not sent your initiative yet...» (handlers/common.py)."""

    GO_ON = "on"  # go on with the form
    DROP = "drop"  # drop it and do what was chosen meanwhile


class FormSwitchButton(CallbackData, prefix="switch"):
    action: FormSwitchAction
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
        go_on = FormSwitchButton(action=FormSwitchAction.GO_ON, token=token)
        drop = FormSwitchButton(action=FormSwitchAction.DROP, token=token)
        buttons = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=_(GO_ON), callback_data=go_on.pack()),
                    InlineKeyboardButton(text=_(DROP), callback_data=drop.pack()),
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
