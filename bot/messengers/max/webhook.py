"""MAX's updates by webhook (production): MAX POSTs each update to our HTTPS address.

A request is taken only with the subscription's secret in `X-Max-Bot-Api-Secret` (compared
in constant time); anything else is refused with 403 and never reaches the handlers. An
update is answered 200 once the bot has handled it, so what the bot acknowledges is done;
a failure answers 500, and MAX delivers the update again later.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram.types import Update
from aiohttp import web

from bot.messengers.max.session import MaxSession

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


def webhook_app(app: App, session: MaxSession, path: str, secret: str | None) -> web.Application:
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
                await app.dp.feed_update(app.bot, update)
        except Exception:
            log.exception("MAX webhook: an update failed; MAX will deliver it again")
            return web.json_response({"ok": False}, status=500)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(path or "/", receive)
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
