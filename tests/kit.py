"""Test kit: a recording fake Telegram session and helpers that read like a conversation.

    alice = harness.user("Alice")
    await alice.send("/start")
    await alice.press("✅ Даю согласие")
    assert "Спасибо" in alice.last.text

The fake session answers every Bot API call locally (no network), remembers what the bot
sent to each chat, and rejects what Telegram rejects (empty or over-long text, callback_data
over 64 bytes, malformed HTML), so a test fails where production would.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Chat,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    PhotoSize,
    ReplyKeyboardMarkup,
    Update,
    User,
)

from bot.app import App, create_app
from bot.clock import FrozenClock
from bot.settings import Settings
from handlers.spec import RouterSpec
from tests.databases import database_settings

BOT_ID = 123456  # the id part of the test token, as Telegram does it
BOT_USERNAME = "tos_test_bot"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_html(text: str) -> str | None:
    """What Telegram would say about this HTML, or None if it would accept it."""
    stack: list[str] = []
    for match in _TAG_RE.finditer(text):
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            return f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
        if closing:
            if not stack or stack[-1] != tag:
                return f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"'
            stack.pop()
        else:
            stack.append(tag)
    if stack:
        return f'Bad Request: can\'t parse entities: no end tag for "{stack[-1]}"'
    bare = _TAG_RE.sub("", text)
    if "<" in bare or ">" in bare:
        return "Bad Request: can't parse entities: Unexpected < or > outside a tag"
    if any(not _ENTITY_RE.match(bare, m.start()) for m in re.finditer("&", bare)):
        return "Bad Request: can't parse entities: Unescaped &"
    return None


def visible_text(text: str, html: bool) -> str:
    return unescape(_TAG_RE.sub("", text)) if html else text


@dataclass
class Sent:
    """One message the bot sent or edited, as the user would see it."""

    method: str
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[str]] = field(default_factory=list)
    callback_data: dict[str, str] = field(default_factory=dict)
    reply_keyboard: list[list[str]] | None = None
    removes_keyboard: bool = False
    at: datetime | None = None  # when the bot sent it (the test clock)
    photo: str | None = None  # file id, for a photo
    file: tuple[str, bytes] | None = None  # (name, content) of an uploaded document or photo
    document: str | None = None  # file id, for a document
    reply_to: int | None = None  # the message id this one replies to

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text

    @property
    def flat_buttons(self) -> list[str]:
        return [b for row in self.buttons for b in row]


@dataclass
class Call:
    name: str
    method: TelegramMethod[Any]


class FakeSession(BaseSession):
    """Answers Bot API calls locally and records them."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.messages: dict[tuple[int, int], Message] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.fail_next: list[Exception] = []
        self.on_request: list[Callable[[TelegramMethod[Any]], Any]] = []
        self.faults: dict[int, list[Exception]] = {}  # chat id -> errors for its next sends
        self.files: dict[str, bytes] = {}  # file id -> content, for downloads
        self._ids = itertools.count(1000)
        self._clock = clock

    async def close(self) -> None:
        return None

    def reopened(self) -> FakeSession:
        """A new session, as after a restart, that keeps recording into the same history."""
        fresh = FakeSession(self._clock)
        for name in (
            "calls",
            "sent",
            "messages",
            "callback_answers",
            "blocked",
            "fail_next",
            "on_request",
            "files",
        ):
            setattr(fresh, name, getattr(self, name))
        fresh._ids = self._ids
        return fresh

    async def stream_content(  # type: ignore[override]
        self, url: str, *args: Any, **kwargs: Any
    ) -> AsyncIterator[bytes]:
        # The file path we hand out in GetFile is the file id itself.
        yield self.files[url.rsplit("/", 1)[-1]]

    def _resolve(self, bot: Bot, method: TelegramMethod[Any], name: str) -> Any:
        value = getattr(method, name, None)
        return bot.default[value.name] if isinstance(value, Default) else value

    def _check_markup(self, method: TelegramMethod[Any], markup: Any) -> None:
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    data = button.callback_data
                    if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                        raise TelegramBadRequest(method, "Bad Request: BUTTON_DATA_INVALID")
                    if not button.text:
                        raise TelegramBadRequest(method, "Bad Request: button text is empty")

    def _check_text(
        self, method: TelegramMethod[Any], text: str | None, html: bool, limit: int
    ) -> None:
        if text is None or not text.strip():
            raise TelegramBadRequest(method, "Bad Request: message text is empty")
        if html and (problem := check_html(text)):
            raise TelegramBadRequest(method, problem)
        if utf16_len(visible_text(text, html)) > limit:
            raise TelegramBadRequest(method, "Bad Request: message is too long")

    def _chat(self, chat_id: int) -> Chat:
        return Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup")

    def _record(self, name: str, message: Message, markup: Any, reply_to: Any = None) -> None:
        sent = Sent(
            name,
            message.chat.id,
            message.message_id,
            message.text or message.caption or "",
            at=self._clock(),
            reply_to=getattr(reply_to, "message_id", None),
        )
        if isinstance(markup, InlineKeyboardMarkup):
            sent.buttons = [[b.text for b in row] for row in markup.inline_keyboard]
            sent.callback_data = {
                b.text: b.callback_data
                for row in markup.inline_keyboard
                for b in row
                if b.callback_data
            }
        elif isinstance(markup, ReplyKeyboardMarkup):
            sent.reply_keyboard = [[b.text for b in row] for row in markup.keyboard]
        elif markup is not None and getattr(markup, "remove_keyboard", False):
            sent.removes_keyboard = True
        self.sent.append(sent)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = type(method).__name__
        self.calls.append(Call(name, method))
        for hook in self.on_request:
            await hook(method)
        if self.fail_next:
            raise self.fail_next.pop(0)
        chat_id = getattr(method, "chat_id", None)
        if isinstance(chat_id, int) and self.faults.get(chat_id):
            raise self.faults[chat_id].pop(0)
        if isinstance(chat_id, int) and chat_id in self.blocked:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        parse_mode = self._resolve(bot, method, "parse_mode")
        html = parse_mode == "HTML"
        markup = getattr(method, "reply_markup", None)
        self._check_markup(method, markup)
        now = self._clock()
        result: Any = True
        if name == "GetMe":
            result = User(id=BOT_ID, is_bot=True, first_name="ТОС", username=BOT_USERNAME)
        elif name == "SendMessage":
            self._check_text(method, method.text, html, TEXT_LIMIT)  # type: ignore[attr-defined]
            assert isinstance(chat_id, int)
            result = Message(
                message_id=next(self._ids),
                date=now,
                chat=self._chat(chat_id),
                from_user=User(id=BOT_ID, is_bot=True, first_name="ТОС"),
                text=method.text,  # type: ignore[attr-defined]
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
            self.messages[(chat_id, result.message_id)] = result
            self._record(name, result, markup, getattr(method, "reply_parameters", None))
        elif name == "GetFile":
            file_id = method.file_id  # type: ignore[attr-defined]
            if file_id not in self.files:
                raise TelegramBadRequest(method, "Bad Request: invalid file_id")
            result = File(
                file_id=file_id,
                file_unique_id=file_id,
                file_size=len(self.files[file_id]),
                file_path=file_id,
            )
        elif name == "SendDocument" or (
            name == "SendPhoto" and isinstance(getattr(method, "photo", None), BufferedInputFile)
        ):
            assert isinstance(chat_id, int)
            upload = getattr(method, "document", None) or getattr(method, "photo", None)
            caption = getattr(method, "caption", None)
            if caption is not None:
                self._check_text(method, caption, html, CAPTION_LIMIT)
            file_id = (
                f"upload-{next(self._ids)}"
                if isinstance(upload, BufferedInputFile)
                else str(upload)
            )
            document = (
                Document(file_id=file_id, file_unique_id=file_id)
                if name == "SendDocument"
                else None
            )
            result = Message(
                message_id=next(self._ids),
                date=now,
                chat=self._chat(chat_id),
                from_user=User(id=BOT_ID, is_bot=True, first_name="ТОС"),
                document=document,
                caption=caption,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            )
            self.messages[(chat_id, result.message_id)] = result
            self._record(name, result, markup, getattr(method, "reply_parameters", None))
            if name == "SendDocument":
                self.sent[-1].document = file_id
            if isinstance(upload, BufferedInputFile):
                self.sent[-1].file = (upload.filename or "", upload.data)
        elif name in ("SendPhoto", "SendMediaGroup"):
            assert isinstance(chat_id, int)
            photos = (
                [method.photo]  # type: ignore[attr-defined]
                if name == "SendPhoto"
                else [m.media for m in method.media]  # type: ignore[attr-defined]
            )
            if name == "SendMediaGroup" and not 2 <= len(photos) <= 10:
                raise TelegramBadRequest(method, "Bad Request: wrong number of media in album")
            caption = getattr(method, "caption", None)
            if caption is not None:
                self._check_text(method, caption, html, CAPTION_LIMIT)
            results = []
            for photo in photos:
                size = PhotoSize(file_id=str(photo), file_unique_id=str(photo), width=1, height=1)
                msg = Message(
                    message_id=next(self._ids),
                    date=now,
                    chat=self._chat(chat_id),
                    from_user=User(id=BOT_ID, is_bot=True, first_name="ТОС"),
                    photo=[size],
                    caption=caption,
                    reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                )
                self.messages[(chat_id, msg.message_id)] = msg
                self._record(name, msg, markup, getattr(method, "reply_parameters", None))
                self.sent[-1].photo = str(photo)
                results.append(msg)
            result = results[0] if name == "SendPhoto" else results
        elif name in ("EditMessageText", "EditMessageReplyMarkup"):
            key = (method.chat_id, method.message_id)  # type: ignore[attr-defined]
            old = self.messages.get(key)
            if old is None:
                raise TelegramBadRequest(method, "Bad Request: message to edit not found")
            text = method.text if name == "EditMessageText" else old.text  # type: ignore[attr-defined]
            if name == "EditMessageText":
                self._check_text(method, text, html, TEXT_LIMIT)
            new_markup = markup if isinstance(markup, InlineKeyboardMarkup) else None
            if text == old.text and new_markup == old.reply_markup:
                raise TelegramBadRequest(
                    method,
                    "Bad Request: message is not modified: specified new message content "
                    "and reply markup are exactly the same",
                )
            result = old.model_copy(
                update={"text": text, "reply_markup": new_markup, "edit_date": int(now.timestamp())}
            )
            self.messages[key] = result
            self._record(name, result, new_markup)
        elif name == "AnswerCallbackQuery":
            text = method.text  # type: ignore[attr-defined]
            if text is not None and len(text) > 200:
                raise TelegramBadRequest(method, "Bad Request: MESSAGE_TOO_LONG")
            self.callback_answers.append(
                {"text": text, "show_alert": bool(method.show_alert)}  # type: ignore[attr-defined]
            )
        return result  # type: ignore[no-any-return]

    def calls_of(self, name: str) -> list[TelegramMethod[Any]]:
        return [c.method for c in self.calls if c.name == name]


@dataclass
class Person:
    """A Telegram user (or a user inside a group chat) talking to the bot."""

    harness: Harness
    user: User
    chat: Chat

    @property
    def id(self) -> int:
        return self.user.id

    def _message(self, **fields: Any) -> Message:
        return Message(
            message_id=next(self.harness.message_ids),
            date=self.harness.clock.now(),
            chat=self.chat,
            from_user=self.user,
            **fields,
        )

    async def _feed(self, **update: Any) -> list[Sent]:
        """Feed one update; returns the new messages the bot sent to this chat (not edits)."""
        before = len(self.harness.session.sent)
        await self.harness.feed(Update(update_id=next(self.harness.update_ids), **update))
        return [
            s
            for s in self.harness.session.sent[before:]
            if s.chat_id == self.chat.id and not s.method.startswith("Edit")
        ]

    async def send(self, text: str, **fields: Any) -> list[Sent]:
        """Send text (a command too); returns what the bot sent to this chat in response."""
        entities = None
        if text.startswith("/"):
            from aiogram.types import MessageEntity

            command = text.split()[0]
            entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
        return await self._feed(message=self._message(text=text, entities=entities, **fields))

    async def send_photo(
        self, caption: str | None = None, *, file_id: str = "photo-1", **fields: Any
    ) -> list[Sent]:
        photo = [PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)]
        return await self._feed(message=self._message(photo=photo, caption=caption, **fields))

    def message_of(self, sent: Sent) -> Message:
        """The bot's message as Telegram keeps it (to reply to it)."""
        return self.harness.session.messages[(sent.chat_id, sent.message_id)]

    async def reply(self, sent: Sent, text: str) -> list[Sent]:
        """Answer a message of the bot with Telegram's «Reply»."""
        return await self.send(text, reply_to_message=self.message_of(sent))

    async def send_document(
        self,
        name: str = "file.pdf",
        content: bytes = b"%PDF-1.4",
        *,
        size: int | None = None,
        caption: str | None = None,
        file_id: str | None = None,
        **fields: Any,
    ) -> list[Sent]:
        """Send a file; `size` overrides the size Telegram reports (a big file, cheaply)."""
        file_id = file_id or f"doc-{next(self.harness.message_ids)}"
        self.harness.session.files[file_id] = content
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=name,
            file_size=len(content) if size is None else size,
        )
        message = self._message(document=document, caption=caption, **fields)
        return await self._feed(message=message)

    async def send_location(self, latitude: float, longitude: float) -> list[Sent]:
        location = Location(latitude=latitude, longitude=longitude)
        return await self._feed(message=self._message(location=location))

    async def send_contact(self, phone: str, *, user_id: int | None = None) -> list[Sent]:
        """Share a contact: one's own (the contact button) or someone else's (`user_id`)."""
        owner = self.id if user_id is None else user_id
        contact = Contact(phone_number=phone, first_name=self.user.first_name, user_id=owner)
        return await self._feed(message=self._message(contact=contact))

    async def forward_from(self, other: Person | None, text: str = "hello") -> list[Sent]:
        now = self.harness.clock.now()
        origin = (
            MessageOriginUser(date=now, sender_user=other.user)
            if other is not None
            else MessageOriginHiddenUser(date=now, sender_user_name="Hidden")
        )
        return await self._feed(message=self._message(text=text, forward_origin=origin))

    @property
    def inbox(self) -> list[Sent]:
        return [s for s in self.harness.session.sent if s.chat_id == self.chat.id]

    @property
    def last(self) -> Sent:
        return self.inbox[-1]

    @property
    def edits(self) -> list[Sent]:
        return [s for s in self.inbox if s.method.startswith("Edit")]

    def last_with_button(self, label: str) -> Sent:
        for sent in reversed(self.inbox):
            if label in sent.callback_data:
                return sent
        raise AssertionError(f"no message in chat {self.chat.id} has a button {label!r}")

    async def press(
        self, label: str, *, data: str | None = None, on: Sent | None = None
    ) -> list[Sent]:
        """Press an inline button by its label (or send forged callback data)."""
        sent = on or (self.last_with_button(label) if data is None else self.last)
        payload = data if data is not None else sent.callback_data[label]
        message = self.harness.session.messages.get((sent.chat_id, sent.message_id))
        query = CallbackQuery(
            id=str(next(self.harness.update_ids)),
            from_user=self.user,
            chat_instance="ci",
            message=message,
            data=payload,
        )
        return await self._feed(callback_query=query)

    @property
    def last_answer(self) -> dict[str, Any]:
        return self.harness.session.callback_answers[-1]


