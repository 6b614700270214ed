"""The messengers a deployment runs on, put together under one Bot (used by bot/app.py).

- Telegram only (the default): the Bot's session is Telegram's, as it always was.
- MAX, or both: a RoutingSession over Telegram's session and MAX's (bot/messengers/max/),
  so every request goes through its recipient's messenger, with that messenger's limits.
- MAX's settings name MAX's own ids (admins, the staff chat); they are turned into internal
  ids here, once, at start, so the rest of the bot sees one kind of id.
- Updates: Telegram's and MAX's long polling run side by side in aiogram's polling loop
  (each through a Bot of its messenger, sharing one session); in production MAX sends them
  to a webhook (bot/messengers/max/webhook.py) instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.methods import TelegramMethod

from bot.messengers import MAX, MAX_ID_BASE, TELEGRAM, Messenger
from bot.messengers.limits import TELEGRAM_LIMITS, Limits
from bot.messengers.max.api import MaxApi, MaxApiError, MaxNetworkError
from bot.messengers.max.ids import MaxIds
from bot.messengers.max.session import MaxSession
from bot.messengers.routing import MessengerBot, RoutingSession
from bot.settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import App

log = logging.getLogger(__name__)

# The Bot needs a token of Telegram's shape even where Telegram does not run; its number is
# the bot's own id for the handlers, and MAX_ID_BASE is no person's or chat's id.
MAX_ONLY_TOKEN = f"{MAX_ID_BASE}:MAX-only-deployment-no-Telegram-token"


def bot_token(settings: Settings) -> str:
    if settings.bot_token is not None:
        return settings.bot_token.get_secret_value()
    return MAX_ONLY_TOKEN


class CannotStart(Exception):
    """A messenger refused the bot's token or could not be reached: one line for a human,
    and the exit code (2: a setting to fix, 1: try again later)."""

    def __init__(self, line: str, code: int) -> None:
        super().__init__(line)
        self.code = code


class Transport:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.runs: frozenset[str] = settings.messengers
        self.ids = MaxIds(db) if MAX in self.runs else None
        self.max: MaxSession | None = None
        self.routing: RoutingSession | None = None
        self.bots: list[Bot] = []
        self._webhook: web.AppRunner | None = None

    @property
    def primary(self) -> Messenger:
        return TELEGRAM if TELEGRAM in self.runs else MAX

    async def resolve_ids(self) -> Settings:
        """The settings with MAX's admins and staff chat as internal ids."""
        settings = self.settings
        if self.ids is None:
            return settings
        admins = {await self.ids.person(user_id) for user_id in settings.max_admin_ids}
        staff_chat = settings.staff_chat_id
        if settings.max_staff_chat_id is not None:
            staff_chat = await self.ids.group(settings.max_staff_chat_id)
        self.settings = settings.model_copy(
            update={"admin_ids": settings.admin_ids | admins, "staff_chat_id": staff_chat}
        )
        return self.settings

    def session(self, telegram: BaseSession | None) -> BaseSession:
        """The Bot's session: Telegram's alone, or the routing one over every messenger's."""
        settings = self.settings
        if TELEGRAM in self.runs and telegram is None:
            api = TelegramAPIServer.from_base(settings.bot_api_base_url)
            telegram = AiohttpSession(api=api)
        if self.ids is None:
            assert telegram is not None
            return telegram
        assert settings.max_bot_token is not None  # Settings require it when MAX runs
        api_client = MaxApi(settings.max_bot_token.get_secret_value(), settings.max_api_base_url)
        bot_id = int(bot_token(settings).split(":", 1)[0])
        self.max = MaxSession(api_client, self.ids, bot_id)
        sessions: dict[Messenger, BaseSession] = {MAX: self.max}
        if telegram is not None and TELEGRAM in self.runs:
            sessions[TELEGRAM] = telegram
        self.routing = RoutingSession(sessions, self.primary)
        return self.routing

    def limits(self) -> Callable[[Bot, TelegramMethod[Any]], Limits] | None:
        if self.routing is None:
            return None
        return self.routing.limits_for

    def rates(self) -> dict[Messenger, float]:
        return {MAX: self.settings.max_broadcast_rate} if MAX in self.runs else {}

    def polling_bots(self, bot: Bot) -> list[Bot]:
        """The Bots whose long polling brings updates: Telegram's unless Telegram sends them
        to a webhook (WEBHOOK_URL, bot/webhook.py), and MAX's unless MAX does
        (MAX_WEBHOOK_URL)."""
        telegram_polls = TELEGRAM in self.runs and self.settings.webhook_url is None
        bots: list[Bot] = [bot] if telegram_polls else []
        if MAX in self.runs and self.settings.max_webhook_url is None:
            max_bot = MessengerBot(token=bot.token, session=bot.session, default=bot.default)
            max_bot.messenger = MAX
            bots.append(max_bot)
        return bots

    # -- running ----------------------------------------------------------------------------

    async def check(self, bot: Bot) -> None:
        """Fail fast, naming the messenger and its setting, on a wrong token or address."""
        settings = self.settings
        if TELEGRAM in self.runs:
            try:
                await bot.me()
            except TelegramUnauthorizedError:
                raise CannotStart(
                    "Telegram rejected BOT_TOKEN (Unauthorized). "
                    "Check the token with @BotFather (/mybots -> API Token).",
                    2,
                ) from None
            except TelegramNetworkError as error:
                raise CannotStart(
                    f"cannot reach the Bot API at {settings.bot_api_base_url} ({error.message}).",
                    1,
                ) from None
        if self.max is not None:
            try:
                await self.max.me()
            except MaxApiError as error:
                if error.status == 401:
                    raise CannotStart(
                        "MAX rejected MAX_BOT_TOKEN (Unauthorized). Check the token on "
                        "https://business.max.ru (Chat bots, the bot, Settings).",
                        2,
                    ) from None
                raise CannotStart(
                    f"MAX's Bot API at {settings.max_api_base_url} refused: {error}.", 1
                ) from None
            except MaxNetworkError as error:
                raise CannotStart(
                    f"cannot reach MAX's Bot API at {settings.max_api_base_url} ({error}).", 1
                ) from None

    async def start(self, app: App) -> None:
        """MAX's way of receiving updates: a webhook subscribed (and served here), or long
        polling, which works only once no webhook is subscribed."""
        if self.max is None:
            return
        url = self.settings.max_webhook_url
        if url is None:
            if ended := await self.max.unsubscribe():
                log.warning("MAX: %d webhook subscription(s) ended for long polling", ended)
            return
        from bot.messengers.max.webhook import serve_webhook

        secret = self.settings.max_webhook_secret
        if not self.settings.max_webhook_shared:  # else Telegram's server has its path
            self._webhook = await serve_webhook(
                app,
                self.max,
                url,
                secret.get_secret_value() if secret else None,
                self.settings.max_webhook_listen,
            )
        await self.max.subscribe(url, secret.get_secret_value() if secret else None)
        log.info("MAX: updates come to the webhook %s", url)

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None

    async def run(self, app: App) -> None:
        """Receive updates until SIGTERM or SIGINT (`python -m bot`)."""
        if TELEGRAM in self.runs and self.settings.webhook_url is not None:
            from bot.webhook import run_webhook

            await run_webhook(app)  # MAX's webhook, if it runs, is served from on_startup
            return
        bots = self.polling_bots(app.bot)
        if bots:
            await app.dp.start_polling(
                *bots,
                allowed_updates=app.dp.resolve_used_update_types(),
                handle_signals=True,
                close_bot_session=True,
            )
            return
        # MAX by webhook only: nothing to poll; serve until told to stop.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        workflow = {"dispatcher": app.dp, "bots": [app.bot], **app.dp.workflow_data}
        await app.dp.emit_startup(bot=app.bot, **workflow)
        try:
            await stop.wait()
        finally:
            await app.dp.emit_shutdown(bot=app.bot, **workflow)
            await app.bot.session.close()


__all__ = ["TELEGRAM_LIMITS", "CannotStart", "Transport", "bot_token"]
