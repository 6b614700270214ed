"""Fixtures: a running bot over a fresh SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.kit import Harness

ADMIN_ID = 1


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await Harness(tmp_path, admin_ids=frozenset({ADMIN_ID})).start()
    try:
        yield h
    finally:
        await h.close()
