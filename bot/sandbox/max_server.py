"""A local MAX Bot API server on 127.0.0.1: the real bot talks to it over HTTP as to MAX.

REST as MAX's (the OpenAPI schema in max-messenger-bot/max-bot-api-schemas): GET /me,
GET /updates (long polling with `marker`), POST/PUT/DELETE /messages, POST /answers,
POST /uploads and the upload address, PATCH /me/commands, /subscriptions. It keeps people,
dialogs and group chats, messages (`mid` strings, a `seq` per chat), files and the updates
not yet confirmed by a marker, and rejects what MAX rejects, in MAX's error shape
({"code", "message"}): the token anywhere but bare in `Authorization`, texts over 4,000
characters, keyboards over 210 buttons, 30 rows or 7 in a row (3 with a link, contact or
location button), a callback payload over 1,024, an empty answer to a press, a file beside
anything but a keyboard, an upload attached before it is processed (`attachment.not.ready`,
once per upload), a person who stopped the bot (403 `chat.denied`). A dialog's chat id is
not the person's id. Faults: a share of 429s and 5xx, for chosen chats.

The side door (`user`, `send_text`, `press`, `start`, `messages`, ...) is the one of the
Telegram sandbox (bot/sandbox/server.py), in the same shape, so that the terminal chat and
the end-to-end kit play people on MAX as on Telegram: a private chat is named by the person's
id, a message by its number in its chat (MAX's `seq`), and what the bot sent is seen as
Telegram-like dicts (`text`, `reply_markup.inline_keyboard` with `callback_data` or `url`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from bot.runner import bound_port
from bot.sandbox.demo import demo_data
from bot.sandbox.journal import Journal, decode, encode
from bot.sandbox.server import TINY_PNG, Outgoing

TEXT_LIMIT = 4000
PAYLOAD_LIMIT = 1024
BUTTON_TEXT_LIMIT = 128
BUTTONS_LIMIT, ROWS_LIMIT, ROW_LIMIT, WIDE_ROW_LIMIT = 210, 30, 7, 3
WIDE = frozenset({"link", "request_contact", "request_geo_location"})
BUTTON_TYPES = frozenset(
    {
        "callback",
        "link",
        "request_contact",
        "request_geo_location",
        "message",
        "open_app",
        "clipboard",
        "chat",
    }
)
START_PAYLOAD_LIMIT = 128  # longer start payloads are dropped without notice
DIALOG_BASE = 70_000_000_000  # a dialog's chat id is this plus the person's (never theirs)
BOT_USER_ID = 900_000_001
BOT_USERNAME = "tos_sandbox_bot"
SEND_METHODS = frozenset({"sendMessage", "editMessage", "deleteMessage", "answerCallback"})
# MAX's HTML (dev.max.ru, "HTML support") -> the markup element it makes.
MARKUP_OF_TAG = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "del": "strikethrough",
    "code": "monospaced",
    "pre": "monospaced",
    "a": "link",
    "mark": "highlighted",
    "h1": "heading",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_START_RE = re.compile(r"^https://max\.ru/([A-Za-z0-9_]+)(?:\?start=([^&#\s]*))?$")


class MaxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        return web.json_response({"code": self.code, "message": self.message}, status=self.status)


def payload_error(message: str) -> MaxError:
    return MaxError(400, "proto.payload", message)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_max_html(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """MAX's `format: html`: plain text and markup elements (offsets in UTF-16 units).
    Tags MAX does not know, or tags not closed in order, are refused (MAX would strip the
    first; the sandbox is stricter, so a mapping that sends them fails here)."""
    plain: list[str] = []
    length = 0
    stack: list[tuple[str, int, str]] = []
    markup: list[dict[str, Any]] = []
    position = 0
    for match in _TAG_RE.finditer(raw):
        chunk = unescape(raw[position : match.start()])
        plain.append(chunk)
        length += utf16_len(chunk)
        position = match.end()
        closing, tag, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if tag not in MARKUP_OF_TAG:
            raise payload_error(f"text: unsupported tag <{tag}>")
        if not closing:
            stack.append((tag, length, attrs))
            continue
        if not stack or stack[-1][0] != tag:
            raise payload_error(f"text: unexpected </{tag}>")
        _, start, opened = stack.pop()
        element: dict[str, Any] = {
            "type": MARKUP_OF_TAG[tag],
            "from": start,
            "length": length - start,
        }
        if tag == "a":
            found = _HREF_RE.search(opened)
            element["url"] = unescape((found.group(1) or found.group(2) or "") if found else "")
        if element["length"] > 0:
            markup.append(element)
    if stack:
        raise payload_error(f"text: <{stack[-1][0]}> is not closed")
    rest = raw[position:]
    if "<" in rest or ">" in _TAG_RE.sub("", raw):
        raise payload_error("text: a stray < or >")
    plain.append(unescape(rest))
    return "".join(plain), markup


@dataclass
class Faults:
    """How the server misbehaves for the bot's sending calls."""

    too_many_requests: float = 0.0  # share of calls answered 429
    server_errors: float = 0.0  # share of calls answered 500
    delay: float = 0.0
    methods: frozenset[str] = SEND_METHODS
    chats: set[int] | None = None  # only calls to these chats (side-door ids) misbehave
    plan: list[int] = field(default_factory=list)  # answers for the next calls first
    seen: Counter[int] = field(default_factory=Counter)
    not_ready: int = 1  # sends refused as `attachment.not.ready` after each upload


