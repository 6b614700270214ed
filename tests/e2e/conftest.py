"""Fixtures: a sandbox Bot API server on a free port and the bot process against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.server import SandboxServer
from tests.e2e.kit import TOKEN, BotProcess


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    api = await SandboxServer(TOKEN).start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def bot(server: SandboxServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(server, tmp_path)
    try:
        yield process
    finally:
        await process.kill()  # never leave a process behind, whatever the test did
