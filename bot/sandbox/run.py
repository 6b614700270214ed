"""`python -m bot sandbox`: the sandbox server, the real bot against it, and a terminal chat.

`--messenger max` puts everyone on a local MAX server instead (bot/sandbox/max_server.py);
`--messenger both` runs both servers against one bot and one database: anna and the chair
write through MAX, boris and the staff (and the staff chat) through Telegram."""

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
from bot.sandbox.max_server import MaxSandboxServer
from bot.sandbox.server import SandboxServer
from bot.sandbox.terminal import HELP, Persona, Terminal, stdin_lines
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

# Well-formed, so settings accept it; Telegram never sees it.
SANDBOX_TOKEN = "123456789:SANDBOX-local-token-not-for-telegram"
MAX_SANDBOX_TOKEN = "sandbox-max-token-not-for-max-0001"
STAFF_CHAT = -1009000000001
MAX_STAFF_CHAT = -9000000001  # the staff chat when everyone is on MAX
POLLING_TIMEOUT = 5  # seconds; the server is local, short polls cost nothing
MESSENGER_CHOICES = ("telegram", "max", "both")
# Who writes through which messenger, for each --messenger.
LAYOUTS: dict[str, dict[str, str]] = {
    "telegram": dict.fromkeys(("anna", "boris", "staff", "chair"), "telegram"),
    "max": dict.fromkeys(("anna", "boris", "staff", "chair"), "max"),
    "both": {"anna": "max", "boris": "telegram", "staff": "telegram", "chair": "max"},
}


def personas(people: DemoPeople, messenger: str = "telegram") -> list[Persona]:
    layout = LAYOUTS[messenger]
    resident, second = people.residents[0], people.residents[1]
    return [
        Persona("anna", resident[0], resident[1], "a resident", layout["anna"]),
        Persona("boris", second[0], second[1], "a second resident", layout["boris"]),
        Persona("staff", people.admin[0], people.admin[1], "staff (an admin)", layout["staff"]),
        Persona(
            "chair", people.chair[0], people.chair[1], "a TOS chair (with --demo)", layout["chair"]
        ),
    ]


def sandbox_settings(
    server: SandboxServer | None,
    database: Path,
    people: DemoPeople,
    demo: bool,
    max_server: MaxSandboxServer | None = None,
    **extra: Any,
) -> Settings:
    """The bot's settings against the sandbox servers that run (Telegram's, MAX's or both);
    the staff and their chat are on Telegram when it runs."""
    # Its own SQLite file, by polling the local servers, whatever the folder's .env says of
    # production (PostgreSQL, webhook mode).
    overrides: dict[str, Any] = {
        "database_path": database,
        "database_url": None,
        "webhook_url": None,
        "town_bounds": None,
    }
    messengers = []
    if server is not None:
        messengers.append("telegram")
        overrides |= {
            "bot_token": server.token,
            "bot_api_base_url": server.base_url,
            "admin_ids": frozenset({people.admin[0]}),
            "staff_chat_id": STAFF_CHAT,
        }
    if max_server is not None:
        messengers.append("max")
        overrides |= {"max_bot_token": max_server.token, "max_api_base_url": max_server.base_url}
        if server is None:
            overrides |= {
                "max_admin_ids": frozenset({people.admin[0]}),
                "max_staff_chat_id": MAX_STAFF_CHAT,
            }
    overrides |= {"messengers": ",".join(messengers), **extra}
    if demo:
        overrides |= {"municipality_name": DEMO_TOWN, "municipality_population": DEMO_POPULATION}
    return load_settings(**overrides)