@dataclass
class StoredFile:
    token: str
    kind: str
    content: bytes
    name: str
    number: int
    not_ready: int = 0


class MaxSandboxServer:
    """MAX's Bot API for one bot token, on 127.0.0.1."""

    messenger = "max"

    def __init__(
        self,
        token: str,
        *,
        bot_name: str | None = None,  # default: the demo town's
        bot_username: str = BOT_USERNAME,
        bot_user_id: int = BOT_USER_ID,
        seed: int = 0,
        state: Path | None = None,
    ) -> None:
        self.token = token
        self.bot_id = bot_user_id  # the bot's own user id (the side door's "from" of its messages)
        bot_name = bot_name or demo_data().bot_name
        self.bot_user = {
            "user_id": bot_user_id,
            "first_name": bot_name,
            "username": bot_username,
            "is_bot": True,
            "name": bot_name,
            "last_activity_time": 0,
        }
        self.faults = Faults()
        self.blocked: set[int] = set()  # people who stopped the bot
        self.users: dict[int, dict[str, Any]] = {}
        self.locales: dict[int, str] = {}
        self.chats: dict[int, dict[str, Any]] = {}  # MAX chat id -> chat
        self.dialogs: dict[int, int] = {}  # person -> their dialog's chat id
        self.messages: dict[str, dict[str, Any]] = {}  # mid -> MAX message
        self.seqs: dict[int, dict[int, str]] = {}  # chat -> seq -> mid
        self.keyboards: dict[int, Any] = {}  # (MAX has no menu keyboard: always empty)
        self.outgoing: list[Outgoing] = []
        self.calls: list[str] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self._log: list[dict[str, Any]] = []  # every update; a marker is an index here
        self._confirmed = 0
        self._callbacks: dict[str, tuple[int, str]] = {}  # callback id -> (person, mid)
        self._uploads: dict[str, str] = {}  # upload id -> kind
        self._mids = itertools.count(1)
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._changed = asyncio.Event()
        self.polls_waiting = 0
        self.in_flight = 0
        self.last_call_at = 0.0
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._updates_stopped = False
        self.port = 0
        self._journal: Journal | None = None
        if state is not None:
            self._journal = Journal(state)
            self._replay()

    # -- what is kept across restarts ---------------------------------------------------------

    def _replay(self) -> None:
        assert self._journal is not None
        mids = ids = 1
        for record in self._journal.records():
            kind, value = next(iter(record.items()))
            if kind == "user":
                self.users[value["user_id"]] = value
            elif kind == "chat":
                self.chats[value["chat_id"]] = value
                if value["type"] == "dialog":
                    self.dialogs[value["dialog_with_user"]["user_id"]] = value["chat_id"]
            elif kind == "message":
                self._store(value)
            elif kind == "deleted":
                found = self.messages.pop(value, None)
                if found is not None:
                    self.seqs[found["recipient"]["chat_id"]].pop(found["body"]["seq"], None)
            elif kind == "file":
                self.files[value["token"]] = StoredFile(
                    value["token"],
                    value["kind"],
                    decode(value["content"]),
                    value["name"],
                    value["number"],
                )
            elif kind == "next":
                mids, ids = max(mids, value["mid"]), max(ids, value["id"])
        mids = max([mids, *(int(m.split(".")[-1]) + 1 for m in self.messages)])
        ids = max([ids, *(f.number + 1 for f in self.files.values())])
        self._mids, self._ids = itertools.count(mids), itertools.count(ids)
        records: list[dict[str, Any]] = [{"next": {"mid": mids, "id": ids}}]
        records += [{"user": u} for u in self.users.values()]
        records += [{"chat": c} for c in self.chats.values()]
        records += [{"message": m} for m in self.messages.values()]
        records += [{"file": self._file_record(f)} for f in self.files.values()]
        self._journal.rewrite(records)

    @staticmethod
    def _file_record(stored: StoredFile) -> dict[str, Any]:
        return {
            "token": stored.token,
            "kind": stored.kind,
            "name": stored.name,
            "number": stored.number,
            "content": encode(stored.content),
        }

    def _keep(self, kind: str, value: Any) -> None:
        if self._journal is not None:
            self._journal.append({kind: value})

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> MaxSandboxServer:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/upload/{upload}", self._upload)
        app.router.add_get("/files/{token}", self._download)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = bound_port(site._server)
        assert self.port, "the MAX sandbox server is not listening"
        return self

    async def stop(self) -> None:
        if self._journal is not None:
            self._journal.close()
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop_updates(self) -> None:
        self._updates_stopped = True
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[], Any], within: float = 15.0, what: str = "a condition"
    ) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            changed = self._changed
            value = predicate()
            if value:
                return value
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"max sandbox: waited {within:.0f}s for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(left, 0.5))

    @property
    def idle(self) -> bool:
        """Every update is confirmed and the bot waits in GET /updates."""
        return self._confirmed >= len(self._log) and self.polls_waiting > 0

    async def settle(self, quiet: float = 0.15, within: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            await self.wait_for(
                lambda: self.idle and self.in_flight == 0,
                max(deadline - loop.time(), 0.01),
                "the bot to take every update",
            )
            rest = self.last_call_at + quiet - loop.time()
            if rest <= 0:
                return
            await asyncio.sleep(rest)

    # -- the side door: people ------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "ru",
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {
            "user_id": user_id,
            "first_name": first_name,
            "is_bot": False,
            "name": first_name,
            "username": username,
            "last_activity_time": int(time.time() * 1000),
        }
        if last_name:
            user["last_name"] = last_name
        if self.users.get(user_id, {}).get("first_name") != first_name:
            self.users[user_id] = user
            self._keep("user", user)
        self.locales[user_id] = language_code or ""
        return self.users[user_id]

    def group(self, chat_id: int, title: str) -> dict[str, Any]:
        chat = {"chat_id": chat_id, "type": "chat", "status": "active", "title": title}
        if self.chats.get(chat_id) != chat:
            self.chats[chat_id] = chat
            self._keep("chat", chat)
        return chat

    def dialog_of(self, user_id: int) -> int:
        """The person's dialog with the bot (its chat id is not the person's id)."""
        if user_id not in self.users:
            raise KeyError(f"unknown sandbox user {user_id}; call user() first")
        if user_id not in self.dialogs:
            chat_id = DIALOG_BASE + user_id
            chat = {
                "chat_id": chat_id,
                "type": "dialog",
                "status": "active",
                "title": None,
                "dialog_with_user": self.users[user_id],
            }
            self.chats[chat_id] = chat
            self.dialogs[user_id] = chat_id
            self._keep("chat", chat)
        return self.dialogs[user_id]

    def _max_chat(self, user_id: int, chat_id: int | None) -> int:
        """A side-door chat (None: the person's private chat) as MAX's chat id."""
        if chat_id is None or chat_id == user_id:
            return self.dialog_of(user_id)
        if chat_id not in self.chats:
            raise KeyError(f"unknown sandbox chat {chat_id}; call group() first")
        return chat_id

    def view_chat(self, max_chat_id: int) -> int:
        """A MAX chat id as the side door names it (a dialog: the person's id)."""
        chat = self.chats.get(max_chat_id, {})
        if chat.get("type") == "dialog":
            return int(chat["dialog_with_user"]["user_id"])
        return max_chat_id

    def _new_message(
        self, sender: dict[str, Any], chat_id: int, body: dict[str, Any], link: Any = None
    ) -> dict[str, Any]:
        chat = self.chats[chat_id]
        seq = max(self.seqs.get(chat_id, {}) or [0]) + 1
        mid = f"mid.{chat_id:x}.{next(self._mids)}"
        recipient: dict[str, Any] = {"chat_id": chat_id, "chat_type": chat["type"]}
        if chat["type"] == "dialog":
            person = chat["dialog_with_user"]["user_id"]
            recipient["user_id"] = self.bot_id if sender["user_id"] == person else person
        message: dict[str, Any] = {
            "sender": sender,
            "recipient": recipient,
            "timestamp": int(time.time() * 1000),
            "body": {"mid": mid, "seq": seq, "text": "", "attachments": [], **body},
        }
        if link is not None:
            message["link"] = link
        self._store(message)
        self._keep("message", message)
        return message

    def _store(self, message: dict[str, Any]) -> None:
        self.messages[message["body"]["mid"]] = message
        chat_id = message["recipient"]["chat_id"]
        self.seqs.setdefault(chat_id, {})[message["body"]["seq"]] = message["body"]["mid"]

    def _push(self, update: dict[str, Any]) -> None:
        self._log.append({"timestamp": int(time.time() * 1000), **update})
        self._notify()

    def _from_person(
        self,
        user_id: int,
        chat_id: int | None,
        body: dict[str, Any],
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        max_chat = self._max_chat(user_id, chat_id)
        self.blocked.discard(user_id)  # writing again means the bot is not stopped any more
        link = None
        if reply_to is not None:
            original = self._by_seq(max_chat, reply_to)
            link = {
                "type": "reply",
                "sender": original["sender"],
                "chat_id": max_chat,
                "message": original["body"],
            }
        message = self._new_message(self.users[user_id], max_chat, body, link)
        update: dict[str, Any] = {"update_type": "message_created", "message": message}
        if self.chats[max_chat]["type"] == "dialog" and self.locales.get(user_id):
            update["user_locale"] = self.locales[user_id]
        self._push(update)
        return message

    def _by_seq(self, max_chat: int, seq: int) -> dict[str, Any]:
        mid = self.seqs.get(max_chat, {}).get(seq)
        if mid is None:
            raise KeyError(f"no message {seq} in chat {self.view_chat(max_chat)}")
        return self.messages[mid]

    def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        return self._from_person(user_id, chat_id, {"text": text}, reply_to)

    def _file(self, kind: str, content: bytes, name: str) -> StoredFile:
        number = next(self._ids)
        stored = StoredFile(f"tok{number:06d}{kind[:1]}", kind, content, name, number)
        self.files[stored.token] = stored
        self._keep("file", self._file_record(stored))
        return stored

    def _attachment(self, stored: StoredFile) -> dict[str, Any]:
        url = f"{self.base_url}/files/{stored.token}"
        if stored.kind == "image":
            payload = {"photo_id": stored.number, "token": stored.token, "url": url}
            return {"type": "image", "payload": payload}
        return {
            "type": stored.kind,
            "payload": {"url": url, "token": stored.token},
            "filename": stored.name,
            "size": len(stored.content),
        }

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = TINY_PNG,
        chat_id: int | None = None,
        reply_to: int | None = None,
        count: int = 1,
    ) -> dict[str, Any]:
        """A person sends photos (`count` in one message, as MAX sends an album)."""
        attachments = [
            self._attachment(self._file("image", content, "photo.png")) for _ in range(count)
        ]
        return self._from_person(
            user_id, chat_id, {"text": caption or "", "attachments": attachments}, reply_to
        )

    def send_document(
        self,
        user_id: int,
        name: str,
        content: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        attachment = self._attachment(self._file("file", content, name))
        return self._from_person(
            user_id, chat_id, {"text": caption or "", "attachments": [attachment]}
        )

    def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        place = {"type": "location", "latitude": latitude, "longitude": longitude}
        return self._from_person(user_id, chat_id, {"attachments": [place]})

    def send_contact(
        self, user_id: int, phone: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The person shares their own contact (MAX's `request_contact` button)."""
        user = self.users[user_id]
        vcf = f"BEGIN:VCARD\nVERSION:3.0\nFN:{user['first_name']}\nTEL;TYPE=cell:{phone}\nEND:VCARD"
        contact = {
            "type": "contact",
            "payload": {"vcf_info": vcf, "hash": f"h{user_id}", "max_info": user},
        }
        return self._from_person(user_id, chat_id, {"attachments": [contact]})

    def start_bot(self, user_id: int, payload: str | None = None) -> None:
        """The person presses Start, or opens a start link with `payload`: `bot_started`
        in their dialog (a payload over 128 characters is dropped, as MAX does)."""
        dialog = self.dialog_of(user_id)
        self.blocked.discard(user_id)
        update: dict[str, Any] = {
            "update_type": "bot_started",
            "chat_id": dialog,
            "user": self.users[user_id],
        }
        if payload and len(payload) <= START_PAYLOAD_LIMIT:
            update["payload"] = payload
        if self.locales.get(user_id):
            update["user_locale"] = self.locales[user_id]
        self._push(update)

    def open_link(self, user_id: int, url: str) -> None:
        """The person opens a link of the bot (https://max.ru/<bot>?start=<payload>)."""
        found = _START_RE.match(url)
        if found is None or found.group(1) != self.bot_user["username"]:
            raise ValueError(f"not a start link of this bot: {url}")
        self.start_bot(user_id, found.group(2) or None)

    def stop_bot(self, user_id: int) -> None:
        """The person stops the bot: sends to them answer 403 `chat.denied` from now on."""
        self.blocked.add(user_id)
        self._push(
            {
                "update_type": "bot_stopped",
                "chat_id": self.dialog_of(user_id),
                "user": self.users[user_id],
            }
        )

    def press(
        self,
        user_id: int,
        message_id: int,
        label: str | None = None,
        *,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> str | None:
        """Press a button of message `message_id` (its number in the chat) by label, or forge
        a callback `data`. A callback returns its id; a `message` button sends its label, a
        contact or location button shares them (no id: nothing to answer)."""
        max_chat = self._max_chat(user_id, chat_id)
        message = self._by_seq(max_chat, message_id)
        if data is None:
            rows = _keyboard_of(message)
            found = [b for row in rows for b in row if b.get("text") == label]
            if not found:
                labels = [b.get("text") for row in rows for b in row]
                raise KeyError(f"no button {label!r} on message {message_id}: {labels}")
            button = found[0]
            kind = button.get("type")
            if kind == "message":
                self.send_text(user_id, str(button["text"]), chat_id=chat_id)
                return None
            if kind == "request_contact":
                self.send_contact(user_id, "+79001234567", chat_id=chat_id)
                return None
            if kind == "request_geo_location":
                self.send_location(user_id, 54.64, 83.30, chat_id=chat_id)
                return None
            if kind != "callback":
                raise KeyError(f"button {label!r} is a {kind}, not pressed through the bot")
            data = str(button.get("payload", ""))
        callback_id = f"cb{next(self._ids)}"
        self._callbacks[callback_id] = (user_id, message["body"]["mid"])
        update: dict[str, Any] = {
            "update_type": "message_callback",
            "callback": {
                "timestamp": int(time.time() * 1000),
                "callback_id": callback_id,
                "payload": data,
                "user": self.users[user_id],
            },
            "message": message,
        }
        if self.locales.get(user_id):
            update["user_locale"] = self.locales[user_id]
        self._push(update)
        return callback_id

    # -- the side door: what people see ---------------------------------------------------------

    def _view(self, message: dict[str, Any]) -> dict[str, Any]:
        """A MAX message as the Telegram sandbox shows one."""
        body = message["body"]
        view: dict[str, Any] = {
            "message_id": body["seq"],
            "mid": body["mid"],
            "from": {"id": message["sender"]["user_id"]},
            "chat": {"id": self.view_chat(message["recipient"]["chat_id"])},
        }
        text = body.get("text") or ""
        kinds = [a.get("type") for a in body.get("attachments") or []]
        if "image" in kinds:
            view["photo"] = [{"file_id": "image"}]
            view["caption"] = text
        elif "file" in kinds:
            name = next(a.get("filename") for a in body["attachments"] if a["type"] == "file")
            view["document"] = {"file_name": name}
            view["caption"] = text
        else:
            view["text"] = text
        rows = _keyboard_of(message)
        if rows:
            view["reply_markup"] = {
                "inline_keyboard": [[_button_view(b) for b in row] for row in rows]
            }
        return view

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as it looks now (edits applied, deletions gone), oldest first; `chat_id`
        as the side door names it (a person's id for their private chat)."""
        max_chat = self.dialogs.get(chat_id, chat_id)
        by_seq = self.seqs.get(max_chat, {})
        return [self._view(self.messages[by_seq[seq]]) for seq in sorted(by_seq)]

    def message_view(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        mid = self.seqs.get(self.dialogs.get(chat_id, chat_id), {}).get(message_id)
        return None if mid is None else self._view(self.messages[mid])

    def sent_to(self, chat_id: int, *, edits: bool = False) -> list[Outgoing]:
        return [
            o
            for o in self.outgoing
            if o.chat_id == chat_id and (edits or not o.method.startswith(("edit", "delete")))
        ]

    def last_with_buttons(self, chat_id: int) -> dict[str, Any] | None:
        view: dict[str, Any]
        for view in reversed(self.chat_messages(chat_id)):
            if view["from"]["id"] == self.bot_id and view.get("reply_markup"):
                return view
        return None

    def _record(self, method: str, message: dict[str, Any]) -> None:
        view = self._view(message)
        self.outgoing.append(
            Outgoing(
                method=method,
                chat_id=view["chat"]["id"],
                message_id=view["message_id"],
                text=str(view.get("text") or view.get("caption") or ""),
                buttons=list(view.get("reply_markup", {}).get("inline_keyboard", [])),
                at=time.monotonic(),
            )
        )

    # -- HTTP -------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> None:
        if "access_token" in request.query:
            raise MaxError(401, "verify.token", "access_token in the query is no longer accepted")
        if request.headers.get("Authorization") != self.token:
            raise MaxError(401, "verify.token", "Invalid access_token")

    async def _handle(self, request: web.Request) -> web.Response:
        route = (request.method, "/" + request.match_info["path"].strip("/"))
        name = _NAMES.get(route, f"{route[0]} {route[1]}")
        counted = name != "getUpdates"
        self.calls.append(name)
        self.in_flight += counted
        try:
            self._authorised(request)
            body: dict[str, Any] = {}
            if request.can_read_body:
                raw = await request.read()
                if raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise payload_error("the body is not JSON") from None
            query = {k: v[-1] for k, v in parse_qs(request.query_string).items()}
            if name in self.faults.methods:
                await self._door(query, body)
            result = await self._call(name, route, query, body)
            self._notify()
            return web.json_response(result)
        except MaxError as error:
            return error.response()
        finally:
            self.in_flight -= counted
            self.last_call_at = asyncio.get_running_loop().time()

    async def _door(self, query: dict[str, str], body: dict[str, Any]) -> None:
        faults = self.faults
        if faults.chats is not None:
            target = self._side_chat_of(query)
            if target is None or target not in faults.chats:
                return
        if faults.plan:
            self._fail(faults.plan.pop(0))
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.too_many_requests and self._random.random() < faults.too_many_requests:
            self._fail(429)
        if faults.server_errors and self._random.random() < faults.server_errors:
            self._fail(500)

    def _side_chat_of(self, query: dict[str, str]) -> int | None:
        if "user_id" in query:
            return int(query["user_id"])
        if "chat_id" in query:
            return self.view_chat(int(query["chat_id"]))
        mid = query.get("message_id")
        if mid and mid in self.messages:
            return self.view_chat(self.messages[mid]["recipient"]["chat_id"])
        callback = self._callbacks.get(query.get("callback_id", ""))
        return None if callback is None else callback[0]

    def _fail(self, code: int) -> None:
        self.faults.seen[code] += 1
        if code == 429:
            raise MaxError(429, "too.many.requests", "Too many requests")
        raise MaxError(
            code,
            "internal.error",
            {502: "Bad gateway", 503: "Service unavailable"}.get(code, "Internal server error"),
        )

    async def _call(
        self, name: str, route: tuple[str, str], query: dict[str, str], body: dict[str, Any]
    ) -> Any:
        if name == "getMe":
            return self.bot_user
        if name == "getUpdates":
            return await self._updates(query)
        if name == "sendMessage":
            return {"message": self._send(query, body)}
        if name == "editMessage":
            return self._edit(query, body)
        if name == "deleteMessage":
            return self._delete(query)
        if name == "answerCallback":
            return self._answer(query, body)
        if name == "getUploadUrl":
            return self._upload_url(query)
        if name == "setCommands":
            self.commands.append(body)
            return {**self.bot_user, "commands": body.get("commands") or []}
        if name == "getSubscriptions":
            return {"subscriptions": self.subscriptions}
        if name == "subscribe":
            self.subscriptions = [
                {
                    "url": body.get("url"),
                    "time": int(time.time() * 1000),
                    "update_types": body.get("update_types"),
                }
            ]
            return {"success": True}
        if name == "unsubscribe":
            self.subscriptions = [s for s in self.subscriptions if s["url"] != query.get("url")]
            return {"success": True}
        raise MaxError(404, "not.found", f"no such method: {route[0]} {route[1]}")

    async def _updates(self, query: dict[str, str]) -> dict[str, Any]:
        if self.subscriptions:
            raise MaxError(405, "method.not.allowed", "long polling is off while subscribed")
        if query.get("marker"):
            self._confirmed = max(0, min(int(query["marker"]), len(self._log)))
        limit = max(1, min(int(query.get("limit") or 100), 1000))
        timeout = max(0, min(int(query.get("timeout") or 30), 90))
        deadline = asyncio.get_running_loop().time() + timeout
        self.polls_waiting += 1
        self._notify()
        try:
            while True:
                changed = self._changed
                start = self._confirmed
                ready = [] if self._updates_stopped else self._log[start : start + limit]
                left = deadline - asyncio.get_running_loop().time()
                if ready or left <= 0 or self._closing:
                    return {"updates": ready, "marker": start + len(ready)}
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), left)
        finally:
            self.polls_waiting -= 1

    # -- what the bot does ------------------------------------------------------------------------

    def _target(self, query: dict[str, str]) -> int:
        if query.get("user_id"):
            user_id = int(query["user_id"])
            if user_id not in self.users:
                raise MaxError(404, "chat.not.found", f"user {user_id} not found")
            if user_id in self.blocked:
                raise MaxError(403, "chat.denied", "chat.denied")
            return self.dialog_of(user_id)
        if query.get("chat_id"):
            chat_id = int(query["chat_id"])
            chat = self.chats.get(chat_id)
            if chat is None:
                raise MaxError(404, "chat.not.found", f"chat {chat_id} not found")
            if chat["type"] == "dialog" and chat["dialog_with_user"]["user_id"] in self.blocked:
                raise MaxError(403, "chat.denied", "chat.denied")
            return chat_id
        raise payload_error("user_id or chat_id is required")

    def _content(self, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        """A NewMessageBody checked as MAX checks it, as a message body (text and markup,
        attachments); on an edit, what is omitted is kept from `old`."""
        content: dict[str, Any] = {}
        text = body.get("text")
        if text is not None:
            text = str(text)
            if utf16_len(text) > TEXT_LIMIT:
                raise payload_error(f"text: size must be between 0 and {TEXT_LIMIT}")
            if body.get("format") == "html":
                plain, markup = parse_max_html(text)
            elif body.get("format") not in (None, "markdown"):
                raise payload_error("format: unknown")
            else:
                plain, markup = text, []
            content["text"], content["markup"] = plain, markup
        elif old is not None:
            content["text"], content["markup"] = old.get("text", ""), old.get("markup", [])
        attachments = body.get("attachments")
        if attachments is None and old is not None:
            content["attachments"] = old.get("attachments", [])
        else:
            content["attachments"] = self._attachments(list(attachments or []))
        if not content.get("text") and not content["attachments"]:
            raise payload_error("text or attachments are required")
        return content

    def _attachments(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        keyboards = files = others = 0
        for item in items:
            kind = item.get("type")
            payload = item.get("payload") or {}
            if kind == "inline_keyboard":
                keyboards += 1
                out.append({"type": kind, "payload": {"buttons": _checked_buttons(payload)}})
            elif kind in ("image", "file", "video", "audio"):
                stored = self.files.get(str(payload.get("token", "")))
                if stored is None:
                    raise payload_error(f"attachments: unknown {kind} token")
                if stored.not_ready > 0:
                    stored.not_ready -= 1
                    raise MaxError(
                        400,
                        "attachment.not.ready",
                        "Key: errors.process.attachment.file.not.processed",
                    )
                files += kind != "image"
                others += kind == "image"
                out.append(self._attachment(stored))
            elif kind == "location":
                others += 1
                out.append(
                    {
                        "type": kind,
                        "latitude": float(item["latitude"]),
                        "longitude": float(item["longitude"]),
                    }
                )
            else:
                raise payload_error(f"attachments: {kind!r} is not supported here")
        if keyboards > 1:
            raise payload_error("attachments: one keyboard a message")
        if files and (files + others) > 1:
            raise payload_error("attachments: a file must be the only attachment")
        return out

    def _send(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target(query)
        content = self._content(body, None)
        link = None
        wanted = body.get("link")
        if isinstance(wanted, dict):
            original = self.messages.get(str(wanted.get("mid")))
            if original is None or original["recipient"]["chat_id"] != chat_id:
                raise payload_error("link: message not found")
            link = {
                "type": wanted.get("type", "reply"),
                "sender": original["sender"],
                "chat_id": chat_id,
                "message": original["body"],
            }
        message = self._new_message(self.bot_user, chat_id, content, link)
        self._record("sendMessage", message)
        return message

    def _owned(self, query: dict[str, str]) -> dict[str, Any]:
        message = self.messages.get(query.get("message_id", ""))
        if message is None:
            raise MaxError(404, "not.found", "message not found")
        if message["sender"]["user_id"] != self.bot_id:
            raise MaxError(403, "access.denied", "only the bot's own messages")
        chat = self.chats[message["recipient"]["chat_id"]]
        if chat["type"] == "dialog" and chat["dialog_with_user"]["user_id"] in self.blocked:
            raise MaxError(403, "chat.denied", "chat.denied")
        return message

    def _edit(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        message = self._owned(query)
        content = self._content(body, message["body"])
        message["body"] = {**message["body"], **content}
        self._keep("message", message)
        self._record("editMessageText", message)
        return {"success": True}

    def _delete(self, query: dict[str, str]) -> dict[str, Any]:
        message = self._owned(query)
        self.messages.pop(message["body"]["mid"])
        chat_id = message["recipient"]["chat_id"]
        self.seqs[chat_id].pop(message["body"]["seq"], None)
        self._keep("deleted", message["body"]["mid"])
        view = self._view(message)
        self.outgoing.append(Outgoing("deleteMessage", view["chat"]["id"], view["message_id"], ""))
        return {"success": True}

    def _answer(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        callback_id = query.get("callback_id", "")
        if callback_id not in self._callbacks:
            raise MaxError(404, "not.found", "callback not found")
        notification, message = body.get("notification"), body.get("message")
        if not notification and not message:
            raise payload_error("`message` or `notification` required")
        if callback_id in self.callback_answers:
            raise payload_error("the callback is answered already")
        answer: dict[str, Any] = {"text": notification, "show_alert": False}
        if message:
            target = self.messages.get(self._callbacks[callback_id][1])
            if target is not None:
                content = self._content(message, target["body"])
                changed = {k: v for k, v in content.items() if target["body"].get(k) != v}
                target["body"] = {**target["body"], **content}
                if changed:
                    self._keep("message", target)
                    self._record("editMessageText", target)
            answer["message"] = message
        self.callback_answers[callback_id] = answer
        return {"success": True}

    def _upload_url(self, query: dict[str, str]) -> dict[str, Any]:
        kind = query.get("type", "")
        if kind == "photo":
            raise payload_error("type=photo is no longer supported: use image")
        if kind not in ("image", "file", "video", "audio"):
            raise payload_error("type: unknown")
        upload = f"u{next(self._ids)}"
        self._uploads[upload] = kind
        return {"url": f"{self.base_url}/upload/{upload}"}

    async def _upload(self, request: web.Request) -> web.Response:
        kind = self._uploads.pop(request.match_info["upload"], None)
        if kind is None or request.method != "POST":
            return web.json_response({"code": "not.found", "message": "no upload"}, status=404)
        form = await request.post()
        data = form.get("data")
        if not isinstance(data, web.FileField):
            return web.json_response({"code": "proto.payload", "message": "data"}, status=400)
        stored = self._file(kind, data.file.read(), data.filename or "file")
        stored.not_ready = self.faults.not_ready
        self._notify()
        if kind == "image":
            return web.json_response({"photos": {str(stored.number): {"token": stored.token}}})
        return web.json_response({"token": stored.token})

    async def _download(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["token"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.content)


_NAMES = {
    ("GET", "/me"): "getMe",
    ("GET", "/updates"): "getUpdates",
    ("POST", "/messages"): "sendMessage",
    ("PUT", "/messages"): "editMessage",
    ("DELETE", "/messages"): "deleteMessage",
    ("POST", "/answers"): "answerCallback",
    ("POST", "/uploads"): "getUploadUrl",
    ("PATCH", "/me/commands"): "setCommands",
    ("GET", "/subscriptions"): "getSubscriptions",
    ("POST", "/subscriptions"): "subscribe",
    ("DELETE", "/subscriptions"): "unsubscribe",
}


def _keyboard_of(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    for item in message["body"].get("attachments") or []:
        if item.get("type") == "inline_keyboard":
            rows: list[list[dict[str, Any]]] = item["payload"]["buttons"]
            return rows
    return []


def _button_view(button: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"text": button.get("text", ""), "type": button.get("type")}
    if button.get("type") == "callback":
        view["callback_data"] = button.get("payload", "")
    elif button.get("type") == "link":
        view["url"] = button.get("url", "")
    return view


def _checked_buttons(payload: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows = payload.get("buttons")
    if not isinstance(rows, list) or not rows:
        raise payload_error("buttons: a keyboard needs rows")
    if len(rows) > ROWS_LIMIT:
        raise payload_error(f"buttons: at most {ROWS_LIMIT} rows")
    total = 0
    for row in rows:
        if not isinstance(row, list) or not row:
            raise payload_error("buttons: an empty row")
        wide = any(b.get("type") in WIDE for b in row)
        if len(row) > (WIDE_ROW_LIMIT if wide else ROW_LIMIT):
            raise payload_error("buttons: too many buttons in a row")
        total += len(row)
        for button in row:
            kind, text = button.get("type"), str(button.get("text") or "")
            if kind not in BUTTON_TYPES:
                raise payload_error(f"buttons: unknown type {kind!r}")
            if not 1 <= len(text) <= BUTTON_TEXT_LIMIT:
                raise payload_error("buttons: text must be 1 to 128 characters")
            if (
                kind == "callback"
                and not 1 <= len(str(button.get("payload") or "")) <= PAYLOAD_LIMIT
            ):
                raise payload_error("buttons: payload must be 1 to 1024 characters")
            if kind == "link" and not str(button.get("url") or "").startswith(
                ("http://", "https://")
            ):
                raise payload_error("buttons: a link needs its url")
    if total > BUTTONS_LIMIT:
        raise payload_error(f"buttons: at most {BUTTONS_LIMIT} buttons")
    return rows


def labels(view: dict[str, Any] | None) -> list[str]:
    if view is None:
        return []
    rows: Iterable[list[dict[str, Any]]] = view.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(b.get("text", "")) for row in rows for b in row]


def start_link_of(url: str) -> tuple[str, str | None] | None:
    """(bot name, payload) of a MAX start link."""
    parts = urlsplit(url)
    if parts.netloc != "max.ru":
        return None
    payload = parse_qs(parts.query).get("start", [None])[0]
    return parts.path.strip("/"), payload
