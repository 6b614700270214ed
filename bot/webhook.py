"""Webhook mode: Telegram pushes updates to `WEBHOOK_URL`, to one replica of several.

An update is acknowledged only once it is safe: the request's body is stored in the inbox
(storage/repositories/inbox.py) and committed first, then Telegram gets its 200, then the
update is handled and its row deleted. A replica killed after the 200 loses nothing: any
replica's sweep finds rows left waiting and handles them. (aiogram's `SimpleRequestHandler`
with `handle_in_background=True` answers 200 before handling and loses the update on a
crash; without it, Telegram waits for the whole handling and sends the update again when it
takes too long.)

One person's updates are handled one at a time and in order across all replicas: whoever
handles them holds the person's lock (storage/locks.py: an advisory lock on PostgreSQL) and
takes the person's waiting updates from the inbox oldest first, so a form's steps that
landed on two replicas are still taken one after the other, and two presses of one button
on two replicas are two updates in a row, the second finding the first's result.

`GET /healthz` says whether the database answers (200 or 503), for the reverse proxy and
the container's health check. When MAX runs too (by its webhook, on the same port), its path
is served here as well (bot/messengers/max/webhook.py). A stop (SIGTERM) takes no new
requests, finishes the updates in flight, and leaves what it did not take to the other
replicas (or to the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram.types import Update
from aiohttp import web

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB; Telegram's largest are well under this
SWEEP_EVERY = 5.0  # seconds between looks for updates another replica left behind
LEFT_AFTER = timedelta(seconds=10)  # an update waiting this long was left behind


def person_of(update: dict[str, Any]) -> int | None:
    """Whose update this is (the sender; the chat for a channel post), or None."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        for field in ("from", "user", "chat", "sender_chat"):
            who = value.get(field)
            if isinstance(who, dict) and isinstance(who.get("id"), int):
                return int(who["id"])
        message = value.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            chat_id = message["chat"].get("id")
            return int(chat_id) if isinstance(chat_id, int) else None
    return None


