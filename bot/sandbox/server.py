"""A local Bot API server on 127.0.0.1: the real bot talks to it over HTTP as to Telegram.

It keeps everything in memory: users and chats, the messages of each chat with their inline
keyboards, the updates waiting for `getUpdates`, and files for `getFile` and downloads. It
rejects what Telegram rejects, in Telegram's error shape, and can be told to misbehave
(a share of 429s and 5xx, a delay, a user who blocked the bot, sends held at the door).

The "side door" is the Python API below (`user`, `send_text`, `press`, `messages`, ...):
the terminal chat and the end-to-end tests play the people with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.runner import bound_port
from bot.sandbox.demo import demo_data
from bot.sandbox.journal import Journal, decode, encode
from bot.sandbox.markup import ParseError, parse_html, utf16_len

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
BUTTONS_LIMIT = 100
ALBUM_SIZE = (2, 10)
BOT_USERNAME = "tos_sandbox_bot"
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendDocument",
        "sendLocation",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
    }
)
# Methods that change nothing here but must answer as Telegram does.
_ACCEPTED = frozenset(
    {
        "setMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "setChatMenuButton",
        "sendChatAction",
        "close",
        "logOut",
    }
)
_UPDATE_KINDS = ("message", "edited_message", "callback_query")
# A 1x1 PNG: what a resident's "photo" holds, so downloads get real bytes.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class ApiError(Exception):
    """What the server answers instead of a result."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Faults:
    """How the server misbehaves for the bot's sending methods (`methods`)."""

    too_many_requests: float = 0.0  # share of calls answered 429
    retry_after: int = 1
    server_errors: float = 0.0  # share of calls answered 500
    delay: float = 0.0  # seconds before each answer
    methods: frozenset[str] = SEND_METHODS
    chats: set[int] | None = None  # only calls to these chats misbehave (None: any chat)
    # Answers for the next calls, before any share applies: 429 (with retry_after) or 5xx.
    plan: list[int] = field(default_factory=list)
    seen: Counter[int] = field(default_factory=Counter)  # how many of each were answered


@dataclass
class Outgoing:
    """One thing the bot did to a chat (a send or an edit), in order."""

    method: str
    chat_id: int
    message_id: int
    text: str  # plain text (or caption), as the person reads it
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    at: float = 0.0

    @property
    def labels(self) -> list[str]:
        return [str(b.get("text", "")) for row in self.buttons for b in row]

    def data_of(self, label: str) -> str:
        for row in self.buttons:
            for button in row:
                if button.get("text") == label and "callback_data" in button:
                    return str(button["callback_data"])
        raise KeyError(f"no button {label!r} on message {self.message_id}: {self.labels}")


@dataclass
class StoredFile:
    file_id: str
    content: bytes
    path: str