async def run_sandbox(
    database: Path | None,
    demo: bool,
    *,
    messenger: str = "telegram",
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
        # The servers' chats are kept beside the database: the bot's stored message numbers
        # must name the same messages after a restart.
        servers: dict[str, Any] = {}
        try:
            if messenger in ("telegram", "both"):
                servers["telegram"] = await SandboxServer(
                    SANDBOX_TOKEN, state=state_path(database)
                ).start()
            if messenger in ("max", "both"):
                servers["max"] = await MaxSandboxServer(
                    MAX_SANDBOX_TOKEN,
                    bot_name=DEMO.bot_name,
                    state=state_path(database, "max"),
                ).start()
            settings = sandbox_settings(
                servers.get("telegram"), database, people, demo, servers.get("max")
            )
            with _log_of(settings).open("a", encoding="utf-8") as log:
                setup_logging(settings.log_level, settings.log_format, stream=log)
                try:
                    app = await create_app(settings)
                    try:
                        return await _session(
                            servers,
                            app,
                            settings,
                            people,
                            demo,
                            stdin,
                            stdout,
                            folder is not None,
                            messenger,
                        )
                    finally:
                        await app.close()
                finally:
                    logging.getLogger().handlers.clear()  # the log file closes here
        finally:
            for running in servers.values():
                await running.stop()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def state_path(database: Path, messenger: str = "telegram") -> Path:
    """Where a sandbox server keeps its chats: next to the database."""
    if messenger == "max":
        return database.with_suffix(".sandbox-max.jsonl")
    return database.with_suffix(".sandbox.jsonl")


async def internal_people(app: Any, people: DemoPeople, on_max: set[str]) -> DemoPeople:
    """The demo's people as the bot's database knows them: those on MAX (`on_max`: persona
    keys, and "authors" for the demo's other people) by their internal ids."""
    ids = app.transport.ids if app.transport is not None else None
    if ids is None or not on_max:
        return people

    async def internal(person: tuple[int, str], key: str) -> tuple[int, str]:
        return (await ids.person(person[0]), person[1]) if key in on_max else person

    return DemoPeople(
        admin=await internal(people.admin, "staff"),
        chair=await internal(people.chair, "chair"),
        residents=people.residents,
        authors=tuple([await internal(author, "authors") for author in people.authors]),
    )


async def _session(
    servers: dict[str, Any],
    app: Any,
    settings: Settings,
    people: DemoPeople,
    demo: bool,
    stdin: TextIO,
    stdout: TextIO,
    temporary: bool = False,
    messenger: str = "telegram",
) -> int:
    staff_messenger = "telegram" if "telegram" in servers else "max"
    staff_chat = STAFF_CHAT if staff_messenger == "telegram" else MAX_STAFF_CHAT
    servers[staff_messenger].group(staff_chat, DEMO.staff_chat_title)
    cast = personas(people, messenger)
    terminal = Terminal(
        servers[cast[0].messenger],
        cast,
        stdout,
        staff_chat=staff_chat,
        centre=CENTRE,
        busy=lambda chat_id: bot_busy(app, chat_id),
        servers=servers,
        staff_messenger=staff_messenger,
    )
    if demo:
        on_max = {p.key for p in cast if p.messenger == "max"}
        if "telegram" not in servers:
            on_max.add("authors")  # the demo's other people are on MAX too
        town = await load_demo(app.db, app.clock, await internal_people(app, people, on_max))
        note = "loaded" if town.created else "already in the database"
        orgs = len(await app.db.read.registry.all_orgs())
        terminal.say(
            f"Demo town «{DEMO_TOWN}» {note}: {len(town.tos_ids)} TOS, {orgs} organisations."
        )
    polling = start_polling(app)
    try:
        for server in servers.values():
            await server.wait_for(lambda s=server: s.polls_waiting or polling.done(), 30, "the bot")
        if polling.done():
            polling.result()  # the bot failed to start: show why
        terminal.say(f"tos-bot sandbox: database {settings.database_path}, log {_log_of(settings)}")
        if temporary:
            terminal.say("  (a temporary folder, removed on /quit: --db PATH keeps them)")
        terminal.say(HELP.format(names=", ".join(terminal.personas)))
        terminal.say(f"You are {people.residents[0][1]}, a resident. Say /start.")
        await terminal.run(stdin_lines(stdin))
    finally:
        await stop_bot(app, list(servers.values()), polling, terminal)
    return 0


def start_polling(app: Any) -> asyncio.Task[None]:
    """The bot's polling loops against the sandbox servers; `stop_bot` ends them."""
    bots = app.transport.polling_bots(app.bot) if app.transport is not None else [app.bot]
    return asyncio.create_task(
        app.dp.start_polling(
            *bots,
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
    server: Any,  # a sandbox server, or a list of them
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
        for running in server if isinstance(server, list) else [server]:
            running.stop_updates()
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