class Inbox:
    """Updates from the webhook: stored, acknowledged, handled per person in order."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._db = app.db
        self._draining: dict[int | None, asyncio.Task[None]] = {}
        self._again: set[int | None] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.stopping = False

    async def receive(self, body: bytes) -> bool:
        """Store an update's body; False when it is not an update at all."""
        try:
            update = json.loads(body)
            update_id = update["update_id"]
        except (ValueError, KeyError, TypeError):
            return False
        if not isinstance(update_id, int) or not isinstance(update, dict):
            return False
        person = person_of(update)
        async with self._db.single_statement() as db:
            await db.inbox.add(update_id, person, body.decode(), self._app.clock.now())
        self.kick(person)
        return True

    def kick(self, person: int | None, *, wait: bool = True) -> None:
        """Handle what the person has waiting (now, or after the drain under way)."""
        if self.stopping:
            return
        if person in self._draining:
            self._again.add(person)
            return
        task = asyncio.create_task(self._drain(person, wait), name=f"inbox-{person}")
        self._draining[person] = task
        task.add_done_callback(lambda _: self._finished(person))

    def _finished(self, person: int | None) -> None:
        self._draining.pop(person, None)
        if person in self._again:
            self._again.discard(person)
            self.kick(person)

    async def _drain(self, person: int | None, wait: bool) -> None:
        try:
            async with self._db.locks.person(person, wait=wait) as got:
                if not got:
                    return  # another replica is at it: it takes what is waiting
                after = 0
                while not self.stopping:
                    found = await self._db.lookup.inbox.next_of(person, after)
                    if found is None:
                        return
                    update_id, body = found
                    await self._handle(update_id, body)
                    async with self._db.single_statement() as db:
                        await db.inbox.done(update_id)
                    after = update_id
        except Exception:
            log.exception("the inbox of %s could not be handled; it stays for the sweep", person)

    async def _handle(self, update_id: int, body: str) -> None:
        app = self._app
        try:
            update = Update.model_validate(json.loads(body), context={"bot": app.bot})
        except ValueError:
            log.warning("update %s is not an update Telegram sends; dropped", update_id)
            return
        try:
            await app.dp.feed_update(app.bot, update)
        except Exception:
            # As with polling: logged (aiogram's errors handler has told the person), and
            # not handled again, where it would fail again.
            log.exception("update %s failed", update_id)

    # -- sweeping -----------------------------------------------------------------------

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="inbox-sweep")

    async def _sweep_forever(self) -> None:
        while not self.stopping:
            try:
                await self.sweep()
            except Exception:
                log.exception("inbox sweep failed")
            await asyncio.sleep(SWEEP_EVERY)

    async def sweep(self, left_after: timedelta = LEFT_AFTER) -> None:
        """Take up updates left waiting (a replica died or stopped before it handled them):
        people nobody is handling now (their lock is free)."""
        before = self._app.clock.now() - left_after
        for person in await self._db.read.inbox.waiting_since(before, limit=100):
            self.kick(person, wait=False)

    async def stop(self, grace: float) -> None:
        """Take nothing new; let the updates being handled finish (up to `grace` seconds)."""
        self.stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        running = list(self._draining.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("stopped with %d people's updates in flight", len(pending))

    @property
    def busy(self) -> int:
        return len(self._draining)


class WebhookServer:
    """The replica's HTTP side: the webhook and the health endpoint."""

    def __init__(self, app: App) -> None:
        settings = app.settings
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        self._app = app
        self._secret = settings.webhook_secret.get_secret_value().encode()
        self.inbox = Inbox(app)
        self.path = settings.webhook_path
        self.host, self.port = settings.webhook_listen
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        webapp = web.Application(client_max_size=MAX_BODY)
        webapp.router.add_post(self.path, self._update)
        webapp.router.add_get("/healthz", self._health)
        settings, transport = self._app.settings, self._app.transport
        if settings.max_webhook_shared and transport is not None and transport.max is not None:
            # MAX's webhook on the same port: its path beside Telegram's, one /healthz.
            from bot.messengers.max.webhook import receiver

            assert settings.max_webhook_url is not None
            secret = settings.max_webhook_secret
            handler = receiver(
                self._app, transport.max, secret.get_secret_value() if secret else None
            )
            webapp.router.add_post(urlsplit(settings.max_webhook_url).path or "/", handler)
        return webapp

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=401, text="unauthorized")
        if self.inbox.stopping:
            return web.Response(status=503, text="stopping")  # Telegram sends it elsewhere
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large")
        try:
            stored = await self.inbox.receive(body)
        except Exception:
            log.exception("an update could not be stored; Telegram will send it again")
            return web.Response(status=500, text="not stored")
        if not stored:
            return web.Response(status=400, text="not an update")
        return web.Response(text="ok")

    async def _health(self, request: web.Request) -> web.Response:
        answers = await self._app.db.ping()
        body = {"database": "ok" if answers else "unreachable", "in_flight": self.inbox.busy}
        return web.json_response(body, status=200 if answers else 503)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self._runner.addresses:  # the port chosen, whatever the loop (uvloop's too)
            self.port = int(self._runner.addresses[0][1])
        self.inbox.start()
        log.info("webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self, grace: float) -> None:
        await self.inbox.stop(grace)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def run_webhook(app: App) -> None:
    """Serve the webhook until SIGTERM or SIGINT, then stop gracefully."""
    from bot.app import SHUTDOWN_GRACE_SECONDS

    settings = app.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    server = WebhookServer(app)
    await server.start()
    await app.dp.emit_startup(bot=app.bot, dispatcher=app.dp)
    await app.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=app.dp.resolve_used_update_types(),
        drop_pending_updates=False,
    )
    log.info("webhook set: %s", settings.webhook_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing the updates in flight")
        await server.stop(SHUTDOWN_GRACE_SECONDS)
        await app.dp.emit_shutdown(bot=app.bot, dispatcher=app.dp)
        await app.bot.session.close()