class SandboxServer:
    """The Bot API for one bot token, on 127.0.0.1."""

    def __init__(
        self,
        token: str,
        *,
        bot_name: str | None = None,  # default: the demo town's
        bot_username: str = BOT_USERNAME,
        seed: int = 0,
        state: Path | None = None,  # keep the chats in this file across restarts (journal.py)
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        bot_name = bot_name or demo_data().bot_name
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.faults = Faults()
        self.blocked: set[int] = set()  # users who blocked the bot
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat -> id -> message
        self.keyboards: dict[int, dict[str, Any] | None] = {}  # chat -> reply keyboard shown
        self.outgoing: list[Outgoing] = []  # everything the bot sent or edited, in order
        self.calls: list[str] = []  # every method the bot called, in order
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []  # updates not yet confirmed by an offset
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._queries: set[str] = set()
        self._random = random.Random(seed)
        self._changed = asyncio.Event()
        self.polls_waiting = 0  # getUpdates calls now waiting
        self._allowed: list[str] | None = None
        self._pass_left: int | None = None  # sends to let through before holding the rest
        self._hold_chats: set[int] | None = None
        self._drop_held = False
        self._gate = asyncio.Event()
        self.held = 0  # sends now held at the door
        self.in_flight = 0  # bot calls being answered (getUpdates aside)
        self.last_call_at = 0.0  # loop time of the last call the bot made
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._updates_stopped = False
        self.port = 0
        # Webhook delivery (setWebhook): where and with which secret; `replicas`, when set,
        # are the addresses behind the webhook's host that deliveries go round-robin to, as
        # a load balancer in front of several bot processes would.
        self.webhook: dict[str, Any] | None = None
        self.replicas: list[str] | None = None
        self.webhook_connections = 4  # updates delivered at once (Telegram: max_connections)
        self.deliveries: Counter[str] = Counter()  # address -> updates it acknowledged
        self.delivery_failures = 0
        self._delivering: set[int] = set()  # update ids on their way now
        self._deliverer: asyncio.Task[None] | None = None
        self._turn = itertools.count()
        self._journal: Journal | None = None
        if state is not None:
            self._journal = Journal(state)
            self._replay()

    # -- what is kept across restarts (with a state file) -------------------------------------

    def _replay(self) -> None:
        """Take the chats back from the journal, then write it again as one snapshot."""
        assert self._journal is not None
        next_ids: dict[int, int] = {}
        next_file = 1
        for record in self._journal.records():
            kind, value = next(iter(record.items()))
            if kind == "user":
                self.users[value["id"]] = value
            elif kind == "chat":
                self.chats[value["id"]] = value
            elif kind == "message":
                chat_id = value["chat"]["id"]
                self.messages.setdefault(chat_id, {})[value["message_id"]] = value
                next_ids[chat_id] = max(next_ids.get(chat_id, 1), value["message_id"] + 1)
            elif kind == "deleted":
                chat_id, message_id = value
                self.messages.get(chat_id, {}).pop(message_id, None)
                next_ids[chat_id] = max(next_ids.get(chat_id, 1), message_id + 1)
            elif kind == "keyboard":
                self.keyboards[value[0]] = value[1]
            elif kind == "file":
                stored = StoredFile(value["file_id"], decode(value["content"]), value["path"])
                self.files[stored.file_id] = stored
                next_file = max(next_file, value["number"] + 1)
            elif kind == "next":
                for chat_id, number in value["messages"]:
                    next_ids[chat_id] = max(next_ids.get(chat_id, 1), number)
                next_file = max(next_file, value["file"])
        self._message_ids = {chat: itertools.count(n) for chat, n in next_ids.items()}
        self._file_ids = itertools.count(next_file)
        self._journal.rewrite(self._snapshot(next_ids, next_file))

    def _snapshot(self, next_ids: dict[int, int], next_file: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = [
            {"next": {"messages": sorted(next_ids.items()), "file": next_file}}
        ]
        records += [{"user": user} for user in self.users.values()]
        records += [{"chat": chat} for chat in self.chats.values()]
        records += [{"message": m} for chat in self.messages.values() for m in chat.values()]
        records += [{"keyboard": [chat, markup]} for chat, markup in self.keyboards.items()]
        records += [{"file": self._file_record(f)} for f in self.files.values()]
        return records

    @staticmethod
    def _file_record(stored: StoredFile) -> dict[str, Any]:
        number = int(stored.file_id.rsplit("-", 1)[-1])
        return {
            "file_id": stored.file_id,
            "path": stored.path,
            "number": number,
            "content": encode(stored.content),
        }

    def _keep(self, kind: str, value: Any) -> None:
        if self._journal is not None:
            self._journal.append({kind: value})

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> SandboxServer:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/{token}/{method}", self._handle)
        app.router.add_get("/{token}/{method}", self._handle)
        app.router.add_get("/file/{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = bound_port(site._server)
        assert self.port, "the sandbox server is not listening"
        return self

    async def stop(self) -> None:
        if self._deliverer is not None:
            self._deliverer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliverer
            self._deliverer = None
        if self._journal is not None:
            self._journal.close()
        self._closing = True  # long polls answer now instead of at their timeout
        self._notify()
        self._gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop_updates(self) -> None:
        """Hand the bot no more updates (a stop: what it has is all it gets); its long polls
        wait out their timeout empty instead of spinning."""
        self._updates_stopped = True
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[], Any], within: float = 15.0, what: str = "a condition"
    ) -> Any:
        """Wait until `predicate()` is truthy (checked on every change here); return its value."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            changed = self._changed
            value = predicate()
            if value:
                return value
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"sandbox: waited {within:.0f}s for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(left, 0.5))

    # -- the side door: people --------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "ru",
        username: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        if self.users.get(user_id) != user:
            self.users[user_id] = user
            self._keep("user", user)
        if user_id not in self.chats:
            self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
            self._keep("chat", self.chats[user_id])
        return user

    def group(self, chat_id: int, title: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        if self.chats.get(chat_id) != chat:
            self.chats[chat_id] = chat
            self._keep("chat", chat)
        return chat

    def _chat_of(self, user_id: int, chat_id: int | None) -> dict[str, Any]:
        if user_id not in self.users:
            raise KeyError(f"unknown sandbox user {user_id}; call user() first")
        chat = self.chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise KeyError(f"unknown sandbox chat {chat_id}; call group() first")
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(
        self, user_id: int, chat_id: int | None, reply_to: int | None, **content: Any
    ) -> dict[str, Any]:
        chat = self._chat_of(user_id, chat_id)
        self.blocked.discard(user_id)  # writing to the bot means it is not blocked any more
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": self.users[user_id],
            **content,
        }
        if reply_to is not None:
            original = self.messages.get(chat["id"], {}).get(reply_to)
            if original is None:
                raise KeyError(f"no message {reply_to} in chat {chat['id']} to reply to")
            message["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        self.messages.setdefault(chat["id"], {})[message["message_id"]] = message
        self._keep("message", message)
        self._push({"message": message})
        return message

    def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._pending.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """A person writes; a leading /command gets its bot_command entity as in Telegram."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._user_message(user_id, chat_id, reply_to, **content)

    def add_file(self, content: bytes, folder: str, suffix: str) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(f"{folder}-{number}", content, f"{folder}/file_{number}.{suffix}")
        self.files[stored.file_id] = stored
        if self._journal is not None:
            self._keep("file", self._file_record(stored))
        return stored

    def send_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        content: bytes = TINY_PNG,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        stored = self.add_file(content, "photos", "png")
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_id,
                "width": 800,
                "height": 600,
                "file_size": len(content),
            }
        ]
        extra = {"caption": caption} if caption else {}
        return self._user_message(user_id, chat_id, reply_to, photo=photo, **extra)

    def send_document(
        self,
        user_id: int,
        name: str,
        content: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        suffix = name.rsplit(".", 1)[-1] if "." in name else "bin"
        stored = self.add_file(content, "documents", suffix)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            "file_name": name,
            "file_size": len(content),
        }
        extra = {"caption": caption} if caption else {}
        return self._user_message(user_id, chat_id, None, document=document, **extra)

    def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, chat_id, None, location=location)

    def send_contact(
        self, user_id: int, phone: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        user = self.users[user_id]
        contact = {"phone_number": phone, "first_name": user["first_name"], "user_id": user_id}
        return self._user_message(user_id, chat_id, None, contact=contact)

    def press(
        self,
        user_id: int,
        message_id: int,
        label: str | None = None,
        *,
        data: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """Press an inline button (by label, or forge `data`); returns the callback query id."""
        chat = self._chat_of(user_id, chat_id)
        message = self.messages.get(chat["id"], {}).get(message_id)
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat['id']}")
        if data is None:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            found = [b for row in rows for b in row if b.get("text") == label]
            if not found or "callback_data" not in found[0]:
                labels = [b.get("text") for row in rows for b in row]
                raise KeyError(f"no button {label!r} on message {message_id}: {labels}")
            data = str(found[0]["callback_data"])
        query_id = str(next(self._query_ids))
        self._queries.add(query_id)
        query = {
            "id": query_id,
            "from": self.users[user_id],
            "message": message,
            "chat_instance": str(chat["id"]),
            "data": data,
        }
        self._push({"callback_query": query})
        return query_id

    # -- the side door: what people see -------------------------------------------------------

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat as it looks now (edits applied, deleted messages gone), oldest first."""
        chat: dict[int, dict[str, Any]] = self.messages.get(chat_id, {})
        return [chat[k] for k in sorted(chat)]

    def message_view(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A message as it looks now (the MAX sandbox shows its messages in this shape)."""
        return self.messages.get(chat_id, {}).get(message_id)

    def sent_to(self, chat_id: int, *, edits: bool = False) -> list[Outgoing]:
        """What the bot sent to a chat, in order (and its edits, when asked)."""
        return [
            o
            for o in self.outgoing
            if o.chat_id == chat_id and (edits or not o.method.startswith(("edit", "delete")))
        ]

    def last_with_buttons(self, chat_id: int) -> dict[str, Any] | None:
        message: dict[str, Any]
        for message in reversed(self.chat_messages(chat_id)):
            if message.get("from", {}).get("id") == self.bot_id and message.get(
                "reply_markup", {}
            ).get("inline_keyboard"):
                return message
        return None

    @property
    def idle(self) -> bool:
        """Every update is confirmed and the bot is waiting in getUpdates (or, with a
        webhook, every update was delivered)."""
        if self.webhook is not None:
            return not self._pending and not self._delivering
        return not self._pending and self.polls_waiting > 0

    async def settle(self, quiet: float = 0.15, within: float = 15.0) -> None:
        """Wait until the bot took every update, answered nothing for `quiet` seconds and
        is back in getUpdates: what it had to say about the last updates is said."""
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

    # -- the side door: faults ----------------------------------------------------------------

    def hold_sends(self, after: int = 0, chats: Iterable[int] | None = None) -> None:
        """Let `after` more sends (to `chats`, or to anyone) through, then hold the rest at
        the door: not yet received, as if the network were slow."""
        self._pass_left = after
        self._hold_chats = None if chats is None else set(chats)
        self._drop_held = False
        self._gate = asyncio.Event()

    def release_sends(self, *, drop: bool = False) -> None:
        """Let held sends in, or (`drop`, after their bot was killed) lose them: they were
        never received. A held send whose client went away is lost either way."""
        self._pass_left = None
        self._drop_held = drop
        self._gate.set()

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            if request.match_info["token"] != f"bot{self.token}":
                raise ApiError(401, "Unauthorized")
            params = await _read_params(request)
            self.calls.append(method)
            counted = method != "getUpdates"
            self.in_flight += counted
            try:
                if method in self.faults.methods:
                    await self._door(request, params)
                result = await self._call(method, params)
            finally:
                self.in_flight -= counted
                self.last_call_at = asyncio.get_running_loop().time()
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        except _Dropped:
            return web.json_response({"ok": False, "error_code": 499, "description": "gone"})
        return web.json_response({"ok": True, "result": result})

    async def _door(self, request: web.Request, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        held_here = self._hold_chats is None or (
            isinstance(chat_id, str | int) and str(chat_id) in {str(c) for c in self._hold_chats}
        )
        if self._pass_left is not None and held_here:
            if self._pass_left > 0:
                self._pass_left -= 1
            else:
                self.held += 1
                self._notify()
                try:
                    await self._gate.wait()
                finally:
                    self.held -= 1
                if self._drop_held or request.transport is None or request.transport.is_closing():
                    raise _Dropped
        faults = self.faults
        if faults.chats is not None and not (
            isinstance(chat_id, str | int) and str(chat_id) in {str(c) for c in faults.chats}
        ):
            return
        if faults.plan:
            self._fail(faults.plan.pop(0))
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.too_many_requests and self._random.random() < faults.too_many_requests:
            self._fail(429)
        if faults.server_errors and self._random.random() < faults.server_errors:
            self._fail(500)

    def _fail(self, code: int) -> None:
        self.faults.seen[code] += 1
        if code == 429:
            retry_after = self.faults.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        if code == 403:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        raise ApiError(
            code,
            {502: "Bad Gateway", 503: "Service Unavailable"}.get(code, "Internal Server Error"),
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != f"bot{self.token}":
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.path == path:
                return web.Response(body=stored.content)
        raise web.HTTPNotFound()

    async def _call(self, method: str, p: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.bot_user
        if method == "getUpdates":
            if self.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            return await self._get_updates(p)
        if method == "setWebhook":
            return self._set_webhook(p)
        if method == "deleteWebhook":
            self.webhook = None
            if p.get("drop_pending_updates"):
                self._pending.clear()
            self._notify()
            return True
        if method == "getWebhookInfo":
            return {
                "url": "" if self.webhook is None else self.webhook["url"],
                "has_custom_certificate": False,
                "pending_update_count": len(self._pending),
            }
        if method == "setMyCommands":
            self.commands.append(p)
            return True
        if method in _ACCEPTED:
            return True
        handler = _METHODS.get(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        result = handler(self, p)
        self._notify()
        return result

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int(p, "offset", 0)
        limit = min(max(_int(p, "limit", 100), 1), 100)
        timeout = max(_int(p, "timeout", 0), 0)
        if "allowed_updates" in p:
            self._allowed = list(p["allowed_updates"]) or None
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + timeout
        self.polls_waiting += 1
        self._notify()
        try:
            while True:
                changed = self._changed
                ready = [u for u in self._pending if self._wanted(u)]
                if self._updates_stopped:
                    ready = []
                left = deadline - asyncio.get_running_loop().time()
                if ready or left <= 0 or self._closing:
                    return ready[:limit]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), left)
        finally:
            self.polls_waiting -= 1

    # -- webhook delivery -------------------------------------------------------------------

    def _set_webhook(self, p: dict[str, Any]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not (
            1 <= len(str(secret)) <= 256
            and all(c.isascii() and (c.isalnum() or c in "_-") for c in str(secret))
        ):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if "allowed_updates" in p:
            self._allowed = list(p["allowed_updates"]) or None
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {"url": url, "secret": None if secret is None else str(secret)}
        if self._deliverer is None:
            self._deliverer = asyncio.create_task(self._deliver_forever(), name="webhook")
        self._notify()
        return True

    def _targets(self) -> list[tuple[str, str]]:
        """(address counted in `deliveries`, URL posted to) for each place in turn."""
        assert self.webhook is not None
        url = str(self.webhook["url"])
        if not self.replicas:
            return [(url, url)]
        path = "/" + url.split("://", 1)[1].partition("/")[2]
        return [(replica, replica.rstrip("/") + path) for replica in self.replicas]

    async def _deliver_forever(self) -> None:
        """Push each pending update to the webhook as Telegram does: a few at once, in
        order of their ids; one that was not answered 2xx (refused, an error, nobody
        listening) is sent again a moment later, to the next address in turn."""
        import aiohttp

        workers: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession() as session:
            while True:
                changed = self._changed
                if self.webhook is not None and not self._updates_stopped:
                    for update in list(self._pending):
                        if len(workers) >= self.webhook_connections:
                            break
                        uid = update["update_id"]
                        if uid in self._delivering or not self._wanted(update):
                            continue
                        self._delivering.add(uid)
                        task = asyncio.create_task(self._deliver(session, update))
                        workers.add(task)
                        task.add_done_callback(workers.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), 0.5)

    async def _deliver(self, session: Any, update: dict[str, Any]) -> None:
        uid = update["update_id"]
        delay = 0.05
        try:
            while self.webhook is not None and not self._closing:
                targets = self._targets()
                place, target = targets[next(self._turn) % len(targets)]
                headers = {}
                if self.webhook.get("secret") is not None:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret"]
                try:
                    async with session.post(
                        target, json=update, headers=headers, timeout=10
                    ) as response:
                        delivered = 200 <= response.status < 300
                except (OSError, TimeoutError, Exception):  # nobody there: as a refusal
                    delivered = False
                if delivered:
                    self.deliveries[place] += 1
                    self._pending = [u for u in self._pending if u["update_id"] != uid]
                    return
                self.delivery_failures += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        finally:
            self._delivering.discard(uid)
            self._notify()

    def _wanted(self, update: dict[str, Any]) -> bool:
        if self._allowed is None:
            return True
        return any(kind in update for kind in self._allowed)

    # -- methods --------------------------------------------------------------------------------

    def _target_chat(self, p: dict[str, Any]) -> int:
        chat_id = _int(p, "chat_id", None)
        if chat_id is None:
            raise bad_request("chat_id is empty")
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return int(chat_id)

    def _checked_text(self, p: dict[str, Any], key: str, limit: int) -> dict[str, Any]:
        raw = p.get(key)
        if raw is None or not str(raw).strip():
            if key == "caption":
                return {}
            raise bad_request("message text is empty")
        raw = str(raw)
        if p.get("parse_mode") == "HTML":
            try:
                text, entities = parse_html(raw)
            except ParseError as error:
                raise ApiError(400, str(error)) from None
        else:
            text, entities = raw, list(p.get("entities") or p.get("caption_entities") or [])
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            too_long = "message is too long" if key == "text" else "message caption is too long"
            raise bad_request(too_long)
        out: dict[str, Any] = {key: text}
        if entities:
            out["entities" if key == "text" else "caption_entities"] = entities
        return out

    def _checked_markup(self, p: dict[str, Any]) -> dict[str, Any] | None:
        markup = p.get("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            buttons = [b for row in rows for b in row]
            if len(buttons) > BUTTONS_LIMIT or len(json.dumps(markup).encode()) > 10_240:
                raise bad_request("reply markup is too long")
            for button in buttons:
                if not str(button.get("text", "")).strip():
                    raise bad_request("button text is empty")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                    raise bad_request("BUTTON_DATA_INVALID")
                if data is None and not ({"url", "switch_inline_query"} & set(button)):
                    raise bad_request('can\'t find field "callback_data"')
        return dict(markup)

    def _reply_of(self, p: dict[str, Any], chat_id: int) -> dict[str, Any]:
        """`reply_parameters` (or the older `reply_to_message_id`) as Telegram shows the reply:
        the original message under `reply_to_message`; an unknown one is refused unless
        `allow_sending_without_reply`."""
        wanted = p.get("reply_parameters")
        if not isinstance(wanted, dict):
            legacy = _int(p, "reply_to_message_id", None)
            if legacy is None:
                return {}
            without = p.get("allow_sending_without_reply")
            wanted = {"message_id": legacy, "allow_sending_without_reply": without}
        message_id = _int(wanted, "message_id", None)
        original = self.messages.get(chat_id, {}).get(message_id) if message_id else None
        if original is None:
            if wanted.get("allow_sending_without_reply") is True:
                return {}
            raise bad_request("message to be replied not found")
        return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}

    def _store_bot_message(
        self, method: str, chat_id: int, content: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self.bot_user,
            **content,
        }
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif markup is not None and "keyboard" in markup:
            self.keyboards[chat_id] = markup
            self._keep("keyboard", [chat_id, markup])
        elif markup is not None and markup.get("remove_keyboard"):
            self.keyboards[chat_id] = None
            self._keep("keyboard", [chat_id, None])
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        self._keep("message", message)
        self._record(method, message)
        return message

    def _record(self, method: str, message: dict[str, Any]) -> None:
        self.outgoing.append(
            Outgoing(
                method=method,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=str(message.get("text") or message.get("caption") or ""),
                buttons=list(message.get("reply_markup", {}).get("inline_keyboard", [])),
                at=time.monotonic(),
            )
        )

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(p)
        content = self._checked_text(p, "text", TEXT_LIMIT) | self._reply_of(p, chat_id)
        return self._store_bot_message("sendMessage", chat_id, content, self._checked_markup(p))

    def _photo_size(self, ref: Any, files: dict[str, Any]) -> dict[str, Any]:
        stored = self._resolve_file(ref, files, "photos", "png")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            "width": 800,
            "height": 600,
            "file_size": len(stored.content),
        }

    def _resolve_file(
        self, ref: Any, files: dict[str, Any], folder: str, suffix: str
    ) -> StoredFile:
        if isinstance(ref, str) and ref.startswith("attach://"):
            upload = files.get(ref.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return self.add_file(upload[1], folder, suffix)
        if isinstance(ref, tuple):  # uploaded in the field itself
            return self.add_file(ref[1], folder, suffix)
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _send_photo(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(p)
        caption = self._checked_text(p, "caption", CAPTION_LIMIT) | self._reply_of(p, chat_id)
        photo = [self._photo_size(p.get("photo"), p["__files__"])]
        return self._store_bot_message(
            "sendPhoto", chat_id, {"photo": photo, **caption}, self._checked_markup(p)
        )

    def _send_document(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(p)
        caption = self._checked_text(p, "caption", CAPTION_LIMIT) | self._reply_of(p, chat_id)
        ref = p.get("document")
        name = "file"
        if isinstance(ref, tuple):
            name = ref[0]
        elif isinstance(ref, str) and ref.startswith("attach://"):
            name = p["__files__"].get(ref.removeprefix("attach://"), (name, b""))[0]
        stored = self._resolve_file(ref, p["__files__"], "documents", name.rsplit(".", 1)[-1])
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            "file_name": name,
            "file_size": len(stored.content),
        }
        return self._store_bot_message(
            "sendDocument", chat_id, {"document": document, **caption}, self._checked_markup(p)
        )

    def _send_media_group(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = self._target_chat(p)
        media = p.get("media")
        if not isinstance(media, list) or not ALBUM_SIZE[0] <= len(media) <= ALBUM_SIZE[1]:
            raise bad_request("wrong number of media in album")
        group_id = str(next(self._file_ids))
        reply = self._reply_of(p, chat_id)
        sent = []
        for item in media:
            caption = self._checked_text(item, "caption", CAPTION_LIMIT) | reply
            photo = [self._photo_size(item.get("media"), p["__files__"])]
            content = {"photo": photo, "media_group_id": group_id, **caption}
            sent.append(self._store_bot_message("sendMediaGroup", chat_id, content, None))
        return sent

    def _send_location(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(p)
        location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
        return self._store_bot_message(
            "sendLocation",
            chat_id,
            {"location": location, **self._reply_of(p, chat_id)},
            self._checked_markup(p),
        )

    def _message_to_edit(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = self._target_chat(p)
        message = self.messages.get(chat_id, {}).get(_int(p, "message_id", 0))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return chat_id, message

    def _apply_edit(
        self, method: str, chat_id: int, old: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        before = {k: v for k, v in old.items() if k != "edit_date"}
        new = dict(before)
        if "text" in changes:
            new.pop("entities", None)
        if "caption" in changes:
            new.pop("caption_entities", None)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        if new == before:
            raise bad_request(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        new["edit_date"] = int(time.time())
        self.messages[chat_id][old["message_id"]] = new
        self._keep("message", new)
        self._record(method, new)
        return new

    def _edit_text(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, old = self._message_to_edit(p)
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        content = self._checked_text(p, "text", TEXT_LIMIT)
        markup = self._checked_markup(p)
        changes = {**content, "reply_markup": markup}
        return self._apply_edit("editMessageText", chat_id, old, changes)

    def _edit_caption(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, old = self._message_to_edit(p)
        content: dict[str, Any] = {"caption": None}
        content.update(self._checked_text(p, "caption", CAPTION_LIMIT))
        markup = self._checked_markup(p)
        return self._apply_edit(
            "editMessageCaption", chat_id, old, {**content, "reply_markup": markup}
        )

    def _edit_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id, old = self._message_to_edit(p)
        markup = self._checked_markup(p)
        return self._apply_edit("editMessageReplyMarkup", chat_id, old, {"reply_markup": markup})

    def _delete(self, p: dict[str, Any]) -> bool:
        chat_id = self._target_chat(p)
        message = self.messages.get(chat_id, {}).pop(_int(p, "message_id", 0), None)
        if message is None:
            raise bad_request("message to delete not found")
        self._keep("deleted", [chat_id, message["message_id"]])
        self.outgoing.append(
            Outgoing("deleteMessage", chat_id, message["message_id"], "", at=time.monotonic())
        )
        return True

    def _answer_callback(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._queries or query_id in self.callback_answers:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {"text": text, "show_alert": bool(p.get("show_alert"))}
        return True

    def _get_file(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(p.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            "file_size": len(stored.content),
            "file_path": stored.path,
        }


class _Dropped(Exception):
    """A held request whose client went away: it never reached the server."""


_METHODS: dict[str, Callable[[SandboxServer, dict[str, Any]], Any]] = {
    "sendMessage": SandboxServer._send_message,
    "sendPhoto": SandboxServer._send_photo,
    "sendDocument": SandboxServer._send_document,
    "sendMediaGroup": SandboxServer._send_media_group,
    "sendLocation": SandboxServer._send_location,
    "editMessageText": SandboxServer._edit_text,
    "editMessageCaption": SandboxServer._edit_caption,
    "editMessageReplyMarkup": SandboxServer._edit_markup,
    "deleteMessage": SandboxServer._delete,
    "answerCallbackQuery": SandboxServer._answer_callback,
    "getFile": SandboxServer._get_file,
}

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
    }
)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """The call's parameters: query string, form (urlencoded or multipart) or JSON body."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.body_exists:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename or key, value.file.read())
            else:
                params[key] = value
    for key in _JSON_FIELDS & set(params):
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise bad_request(f"can't parse {key} JSON object") from None
    for key, value in list(params.items()):
        if value in ("true", "false"):
            params[key] = value == "true"
    # A file sent in the field itself (not through attach://) is the field's value.
    for key in ("photo", "document"):
        if key in files and key not in params:
            params[key] = files[key]
    params["__files__"] = files
    return params


def _int(p: dict[str, Any], key: str, default: Any) -> Any:
    value = p.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{key} is invalid") from None


def message_text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def labels(message: dict[str, Any] | None) -> list[str]:
    if message is None:
        return []
    rows: Iterable[list[dict[str, Any]]] = message.get("reply_markup", {}).get(
        "inline_keyboard", []
    )
    return [str(b.get("text", "")) for row in rows for b in row]
