"""Fixtures: a running bot over a fresh database (a SQLite file in a temporary folder, or a
PostgreSQL database of its own with TEST_DATABASE=postgresql: tests/databases.py).

A test that holds for one backend only is marked `sqlite_only(reason)` or
`postgresql_only(reason)`, and the reason says why; the other backend's run skips it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.databases import BACKEND, DATABASES
from tests.kit import Harness

ADMIN_ID = 1


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): holds for SQLite alone; the reason says why"
    )
    config.addinivalue_line(
        "markers", "postgresql_only(reason): holds for PostgreSQL alone; the reason says why"
    )


def pytest_report_header() -> str:
    return f"database backend: {BACKEND} (TEST_DATABASE)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    other = "postgresql_only" if BACKEND == "sqlite" else "sqlite_only"
    for item in items:
        marker = item.get_closest_marker(other)
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: @{other} needs a reason")
        item.add_marker(pytest.mark.skip(reason=f"{other}: {reason}"))


@pytest.fixture(autouse=True)
def _fresh_databases() -> Iterator[None]:
    """The PostgreSQL databases a test used are emptied for the next when it ends."""
    yield
    DATABASES.release_all()


def pytest_sessionfinish() -> None:
    DATABASES.drop_all()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start()
    try:
        yield h
    finally:
        await h.close()


# Generated inputs: enough examples to find an edge, no per-example deadline (the fake
# session and SQLite make timings noisy on a busy 2-core CI machine), reproducible in CI.
settings.register_profile("default", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
