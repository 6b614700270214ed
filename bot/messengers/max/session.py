"""The Bot API the bot speaks, made of MAX's REST calls: an aiogram session, so handlers,
services and the outbox stay written once.

What differs from Telegram is adapted here, once:

- texts go as MAX's `format: html` (bot/messengers/max/text.py), keyboards as MAX's
  `inline_keyboard` within MAX's limits (keyboards.py), ids through the database (ids.py);
- a person is written to in their dialog (`chat_id` of the dialog, which is not the
  person's id), or by `user_id` before one is known;
- files are uploaded first and then attached; sending right after an upload can be refused
  with `attachment.not.ready`, and is tried again a few times;
- an edit says everything the message carries: MAX keeps what an edit omits and drops all
  of it, the keyboard included, on `[]`; Telegram's edit without buttons removes them, so
  the message's own files (kept with its id) are sent again beside the new keyboard;
- every press of a button is answered through POST /answers, never empty (MAX refuses an
  empty answer): an answer with nothing to say gives MAX back the message as it is;
- MAX's refusals become aiogram's errors with Telegram's words, so the retries and the
  outbox's reasons work unchanged (403 `chat.denied`: the person stopped the bot).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from html import escape, unescape
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    GetUpdates,
    Response,
    SendChatAction,
    SendDocument,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BotCommandScopeDefault,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
    ReplyParameters,
)
from aiogram.utils.text_decorations import html_decoration

from bot.messengers.max import keyboards
from bot.messengers.max.api import MaxApi, MaxApiError, MaxNetworkError
from bot.messengers.max.convert import STARTED, MaxConverter
from bot.messengers.max.ids import (
    CALLBACK_PREFIX,
    DOWNLOAD_PREFIX,
    MaxIds,
    parse_file_id,
)
from bot.messengers.max.text import markup_to_html, rewrite_start_links, to_max_html

log = logging.getLogger(__name__)

Json = dict[str, Any]
# Waits before sending again a message whose fresh upload MAX is still processing.
NOT_READY_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)
_TEXTS_KEPT = 2048
_STATE_MARKER = "marker"
_TAGS_RE = re.compile(r"<[^<>]*>")


class MaxSession(BaseSession):
    def __init__(
        self,
        api: MaxApi,
        ids: MaxIds,
        bot_id: int,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__()
        self.max = api
        self.ids = ids
        self.convert = MaxConverter(ids, bot_id)
        self._sleep = sleep
        # Usernames of our bots: links to them on Telegram become links to this bot on MAX.
        self.ours: set[str] = set()
        self.username = ""
        self._me: Json | None = None
        self._me_lock = asyncio.Lock()
        # What each message shows now (HTML), to answer a press with it unchanged.
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._pressed: OrderedDict[str, int] = OrderedDict()  # callback id -> message
        self._marker: int | None = None
        self._saved_marker: int | None = None
        self._marker_loaded = False
        self._update_ids = itertools.count(1)

    # -- aiogram's session ----------------------------------------------------------------

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        handler = _HANDLERS.get(type(method))
        if handler is None:
            raise TelegramBadRequest(
                method, f"Bad Request: {type(method).__name__} is not available on MAX"
            )
        try:
            result = await handler(self, bot, method)
        except MaxApiError as error:
            raise self.error(method, error) from error
        except MaxNetworkError as error:
            raise TelegramNetworkError(method, str(error)) from error
        response_type = Response[method.__returning__]  # type: ignore[name-defined]
        answer = response_type.model_validate({"ok": True, "result": result}, context={"bot": bot})
        return answer.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self.max.stream(url.removeprefix(DOWNLOAD_PREFIX), chunk_size):
                yield chunk
        except (MaxApiError, MaxNetworkError) as error:
            raise TelegramNetworkError(GetFile(file_id="download"), str(error)) from error

    async def close(self) -> None:
        await self.confirm_updates()
        await self.max.close()

    @staticmethod
    def error(method: TelegramMethod[Any], error: MaxApiError) -> TelegramAPIError:
        """MAX's refusal as aiogram's error, in Telegram's words (the outbox and the retries
        read those), MAX's code and message beside them for the log."""
        said = f"(MAX {error.code}: {error.message})"
        editing = isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup)
        if error.status == 429:
            wait = max(1, math.ceil(error.retry_after or 1))
            return TelegramRetryAfter(
                method, f"Too Many Requests: retry after {wait} {said}", retry_after=wait
            )
        if error.status == 401:
            return TelegramUnauthorizedError(method, f"Unauthorized {said}")
        if error.status == 403:
            if error.code == "chat.denied":
                return TelegramForbiddenError(
                    method, f"Forbidden: bot was blocked by the user {said}"
                )
            return TelegramForbiddenError(method, f"Forbidden: bot is not a member {said}")
        if error.status == 404:
            if editing:
                return TelegramBadRequest(method, f"Bad Request: message to edit not found {said}")
            if isinstance(method, DeleteMessage):
                return TelegramBadRequest(
                    method, f"Bad Request: message to delete not found {said}"
                )
            return TelegramBadRequest(method, f"Bad Request: chat not found {said}")
        if error.status >= 500 or error.code == "attachment.not.ready":
            words = {502: "Bad Gateway", 503: "Service Unavailable"}
            return TelegramServerError(
                method, f"{words.get(error.status, 'Internal Server Error')} {said}"
            )
        return TelegramBadRequest(method, f"Bad Request: {error.message} {said}")

    # -- the bot and its updates ----------------------------------------------------------------

    async def me(self) -> Json:
        """The bot on MAX (GET /me), once."""
        async with self._me_lock:
            if self._me is None:
                me = await self.max.call("GET", "/me")
                self._me = me
                self.username = str(me.get("username") or "")
                self.convert.self_id = me.get("user_id")
                if self.username:
                    self.ours.add(self.username)
            return self._me

    async def _get_me(self, bot: Bot, method: GetMe) -> Json:
        me = await self.me()
        user: Json = {"id": bot.id, "is_bot": True, "first_name": me.get("first_name") or "bot"}
        if self.username:
            user["username"] = self.username
        return user

    async def updates_of(self, raw: Json) -> list[Json]:
        """One update MAX sent (long polling or a webhook) as Telegram's, without ids."""
        await self.me()
        items = await self.convert.update(raw)
        message = raw.get("message") or {}
        callback = raw.get("callback") or {}
        for item in items:
            query = item.get("callback_query")
            if query is None or "message" not in query:
                continue
            number = int(query["message"]["message_id"])
            body = message.get("body") or {}
            # What the pressed message shows, to give it back unchanged if the press is
            # answered with nothing to say (MAX refuses an empty answer).
            shown = markup_to_html(body.get("text") or "", body.get("markup"))
            self._keep(self._texts, number, shown)
            self._keep(self._pressed, str(callback.get("callback_id")), number)
        return items

    async def _get_updates(self, bot: Bot, method: GetUpdates) -> list[Json]:
        """Long polling: MAX's `marker` is where the next batch starts. It is kept in the
        database when the next poll begins (the batch before was handed to the handlers),
        so a restart goes on from there instead of taking only MAX's latest update."""
        if not self._marker_loaded:
            kept = await self.ids.state(_STATE_MARKER)
            self._marker = self._saved_marker = int(kept) if kept else None
            self._marker_loaded = True
        await self.confirm_updates()
        params: Json = {"marker": self._marker, "limit": method.limit or 100}
        wait = method.timeout or 0
        params["timeout"] = wait
        data = await self.max.call("GET", "/updates", params=params, timeout=wait + 15)
        updates: list[Json] = []
        for raw in data.get("updates") or []:
            try:
                converted = await self.updates_of(raw)
            except Exception:  # one malformed update must not stop the bot's polling
                log.exception("a MAX update could not be read: %s", raw.get("update_type"))
                continue
            updates += [{"update_id": next(self._update_ids), **item} for item in converted]
        if data.get("marker") is not None:
            self._marker = int(data["marker"])
        return updates

    async def confirm_updates(self) -> None:
        """Keep the polling position: the updates before it were handed to the handlers."""
        if self._marker_loaded and self._marker is not None and self._marker != self._saved_marker:
            await self.ids.set_state(_STATE_MARKER, str(self._marker))
            self._saved_marker = self._marker

    async def _delete_webhook(self, bot: Bot, method: DeleteWebhook) -> bool:
        await self.unsubscribe()
        return True

    async def subscribe(self, url: str, secret: str | None) -> None:
        """Receive updates at `url` (a webhook; HTTPS, port 443), each with the secret in the
        `X-Max-Bot-Api-Secret` header. Long polling stops working while subscribed."""
        body: Json = {"url": url}
        if secret:
            body["secret"] = secret
        await self.max.call("POST", "/subscriptions", body=body)

    async def unsubscribe(self) -> int:
        """End every webhook subscription (long polling works only without one)."""
        found = await self.max.call("GET", "/subscriptions")
        ended = 0
        for item in found.get("subscriptions") or []:
            await self.max.call("DELETE", "/subscriptions", params={"url": item.get("url")})
            ended += 1
        return ended

    # -- sending --------------------------------------------------------------------------

    async def _recipient(self, method: TelegramMethod[Any], chat_id: Any) -> Json:
        """Where to write: a group's chat id; a person's dialog, or their user id."""
        found = await self.ids.external(int(chat_id)) if isinstance(chat_id, int) else None
        if found is None:
            raise TelegramBadRequest(method, "Bad Request: chat not found (not a MAX chat)")
        if found.kind == "chat":
            return {"chat_id": found.external_id}
        if found.dialog_id is not None:
            return {"chat_id": found.dialog_id}
        return {"user_id": found.external_id}

    def _html(
        self, bot: Bot, text: str | None, parse_mode: Any, entities: list[MessageEntity] | None
    ) -> str:
        """A text as MAX's HTML, from HTML, plain text or text with entities."""
        if not text:
            return ""
        if isinstance(parse_mode, Default):
            parse_mode = bot.default[parse_mode.name]
        if entities:
            html = html_decoration.unparse(text, entities)
        elif parse_mode == "HTML":
            html = text
        else:
            html = escape(text, quote=False)
        return to_max_html(html, self.ours, self.username)

    def _link(self, url: str) -> str:
        """A link button's address: one to any of our bots on Telegram opens this bot."""
        return rewrite_start_links(url, self.ours, self.username)

    async def _reply_link(self, reply: ReplyParameters | None, legacy: int | None) -> Json | None:
        number = reply.message_id if reply is not None else legacy
        if number is None:
            return None
        found = await self.ids.mid(int(number))
        if found is None or found.external_id.startswith(STARTED):
            return None  # nothing on MAX to point at: said without the reply
        return {"type": "reply", "mid": found.external_id.split("#")[0]}

    async def _upload(self, bot: Bot, method: Any, kind: str, value: Any, name: str) -> Json:
        """An attachment for a file: MAX's own by its token, or uploaded now."""
        if isinstance(value, str):
            found = parse_file_id(value)
            if found is None:
                raise TelegramBadRequest(
                    method, "Bad Request: wrong file identifier/HTTP URL specified"
                )
            own = found.kind if found.kind in ("image", "file", "video", "audio") else "file"
            return {"type": own, "payload": {"token": found.token}}
        if not isinstance(value, InputFile):
            raise TelegramBadRequest(method, "Bad Request: there is no file to send")
        content = b"".join([chunk async for chunk in value.read(bot)])
        token = await self.max.upload(kind, content, value.filename or name)
        return {"type": kind, "payload": {"token": token}}

    async def _post(
        self,
        bot: Bot,
        method: Any,
        html: str,
        media: list[Json],
        *,
        markup: Any = None,
    ) -> list[Json]:
        await self.me()  # to know the bot's own messages in MAX's answer
        params = await self._recipient(method, method.chat_id)
        if bot.default["link_preview_is_disabled"]:
            params["disable_link_preview"] = True
        rows = keyboards.to_max_rows(markup, links=self._link)
        attachments = [*media, *([keyboards.attachment(rows)] if rows else [])]
        body: Json = {"text": html or None, "attachments": attachments}
        if html:
            body["format"] = "html"
        link = await self._reply_link(
            getattr(method, "reply_parameters", None), getattr(method, "reply_to_message_id", None)
        )
        if link is not None:
            body["link"] = link
        if getattr(method, "disable_notification", None):
            body["notify"] = False
        answer = await self._send_ready(params, body)
        sent = answer.get("message") or {}
        mid = str((sent.get("body") or {}).get("mid") or "")
        if not mid:
            raise TelegramServerError(method, "Internal Server Error (MAX sent no message id)")
        number = await self.ids.message(mid, int(method.chat_id), media)
        self._keep(self._texts, number, html)
        shown = await self.convert.messages(sent)
        return shown or [self._shown(bot, number, int(method.chat_id), html)]

    async def _send_ready(self, params: Json, body: Json) -> Json:
        """POST /messages; with files, tried again while MAX still processes the upload."""
        for attempt in range(len(NOT_READY_WAITS) + 1):
            try:
                return await self.max.call("POST", "/messages", params=params, body=body)
            except MaxApiError as error:
                if error.code != "attachment.not.ready" or attempt == len(NOT_READY_WAITS):
                    raise
                log.info("MAX is still processing an upload; sending again shortly")
                await self._sleep(NOT_READY_WAITS[attempt])
        raise AssertionError("unreachable")

    @staticmethod
    def _shown(bot: Bot, number: int, chat_id: int, html: str) -> Json:
        """The sent message as Telegram would give it back, when MAX's answer is too thin."""
        chat: Json = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        message: Json = {
            "message_id": number,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": bot.id, "is_bot": True, "first_name": "bot"},
        }
        plain = unescape(_TAGS_RE.sub("", html))
        if plain:
            message["text"] = plain
        return message

    async def _send_message(self, bot: Bot, method: SendMessage) -> Json:
        html = self._html(bot, method.text, method.parse_mode, method.entities)
        return (await self._post(bot, method, html, [], markup=method.reply_markup))[0]

    async def _send_photo(self, bot: Bot, method: SendPhoto) -> Json:
        media = [await self._upload(bot, method, "image", method.photo, "photo.png")]
        html = self._html(bot, method.caption, method.parse_mode, method.caption_entities)
        return (await self._post(bot, method, html, media, markup=method.reply_markup))[0]

    async def _send_document(self, bot: Bot, method: SendDocument) -> Json:
        media = [await self._upload(bot, method, "file", method.document, "file")]
        html = self._html(bot, method.caption, method.parse_mode, method.caption_entities)
        return (await self._post(bot, method, html, media, markup=method.reply_markup))[0]

    async def _send_media_group(self, bot: Bot, method: SendMediaGroup) -> list[Json]:
        media, html = [], ""
        for item in method.media:
            kind = "image" if isinstance(item, InputMediaPhoto) else "file"
            name = "photo.png" if kind == "image" else "file"
            media.append(await self._upload(bot, method, kind, item.media, name))
            if not html and isinstance(item, InputMediaPhoto | InputMediaDocument) and item.caption:
                html = self._html(bot, item.caption, item.parse_mode, item.caption_entities)
        return await self._post(bot, method, html, media)

    async def _send_location(self, bot: Bot, method: SendLocation) -> Json:
        place = {"type": "location", "latitude": method.latitude, "longitude": method.longitude}
        return (await self._post(bot, method, "", [place], markup=method.reply_markup))[0]

    async def _send_chat_action(self, bot: Bot, method: SendChatAction) -> bool:
        return True  # a courtesy MAX shows differently; nothing depends on it

    # -- editing ----------------------------------------------------------------------------

    async def _edit(self, bot: Bot, method: Any, html: str | None) -> Json:
        if method.message_id is None:
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        found = await self.ids.mid(int(method.message_id))
        if found is None or found.external_id.startswith(STARTED):
            raise TelegramBadRequest(method, "Bad Request: message to edit not found")
        rows = keyboards.to_max_rows(method.reply_markup, links=self._link)
        # Everything the message is to carry: its files and the new keyboard (or none).
        body: Json = {
            "attachments": [*found.media, *([keyboards.attachment(rows)] if rows else [])]
        }
        if html is not None:
            body["text"] = html
            body["format"] = "html"
        mid = found.external_id.split("#")[0]
        await self.max.call("PUT", "/messages", params={"message_id": mid}, body=body)
        if html is not None:
            self._keep(self._texts, int(method.message_id), html)
        text = html if html is not None else self._texts.get(int(method.message_id), "")
        return self._shown(bot, int(method.message_id), found.chat_id, text)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Json:
        return await self._edit(
            bot, method, self._html(bot, method.text, method.parse_mode, method.entities)
        )

    async def _edit_caption(self, bot: Bot, method: EditMessageCaption) -> Json:
        html = self._html(bot, method.caption, method.parse_mode, method.caption_entities)
        return await self._edit(bot, method, html)

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> Json:
        return await self._edit(bot, method, None)

    async def _delete(self, bot: Bot, method: DeleteMessage) -> bool:
        found = await self.ids.mid(int(method.message_id))
        if found is None or found.external_id.startswith(STARTED):
            raise TelegramBadRequest(method, "Bad Request: message to delete not found")
        mid = found.external_id.split("#")[0]
        await self.max.call("DELETE", "/messages", params={"message_id": mid})
        return True

    # -- buttons, files, commands -----------------------------------------------------------

    async def _answer(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        callback_id = method.callback_query_id.removeprefix(CALLBACK_PREFIX)
        body: Json
        if method.text:
            body = {"notification": method.text}
        else:
            number = self._pressed.get(callback_id)
            html = self._texts.get(number) if number is not None else None
            if not html:
                log.debug("a press on a message no longer there: nothing to answer it with")
                return True
            body = {"message": {"text": html, "format": "html"}}  # the message, unchanged
        await self.max.call("POST", "/answers", params={"callback_id": callback_id}, body=body)
        return True

    async def _get_file(self, bot: Bot, method: GetFile) -> Json:
        found = parse_file_id(method.file_id)
        if found is None:
            raise TelegramBadRequest(method, "Bad Request: invalid file_id")
        return {
            "file_id": method.file_id,
            "file_unique_id": found.token[:64] or "max",
            "file_path": DOWNLOAD_PREFIX + found.url,
        }

    async def _set_commands(self, bot: Bot, method: SetMyCommands) -> bool:
        """MAX has one command list for everyone (PATCH /me/commands): the one for the
        default scope in the default language; per-chat and per-language lists are not
        MAX's, and the commands work when typed all the same."""
        if not _default_scope(method.scope) or method.language_code:
            return True
        commands = [{"name": c.command, "description": c.description} for c in method.commands]
        await self.max.call("PATCH", "/me/commands", body={"commands": commands[:32]})
        return True

    async def _delete_commands(self, bot: Bot, method: DeleteMyCommands) -> bool:
        if not _default_scope(method.scope) or method.language_code:
            return True
        await self.max.call("PATCH", "/me/commands", body={"commands": []})
        return True

    @staticmethod
    def _keep(store: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > _TEXTS_KEPT:
            store.popitem(last=False)


def _default_scope(scope: Any) -> bool:
    return scope is None or isinstance(scope, BotCommandScopeDefault)


_HANDLERS: dict[type[Any], Callable[[MaxSession, Bot, Any], Awaitable[Any]]] = {
    GetMe: MaxSession._get_me,
    GetUpdates: MaxSession._get_updates,
    DeleteWebhook: MaxSession._delete_webhook,
    SendMessage: MaxSession._send_message,
    SendPhoto: MaxSession._send_photo,
    SendDocument: MaxSession._send_document,
    SendMediaGroup: MaxSession._send_media_group,
    SendLocation: MaxSession._send_location,
    SendChatAction: MaxSession._send_chat_action,
    EditMessageText: MaxSession._edit_text,
    EditMessageCaption: MaxSession._edit_caption,
    EditMessageReplyMarkup: MaxSession._edit_markup,
    DeleteMessage: MaxSession._delete,
    AnswerCallbackQuery: MaxSession._answer,
    GetFile: MaxSession._get_file,
    SetMyCommands: MaxSession._set_commands,
    DeleteMyCommands: MaxSession._delete_commands,
}
