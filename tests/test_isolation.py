"""Per-user isolation: updates of one user run one at a time; locks do not pile up."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey

from bot.isolation import UserIsolation


async def test_same_key_waits_other_keys_run_and_locks_are_freed() -> None:
    isolation = UserIsolation()
    alice, bob = StorageKey(1, 10, 10), StorageKey(1, 20, 20)
    order: list[str] = []
    gate = asyncio.Event()

    async def run(key: StorageKey, name: str, wait: bool) -> None:
        async with isolation.lock(key):
            order.append(f"{name} in")
            if wait:
                await gate.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(run(alice, "a1", True))
    await asyncio.sleep(0)
    second = asyncio.create_task(run(alice, "a2", False))
    other = asyncio.create_task(run(bob, "b", False))
    await asyncio.sleep(0.01)
    assert order == ["a1 in", "b in", "b out"]  # a2 waits for a1, bob does not
    gate.set()
    await asyncio.gather(first, second, other)
    assert order[3:] == ["a1 out", "a2 in", "a2 out"]
    assert isolation.locks == {}


async def test_cancelled_waiter_frees_its_slot() -> None:
    isolation = UserIsolation()
    key = StorageKey(1, 10, 10)
    async with isolation.lock(key):
        waiter = asyncio.create_task(isolation.lock(key).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    assert isolation.locks == {}


async def test_closing_while_an_update_holds_its_lock_is_harmless() -> None:
    import asyncio

    from aiogram.fsm.storage.base import StorageKey

    from bot.isolation import UserIsolation

    isolation = UserIsolation()
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    entered = asyncio.Event()
    finish = asyncio.Event()

    async def update() -> None:
        async with isolation.lock(key):
            entered.set()
            await finish.wait()

    task = asyncio.create_task(update())
    await entered.wait()
    await isolation.close()  # aiogram's stop, before the app waits for updates in flight
    finish.set()
    await task  # used to raise KeyError on release
    assert isolation.locks == {}
