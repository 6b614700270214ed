"""aiogram FSM storage in the bot's database, so an unfinished form survives a restart.

On SQLite reads are served from a bounded in-memory copy, which is safe because this process
is the only writer; absent keys are cached too, and the keys that have a row are known (read
once), so a user outside any form costs no query, even on their first update after a start.
On PostgreSQL other replicas write the same rows (a form's next step may land on another
replica), so nothing is kept from one update to the next: an update reads its key once (a
point read) and keeps it while it is handled, which is safe because the person's lock
(storage/locks.py, taken by bot/webhook.py) keeps every other replica off it meanwhile.

Writes made while handling one update are gathered (`batch`) and committed together, and
always before the user hears anything: the bot's session flushes them before every
request it sends (bot/app.py), any unit of work opened meanwhile takes them in, and the
end of the update flushes the rest. A handler that sets data and then the next step
therefore costs one commit, and a reply never acknowledges an answer that is not saved.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.db import Database, UnitOfWork, forget_read_ahead, read_ahead

_EMPTY = "{}"

# key -> (user id, state, data as JSON): FSM writes of the update being handled.
_pending: ContextVar[dict[str, tuple[int, str | None, str]] | None] = ContextVar(
    "fsm_pending", default=None
)
# key -> (state, data as JSON): what the update being handled read or wrote, when nothing
# is cached across updates (PostgreSQL).
_seen: ContextVar[dict[str, tuple[str | None, str]] | None] = ContextVar("fsm_seen", default=None)
# The read aiogram's FSM middleware makes (under the isolation lock) just before the update's
# batch begins: the batch takes it over instead of reading the key again (PostgreSQL).
_early: ContextVar[dict[str, tuple[str | None, str]] | None] = ContextVar("fsm_early", default=None)


def _key(key: StorageKey) -> str:
    return (
        f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or ''}:"
        f"{key.business_connection_id or ''}:{key.destiny}"
    )


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database, clock: Any, cache_size: int = 20_000) -> None:
        self._db = db
        self._clock = clock
        self._cache: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        # Nothing is kept where other processes write the same rows.
        self._cache_size = 0 if db.shared else cache_size
        # The keys that may have a row, where the cache is kept: this process writes every
        # row, so a key outside the set has none. Read from the table on the first miss;
        # after that, a person outside any form (their first update since the start, or
        # since the cache let them go) costs no read.
        self._rows: set[str] = set()
        self._rows_read = False
        self._last_key: StorageKey | None = None
        self._last_skey = ""
        db.on_begin(self._write_pending)
        db.on_rollback(self._undo)
        db.on_commit(self._committed)

    def _skey(self, key: StorageKey) -> str:
        """`_key`, kept for the key object asked about last: an update asks about its one
        key five or six times (a StorageKey is immutable, and the one kept stays alive)."""
        if key is not self._last_key:
            self._last_key, self._last_skey = key, _key(key)
        return self._last_skey

    def batch(self) -> FsmBatch:
        """Gather this task's FSM writes until flushed (see the module's docstring)."""
        return FsmBatch(self)

    async def flush(self) -> None:
        """Commit the gathered writes now (the session calls this before each request)."""
        pending = _pending.get()
        if not pending:
            return
        if len(pending) == 1 and self._db.current_unit_of_work() is None:
            # The usual case, a form step: one upsert is its own transaction.
            skey, item = pending.popitem()
            user_id, state, data_json = item
            try:
                async with self._db.single_statement() as writer:
                    await writer.fsm.save(skey, user_id, state, data_json, self._clock.now())
            except Exception:
                pending.setdefault(skey, item)  # still this update's to save, as in _undo
                raise
            except BaseException:
                self._cache.pop(skey, None)  # cancelled: the cache must not claim it
                raise
            self._wrote(skey, state, data_json)
            return
        async with self._db.transaction():
            pass  # _write_pending runs first in every unit of work

    async def _write_pending(self, uow: UnitOfWork) -> None:
        pending = _pending.get()
        if not pending:
            return
        items = list(pending.items())
        pending.clear()
        # If this unit of work rolls back, these go back to the batch (see _undo).
        uow.notes["fsm_requeue"] = items
        now = self._clock.now()
        for skey, (user_id, state, data_json) in items:
            await uow.fsm.save(skey, user_id, state, data_json, now)
            uow.notes.setdefault("fsm_saved", []).append((skey, state, data_json))

    def _committed(self, uow: UnitOfWork) -> None:
        for skey, state, data_json in uow.notes.get("fsm_saved", ()):
            self._wrote(skey, state, data_json)
        # An erasure (UnitOfWork.erases), after the writes it took in (it deleted them):
        # forgotten now, while the writer is still held, so that a step of the person's
        # written after it (its row is there again) adds its key back.
        for user_id in uow.erased:
            self.forget_user(user_id)

    def _wrote(self, skey: str, state: str | None, data_json: str) -> None:
        """A write committed: the keys that may have a row follow it. The key was added when
        the write was asked for; it is added again here, since an erasure may have dropped
        it while the write waited for the writer (the row is there again now)."""
        if not self._cache_size:
            return
        if state is not None or data_json != _EMPTY:
            self._rows.add(skey)
        elif self._cache.get(skey) == (None, _EMPTY):  # unless written again since
            self._rows.discard(skey)

    def _undo(self, uow: UnitOfWork) -> None:
        """A unit of work rolled back: what it wrote for the FSM did not happen."""
        _early.set(None)
        seen = _seen.get()
        for skey in uow.notes.get("fsm_written", ()):
            self._cache.pop(skey, None)  # the database has the older value again
            if seen is not None:
                seen.pop(skey, None)
        requeue = uow.notes.get("fsm_requeue", ())
        pending = _pending.get()
        for skey, item in requeue:
            if pending is not None:
                pending.setdefault(skey, item)  # the batch's writes were not the failure
            else:
                self._cache.pop(skey, None)

    def discard_batch(self) -> None:
        """The update failed: forget its unsaved FSM writes, as if it never started."""
        pending = _pending.get()
        if pending:
            seen = _seen.get()
            for skey in pending:
                self._cache.pop(skey, None)
                if seen is not None:
                    seen.pop(skey, None)
            pending.clear()

    async def _load(self, key: str) -> tuple[str | None, str]:
        pending = _pending.get()
        if pending:
            mine = pending.get(key)
            if mine is not None:
                return mine[1], mine[2]
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        if self._cache_size:
            if not self._rows_read:
                self._rows |= await self._db.lookup.fsm.keys()
                self._rows_read = True
            if key not in self._rows:
                self._remember(key, (None, _EMPTY), read=True)
                return None, _EMPTY
        seen = _seen.get() if self._cache_size == 0 else None
        if seen is not None and key in seen:
            return seen[key]
        # Uncached (PostgreSQL): inside a unit of work its own writes count.
        source = (self._cache_size == 0 and self._db.current_unit_of_work()) or self._db.lookup
        if self._cache_size == 0 and source is self._db.lookup:
            # The update's first read (aiogram's FSM middleware): the person's row comes
            # along for UserService, one round trip instead of two.
            user_id = int(key.split(":")[2])
            row, person = await source.fsm.load_with_person(key, user_id)
            read_ahead(user_id, person)
        else:
            row = await source.fsm.load(key)
        entry = (None, _EMPTY) if row is None else row
        self._remember(key, entry, read=True)
        return entry

    def _remember(self, key: str, entry: tuple[str | None, str], *, read: bool = False) -> None:
        if self._cache_size == 0:
            seen = _seen.get()
            if seen is not None:
                seen[key] = entry
            else:
                # Outside a batch: a read is kept for the batch that follows (the latest one
                # only), a write makes it stale.
                _early.set({key: entry} if read else None)
            return
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _store(self, key: StorageKey, state: str | None, data_json: str) -> None:
        skey = self._skey(key)
        current = await self._load(skey)
        if current == (state, data_json):
            return  # nothing changed: no write
        self._remember(skey, (state, data_json))
        if self._cache_size and (state is not None or data_json != _EMPTY):
            self._rows.add(skey)  # now, as the cache may let the entry go before it commits
        pending = _pending.get()
        uow = self._db.current_unit_of_work()
        if uow is not None:
            # Inside a unit of work: write now, so it commits (or not) with the work.
            await uow.fsm.save(skey, key.user_id, state, data_json, self._clock.now())
            uow.notes.setdefault("fsm_written", []).append(skey)
            uow.notes.setdefault("fsm_saved", []).append((skey, state, data_json))
            if pending:
                pending.pop(skey, None)
            return
        if pending is not None:
            pending[skey] = (key.user_id, state, data_json)
            return
        try:
            async with self._db.transaction() as uow:
                await uow.fsm.save(skey, key.user_id, state, data_json, self._clock.now())
        except BaseException:
            self._cache.pop(skey, None)
            raise
        self._wrote(skey, state, data_json)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _, data_json = await self._load(self._skey(key))
        await self._store(key, value, data_json)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(self._skey(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(self._skey(key))
        await self._store(key, state, json.dumps(dict(data), ensure_ascii=False))

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        # One cache lookup and one JSON round trip (the base class does two of each).
        state, data_json = await self._load(self._skey(key))
        merged: dict[str, Any] = json.loads(data_json)
        merged.update(data)
        await self._store(key, state, json.dumps(merged, ensure_ascii=False))
        return merged

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(json.loads((await self._load(self._skey(key)))[1]))

    def forget_user(self, user_id: int) -> None:
        """Drop what is kept of a person whose rows were deleted (an erasure)."""
        mine = str(user_id)
        for skey in [k for k in self._cache if k.split(":")[2] == mine]:
            del self._cache[skey]
        self._rows.difference_update([k for k in self._rows if k.split(":")[2] == mine])

    async def close(self) -> None:
        # The database belongs to the app, which closes it after in-flight updates finish.
        return None


# The name it had while SQLite was the only backend (other branches still import it).
SqliteStorage = DatabaseStorage


class FsmBatch:
    """`async with storage.batch():` around the handling of one update."""

    __slots__ = ("_seen_token", "_storage", "_token")

    def __init__(self, storage: DatabaseStorage) -> None:
        self._storage = storage
        self._seen_token: Token[dict[str, tuple[str | None, str]] | None] | None = None

    async def __aenter__(self) -> None:
        self._token = _pending.set({})
        if self._storage._cache_size == 0:  # nothing cached across updates: one read each
            self._seen_token = _seen.set(_early.get() or {})
            _early.set(None)

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                await self._storage.flush()
            else:
                # A failed update leaves the form where it was: the user's retry answers
                # the same step (what was sent before the failure was flushed already).
                self._storage.discard_batch()
        finally:
            _pending.reset(self._token)
            if self._seen_token is not None:
                _seen.reset(self._seen_token)
                forget_read_ahead()
