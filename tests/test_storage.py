"""The database on the backend under test (tests/databases.py): migrations from every
earlier version, atomic units of work, FSM persistence."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

import storage.db as dbmod
from bot.clock import FrozenClock
from storage.db import Database, SqliteDatabase, latest_version
from storage.fsm_storage import DatabaseStorage
from tests.databases import database_for, has_table, set_stored_version, stored_version


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = database_for(tmp_path)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def consenting_user(db: Database, user_id: int) -> None:
    """Form data is kept only for users who consented (storage/repositories/fsm.py)."""
    async with db.transaction() as uow:
        await uow.users.ensure(user_id, FrozenClock().now())
        await uow.users.give_consent(user_id, "test", FrozenClock().now())


# Rows that each schema version can hold, inserted before upgrading, checked after.
SEED = {
    1: [
        "INSERT INTO users (id, first_name, created_at, last_seen_at) "
        "VALUES (42, 'Анна', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        "INSERT INTO staff (user_id, added_at) VALUES (42, '2026-01-01T00:00:00+00:00')",
    ],
    2: [
        "INSERT INTO fsm (key, user_id, state, data, updated_at) "
        "VALUES ('1:42:42:::default', 42, 'Form:step', '{\"a\": 1}', '2026-01-01')",
    ],
    3: [
        "INSERT INTO invites (token, kind, created_by, created_at, expires_at, uses_left) "
        "VALUES ('tok', 'staff', 1, '2026-01-01', '2027-01-01', 1)",
    ],
    4: [
        "INSERT INTO outbox (chat_id, text, not_before, created_at) "
        "VALUES (42, 'hello', '2026-01-01', '2026-01-01')",
    ],
}


@pytest.mark.parametrize("start_version", range(latest_version()))
async def test_upgrade_from_every_earlier_version(tmp_path: Path, start_version: int) -> None:
    old = database_for(tmp_path, blank=True)
    await old.open(migrate_to=start_version)
    assert old.schema_version == start_version
    async with old.transaction() as uow:
        for version in range(1, start_version + 1):
            for sql in SEED.get(version, []):
                await uow.executor.execute(sql)
    await old.close()

    db = database_for(tmp_path, blank=True)
    await db.open()
    try:
        assert db.schema_version == latest_version()
        assert await stored_version(db) == latest_version()
        if start_version >= 1:
            user = await db.read.users.get(42)
            assert user is not None and user.first_name == "Анна"
            assert 42 in await db.read.staff.all_ids()
        if start_version >= 2:
            assert await db.read.fsm.load("1:42:42:::default") == ("Form:step", '{"a": 1}')
        if start_version >= 4:
            [row] = await db.read.outbox.due(FrozenClock().now(), 10)
            assert (row.text, row.kind, row.message_id) == ("hello", "text", None)
        # The upgraded schema takes new rows of every kind.
        async with db.transaction() as uow:
            await uow.users.ensure(7, FrozenClock().now())
            await uow.fsm.save("k", 7, "S:s", "{}", FrozenClock().now())
            await uow.staff.add(7, None, FrozenClock().now())
    finally:
        await db.close()


async def test_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database_for(tmp_path)
    await db.open()
    await db.close()
    good = dbmod.migration_files()
    broken = (
        len(good) + 1,
        "9999_broken.sql",
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    )
    monkeypatch.setattr(dbmod, "migration_files", lambda: [*good, broken])
    with pytest.raises(Exception, match="no_such_table"):
        await database_for(tmp_path).open()
    monkeypatch.undo()
    db = database_for(tmp_path)
    await db.open()
    try:
        assert await stored_version(db) == len(good)
        assert not await has_table(db, "half_done")
    finally:
        await db.close()


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    db = database_for(tmp_path)
    await db.open()
    await set_stored_version(db, 999)
    await db.close()
    with pytest.raises(RuntimeError, match="newer than this code"):
        await database_for(tmp_path).open()


@pytest.mark.sqlite_only("SQLite's own settings of the file: WAL, foreign keys, busy timeout")
async def test_folder_is_created_and_pragmas_set(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "a" / "b" / "bot.sqlite3")
    await db.open()
    try:
        assert (tmp_path / "a" / "b" / "bot.sqlite3").exists()
        async with db.transaction() as uow:
            assert await uow.executor.fetch_value("PRAGMA journal_mode") == "wal"
            assert await uow.executor.fetch_value("PRAGMA foreign_keys") == 1
            assert await uow.executor.fetch_value("PRAGMA busy_timeout") == 5000
    finally:
        await db.close()


@pytest.mark.sqlite_only("WITHOUT ROWID is SQLite's")
async def test_the_fsm_table_is_kept_by_its_key(tmp_path: Path) -> None:
    """A form's first and last step write the row once, not a row and its key's index."""
    db = SqliteDatabase(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        found = await db.read.executor.fetch_all(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'fsm' ORDER BY name"
        )
        assert [(r["type"], r["name"]) for r in found] == [("table", "fsm"), ("index", "fsm_user")]
        assert found[0]["sql"].rstrip().endswith("WITHOUT ROWID")
    finally:
        await db.close()


async def test_units_of_work_do_not_mix_under_concurrency(db: Database) -> None:
    """One update's rollback must not take another's committed row with it, nor vice versa."""
    now = FrozenClock().now()

    async def failing(i: int) -> None:
        async with db.transaction() as uow:
            await uow.users.ensure(10_000 + i, now)
            await asyncio.sleep(0)  # let the others run in between
            raise RuntimeError("rolled back")

    async def succeeding(i: int) -> None:
        async with db.transaction() as uow:
            await uow.users.ensure(20_000 + i, now)
            await asyncio.sleep(0)
            await uow.staff.add(20_000 + i, None, now)

    jobs = [failing(i) for i in range(50)] + [succeeding(i) for i in range(50)]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert sum(isinstance(r, RuntimeError) for r in results) == 50
    users = await db.read.executor.fetch_all("SELECT id FROM users ORDER BY id")
    assert [r[0] for r in users] == [20_000 + i for i in range(50)]
    assert len(await db.read.staff.all_ids()) == 50


async def test_reader_sees_only_committed_data(db: Database) -> None:
    now = FrozenClock().now()
    async with db.transaction() as uow:
        await uow.users.ensure(5, now)
        assert await uow.users.get(5) is not None  # own writes are visible inside
        assert await db.read.users.get(5) is None  # others do not see them yet
    assert await db.read.users.get(5) is not None


async def test_nested_unit_of_work_joins_the_outer_one(db: Database) -> None:
    now = FrozenClock().now()
    with pytest.raises(RuntimeError):
        async with db.transaction() as outer:
            await outer.users.ensure(1, now)
            async with db.transaction() as inner:
                assert inner is outer
                await inner.users.ensure(2, now)
            raise RuntimeError
    assert await db.read.users.get(1) is None and await db.read.users.get(2) is None


async def test_fsm_state_survives_reopening(tmp_path: Path) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    db = database_for(tmp_path)
    await db.open()
    await consenting_user(db, 42)
    fsm = DatabaseStorage(db, FrozenClock())
    await fsm.set_state(key, "Form:title")
    await fsm.set_data(key, {"title": "Скамейка", "photos": ["a", "b"]})
    data = await fsm.get_data(key)
    data["title"] = "changed by the caller"  # must not leak into storage
    await db.close()

    db = database_for(tmp_path)
    await db.open()
    try:
        fsm = DatabaseStorage(db, FrozenClock())
        assert await fsm.get_state(key) == "Form:title"
        assert await fsm.get_data(key) == {"title": "Скамейка", "photos": ["a", "b"]}
        await fsm.set_state(key, None)
        await fsm.set_data(key, {})
        assert await db.read.fsm.load("1:42:42:::default") is None
        assert await fsm.get_state(key) is None
    finally:
        await db.close()


async def test_unchanged_fsm_writes_nothing(db: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    clock = FrozenClock()
    fsm = DatabaseStorage(db, clock)
    await fsm.set_state(key, "Form:title")
    written = "SELECT updated_at FROM fsm WHERE key = '1:42:42:::default'"
    before = await db.read.executor.fetch_value(written)
    clock.advance(timedelta(minutes=1))  # a write would store the new time
    await fsm.set_state(key, "Form:title")
    await fsm.set_data(key, {})
    assert await db.read.executor.fetch_value(written) == before


async def test_fsm_write_in_a_rolled_back_unit_of_work_is_undone(db: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    fsm = DatabaseStorage(db, FrozenClock())
    await fsm.set_state(key, "Form:one")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await fsm.set_state(key, "Form:two")
            assert await fsm.get_state(key) == "Form:two"
            raise RuntimeError
    assert await fsm.get_state(key) == "Form:one"
    assert await db.read.fsm.load("1:42:42:::default") == ("Form:one", "{}")


async def test_batched_fsm_writes_commit_together_and_join_work(db: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    await consenting_user(db, 42)
    await consenting_user(db, 43)
    fsm = DatabaseStorage(db, FrozenClock())
    async with fsm.batch():
        await fsm.set_data(key, {"title": "Скамейка"})
        await fsm.set_state(key, "Form:place")
        assert await db.read.fsm.load("1:42:42:::default") is None  # gathered, not yet
        assert await fsm.get_state(key) == "Form:place"  # but visible to the update
        await fsm.flush()  # what the session does before sending anything
        assert await db.read.fsm.load("1:42:42:::default") == (
            "Form:place",
            '{"title": "Скамейка"}',
        )
        await fsm.set_state(other, "Form:title")
        async with db.transaction() as uow:  # a unit of work takes gathered writes in
            await uow.users.set_locale(43, "en")
        assert await db.read.fsm.load("1:43:43:::default") == ("Form:title", "{}")
        await fsm.set_state(key, None)
        await fsm.set_data(key, {})
    # the end of the batch flushes the rest
    assert await db.read.fsm.load("1:42:42:::default") is None


async def test_form_data_of_a_user_without_consent_is_not_kept(db: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    fsm = DatabaseStorage(db, FrozenClock())
    await fsm.set_state(key, "Form:title")
    await fsm.set_data(key, {"phone": "+7 900 000-00-00"})
    assert await db.read.fsm.load("1:42:42:::default") == ("Form:title", "{}")


async def test_a_rolled_back_unit_of_work_gives_the_batch_back(db: Database) -> None:
    """A failure in a service must not undo the form writes gathered before it."""
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    await consenting_user(db, 42)
    fsm = DatabaseStorage(db, FrozenClock())
    async with fsm.batch():
        await fsm.set_state(key, "Form:two")
        with pytest.raises(RuntimeError):
            async with db.transaction():
                raise RuntimeError
        assert await fsm.get_state(key) == "Form:two"
    assert await db.read.fsm.load("1:42:42:::default") == ("Form:two", "{}")


async def test_another_updates_rollback_does_not_touch_my_form(db: Database) -> None:
    mine = StorageKey(bot_id=1, chat_id=42, user_id=42)
    theirs = StorageKey(bot_id=1, chat_id=43, user_id=43)
    await consenting_user(db, 42)
    await consenting_user(db, 43)
    fsm = DatabaseStorage(db, FrozenClock())
    stepped = asyncio.Event()
    rolled = asyncio.Event()

    async def me() -> None:
        async with fsm.batch():
            await fsm.set_state(mine, "Form:two")
            stepped.set()
            await rolled.wait()
            await fsm.update_data(mine, {"x": 1})
            assert await fsm.get_state(mine) == "Form:two"

    async def them() -> None:
        await stepped.wait()
        async with fsm.batch():
            await fsm.set_state(theirs, "Other:one")
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    raise RuntimeError
        rolled.set()

    await asyncio.gather(me(), them())
    assert await db.read.fsm.load("1:42:42:::default") == ("Form:two", '{"x": 1}')
    assert await db.read.fsm.load("1:43:43:::default") == ("Other:one", "{}")


async def test_a_failed_update_leaves_the_form_where_it_was(db: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    await consenting_user(db, 42)
    fsm = DatabaseStorage(db, FrozenClock())
    await fsm.set_state(key, "Form:one")
    with pytest.raises(RuntimeError):
        async with fsm.batch():
            await fsm.set_state(key, "Form:two")
            raise RuntimeError("the service failed after the step moved on")
    assert await fsm.get_state(key) == "Form:one"
    assert await db.read.fsm.load("1:42:42:::default") == ("Form:one", "{}")


@pytest.mark.postgresql_only("LISTEN is PostgreSQL's: on SQLite there is no other process to hear")
async def test_a_database_closed_right_after_a_subscription_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """A subscription made after open sets up its LISTEN in the background; a close at once
    ends it: no task left running or failed unheard, no listening connection left open."""
    db = database_for(tmp_path)
    await db.open()

    async def changed() -> None:
        return None

    db.subscribe("staff", changed)
    await db.close()
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert all(task.done() for task in others)
    assert not [t for t in others if not t.cancelled() and t.exception() is not None]
    assert getattr(db, "_listener", None) is None


def _key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


@pytest.mark.sqlite_only("the FSM's cache, and the keys that have a row, are kept on SQLite")
async def test_a_person_outside_any_form_costs_no_read(tmp_path: Path) -> None:
    """After a restart, a person without an open form is answered from memory; the one
    who was in the middle of a form gets it back from the table."""
    path = tmp_path / "bot.sqlite3"
    db = SqliteDatabase(path)
    await db.open()
    await consenting_user(db, 42)
    await DatabaseStorage(db, FrozenClock()).set_state(_key(42), "Form:title")
    await db.close()

    db = SqliteDatabase(path)
    await db.open()
    try:
        statements: list[str] = []
        db._lookup_conn.set_trace_callback(statements.append)  # type: ignore[union-attr]
        fsm = DatabaseStorage(db, FrozenClock())
        for user_id in range(100, 150):
            assert await fsm.get_state(_key(user_id)) is None
        assert await fsm.get_state(_key(42)) == "Form:title"
        reads = [s for s in statements if " FROM fsm" in s]
        assert len(reads) == 2, reads  # the keys once, then the one open form's row
        assert reads[0] == "SELECT key FROM fsm"
        # A form finished and let go by the cache is known to be gone: no read either.
        await fsm.set_state(_key(42), None)
        small = DatabaseStorage(db, FrozenClock(), cache_size=1)
        await small.set_state(_key(42), "Form:place")
        await small.set_state(_key(42), None)
        await small.get_state(_key(43))  # lets 42 go
        statements.clear()
        assert await small.get_state(_key(42)) is None
        assert [s for s in statements if " FROM fsm" in s] == []
    finally:
        await db.close()


@pytest.mark.sqlite_only("SQLite's one writer waits behind a lock; that queue is the race")
async def test_an_erasure_forgets_the_forms_and_a_step_queued_behind_it_is_seen(
    db: Database,
) -> None:
    """A withdrawal of consent in the private chat while the minute's checkpoint holds the
    writer, and the same person's step in a group queued behind it: the private chat's form
    is gone, from the table and from memory; the group's step, written after the erasure
    (its row is there again, without the answers), is what the storage says."""
    from bot.services.users import UserService

    clock = FrozenClock()
    users = UserService(db, clock)
    await consenting_user(db, 42)
    fsm = DatabaseStorage(db, clock)
    private, group = _key(42), StorageKey(bot_id=1, chat_id=-100, user_id=42)
    await fsm.set_state(private, "Form:one")
    await fsm.set_data(private, {"title": "Скамейка"})
    lock = db._write_lock  # type: ignore[attr-defined]

    async def queued(waiting: int) -> None:
        for _ in range(1000):
            if len(lock._waiters or ()) >= waiting:
                return
            await asyncio.sleep(0.001)
        raise AssertionError(f"fewer than {waiting} waiting for the writer")

    release = asyncio.Event()

    async def checkpoint() -> None:  # holds the writer, as the scheduled checkpoint does
        async with db.transaction():
            await release.wait()

    async def step() -> None:
        await queued(1)  # the erasure waits for the writer first
        async with fsm.batch():
            await fsm.set_state(group, "Form:two")
        # the batch's end waited for the writer behind the erasure, then wrote

    async def open_up() -> None:
        await queued(2)
        release.set()

    held = asyncio.create_task(checkpoint())
    await asyncio.sleep(0)
    report, *_ = await asyncio.gather(users.withdraw_consent(42), step(), open_up())
    await held
    assert report.profile_erased and report.forms_dropped == 1
    assert await db.read.fsm.load("1:42:42:::default") is None
    assert await fsm.get_state(private) is None
    assert await fsm.get_data(private) == {}
    assert await db.read.fsm.load("1:-100:42:::default") == ("Form:two", "{}")
    assert await fsm.get_state(group) == "Form:two"


class _Rollback(Exception):
    pass


@pytest.mark.sqlite_only("the FSM's cache, and the keys that have a row, are kept on SQLite")
def test_the_forms_in_memory_agree_with_the_table_whatever_happens(tmp_path: Path) -> None:
    """Steps, batches, units of work that commit or roll back, erasure and restarts in any
    order, with a cache of two for three people (so it forgets all the time): what the
    storage says is what the table holds, and the table holds what was done."""
    import tempfile

    from hypothesis import given, settings
    from hypothesis import strategies as st

    users = (41, 42, 43)
    states = st.sampled_from(["Form:a", "Form:b", None])
    datas = st.sampled_from([{}, {"title": "Скамейка"}])
    steps = st.lists(
        st.one_of(
            st.tuples(st.just("state"), st.sampled_from(users), states),
            st.tuples(st.just("data"), st.sampled_from(users), datas),
            st.tuples(st.just("batch"), st.sampled_from(users), states, datas),
            st.tuples(st.just("work"), st.sampled_from(users), states, st.booleans()),
            st.tuples(st.just("erase"), st.sampled_from(users)),
            st.tuples(st.just("restart")),
        ),
        max_size=12,
    )

    async def opened(path: Path) -> tuple[SqliteDatabase, DatabaseStorage]:
        db = SqliteDatabase(path)
        await db.open()
        return db, DatabaseStorage(db, FrozenClock(), cache_size=2)

    async def scenario(path: Path, done: list[tuple[Any, ...]]) -> None:
        db, fsm = await opened(path)
        try:
            for user_id in users:
                await consenting_user(db, user_id)
            model: dict[int, tuple[str | None, dict[str, str]]] = {}
            for step in done:
                kind, *args = step
                user_id = int(args[0]) if args else 0
                state, data = model.get(user_id, (None, {}))
                if kind == "state":
                    await fsm.set_state(_key(user_id), args[1])
                    state = args[1]
                elif kind == "data":
                    await fsm.set_data(_key(user_id), args[1])
                    data = args[1]
                elif kind == "batch":
                    async with fsm.batch():
                        await fsm.set_state(_key(user_id), args[1])
                        await fsm.set_data(_key(user_id), args[2])
                    state, data = args[1], args[2]
                elif kind == "work":
                    try:
                        async with db.transaction():
                            await fsm.set_state(_key(user_id), args[1])
                            if not args[2]:
                                raise _Rollback
                        state = args[1]
                    except _Rollback:
                        pass
                elif kind == "erase":
                    async with db.transaction() as uow:
                        await uow.fsm.delete_for_user(user_id)
                        uow.erases(user_id)
                    state, data = None, {}
                else:
                    await db.close()
                    db, fsm = await opened(path)
                if args:
                    model[user_id] = (state, data)
                for other in users:
                    expected = model.get(other, (None, {}))
                    found = (await fsm.get_state(_key(other)), await fsm.get_data(_key(other)))
                    assert found == expected, (step, other)
            rows = await db.read.executor.fetch_all("SELECT user_id, state, data FROM fsm")
            table = {row["user_id"]: (row["state"], json.loads(row["data"])) for row in rows}
            assert table == {u: v for u, v in model.items() if v != (None, {})}
        finally:
            await db.close()

    @settings(max_examples=60, deadline=None)
    @given(steps)
    def check(done: list[tuple[Any, ...]]) -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
            asyncio.run(scenario(Path(folder) / "bot.sqlite3", done))

    check()