class VirtualTime:
    """Time for the sender in tests: sleeping moves the frozen clock instead of waiting."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:  # round up: a sleep never ends before its time
            self.clock.advance(timedelta(microseconds=math.ceil(seconds * 1_000_000)))
            self.slept += seconds
        await asyncio.sleep(0)


class Harness:
    """One bot app over a real database (a SQLite file in `tmp`, or a PostgreSQL database of
    its own: tests/databases.py), fed with updates through the real Dispatcher.
    The scheduler and the outbox sender do not run by themselves: `await deliver()`."""

    def __init__(self, tmp: Path, *, features: Sequence[RouterSpec] = (), **settings: Any) -> None:
        self.tmp = tmp
        self.features = features  # more features than the bot's (a test's own form)
        self.clock = FrozenClock(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
        self.session = FakeSession(self.clock.now)
        self.settings = make_settings(tmp, **settings)
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self._app: App | None = None
        self._names = itertools.count(1)
        self.time = VirtualTime(self.clock)
        # Each update a test feeds comes this much later (people do not type in microseconds;
        # the flood test sets it to zero).
        self.pace = timedelta(seconds=1)

    @property
    def app(self) -> App:
        assert self._app is not None, "call await harness.start() first"
        return self._app

    async def start(self) -> Harness:
        self._app = await create_app(
            self.settings,
            session=self.session,
            clock=self.clock,
            background=False,
            timing=(self.time.monotonic, self.time.sleep),
            extra_features=self.features,
        )
        await self.app.dp.emit_startup(bot=self.app.bot)
        return self

    async def restart(self) -> None:
        """Stop the bot as a deploy would and start it again on the same database."""
        await self.app.dp.emit_shutdown(bot=self.app.bot)
        self._app = None
        self.session = self.session.reopened()
        await self.start()

    async def close(self) -> None:
        if self._app is not None:
            await self._app.close()

    async def deliver(self) -> None:
        """Let the outbox sender deliver everything that is or becomes due (virtual time)."""
        await self.app.sender.run_until_idle()

    async def feed(self, update: Update) -> None:
        self.clock.advance(self.pace)
        await self.app.dp.feed_update(self.app.bot, update)

    def user(
        self,
        first_name: str = "Анна",
        *,
        user_id: int | None = None,
        language_code: str | None = "ru",
        username: str | None = None,
        last_name: str | None = None,
    ) -> Person:
        uid = user_id or 100_000 + next(self._names)
        user = User(
            id=uid,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return Person(self, user, Chat(id=uid, type="private", first_name=first_name))

    def in_group(self, person: Person, chat_id: int) -> Person:
        return Person(self, person.user, Chat(id=chat_id, type="supergroup", title="Staff"))

    async def consented(self, person: Person) -> Person:
        """Take a person through /start and consent (Russian or English labels)."""
        await person.send("/start")
        label = next(lbl for lbl in person.last.callback_data if lbl.startswith("✅"))
        await person.press(label)
        return person


def make_settings(tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": "123456:TEST-token-for-the-fake-session-000",
        **database_settings(tmp),
        "admin_ids": frozenset({1}),
        "staff_chat_id": None,
        "municipality_name": "Тестовск",
        "municipality_population": 50_000,
        "default_locale": "ru",
        "log_format": "text",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running(tmp: Path, **settings: Any) -> AsyncIterator[Harness]:
    harness = await Harness(tmp, **settings).start()
    try:
        yield harness
    finally:
        await harness.close()


__all__ = [
    "BOT_ID",
    "FakeSession",
    "Harness",
    "Person",
    "Sent",
    "TelegramServerError",
    "check_html",
    "make_settings",
    "running",
]
