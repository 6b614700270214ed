"""Locks that hold for the whole deployment: one process on SQLite (asyncio locks suffice),
every replica on PostgreSQL (advisory locks, storage/postgres.py).

- `person(key)`: one person's updates are handled one at a time, whichever replica took
  them (the webhook inbox, bot/webhook.py);
- `leadership(name)`: the one replica that runs a job nobody must run twice at once (the
  outbox sender, which keeps Telegram's rate limits for the bot as a whole, and the
  scheduler: reminders, digests, nudges). Whoever holds it keeps it while its process
  lives; another takes it over within a second or two when that process dies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager


class _Held:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Locks:
    """This process's share: one task at a time per key (entries live only while used)."""

    def __init__(self) -> None:
        self._held: dict[int | None, _Held] = {}

    def person(self, key: int | None, *, wait: bool = True) -> AbstractAsyncContextManager[bool]:
        """`async with locks.person(key) as got:`; `got` is False only with `wait=False`
        when someone else holds it (then nothing is held)."""
        return self._local(key, wait)

    @asynccontextmanager
    async def _local(self, key: int | None, wait: bool) -> AsyncIterator[bool]:
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held()
        if not wait and held.lock.locked():
            yield False
            return
        held.users += 1
        try:
            async with held.lock:
                yield True
        finally:
            held.users -= 1
            if held.users == 0:
                self._held.pop(key, None)

    def leadership(self, name: str) -> Leadership:
        return Leadership()

    async def close(self) -> None:
        return None


class Leadership:
    """One process: it always leads."""

    async def hold(self) -> bool:
        """Whether this process leads now (taking the lead if it is free)."""
        return True

    async def release(self) -> None:
        return None
