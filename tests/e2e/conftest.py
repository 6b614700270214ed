"""Fixtures: a sandbox Bot API server on a free port and the bot process against it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.max_server import MaxSandboxServer
from bot.sandbox.server import SandboxServer
from tests.e2e.kit import MAX_TOKEN, TOKEN, BotProcess


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


@pytest.fixture
async def max_server() -> AsyncIterator[MaxSandboxServer]:
    api = await MaxSandboxServer(MAX_TOKEN).start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def max_bot(max_server: MaxSandboxServer, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The bot on MAX alone (its staff and their chat on MAX too)."""
    process = BotProcess(None, tmp_path, max_server)
    try:
        yield process
    finally:
        await process.kill()


@pytest.fixture
async def both_bot(
    server: SandboxServer, max_server: MaxSandboxServer, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    """One bot on Telegram and MAX at once (its staff and their chat on Telegram)."""
    process = BotProcess(server, tmp_path, max_server)
    try:
        yield process
    finally:
        await process.kill()
