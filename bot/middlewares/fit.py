"""The one place where what the bot sends is made to fit Telegram's limits, whatever the data.

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

from bot.textsplit import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    length,
    shorten,
    shorten_html,
    split_html,
    split_text,
    visible_length,
)

log = logging.getLogger(__name__)


def _is_html(bot: Bot, parse_mode: Any) -> bool:
    if isinstance(parse_mode, Default):
        parse_mode = bot.default[parse_mode.name]
    return bool(parse_mode == ParseMode.HTML)


def _size(text: str, html: bool) -> int:
    return visible_length(text) if html else length(text)


def fit(text: str, html: bool, limit: int) -> str:
    """`text` shortened to `limit` if it is longer (logged: something is hidden)."""
    if _size(text, html) <= limit:
        return text
    log.warning("a text of %d characters was shortened to %d", _size(text, html), limit)
    return shorten_html(text, limit) if html else shorten(text, limit)


class FitToLimits(BaseRequestMiddleware):
    """Splits long texts, shortens long edits and captions (see the module's notes)."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if isinstance(method, SendMessage) and not method.entities:
            return await self._send(make_request, bot, method)
        return await make_request(bot, self._fitted(bot, method))

    def _fitted(self, bot: Bot, method: Any) -> Any:
        """The request with what cannot be split shortened to fit."""
        if isinstance(method, EditMessageText):
            if method.entities or method.text is None:
                return method
            html = _is_html(bot, method.parse_mode)
            return method.model_copy(update={"text": fit(method.text, html, TEXT_LIMIT)})
        if isinstance(method, AnswerCallbackQuery):
            if not method.text:
                return method
            text = fit(method.text, False, CALLBACK_ANSWER_LIMIT)
            return method.model_copy(update={"text": text})
        if isinstance(method, SendMediaGroup):
            media = [self._caption(bot, item) for item in method.media]
            return method.model_copy(update={"media": media})
        return self._caption(bot, method)

    def _caption(self, bot: Bot, item: Any) -> Any:
        """A file's caption (a photo, a document, an album's item, an edited caption)."""
        caption = getattr(item, "caption", None)
        if not isinstance(caption, str) or getattr(item, "caption_entities", None):
            return item
        html = _is_html(bot, getattr(item, "parse_mode", None))
        return item.model_copy(update={"caption": fit(caption, html, CAPTION_LIMIT)})

    async def _send(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: SendMessage,
    ) -> Any:
        html = _is_html(bot, method.parse_mode)
        parts = split_html(method.text) if html else split_text(method.text)
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
