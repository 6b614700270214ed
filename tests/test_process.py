"""`python -m bot` as a process: talks to BOT_API_BASE_URL, publishes commands, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token-for-the-fake-session-000"


class TinyBotApi:
    """Just enough of the Bot API on 127.0.0.1 for the bot to start, poll and stop."""

    def __init__(self) -> None:
        self.methods: list[str] = []
        self.commands: list[dict[str, Any]] = []
        self.polled = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.methods.append(method)
        if request.match_info["token"] != f"bot{TOKEN}":
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        form = dict(await request.post())
        result: Any = True
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "ТОС", "username": "tos_bot"}
        elif method == "getUpdates":
            self.polled.set()
            await asyncio.sleep(0.2)
            result = []
        elif method == "setMyCommands":
            self.commands.append(form)
        return web.Response(
            text=json.dumps({"ok": True, "result": result}), content_type="application/json"
        )


@asynccontextmanager
async def tiny_api() -> AsyncIterator[tuple[TinyBotApi, int]]:
    """The fake Bot API on a free port of 127.0.0.1."""
    api = TinyBotApi()
    app = web.Application()
    app.router.add_route("POST", "/{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield api, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_runs_against_base_url_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with tiny_api() as (api, port):
        stderr, returncode = await _run_and_stop(api, port, tmp_path)
    log = stderr.decode()
    assert returncode == 0, log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert "bot started" in messages and "database closed" in messages
    assert "Traceback" not in log
    assert {"getMe", "setMyCommands", "getUpdates"} <= set(api.methods)
    # Residents' menu in both languages and the admin's own menu with /staff.
    languages = {c.get("language_code") for c in api.commands}
    assert {"ru", "en"} <= languages
    assert any("staff" in str(c.get("commands")) for c in api.commands)
    assert (tmp_path / "data" / "bot.sqlite3").exists()


async def _start_bot(port: int, tmp_path: Path, token: str) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": token,
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3"),
        "ADMIN_IDS": "42",
        "LOG_FORMAT": "json",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _run_and_stop(api: TinyBotApi, port: int, tmp_path: Path) -> tuple[bytes, int | None]:
    proc = await _start_bot(port, tmp_path, TOKEN)
    try:
        await asyncio.wait_for(api.polled.wait(), 30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return stderr, proc.returncode


async def test_a_token_telegram_rejects_stops_with_one_clear_line(tmp_path: Path) -> None:
    async with tiny_api() as (_, port):
        stderr, returncode = await _run_with_wrong_token(port, tmp_path)
    text = stderr.decode()
    assert returncode == 2
    assert "Telegram rejected BOT_TOKEN" in text
    assert "Traceback" not in text


async def _run_with_wrong_token(port: int, tmp_path: Path) -> tuple[bytes, int | None]:
    proc = await _start_bot(port, tmp_path, "999999:WRONG-token-that-the-server-rejects-00")
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    return stderr, proc.returncode
