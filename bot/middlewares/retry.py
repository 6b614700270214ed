"""A passing Telegram fault never loses a direct reply: the one place that retries.

Every request the bot makes while handling an update goes through the session, and so
through this middleware. What it retries, and why it is safe:

- 429 (flood control), any method: Telegram refused the call and did nothing, so it is
  made again after the `retry_after` Telegram gives.
- 5xx, a timeout, a dropped connection: Telegram may have done the call before the answer
  was lost. Only calls whose repetition the person cannot see are made again (IDEMPOTENT:
  edits, answers to button presses, deletions, reads, the command menu); a message sent
  twice would be seen twice, so sends are not repeated.
- A connection that could not be opened at all (DNS, refused, TLS): the request never left,
  so any method is made again.
- 502 Bad Gateway and 503 Service Unavailable, any method: these come from Telegram's front
  proxy when the Bot API server behind it did not take the call (down, restarting,
  overloaded), so nothing was done and the call is made again. A 500 or a 504 (the server
  took the call and then failed or was too slow) is treated as "may have been done".

Bounded: at most MAX_RETRIES more tries and MAX_WAIT seconds of waiting in all; a 429 that
asks for longer fails at once. What still fails is raised to the handler as before, and
is then what the error log holds.

The outbox sender (bot/delivery.py) keeps durable rows with its own retries, backoff and
per-chat flood waits: its calls are made inside `own_retries()` and pass straight through,
so nothing is retried twice and the sender's pacing is never held up here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

MAX_RETRIES = 3
MAX_WAIT = 20.0  # seconds, all waits of one call together
BACKOFF = 0.5  # seconds before the first retry of a 5xx or network error; doubled each time

# Calls that may be made twice with the same effect as once (what the person sees).
IDEMPOTENT = frozenset(
    {
        "AnswerCallbackQuery",  # a second answer to the same press: refused, see DONE_IF_REFUSED
        "EditMessageText",  # the same text again: "message is not modified", ignored
        "EditMessageReplyMarkup",
        "EditMessageCaption",
        "DeleteMessage",
        "DeleteMessages",
        "GetFile",
        "GetMe",
        "GetChat",
        "GetChatMember",
        "SetMyCommands",
        "DeleteMyCommands",
        "SetChatMenuButton",
        "SendChatAction",
    }
)
# Calls that answer True, which a 400 on a retry means the first try had done: a press
# already answered, a message already deleted.
DONE_IF_REFUSED = frozenset({"AnswerCallbackQuery", "DeleteMessage", "DeleteMessages"})
# Left alone entirely: aiogram's polling loop has its own backoff for these.
PASS_THROUGH = frozenset({"GetUpdates"})
# How aiohttp names a connection that was never opened (the request did not leave).
_NOT_CONNECTED = ("ClientConnectorError", "ClientProxyConnectionError")

_own_retries: ContextVar[bool] = ContextVar("own_retries", default=False)


@contextmanager
def own_retries() -> Iterator[None]:
    """Calls made inside retry by themselves (the outbox sender): passed straight through."""
    token = _own_retries.set(True)
    try:
        yield
    finally:
        _own_retries.reset(token)


# What Telegram's front proxy says when the Bot API server never took the call.
_NOT_TAKEN = ("bad gateway", "service unavailable")


def _never_sent(error: TelegramNetworkError | TelegramServerError) -> bool:
    if isinstance(error, TelegramServerError):
        return error.message.lower().startswith(_NOT_TAKEN)
    return error.message.startswith(_NOT_CONNECTED)


class RetryTransient(BaseRequestMiddleware):
    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sleep = sleep

    def _delay(self, method: TelegramMethod[Any], error: Exception, attempt: int) -> float | None:
        """How long to wait before trying again, or None if this failure stands."""
        name = type(method).__name__
        if isinstance(error, TelegramRetryAfter):
            return float(error.retry_after)
        if name not in IDEMPOTENT and not (
            isinstance(error, TelegramNetworkError | TelegramServerError) and _never_sent(error)
        ):
            return None
        return BACKOFF * 2.0**attempt * random.uniform(0.8, 1.2)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if _own_retries.get() or type(method).__name__ in PASS_THROUGH:
            return await make_request(bot, method)
        waited, attempt = 0.0, 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramBadRequest:
                if attempt > 0 and type(method).__name__ in DONE_IF_REFUSED:
                    return True
                raise
            except (TelegramRetryAfter, TelegramServerError, TelegramNetworkError) as error:
                delay = self._delay(method, error, attempt)
                if delay is None or attempt >= MAX_RETRIES or waited + delay > MAX_WAIT:
                    raise
                log.warning(
                    "%s failed (%s); trying again in %.1f s",
                    type(method).__name__,
                    error.message.splitlines()[0],
                    delay,
                )
                waited += delay
                attempt += 1
                await self._sleep(delay)
