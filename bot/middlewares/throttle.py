"""Flood control: a person's updates that come at once get a handful of answers and one
polite warning; the rest are dropped.

Two token buckets per person. Every update draws from the first, which allows bursts of
`burst` and `rate` a second over time, so no one is answered faster than that for long.
An update that came at once with others of the same person (it had to wait for them:
see bot.isolation) also draws from the second, which holds only `at_once`: Telegram lets
a bot send about one message a second to a chat, with short bursts, so forty commands
sent together get five answers and one warning, while a person (or a script) that waits
for each answer is not held up. An album is one thing a person sent, though Telegram
delivers it as up to ten updates at once with one media_group_id: its first photo draws
the tokens, and its other photos follow the first one's fate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _

from bot.isolation import arrived_behind_others

log = logging.getLogger(__name__)

AT_ONCE = 4  # updates answered among those that came at once, after the first one
ALBUM_SIZE = 10  # photos in an album, at most (Telegram's limit)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    crowd: float  # the second bucket: updates that came at once
    stamp: float
    warned: bool = False
    album: str | None = None  # the last album whose first photo was counted
    album_allowed: bool = False
    album_left: int = 0  # its photos that may still follow without a token


class ThrottleMiddleware(BaseMiddleware):
    """Up to `burst` updates, refilled at `rate` a second; of those that come at once, the
    first and `at_once` more; an album counts once."""

    def __init__(
        self,
        rate: float = 2.0,
        burst: int = 20,
        at_once: int = AT_ONCE,
        monotonic: Callable[[], float] = time.monotonic,
        max_tracked: int = 50_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.at_once = at_once
        self._now = monotonic
        self._buckets: dict[int, _Bucket] = {}
        self._max_tracked = max_tracked

    def _allow(
        self, user_id: int, crowded: bool = False, album: str | None = None
    ) -> tuple[bool, bool]:
        """(allowed, should_warn)."""
        now = self._now()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self._max_tracked:
                self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), float(self.at_once), now)
        if album is not None and album == bucket.album and bucket.album_left > 0:
            bucket.album_left -= 1  # the rest of an album: as its first photo went
            return bucket.album_allowed, False
        allowed, warn = self._take(bucket, now, crowded)
        if album is not None and album != bucket.album:  # Telegram never reuses an album's id
            bucket.album, bucket.album_allowed, bucket.album_left = album, allowed, ALBUM_SIZE - 1
        return allowed, warn

    def _take(self, bucket: _Bucket, now: float, crowded: bool) -> tuple[bool, bool]:
        elapsed = now - bucket.stamp
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        bucket.crowd = min(self.at_once, bucket.crowd + elapsed * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1 and (not crowded or bucket.crowd >= 1):
            bucket.tokens -= 1
            if crowded:
                bucket.crowd -= 1
            if bucket.tokens >= self.burst / 2 and bucket.crowd >= self.at_once / 2:
                bucket.warned = False  # a new burst may be told again
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn

    def _forget_idle(self, now: float) -> None:
        full_after = max(self.burst, self.at_once) / self.rate
        for user_id in [u for u, b in self._buckets.items() if now - b.stamp > full_after]:
            del self._buckets[user_id]

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        album = (
            event.message.media_group_id
            if isinstance(event, Update) and event.message is not None
            else None
        )
        allowed, warn = self._allow(user.id, arrived_behind_others(), album)
        if allowed:
            return await handler(event, data)
        log.info("flood: update dropped")
        await self._refuse(data["bot"], event, data.get("event_chat"), warn)
        return None

    async def _refuse(self, bot: Bot, event: TelegramObject, chat: Chat | None, warn: bool) -> None:
        """Say it once; but every dropped button press is answered, or its spinner stays."""
        text = _("You are sending too much at once. Please wait a few seconds and try again.")
        try:
            if isinstance(event, Update) and event.callback_query is not None:
                await bot.answer_callback_query(
                    event.callback_query.id, text=text if warn else None
                )
            elif warn and chat is not None and chat.type == "private":
                await bot.send_message(chat.id, text)
        except TelegramAPIError:
            log.warning("could not tell a flooding user", exc_info=True)
