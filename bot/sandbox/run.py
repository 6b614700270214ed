"""`python -m bot sandbox`: the sandbox server, the real bot against it, and a terminal chat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.demo import CENTRE, DEMO, DEMO_POPULATION, DEMO_TOWN, DemoPeople, load_demo
from bot.sandbox.server import SandboxServer
from bot.sandbox.terminal import HELP, Persona, Terminal, stdin_lines
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

# Well-formed, so settings accept it; Telegram never sees it.
SANDBOX_TOKEN = "123456789:SANDBOX-local-token-not-for-telegram"
STAFF_CHAT = -1009000000001
POLLING_TIMEOUT = 5  # seconds; the server is local, short polls cost nothing


def personas(people: DemoPeople) -> list[Persona]:
    resident, second = people.residents[0], people.residents[1]
    return [
        Persona("anna", resident[0], resident[1], "a resident"),
        Persona("boris", second[0], second[1], "a second resident"),
        Persona("staff", people.admin[0], people.admin[1], "staff (an admin)"),
        Persona("chair", people.chair[0], people.chair[1], "a TOS chair (with --demo)"),
    ]


def sandbox_settings(
    server: SandboxServer, database: Path, people: DemoPeople, demo: bool, **extra: Any
) -> Settings:
    overrides: dict[str, Any] = {
        "bot_token": server.token,
        "bot_api_base_url": server.base_url,
        "database_path": database,
        "admin_ids": frozenset({people.admin[0]}),
        "staff_chat_id": STAFF_CHAT,
        "town_bounds": None,
        **extra,
    }
    if demo:
        overrides |= {"municipality_name": DEMO_TOWN, "municipality_population": DEMO_POPULATION}
    return load_settings(**overrides)


async def run_sandbox(
    database: Path | None,
    demo: bool,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    from bot.app import create_app
    from bot.logs import setup_logging

    people = DemoPeople()
    # Without --db everything lives in a temporary folder, removed when the sandbox ends.
    folder = Path(tempfile.mkdtemp(prefix="tos-sandbox-")) if database is None else None
    database = database or (folder or Path(".")) / "sandbox.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The server's chats are kept beside the database: the bot's stored message numbers
        # must name the same messages after a restart.
        server = await SandboxServer(SANDBOX_TOKEN, state=state_path(database)).start()
        try:
            settings = sandbox_settings(server, database, people, demo)
            with _log_of(settings).open("a", encoding="utf-8") as log:
                setup_logging(settings.log_level, settings.log_format, stream=log)
                try:
                    app = await create_app(settings)
                    try:
                        return await _session(
                            server, app, settings, people, demo, stdin, stdout, folder is not None
                        )
                    finally:
                        await app.close()
                finally:
                    logging.getLogger().handlers.clear()  # the log file closes here
        finally:
            await server.stop()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def state_path(database: Path) -> Path:
    """Where the sandbox server keeps its chats: next to the database."""
    return database.with_suffix(".sandbox.jsonl")


async def _session(
    server: SandboxServer,
    app: Any,
    settings: Settings,
    people: DemoPeople,
    demo: bool,
    stdin: TextIO,
    stdout: TextIO,
    temporary: bool = False,
) -> int:
    server.group(STAFF_CHAT, DEMO.staff_chat_title)
    terminal = Terminal(
        server, personas(people), stdout,
        staff_chat=STAFF_CHAT, centre=CENTRE, busy=lambda chat_id: bot_busy(app, chat_id),
    )  # fmt: skip
    if demo:
        town = await load_demo(app.db, app.clock, people)
        note = "loaded" if town.created else "already in the database"
        orgs = len(await app.db.read.registry.all_orgs())
        terminal.say(
            f"Demo town «{DEMO_TOWN}» {note}: {len(town.tos_ids)} TOS, {orgs} organisations."
        )
    polling = start_polling(app)
    try:
        await server.wait_for(lambda: server.polls_waiting or polling.done(), 30, "the bot")
        if polling.done():
            polling.result()  # the bot failed to start: show why
        terminal.say(f"tos-bot sandbox: database {settings.database_path}, log {_log_of(settings)}")
        if temporary:
            terminal.say("  (a temporary folder, removed on /quit: --db PATH keeps them)")
        terminal.say(HELP.format(names=", ".join(terminal.personas)))
        terminal.say(f"You are {people.residents[0][1]}, a resident. Say /start.")
        await terminal.run(stdin_lines(stdin))
    finally:
        await stop_bot(app, server, polling, terminal)
    return 0


def start_polling(app: Any) -> asyncio.Task[None]:
    """The bot's polling loop against the sandbox server; `stop_bot` ends it."""
    return asyncio.create_task(
        app.dp.start_polling(
            app.bot,
            allowed_updates=app.dp.resolve_used_update_types(),
            handle_signals=False,
            close_bot_session=True,
            polling_timeout=POLLING_TIMEOUT,
        )
    )


async def bot_busy(app: Any, chat_id: int) -> bool:
    """An update is being handled, or the outbox has something due for `chat_id`."""
    if app.tracker.in_flight:
        return True
    return bool(await app.db.read.outbox.busy_for(chat_id, app.clock.now()))


async def stop_bot(
    app: Any,
    server: SandboxServer,
    polling: asyncio.Task[Any],
    terminal: Terminal | None = None,
    grace: float | None = None,
) -> None:
    """Stop as `python -m bot` does, in order: no more updates for the bot, the updates it
    is handling finish (up to a grace period), then aiogram's stop, which runs
    `App.on_shutdown` (the scheduler and the sender stop, the database closes)."""
    from bot.app import SHUTDOWN_GRACE_SECONDS

    grace = SHUTDOWN_GRACE_SECONDS if grace is None else grace
    if not polling.done():
        if terminal is not None:
            await terminal.settle()  # what the last command set off, while it still shows
        server.stop_updates()
        if not await app.tracker.wait_idle(grace):
            log.warning("sandbox: stopping with %d updates still in flight", app.tracker.in_flight)
        if terminal is not None:
            terminal.flush()  # late replies still appear before the sandbox exits
    with contextlib.suppress(RuntimeError):  # polling never started
        await app.dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(polling, 30)


def _log_of(settings: Settings) -> Path:
    return settings.database_path.with_suffix(".log")
