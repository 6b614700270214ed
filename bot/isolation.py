"""One update at a time per chat and user, so a form never races itself (a double tap, an
album); locks live only while someone waits, so memory does not grow with every user
ever seen (aiogram's SimpleEventIsolation keeps one lock per key forever)."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from types import TracebackType

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

_behind_others: ContextVar[bool] = ContextVar("behind_others", default=False)


def arrived_behind_others() -> bool:
    """Whether the update being handled had to wait for earlier ones of the same person:
    they came at once (a flood, an album), not one after another's answer."""
    return _behind_others.get()


class _Held:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class KeyLock:
    """`async with isolation.lock(key):` (a class: it runs on every update)."""

    __slots__ = ("_held", "_isolation", "_key")

    def __init__(self, isolation: UserIsolation, key: StorageKey) -> None:
        self._isolation = isolation
        self._key = key

    async def __aenter__(self) -> None:
        locks = self._isolation.locks
        held = locks.get(self._key)
        if held is None:
            held = locks[self._key] = _Held()
        _behind_others.set(held.users > 0)
        held.users += 1
        self._held = held
        try:
            await held.lock.acquire()
        except BaseException:
            self._release_slot()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._held.lock.release()
        self._release_slot()
        _behind_others.set(False)  # updates fed one after another in one task (tests)

    def _release_slot(self) -> None:
        self._held.users -= 1
        if self._held.users == 0:
            # pop, not del: a stop may have closed the isolation while this update ran.
            self._isolation.locks.pop(self._key, None)


class UserIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self.locks: dict[StorageKey, _Held] = {}

    def lock(self, key: StorageKey) -> KeyLock:  # type: ignore[override]
        return KeyLock(self, key)

    async def close(self) -> None:
        # aiogram closes the isolation before the app's shutdown waits for updates still in
        # flight; they release their own slots, so nothing is cleared from under them here.
        return None
