"""End-to-end kit: the real bot process (`python -m bot`) against the sandbox Bot API server
over HTTP on 127.0.0.1, and people who talk to it through the server's side door."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.sandbox.max_server import MaxSandboxServer
from bot.sandbox.server import Outgoing, SandboxServer
from storage.db import Database, open_database
from tests.databases import DATABASES, ON_POSTGRESQL

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:SANDBOX-e2e-token-for-the-local-server"
MAX_TOKEN = "max-e2e-token-for-the-local-max-server"
ADMIN_ID = 1
STAFF_CHAT = -1001000000001
MAX_STAFF_CHAT = -72000000001  # a MAX group chat's id
WAIT = 20.0  # seconds any single expectation may take (CI's 2 cores, a cold start)
# A process's start (imports, migrations, the first poll or setWebhook): not what the tests
# measure, and on a loaded 2-core machine it took over 20 s.
START_WAIT = 60.0


class BotProcess:
    """`python -m bot` as a subprocess with its settings in the environment: on the Telegram
    sandbox `server`, on the MAX one (`max_server`), or on both; by long polling, or
    (`webhook=True`) as one of several replicas on one database, each with its Telegram
    webhook server on a port of its own, behind the sandbox's round-robin delivery."""

    def __init__(
        self,
        server: SandboxServer | None,
        tmp: Path,
        max_server: MaxSandboxServer | None = None,
        *,
        name: str = "bot",
        webhook: bool = False,
        **env: str,
    ) -> None:
        self.servers: list[Any] = [s for s in (server, max_server) if s is not None]
        self.server: Any = self.servers[0]
        self.tmp = tmp
        self.name = name
        self.database = tmp / "data" / "bot.sqlite3"
        messengers: dict[str, str] = {}
        if server is not None:
            messengers |= {
                "BOT_TOKEN": TOKEN,
                "BOT_API_BASE_URL": server.base_url,
                "ADMIN_IDS": str(ADMIN_ID),
                "STAFF_CHAT_ID": str(STAFF_CHAT),
            }
        if max_server is not None:
            messengers |= {"MAX_BOT_TOKEN": MAX_TOKEN, "MAX_API_BASE_URL": max_server.base_url}
            if server is None:  # the staff are on MAX too
                messengers |= {
                    "MAX_ADMIN_IDS": str(ADMIN_ID),
                    "MAX_STAFF_CHAT_ID": str(MAX_STAFF_CHAT),
                }
        messengers["MESSENGERS"] = ",".join(
            name for name, s in (("telegram", server), ("max", max_server)) if s is not None
        )
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "DATABASE_PATH": str(self.database),
            # The backend under test: on PostgreSQL a database of this folder's own.
            **({"DATABASE_URL": DATABASES.url_for(tmp)} if ON_POSTGRESQL else {}),
            "MUNICIPALITY_NAME": "Тестовск",
            "MUNICIPALITY_POPULATION": "50000",
            "LOG_FORMAT": "json",
            **messengers,
            **env,
        }
        self.port: int | None = None
        if webhook:
            self.port = free_port()
            self.env |= {
                # The address Telegram is given (the load balancer's, here the sandbox's own
                # round-robin); this replica listens on its own port behind it.
                "WEBHOOK_URL": "https://bot.example.org/telegram/hook",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{self.port}",
            }
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def address(self) -> str:
        assert self.port is not None, "not a webhook replica"
        return f"http://127.0.0.1:{self.port}"

    def open_database(self) -> Database:
        """The bot's database (not opened yet), to read or seed beside the process."""
        return open_database(self.database, self.env.get("DATABASE_URL"))

    @property
    def log(self) -> str:
        path = self.tmp / f"{self.name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    async def start(self) -> None:
        assert self.proc is None, "already running"
        polls = [s.calls.count("getUpdates") for s in self.servers]
        hooks = self.server.calls.count("setWebhook")
        self.starts += 1
        with (self.tmp / f"{self.name}.log").open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.tmp,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        if self.port is not None:
            # Started when it set the webhook (its server listens before that).
            await self.wait(
                lambda: self.server.calls.count("setWebhook") > hooks,
                "the webhook to be set",
                START_WAIT,
            )
            return
        # Started when it polls: commands published, the sender and scheduler up.
        for server, before in zip(self.servers, polls, strict=True):
            await self.wait(
                lambda s=server, n=before: s.calls.count("getUpdates") > n, "a poll", START_WAIT
            )

    @property
    def leads(self) -> bool:
        """Whether this replica runs the sender and the scheduler now (its log says)."""
        log = self.log
        return log.rfind("leading: the outbox sender") > log.rfind("lost the lead")

    async def wait(self, predicate: Callable[[], Any], what: str, within: float = WAIT) -> Any:
        """Wait for a condition, failing at once (with the bot's log) if the bot died."""
        proc = self.proc

        def check() -> Any:
            if proc is not None and proc.returncode is not None:
                raise AssertionError(f"the bot exited ({proc.returncode}):\n{self.log[-3000:]}")
            return predicate()

        return await self.server.wait_for(check, within, what)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.proc = None

    async def stop(self) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not stop in time. Returns the exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return proc.returncode


