"""Keyboards on MAX: the one mapping from aiogram's markup to MAX's `inline_keyboard`.

MAX has inline keyboards only. Telegram's reply keyboard (the menu under the input field)
becomes `message` buttons, which send their label as if typed, so the handlers that read a
menu button's text work unchanged; its «share my phone» and «share my location» buttons
become MAX's `request_contact` and `request_geo_location`. Every keyboard is fitted to
MAX's limits: at most 7 buttons in a row (3 in a row with a link, contact or location
button), 30 rows and 210 buttons; rows too wide are split, and only a keyboard with more
rows than MAX allows is packed tighter. What still does not fit is dropped and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.messengers.limits import MAX_LIMITS, Limits
from bot.textsplit import shorten

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
Button = dict[str, Any]
# Buttons that MAX lets stand only three to a row.
WIDE = frozenset({"link", "request_contact", "request_geo_location"})


def _label(text: str, limits: Limits) -> str:
    return shorten(text, limits.button_text)


def _same(url: str) -> str:
    return url


def _inline(
    button: InlineKeyboardButton, limits: Limits, links: Callable[[str], str] = _same
) -> Button | None:
    text = _label(button.text, limits)
    if button.callback_data is not None:
        return {"type": "callback", "text": text, "payload": button.callback_data}
    if button.url is not None:
        return {"type": "link", "text": text, "url": links(button.url)}
    if button.copy_text is not None:
        return {"type": "clipboard", "text": text, "payload": button.copy_text.text}
    log.warning("a button MAX has no kind for was left out: %r", button.text)
    return None


def _reply(button: KeyboardButton | str, limits: Limits) -> Button | None:
    if isinstance(button, str):
        return {"type": "message", "text": _label(button, limits)}
    text = _label(button.text, limits)
    if button.request_contact:
        return {"type": "request_contact", "text": text}
    if button.request_location:
        return {"type": "request_geo_location", "text": text}
    if button.request_poll or button.web_app or button.request_users or button.request_chat:
        log.warning("a menu button MAX has no kind for was left out: %r", button.text)
        return None
    return {"type": "message", "text": text}


def to_max_rows(
    markup: Markup | None, limits: Limits = MAX_LIMITS, links: Callable[[str], str] = _same
) -> list[list[Button]] | None:
    """MAX's rows of buttons for aiogram's markup; None when there is no keyboard (none
    given, a keyboard removed, a forced reply). `links` makes a link button's address MAX's
    (a link to the bot on Telegram opens it on MAX)."""
    rows: list[list[Button]]
    if isinstance(markup, InlineKeyboardMarkup):
        source = markup.inline_keyboard
        rows = [[b for b in (_inline(x, limits, links) for x in row) if b] for row in source]
    elif isinstance(markup, ReplyKeyboardMarkup):
        menu = markup.keyboard
        rows = [[b for b in (_reply(x, limits) for x in row) if b] for row in menu]
    else:
        return None
    fitted = fit_rows(rows, limits)
    return fitted or None


def row_width(row: list[Button], limits: Limits) -> int:
    """How many buttons a row holding these may have."""
    wide = any(b.get("type") in WIDE for b in row)
    return limits.wide_row_width if wide else limits.row_width


def _split(row: list[Button], limits: Limits) -> list[list[Button]]:
    """A row too wide for MAX as several rows, in order."""
    out: list[list[Button]] = []
    current: list[Button] = []
    for button in row:
        if current and len(current) + 1 > row_width([*current, button], limits):
            out.append(current)
            current = []
        current.append(button)
    if current:
        out.append(current)
    return out


def fit_rows(rows: list[list[Button]], limits: Limits = MAX_LIMITS) -> list[list[Button]]:
    """Rows within MAX's limits, the buttons in their order: rows too wide are split; if
    then there are more rows than allowed, the buttons are packed into full rows; whatever
    is beyond the last row or the button limit is dropped (and logged)."""
    fitted = [part for row in rows if row for part in _split(row, limits)]
    if len(fitted) > limits.rows:
        fitted = _split([b for row in fitted for b in row], limits)
    kept: list[list[Button]] = []
    count = 0
    total = sum(len(row) for row in fitted)
    for row in fitted[: limits.rows]:
        room = limits.buttons - count
        if room <= 0:
            break
        kept.append(row[:room])
        count += len(kept[-1])
    if count < total:
        log.warning("a keyboard of %d buttons was cut to %d to fit MAX", total, count)
    return kept


def attachment(rows: list[list[Button]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}
