"""`python -m bot` as a process: talks to BOT_API_BASE_URL, publishes commands, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
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


async def test_runs_against_base_url_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    api = TinyBotApi()
    app = web.Application()
    app.router.add_route("POST", "/{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3"),
        "ADMIN_IDS": "42",
        "LOG_FORMAT": "json",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await asyncio.wait_for(api.polled.wait(), 30)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await runner.cleanup()
    log = stderr.decode()
    assert proc.returncode == 0, log
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


async def test_a_token_telegram_rejects_stops_with_one_clear_line(tmp_path: Path) -> None:
    api = TinyBotApi()
    app = web.Application()
    app.router.add_route("POST", "/{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": "999999:WRONG-token-that-the-server-rejects-00",
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await runner.cleanup()
    text = stderr.decode()
    assert proc.returncode == 2
    assert "Telegram rejected BOT_TOKEN" in text
    assert "Traceback" not in text
