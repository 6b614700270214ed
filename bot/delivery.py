"""The sender: drains the outbox into Telegram within its limits, and never loses a message.

One queue for every messenger: each row goes through its recipient's messenger (the Bot's
session routes it, bot/messengers/routing.py), paced by that messenger's own rate and split
to that messenger's text limit.

A row is marked `sending` before its request and `sent` only after Telegram confirmed it;
after a crash, `sending` rows go back to the queue (and a long text resumes at its first
unsent part). Pacing: at most BROADCAST_RATE messages a second overall, about one a second
to a private chat and twenty a minute to a group. Failures:

- 429: wait the `retry_after` Telegram gives, for that chat; when several chats are told
  to wait at once, the limit is global and everyone waits;
- 5xx, timeouts, network errors: retry with exponential backoff and jitter, up to
  `max_attempts`, then the row is failed with the reason;
- 403, "chat not found", a deactivated user: the user is marked unreachable and nothing
  more is sent to them until they write to the bot again;
- any other 400: failed at once with Telegram's reason (retrying would not help).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
)
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.domain.outbox import ENDED_UNSENT, NOT_ALLOWED, OPEN, UNREACHABLE, OutboxMessage
from bot.i18n import fill, render_args
from bot.messengers import TELEGRAM, Messenger, messenger_of
from bot.messengers.limits import LIMITS
from bot.middlewares.retry import own_retries
from bot.services.users import UserService
from bot.textsplit import split_to_fit
from storage.db import Database, UnitOfWork
from storage.repositories.outbox import OUTBOX_QUEUED

log = logging.getLogger(__name__)

Renderer = Callable[[dict[str, Any], str], Awaitable[tuple[str, InlineKeyboardMarkup | None]]]
# A file drawn at send time (a chart): (args, locale) -> (content, file name).
Generator = Callable[[dict[str, Any], str], Awaitable[tuple[bytes, str]]]
GENERATED = "gen:"  # a file id that names a generator instead of a Telegram file

PRIVATE_GAP = 1.0  # seconds between messages to one private chat
GROUP_GAP = 3.0  # 20 a minute to one group

# Why a message failed, as a code staff read in their language in /outbox (handlers/outbox.py
# has the texts): Telegram's words -> the code. The words stay in last_error and in the log.
FAILURE_CODES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("blocked", ("blocked",)),
    ("deactivated", ("deactivated",)),
    ("kicked", ("kicked", "not a member")),
    ("chat_not_found", ("chat not found",)),
    ("no_rights", ("have no rights", "not enough rights", "administrator rights")),
    ("too_long", ("too long", "too_long")),
    ("bad_html", ("can't parse entities",)),
    ("edit_target_gone", ("message to edit not found", "never sent")),
    ("edit_refused", ("message can't be edited",)),
    ("bad_buttons", ("button", "reply markup")),
    ("bad_file", ("file", "web page content", "http url")),
)
NETWORK = "network"  # Telegram or the network failed every try
INTERNAL = "internal"  # the bot could not draw the message (a bug: see the log)
REJECTED = "rejected"  # Telegram refused it for another reason


def failure_code(reason: str) -> str:
    """The code of a failure from Telegram's (or the sender's) words."""
    lowered = reason.lower()
    for code, hints in FAILURE_CODES:
        if any(hint in lowered for hint in hints):
            return code
    return REJECTED


class Pacer:
    """The overall rate (evenly spaced slots, and never more than `rate` in any second) and
    a minimum gap per chat."""

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._now = monotonic
        self._sleep = sleep
        self._next_slot = 0.0
        self._chat_ready: dict[int, float] = {}
        self._global_until = 0.0
        self._recent_429: list[tuple[float, int]] = []
        self._sent: deque[float] = deque(maxlen=max(1, int(rate)))

    def chat_ready_at(self, chat_id: int) -> float:
        return max(self._chat_ready.get(chat_id, 0.0), self._global_until)

    async def acquire(self, chat_id: int) -> None:
        """Wait until one more message to `chat_id` is within every limit, and take it."""
        while True:
            now = self._now()
            wait = max(self._next_slot - now, self.chat_ready_at(chat_id) - now)
            if len(self._sent) == self._sent.maxlen:
                wait = max(wait, self._sent[0] + 1.0 - now)  # a hard cap on any one second
            if wait <= 1e-6:  # clocks tick in microseconds: closer than that is now
                break
            await self._sleep(wait)
        now = self._now()
        # The next slot follows the planned one, not the moment the loop woke us: small
        # lateness would otherwise add up to a few per cent below the rate.
        self._next_slot = max(self._next_slot, now - 0.25 / self.rate) + 1.0 / self.rate
        self._sent.append(now)
        self._chat_ready[chat_id] = now + (PRIVATE_GAP if chat_id > 0 else GROUP_GAP)
        if len(self._chat_ready) > 50_000:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}

    def flood_wait(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429: hold that chat. When a good share of the last second's
        requests, to several chats, heard it, the limit is global: hold everyone."""
        now = self._now()
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), now + seconds)
        self._recent_429 = [(t, c) for t, c in self._recent_429 if now - t < 1.0]
        self._recent_429.append((now, chat_id))
        requests = sum(1 for t in self._sent if now - t < 1.0)
        chats = len({c for _, c in self._recent_429})
        if chats >= 3 and len(self._recent_429) >= 0.2 * max(1, requests):
            self._global_until = max(self._global_until, now + seconds)
            log.warning("global flood wait of %.1f s", seconds)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may get a row of an audience (its `audience` column) when it is sent, and where
    a row marked `readdress` goes instead when its recipient may not."""

    reaches: Callable[[int], bool]
    instead: Callable[[int], list[int]]


class Sender:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        i18n: I18n,
        users: UserService,
        clock: Clock,
        *,
        rate: float,
        default_locale: str,
        max_attempts: int = 6,
        backoff: float = 2.0,
        idle_poll: float = 1.0,
        concurrency: int = 64,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rates: dict[Messenger, float] | None = None,
    ) -> None:
        self._db = db
        self._bot = bot
        self._i18n = i18n
        self._users = users
        self._clock = clock
        self._default_locale = default_locale
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._idle_poll = idle_poll
        self._sleep = sleep
        # One pacer a messenger: each keeps its own rate (`rates`; Telegram's is `rate`).
        self.pacer = Pacer(rate, monotonic, sleep)
        self.pacers: dict[Messenger, Pacer] = {TELEGRAM: self.pacer}
        for messenger, messenger_rate in (rates or {}).items():
            if messenger != TELEGRAM:
                self.pacers[messenger] = Pacer(messenger_rate, monotonic, sleep)
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Templates drawn from current data at send time (a staff card shows the latest).
        self.renderers: dict[str, Renderer] = {}
        self.generators: dict[str, Generator] = {}
        # Who may still get a row of an audience when it is sent (staff mail: whoever is
        # staff at that moment, StaffService.reaches_staff), whatever the row holds.
        self.audiences: dict[str, Audience] = {}
        db.on_commit(self._on_commit)
        db.subscribe(OUTBOX_QUEUED, self._queued_elsewhere)  # another replica queued mail

    async def _queued_elsewhere(self) -> None:
        self._wake.set()

    def _on_commit(self, uow: UnitOfWork) -> None:
        if uow.notes.get("outbox"):
            self._wake.set()

    # -- running ------------------------------------------------------------------------

    async def start(self) -> None:
        async with self._db.transaction() as uow:
            recovered = await uow.outbox.recover()
        if recovered:
            log.warning(
                "%d messages were being sent when the bot stopped; sending again", recovered
            )
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking new messages and let those in flight finish (or fail back to the queue)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace)
        for task in list(self._in_flight):
            task.cancel()

    async def _run(self) -> None:
        while True:
            try:
                started = await self.step()
            except Exception:
                log.exception("outbox step failed")
                started = 0
            if started == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_poll):
                        await self._wake.wait()

    async def run_until_idle(self, horizon: timedelta = timedelta(hours=2)) -> None:
        """Deliver everything due now or becoming due within `horizon` (tests, CLI).
        Waiting goes through the injected sleep, so tests move virtual time."""
        deadline = self._clock.now() + horizon
        while True:
            started = await self.step()
            if self._in_flight:
                await asyncio.gather(*list(self._in_flight))
                continue
            if started:
                continue
            due_at = await self._db.read.outbox.next_due_at()
            if due_at is None or due_at > deadline:
                return
            await self._sleep(max(0.0, (due_at - self._clock.now()).total_seconds()) + 0.001)

    async def step(self) -> int:
        """Start sending what is due now; returns how many messages were started."""
        # A read, off the loop and outside the write lock; `mark_sending` below takes only
        # rows still pending, so a stale batch cannot send anything twice.
        limit = max(8, int(sum(p.rate for p in self.pacers.values()) * 2))
        batch = await self._db.read.outbox.due(self._clock.now(), limit=limit)
        # Chats that may go first: those whose own gap has passed.
        batch.sort(key=lambda m: self._pacer(m.chat_id).chat_ready_at(m.chat_id))
        started = 0
        for message in batch:
            await self._pacer(message.chat_id).acquire(message.chat_id)
            # Marked only now, so `sending` means in flight (and /outbox says what is true);
            # a row cancelled while it waited for its turn stays cancelled.
            async with self._db.transaction() as uow:
                taken = await uow.outbox.mark_sending(message.id)
            if not taken:
                continue
            await self._slots.acquire()
            started += 1
            task = asyncio.create_task(self._deliver(message))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        return started or len(batch)

    def _pacer(self, chat_id: int) -> Pacer:
        """The pacer of the recipient's messenger."""
        return self.pacers.get(messenger_of(chat_id), self.pacer)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            # The database refused even the failure's record: the row stays `sending` and
            # is sent again after the next start (at-least-once, never lost).
            log.error("outbox delivery crashed", exc_info=task.exception())

    # -- one message ----------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            with own_retries():  # the session's retries leave the sender's calls alone
                await self._send_parts(message)
        except TelegramRetryAfter as error:
            self._pacer(message.chat_id).flood_wait(message.chat_id, error.retry_after)
            await self._retry(message, float(error.retry_after), str(error), counts=False)
        except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
            await self._transient(message, error)
        except TelegramForbiddenError as error:
            await self._unreachable(message, str(error))
        except (TelegramBadRequest, TelegramNotFound) as error:
            if any(reason in str(error).lower() for reason in UNREACHABLE):
                await self._unreachable(message, str(error))
            else:
                await self._fail(message, str(error))
        except TelegramAPIError as error:
            await self._transient(message, error)
        except asyncio.CancelledError:
            async with self._db.transaction() as uow:  # back to the queue, as after a crash
                await uow.outbox.retry_later(
                    message.id, self._clock.now(), "stopped while sending", counts=False
                )
            raise
        except Exception as error:  # a bug in rendering: do not retry it forever
            log.exception("could not send outbox message %s", message.id)
            await self._fail(message, f"{type(error).__name__}: {error}", INTERNAL)

    async def _send_parts(self, message: OutboxMessage) -> None:
        if await self._is_unreachable(message.chat_id):
            await self._unreachable(message, "the user had blocked the bot")
            return
        audience = self.audiences.get(message.audience or "")
        if audience is not None and not audience.reaches(message.chat_id):
            async with self._db.transaction() as uow:
                await uow.outbox.mark_skipped(message.id, NOT_ALLOWED)
                if message.readdress:  # not lost: to whoever is to get it now, once each
                    chats = audience.instead(message.chat_id)
                    await uow.outbox.readdressed(message.id, chats, self._clock.now())
            return
        if message.kind == "album":
            await self._send_album(message)
            return
        locale = message.locale or await self._users.locale_of(
            message.chat_id, self._default_locale
        )
        # A row that carries its own buttons is drawn as it was queued (one queued before
        # its template got a renderer, which draws the buttons now).
        renderer = None if message.buttons else self.renderers.get(message.template or "")
        if renderer is not None:
            text, markup = await renderer(message.args, locale)
        else:
            text, markup = self._render(message, locale)
        if message.kind == "edit":
            await self._edit(message, text, markup)
            return
        wait, reply = await self._reply_parameters(message)
        if wait:
            await self._retry(message, 1.0, "the message to reply to is not sent yet", counts=False)
            return
        if message.kind in ("photo", "document"):
            await self._send_file(message, locale, text, markup, reply)
            return
        # Split here as bot/middlewares/fit.py would, so that each part sent is remembered
        # and a restart resumes at the first unsent one instead of repeating the others.
        limits = LIMITS[messenger_of(message.chat_id)]
        parts = split_to_fit(text, limits.text, markup_counts=limits.markup_counts)
        sent_id = None
        for index in range(message.parts_sent, len(parts)):
            if index > message.parts_sent:
                await self._pacer(message.chat_id).acquire(message.chat_id)  # parts too
            last = index == len(parts) - 1
            sent = await self._bot.send_message(
                message.chat_id,
                parts[index],
                reply_markup=markup if last else None,
                reply_parameters=reply if index == 0 else None,
            )
            sent_id = sent.message_id
            if not last:
                async with self._db.transaction() as uow:
                    await uow.outbox.part_sent(message.id, index + 1)
        async with self._db.transaction() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now(), sent_id)

    async def _reply_parameters(
        self, message: OutboxMessage
    ) -> tuple[bool, ReplyParameters | None]:
        """(wait, what a reply points at): Telegram's id of the earlier row's message; wait
        while that row is on its way; no reply when none is asked or the row failed."""
        if message.reply_to is None:
            return False, None
        target = await self._db.lookup.outbox.get(message.reply_to)
        if target is None or target.chat_id != message.chat_id:
            return False, None
        if target.status in OPEN:
            return True, None
        if target.message_id is None:
            return False, None  # it failed: say it anyway, outside the thread
        params = ReplyParameters(message_id=target.message_id, allow_sending_without_reply=True)
        return False, params

    async def _send_file(
        self,
        message: OutboxMessage,
        locale: str,
        caption: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> None:
        """One photo or document with the rendered text as its caption."""
        file_id = (message.media or [""])[0]
        upload: str | BufferedInputFile = file_id
        if file_id.startswith(GENERATED):
            content, name = await self.generators[file_id](message.args, locale)
            upload = BufferedInputFile(content, filename=name)
        send = self._bot.send_photo if message.kind == "photo" else self._bot.send_document
        sent = await send(
            message.chat_id,
            upload,
            caption=caption or None,
            reply_markup=markup,
            reply_parameters=reply,
        )
        async with self._db.transaction() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now(), sent.message_id)

    async def _send_album(self, message: OutboxMessage) -> None:
        photos = (message.media or [])[:10]  # Telegram's album limit
        if len(photos) == 1:
            sent = [await self._bot.send_photo(message.chat_id, photos[0])]
        else:
            sent = await self._bot.send_media_group(
                message.chat_id, media=[InputMediaPhoto(media=file_id) for file_id in photos]
            )
        async with self._db.transaction() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now(), sent[0].message_id)

    async def _edit(
        self, message: OutboxMessage, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit a message this outbox sent before (a staff card, in place). A refusal (the
        message was deleted, is too old to edit) fails this row, logged with Telegram's
        words; the card stays as it was."""
        target = await self._db.lookup.outbox.get(message.edit_of or 0)
        if target is None or target.status in ENDED_UNSENT:
            await self._fail(message, "the message to edit was never sent", "edit_target_gone")
            return
        if target.status != "sent" or target.message_id is None:
            await self._retry(message, 1.0, "the message to edit is not sent yet", counts=False)
            return
        try:
            await self._bot.edit_message_text(
                text=text,  # fitted where every request is (bot/middlewares/fit.py)
                chat_id=message.chat_id,
                message_id=target.message_id,
                reply_markup=markup,
            )
        except TelegramBadRequest as error:
            if "message is not modified" not in str(error):
                code = failure_code(str(error))
                if code not in ("edit_target_gone", "edit_refused") and any(
                    reason in str(error).lower() for reason in UNREACHABLE
                ):
                    raise  # the chat is gone: _deliver marks it unreachable
                log.warning(
                    "edit of message %s in chat %s refused (outbox %s): %s",
                    target.message_id,
                    message.chat_id,
                    message.id,
                    error,
                )
                await self._fail(message, str(error), code)
                return
        async with self._db.transaction() as uow:
            await uow.outbox.mark_sent(message.id, self._clock.now(), target.message_id)

    async def _is_unreachable(self, chat_id: int) -> bool:
        if chat_id < 0:
            return False
        record = await self._users.get(chat_id)
        return record is not None and record.unreachable_at is not None

    def _render(
        self, message: OutboxMessage, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        if message.template is not None:

            def translate(msgid: str) -> str:
                return self._i18n.gettext(msgid, locale=locale)

            def plural(singular: str, many: str, count: int) -> str:
                return self._i18n.gettext(singular, many, count, locale=locale)

            args = render_args(message.args, translate, locale=locale, plural=plural)
            text = fill(translate(message.template), **args)
        else:
            text = message.text or ""
        markup = None
        if message.buttons:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=self._i18n.gettext(b["text"], locale=locale),
                            callback_data=b.get("callback_data"),
                            url=b.get("url"),
                        )
                        for b in row
                    ]
                    for row in message.buttons
                ]
            )
        return text, markup

    # -- outcomes -------------------------------------------------------------------------

    async def _retry(self, message: OutboxMessage, delay: float, error: str, counts: bool) -> None:
        retry_at = self._clock.now() + timedelta(seconds=delay)
        async with self._db.transaction() as uow:
            await uow.outbox.retry_later(message.id, retry_at, error, counts=counts)

    async def _transient(self, message: OutboxMessage, error: BaseException) -> None:
        reason = f"{type(error).__name__}: {error}"
        attempt = message.attempts + 1  # this one
        if attempt >= self.max_attempts:
            log.warning("outbox message %s: %d attempts failed", message.id, attempt)
            await self._fail(message, reason, NETWORK)
            return
        delay = self.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
        await self._retry(message, delay, reason, counts=True)

    async def _fail(self, message: OutboxMessage, reason: str, code: str | None = None) -> None:
        """Failed for good: Telegram's words in the log and in last_error, and the code that
        /outbox explains to staff in their language."""
        code = code or failure_code(reason)
        log.warning(
            "outbox message %s to chat %s failed (%s): %s",
            message.id,
            message.chat_id,
            code,
            reason,
        )
        async with self._db.transaction() as uow:
            await uow.outbox.mark_failed(message.id, reason, code)

    async def _unreachable(self, message: OutboxMessage, reason: str) -> None:
        async with self._db.transaction() as uow:
            if message.chat_id > 0:
                await uow.users.mark_unreachable(message.chat_id, self._clock.now())
            await uow.outbox.skip_chat(message.chat_id, reason, failure_code(reason))
        self._users.forget(message.chat_id)
        log.info("chat unreachable, its messages skipped: %s", reason)
