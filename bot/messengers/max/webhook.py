"""MAX's updates by webhook (production): MAX POSTs each update to our HTTPS address.

A request is taken only with the subscription's secret in `X-Max-Bot-Api-Secret` (compared
in constant time); anything else is refused with 403 and never reaches the handlers. An
update is answered 200 once the bot has handled it, so what the bot acknowledges is done;
a failure answers 500, and MAX delivers the update again later. Whoever handles a person's
update holds that person's lock, so with several replicas behind one address (PostgreSQL)
their updates are still handled one at a time.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram.types import Update
from aiohttp import web

from bot.messengers.max.session import MaxSession
from bot.webhook import person_of

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


Handler = Callable[[web.Request], Awaitable[web.Response]]


def receiver(app: App, session: MaxSession, secret: str | None) -> Handler:
    """The request handler of MAX's webhook (served alone by `webhook_app`, or beside
    Telegram's by bot/webhook.py when both listen on one port)."""
    update_ids = itertools.count(1)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if secret is not None and not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("MAX webhook: a request without the right secret was refused")
            return web.json_response({"ok": False}, status=403)
        try:
            raw: Any = json.loads(await request.read())
        except ValueError:
            return web.json_response({"ok": False}, status=400)
        if not isinstance(raw, dict):
            return web.json_response({"ok": False}, status=400)
        try:
            for item in await session.updates_of(raw):
                update = Update.model_validate(
                    {"update_id": next(update_ids), **item}, context={"bot": app.bot}
                )
                # One person's updates one at a time across all replicas (storage/locks.py),
                # as Telegram's through the inbox (bot/webhook.py).
                async with app.db.locks.person(person_of(item)):
                    await app.dp.feed_update(app.bot, update)
        except Exception:
            log.exception("MAX webhook: an update failed; MAX will deliver it again")
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})

    return receive


def webhook_app(app: App, session: MaxSession, path: str, secret: str | None) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(path or "/", receiver(app, session, secret))
    return web_app


async def serve_webhook(
    app: App, session: MaxSession, url: str, secret: str | None, listen: str
) -> web.AppRunner:
    """Listen on `listen` (host:port, behind the HTTPS proxy that serves `url`)."""
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(webhook_app(app, session, urlsplit(url).path, secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    return runner
