"""The bot's start links on each messenger: https://t.me/<bot>?start=<payload> on Telegram,
https://max.ru/<bot>?start=<payload> on MAX (which arrives as `bot_started` with the payload).

A link in a text or a button is made MAX's on the way out (bot/messengers/max/text.py), but a
QR code is drawn from the link before it is sent: the link it encodes must already be the one
of the messenger where the person who asked for it works (an invite, a join poster).
"""

from __future__ import annotations

from typing import cast

from aiogram import Bot
from aiogram.utils.deep_linking import create_start_link

from bot.messengers import MAX, messenger_of
from bot.messengers.max.session import MaxSession
from bot.messengers.max.text import start_link as max_start_link
from bot.messengers.routing import RoutingSession


async def start_link(bot: Bot, payload: str, chat_id: int) -> str:
    """The bot's start link with `payload`, on the messenger of `chat_id`."""
    session = bot.session
    if messenger_of(chat_id) == MAX and isinstance(session, RoutingSession):
        found = session.sessions.get(MAX)
        if found is not None:
            me = await cast(MaxSession, found).me()
            return max_start_link(str(me.get("username") or ""), payload)
    return await create_start_link(bot, payload)
