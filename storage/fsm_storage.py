"""aiogram FSM storage in the bot's SQLite database, so an unfinished form survives a restart.

Writes go straight to the database (inside the caller's unit of work when there is one);
reads are served from a bounded in-memory copy, which is safe because this process is the
only writer. Absent keys are cached too, so a user outside any form costs no query.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.db import Database

_EMPTY = "{}"


def _key(key: StorageKey) -> str:
    return (
        f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:"
        f"{key.business_connection_id or ''}:{key.destiny}"
    )


class SqliteStorage(BaseStorage):
    def __init__(self, db: Database, clock: Any, cache_size: int = 20_000) -> None:
        self._db = db
        self._clock = clock
        self._cache: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        self._cache_size = cache_size

    async def _load(self, key: str) -> tuple[str | None, str]:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        row = await self._db.read.fsm.load(key)
        entry = (None, _EMPTY) if row is None else (row[0], json.dumps(row[1], ensure_ascii=False))
        self._remember(key, entry)
        return entry

    def _remember(self, key: str, entry: tuple[str | None, str]) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _store(self, key: StorageKey, state: str | None, data_json: str) -> None:
        skey = _key(key)
        current = await self._load(skey)
        if current == (state, data_json):
            return  # nothing changed: no write
        async with self._db.transaction() as uow:
            await uow.fsm.save(skey, key.user_id, state, json.loads(data_json), self._clock.now())
        self._remember(skey, (state, data_json))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _, data_json = await self._load(_key(key))
        await self._store(key, value, data_json)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(_key(key))
        await self._store(key, state, json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(json.loads((await self._load(_key(key)))[1]))

    def forget_user(self, user_id: int) -> None:
        """Drop cached entries of a user whose rows were deleted elsewhere."""
        for skey in [k for k in self._cache if k.split(":")[2] == str(user_id)]:
            del self._cache[skey]

    async def close(self) -> None:
        # The database belongs to the app, which closes it after in-flight updates finish.
        return None
