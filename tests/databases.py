"""Which backend the suite runs on, and a fresh database for each test.

`TEST_DATABASE=sqlite` (the default): every test has its SQLite file in its temporary folder.
`TEST_DATABASE=postgresql`: every temporary folder a test uses gets a database of its own on
the server at `TEST_DATABASE_URL` (a superuser's address; default
postgresql://postgres@127.0.0.1:5432/postgres). The databases are copies of a template
migrated once per run (CREATE DATABASE ... TEMPLATE, about 0.4 s), and each goes back to a
free list when its test ends, emptied (every row deleted, identities from 1 again: about a
millisecond), so a test starts as on a new database without paying for one.
`.ci/on-postgresql` starts such a server and runs the suite on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from storage.db import Database

BACKEND = os.environ.get("TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"TEST_DATABASE must be sqlite or postgresql, got {BACKEND!r}")
ON_POSTGRESQL = BACKEND == "postgresql"
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEMPLATE = "tos_test_template"

T = TypeVar("T")


def _on_a_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from sync or async code alike (a loop of its own)."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as error:  # handed to the caller below
            result.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]  # type: ignore[no-any-return]


def url_of(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def name_for(folder: Path) -> str:
    return "tos_t_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:20]


class Databases:
    """The PostgreSQL databases of this run: the template, those in use by a folder of the
    running test, and the free ones (empty, ready for the next test)."""

    def __init__(self) -> None:
        self.template_ready = False
        self.in_use: dict[Path, str] = {}
        self.free: list[str] = []
        self.blank: set[str] = set()
        self._made = 0
        self._lock = threading.Lock()

    def url_for(self, folder: Path) -> str:
        """The database of this folder during this test (an empty one on first use)."""
        folder = folder.resolve()
        with self._lock:
            name = self.in_use.get(folder)
            if name is None:
                name = self.free.pop() if self.free else _on_a_thread(self._create)
                self.in_use[folder] = name
        return url_of(name)

    def blank_url(self, folder: Path) -> str:
        """A database with no tables at all (a test of migrations), dropped at the end."""
        name = name_for(folder) + "_blank"
        with self._lock:
            if name not in self.blank:
                _on_a_thread(lambda: self._create_blank(name))
                self.blank.add(name)
        return url_of(name)

    async def _create(self) -> str:
        import asyncpg

        self._made += 1
        name = f"tos_test_{os.getpid()}_{self._made}"
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            if not self.template_ready:
                await self._make_template(admin)
                self.template_ready = True
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        finally:
            await admin.close()
        return name

    async def _create_blank(self, name: str) -> None:
        import asyncpg

        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    async def _make_template(self, admin: Any) -> None:
        from storage.postgres import PostgresDatabase

        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        db = PostgresDatabase(url_of(TEMPLATE), pool_size=1)
        await db.open()
        await db.close()

    def release_all(self) -> None:
        """The test ended: its databases are emptied and free again; blank ones dropped."""
        with self._lock:
            used, self.in_use = list(self.in_use.values()), {}
            blank, self.blank = set(self.blank), set()
        if used or blank:
            reusable = _on_a_thread(lambda: self._release(used, blank))
            with self._lock:
                self.free.extend(reusable)

    async def _release(self, used: list[str], blank: set[str]) -> list[str]:
        """Empty the used databases; those whose schema a test changed are dropped."""
        import asyncpg

        from storage.db import latest_version

        reusable = []
        for name in used:
            conn = await asyncpg.connect(url_of(name))
            try:
                if await conn.fetchval("SELECT version FROM schema_version") == latest_version():
                    await _empty(conn)
                    reusable.append(name)
                else:
                    blank.add(name)
            finally:
                await conn.close()
        if blank:
            admin = await asyncpg.connect(ADMIN_URL)
            try:
                for name in blank:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
        return reusable

    def drop_all(self) -> None:
        """The run ended: its databases go (the server is the run's own, but need not be)."""
        with self._lock:
            names = [*self.free, *self.in_use.values(), TEMPLATE] if self.template_ready else []
            self.free, self.in_use = [], {}
        if names:
            _on_a_thread(lambda: self._drop(names))

    async def _drop(self, names: list[str]) -> None:
        import asyncpg

        admin = await asyncpg.connect(ADMIN_URL)
        try:
            for name in names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _empty(conn: Any) -> None:
    """Every row of every table deleted (foreign keys not checked meanwhile: superuser),
    every identity from 1 again; the schema's version and functions stay."""
    tables = [
        row[0]
        for row in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'schema_version'"
        )
    ]
    sequences = [
        row[0]
        for row in await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        )
    ]
    statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]
    statements += [f'DELETE FROM "{table}"' for table in tables]  # noqa: S608 - catalog names
    statements += [f"SELECT setval('\"{seq}\"', 1, false)" for seq in sequences]
    statements.append("COMMIT")
    await conn.execute(";\n".join(statements))


DATABASES = Databases()


def database_settings(folder: Path) -> dict[str, Any]:
    """The settings that put a bot of this folder on the backend under test."""
    values: dict[str, Any] = {"database_path": folder / "db" / "bot.sqlite3"}
    if ON_POSTGRESQL:
        values["database_url"] = DATABASES.url_for(folder)
    return values


def database_for(folder: Path, *, blank: bool = False) -> Database:
    """A database of the backend under test for this folder, not opened yet; `blank`: one
    with no tables (to migrate from any version), else the folder's own (emptied: the
    schema of this code) as a bot in `folder` would have."""
    from storage.db import open_database

    if not ON_POSTGRESQL:
        return open_database(folder / "db" / "bot.sqlite3")
    return open_database("", DATABASES.blank_url(folder) if blank else DATABASES.url_for(folder))


async def stored_version(db: Database) -> int:
    """The schema version the database itself records (not what `open` reported)."""
    sql = "SELECT version FROM schema_version" if ON_POSTGRESQL else "PRAGMA user_version"
    return int(await db.read.executor.fetch_value(sql))


async def has_table(db: Database, name: str) -> bool:
    sql = (
        "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = ?"
        if ON_POSTGRESQL
        else "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    )
    return await db.read.executor.fetch_value(sql, (name,)) is not None


async def set_stored_version(db: Database, version: int) -> None:
    async with db.transaction() as uow:
        if ON_POSTGRESQL:
            await uow.executor.execute("UPDATE schema_version SET version = ?", (version,))
        else:
            await uow.executor.execute(f"PRAGMA user_version = {int(version)}")


def database_env(folder: Path) -> dict[str, str]:
    """The environment that names this folder's database to `python -m bot`."""
    if ON_POSTGRESQL:
        return {"DATABASE_URL": DATABASES.url_for(folder)}
    return {"DATABASE_PATH": str(folder / "db" / "bot.sqlite3")}
