"""What each messenger accepts in one request: the numbers every text and keyboard is fitted
to (bot/middlewares/fit.py, bot/delivery.py, bot/messengers/max/keyboards.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messengers import MAX, TELEGRAM, Messenger


@dataclass(frozen=True, slots=True)
class Limits:
    text: int  # a message's text
    caption: int  # a file's caption (on MAX a file's text is the message's text)
    callback_answer: int  # a button's pop-up answer
    buttons: int  # inline buttons in one message
    rows: int  # rows of inline buttons
    row_width: int  # buttons in one row
    wide_row_width: int  # buttons in a row that holds a link, contact or location button
    button_text: int  # a button's label
    callback_data: int  # bytes of a button's data
    album: int  # photos in one album (message)
    rate: float  # requests a second the messenger takes from one bot
    markup_counts: bool = False  # the text limit counts the HTML tags too (MAX's schema)


TELEGRAM_LIMITS = Limits(
    text=4096,
    caption=1024,
    callback_answer=200,
    buttons=100,
    rows=100,
    row_width=8,
    wide_row_width=8,
    button_text=4096,
    callback_data=64,
    album=10,
    rate=30.0,
)
# dev.max.ru and the OpenAPI schema (max-messenger-bot/max-bot-api-schemas): text 4,000;
# 210 buttons in 30 rows of 7 (3 in a row with link, contact or location buttons); a
# callback payload up to 1,024; a label up to 128; about 30 requests a second.
MAX_LIMITS = Limits(
    text=4000,
    caption=4000,
    callback_answer=200,
    buttons=210,
    rows=30,
    row_width=7,
    wide_row_width=3,
    button_text=128,
    callback_data=1024,
    album=10,
    rate=30.0,
    markup_counts=True,
)

LIMITS: dict[Messenger, Limits] = {TELEGRAM: TELEGRAM_LIMITS, MAX: MAX_LIMITS}
