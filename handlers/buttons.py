"""What every press on an inline button shares, done once for a feature's buttons: the
press is answered (Telegram's spinner stops), the message's buttons go once they are used,
and a press that cannot be done (its button is out of date) hears why in an alert.

A feature asks for it with `RouterSpec(..., presses=Presses(...))`; its handlers then get
`press: Press` and never call `query.answer()` or `drop_buttons` themselves:

    @router.callback_query(EventButton.filter(F.action == EventAction.CANCEL))
    async def cancel_sign_up(query: CallbackQuery, press: Press, ...) -> None:
        ...  # raise Stale() when the button is out of date; press.tell(...) for a pop-up;
        ...  # await press.accept() before a slow step (it is answered at most once)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.services.errors import N_
from handlers.render import drop_buttons

OUT_OF_DATE = N_("This button is out of date.")


class Stale(Exception):
    """The press cannot be done: the button belongs to something that has changed since
    (another step, a form already sent, a forged value). Answered with an alert; the
    message keeps its buttons."""

    def __init__(self, message: str = OUT_OF_DATE) -> None:
        super().__init__(message)
        self.message = message


class Press:
    """The press a handler is doing: what its answer says and whether the message it was
    on keeps its buttons (the feature's `Presses` says which by default). It is accepted
    (answered, its buttons dropped) once: when the handler first says something, so the
    used buttons go before the next question, or else when the handler returns."""

    def __init__(self, query: CallbackQuery, drop: bool) -> None:
        self.query = query
        self.drop = drop
        self.text: str | None = None
        self.alert = False
        self.accepted = False

    def tell(self, text: str, *, alert: bool = False) -> None:
        """Answer the press with `text` (already translated): a pop-up, or an alert."""
        self.text, self.alert = text, alert

    def keep_buttons(self) -> None:
        self.drop = False

    def drop_buttons(self) -> None:
        self.drop = True

    async def accept(self) -> None:
        if self.accepted:
            return
        await self.hand_over()
        await self.query.answer(self.text, show_alert=self.alert)

    async def hand_over(self) -> None:
        """Drop the buttons as `accept` does, and leave the answer to the handler this press
        is handed to (a choice replayed with this press's id answers it itself)."""
        if self.accepted:
            return
        self.accepted = True
        if self.drop and isinstance(self.query.message, Message):
            await drop_buttons(self.query.message)


class Presses(BaseMiddleware):
    """The inner middleware of a feature's buttons (see the module's docstring). `drop`:
    whether a message loses its buttons after a press unless the handler keeps them (a
    form's step: yes; a list whose buttons open cards: no)."""

    def __init__(self, *, drop: bool = True) -> None:
        self.drop = drop

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        press = Press(event, self.drop)
        data["press"] = press
        try:
            result = await handler(event, data)
        except Stale as stale:
            if not press.accepted:
                await event.answer(_(stale.message), show_alert=True)
            return None
        await press.accept()
        return result
