"""Fixtures: a running bot over a fresh SQLite file in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.kit import Harness

ADMIN_ID = 1


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
