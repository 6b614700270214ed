"""The messengers the bot runs on, and whose an id is.

Handlers, services and the outbox speak aiogram's Bot API with integer ids and never ask
which messenger a person uses; the transport under the Bot (bot/messengers/routing.py)
sends each request through the recipient's messenger. Telegram's ids are used as they are.
Every person and chat of MAX gets an internal id in a range Telegram never uses (its ids
have at most 52 significant bits): MAX_ID_BASE + n for a person (and their private chat),
-(MAX_ID_BASE + n) for a group, n a row of the `messenger_ids` table. The sign keeps its
meaning (positive: a person, negative: a group) and no id of one messenger can be another's.
"""

from __future__ import annotations

from typing import Literal

Messenger = Literal["telegram", "max"]
TELEGRAM: Messenger = "telegram"
MAX: Messenger = "max"
MESSENGERS: tuple[Messenger, ...] = (TELEGRAM, MAX)

MAX_ID_BASE = 5_000_000_000_000_000  # above 2**52 (4.5e15), Telegram's largest id


def messenger_of(chat_id: int) -> Messenger:
    """The messenger a person or chat (an internal id) lives on."""
    return MAX if abs(chat_id) > MAX_ID_BASE else TELEGRAM


def internal_id(number: int, *, group: bool) -> int:
    """The internal id of row `number` of `messenger_ids` (1, 2, ...)."""
    if number < 1:
        raise ValueError(number)
    return -(MAX_ID_BASE + number) if group else MAX_ID_BASE + number


def number_of(internal: int) -> int:
    """The `messenger_ids` row of an internal id of MAX (the inverse of `internal_id`)."""
    if messenger_of(internal) != MAX:
        raise ValueError(internal)
    return abs(internal) - MAX_ID_BASE