WEBHOOK_SECRET = "e2e-webhook-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Person:
    """Someone writing to the bot, in a private chat or (with `in_chat`) in a group."""

    def __init__(
        self,
        server: Any,  # the sandbox server of the person's messenger (Telegram's or MAX's)
        bot: BotProcess,
        user_id: int,
        first_name: str,
        *,
        language_code: str = "ru",
        chat_id: int | None = None,
    ) -> None:
        self.server = server
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.chat_id = user_id if chat_id is None else chat_id
        if user_id not in server.users:
            server.user(user_id, first_name, language_code=language_code)

    def in_chat(self, chat_id: int) -> Person:
        return Person(self.server, self.bot, self.id, self.first_name, chat_id=chat_id)

    @property
    def inbox(self) -> list[Outgoing]:
        """What the bot sent to this chat (not edits), oldest first."""
        return self.server.sent_to(self.chat_id)

    @property
    def last(self) -> Outgoing:
        return self.inbox[-1]

    def texts(self) -> list[str]:
        return [o.text for o in self.inbox]

    def _group(self) -> int | None:
        return None if self.chat_id == self.id else self.chat_id

    async def _expect(self, act: Callable[[], Any], expect: int, what: str) -> list[Outgoing]:
        before = len(self.inbox)
        result = act()
        await self.bot.wait(lambda: len(self.inbox) >= before + expect, what)
        if isinstance(result, str):  # a button press: Telegram wants every query answered
            await self.bot.wait(lambda: result in self.server.callback_answers, "a query answer")
        await self.server.settle()
        return self.inbox[before:]

    async def send(
        self, text: str, *, expect: int = 1, reply_to: int | None = None
    ) -> list[Outgoing]:
        return await self._expect(
            lambda: self.server.send_text(self.id, text, chat_id=self._group(), reply_to=reply_to),
            expect,
            f"a reply to {text!r}",
        )

    async def send_photo(self, *, expect: int = 1) -> list[Outgoing]:
        return await self._expect(
            lambda: self.server.send_photo(self.id, chat_id=self._group()), expect, "a photo reply"
        )

    async def send_location(self, lat: float, lon: float, *, expect: int = 1) -> list[Outgoing]:
        return await self._expect(
            lambda: self.server.send_location(self.id, lat, lon, chat_id=self._group()),
            expect,
            "a reply to a location",
        )

    async def send_contact(self, phone: str, *, expect: int = 1) -> list[Outgoing]:
        """Share a phone number (the «share my phone» button sends the person's own contact)."""
        return await self._expect(
            lambda: self.server.send_contact(self.id, phone, chat_id=self._group()),
            expect,
            "a reply to a contact",
        )

    def with_button(self, label: str) -> Outgoing:
        """The latest message in this chat that has the button now."""
        for message in reversed(self.server.chat_messages(self.chat_id)):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if any(b.get("text") == label for row in rows for b in row):
                return Outgoing("", self.chat_id, message["message_id"], "", rows)
        raise AssertionError(f"no message in chat {self.chat_id} has a button {label!r}")

    async def press(self, label: str, *, expect: int = 1, on: int | None = None) -> list[Outgoing]:
        message_id = on if on is not None else self.with_button(label).message_id
        return await self._expect(
            lambda: self.server.press(self.id, message_id, label, chat_id=self._group()),
            expect,
            f"the bot to answer {label!r}",
        )

    def answer_to(self, query_id: str) -> dict[str, Any]:
        return self.server.callback_answers[query_id]

    async def consent(self) -> Person:
        """/start and consent, as everyone does first."""
        [notice] = await self.send("/start")
        label = next(lbl for lbl in notice.labels if lbl.startswith("✅"))
        await self.press(label, expect=2)
        return self


async def wait_quiet(server: SandboxServer, seconds: float) -> None:
    """Let time pass with the bot running, to see that nothing more comes (no duplicates)."""
    await asyncio.sleep(seconds)
    await server.settle()
