"""The one place where what the bot sends is made to fit the messenger's limits, whatever the
data: each request is fitted to the limits of the messenger it goes to (Telegram's, or MAX's:
4,000 characters counting the HTML, no separate caption; bot/messengers/limits.py).

Every request to Telegram passes here (handlers' replies, button edits, the outbox, error
messages), so no card or list needs its own check:

- a text over 4,096 characters goes out in parts, cut between paragraphs, lines or words,
  each valid HTML; the first part keeps the reply, the last the buttons, and the caller gets
  the last part (the one with the buttons, which later edits and replies refer to);
- an edit cannot become several messages, nor a caption (1,024) be split from its file:
  they are shortened with «…» and the shortening is logged, since it hides text. Field
  limits keep every card within one message, so this is a net, not a way of working;
- a button's pop-up answer is cut to its 200 characters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMediaGroup,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

from bot.messengers.limits import TELEGRAM_LIMITS, Limits
from bot.textsplit import (
    length,
    shorten,
    shorten_to_fit,
    split_text,
    split_to_fit,
    visible_length,
)

log = logging.getLogger(__name__)


def _is_html(bot: Bot, parse_mode: Any) -> bool:
    if isinstance(parse_mode, Default):
        parse_mode = bot.default[parse_mode.name]
    return bool(parse_mode == ParseMode.HTML)


def _size(text: str, html: bool) -> int:
    return visible_length(text) if html else length(text)


def fit(text: str, html: bool, limit: int, markup_counts: bool = False) -> str:
    """`text` shortened to `limit` if it is longer (logged: something is hidden)."""
    size = length(text) if html and markup_counts else _size(text, html)
    if size <= limit:
        return text
    log.warning("a text of %d characters was shortened to %d", size, limit)
    if html:
        return shorten_to_fit(text, limit, markup_counts=markup_counts)
    return shorten(text, limit)


LimitsOf = Callable[[Bot, TelegramMethod[Any]], Limits]


class FitToLimits(BaseRequestMiddleware):
    """Splits long texts, shortens long edits and captions (see the module's notes);
    `limits` says which messenger's limits a request is held to (Telegram's by default)."""

    def __init__(self, limits: LimitsOf | None = None) -> None:
        self._limits = limits or (lambda bot, method: TELEGRAM_LIMITS)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        limits = self._limits(bot, method)
        if isinstance(method, SendMessage) and not method.entities:
            return await self._send(make_request, bot, method, limits)
        return await make_request(bot, self._fitted(bot, method, limits))

    def _fitted(self, bot: Bot, method: Any, limits: Limits) -> Any:
        """The request with what cannot be split shortened to fit."""
        if isinstance(method, EditMessageText):
            if method.entities or method.text is None:
                return method
            html = _is_html(bot, method.parse_mode)
            text = fit(method.text, html, limits.text, limits.markup_counts)
            return method.model_copy(update={"text": text})
        if isinstance(method, AnswerCallbackQuery):
            if not method.text:
                return method
            text = fit(method.text, False, limits.callback_answer)
            return method.model_copy(update={"text": text})
        if isinstance(method, SendMediaGroup):
            media = [self._caption(bot, item, limits) for item in method.media]
            return method.model_copy(update={"media": media})
        return self._caption(bot, method, limits)

    def _caption(self, bot: Bot, item: Any, limits: Limits) -> Any:
        """A file's caption (a photo, a document, an album's item, an edited caption)."""
        caption = getattr(item, "caption", None)
        if not isinstance(caption, str) or getattr(item, "caption_entities", None):
            return item
        html = _is_html(bot, getattr(item, "parse_mode", None))
        text = fit(caption, html, limits.caption, limits.markup_counts)
        return item.model_copy(update={"caption": text})

    async def _send(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: SendMessage,
        limits: Limits,
    ) -> Any:
        if len(method.text) * 2 <= limits.text:
            # Short enough whatever it holds (a character is at most two UTF-16 units, and
            # tags and entities only make the raw text longer than what is counted).
            return await make_request(bot, method)  # type: ignore[arg-type]
        html = _is_html(bot, method.parse_mode)
        if html:
            parts = split_to_fit(method.text, limits.text, markup_counts=limits.markup_counts)
        else:
            parts = split_text(method.text, limits.text)
        if len(parts) == 1:
            return await make_request(bot, method)  # type: ignore[arg-type]
        sent = None
        for index, part in enumerate(parts):
            first, last = index == 0, index == len(parts) - 1
            piece = method.model_copy(
                update={
                    "text": part,
                    "reply_markup": method.reply_markup if last else None,
                    "reply_parameters": method.reply_parameters if first else None,
                    "reply_to_message_id": method.reply_to_message_id if first else None,
                }
            )
            sent = await make_request(bot, piece)  # type: ignore[arg-type]
        return sent
