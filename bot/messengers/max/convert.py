"""MAX's updates and messages as Telegram's (the JSON aiogram reads), with internal ids.

The one place that knows the shape of what MAX sends (the OpenAPI schema in
max-messenger-bot/max-bot-api-schemas): a message is {sender, recipient {chat_id,
chat_type, user_id}, timestamp (ms), link?, body {mid, seq, text, attachments, markup}}.

- A dialog's `chat_id` is not the person's id: the private chat is the person (internal
  id), and the dialog's id is kept to write to them.
- A message with several photos or files is several Telegram messages of one album
  (`media_group_id`), its text the first one's caption.
- `bot_started` (the Start button, or a start link with its payload) is `/start <payload>`.
- A callback (a pressed button) keeps MAX's callback id, prefixed, so that its answer goes
  back to MAX.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.messengers.max.ids import CALLBACK_PREFIX, MaxFile, MaxIds, file_id

log = logging.getLogger(__name__)
Json = dict[str, Any]
_TEL_RE = re.compile(r"^TEL[^:]*:(.+)$", re.MULTILINE | re.IGNORECASE)


def phone_of(vcf: str | None) -> str:
    """The phone number of a contact card (vCard), or ''."""
    found = _TEL_RE.search(vcf or "")
    return found.group(1).strip() if found else ""


def language_of(locale: str | None) -> str | None:
    """`ru-RU` -> `ru` (MAX sends IETF tags; Telegram a language code)."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-")[0].lower() or None


class MaxConverter:
    def __init__(self, ids: MaxIds, bot_id: int) -> None:
        self.ids = ids
        self.bot_id = bot_id  # the bot as the handlers know it (Bot.id)
        self.self_id: int | None = None  # the bot's own user id on MAX (GET /me)

    # -- people and chats ----------------------------------------------------------------

    def _is_us(self, user: Json | None) -> bool:
        return bool(user) and user.get("user_id") == self.self_id  # type: ignore[union-attr]

    async def user(self, raw: Json | None, locale: str | None = None) -> Json | None:
        if not raw or raw.get("user_id") is None:
            return None
        if self._is_us(raw):
            return {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": raw.get("first_name") or raw.get("name") or "bot",
                "username": raw.get("username"),
            }
        user: Json = {
            "id": await self.ids.person(int(raw["user_id"])),
            "is_bot": bool(raw.get("is_bot")),
            "first_name": raw.get("first_name") or raw.get("name") or "—",
        }
        for key in ("last_name", "username"):
            if raw.get(key):
                user[key] = raw[key]
        if language_of(locale):
            user["language_code"] = language_of(locale)
        return user

    async def chat(self, message: Json) -> Json | None:
        """The Telegram chat of a MAX message: the person for a dialog, a group for a chat;
        None for a channel (the bot serves people and the staff chat only)."""
        recipient = message.get("recipient") or {}
        kind = recipient.get("chat_type")
        sender = message.get("sender") or {}
        if kind == "dialog" or (kind is None and recipient.get("chat_id") is None):
            person = recipient.get("user_id") if self._is_us(sender) else sender.get("user_id")
            if person is None:
                return None
            dialog = recipient.get("chat_id")
            internal = await self.ids.person(int(person), None if dialog is None else int(dialog))
            return {
                "id": internal,
                "type": "private",
                "first_name": sender.get("first_name") or "—",
            }
        if kind == "chat":
            return {
                "id": await self.ids.group(int(recipient["chat_id"])),
                "type": "group",
                "title": recipient.get("title") or "MAX",
            }
        return None

    # -- messages --------------------------------------------------------------------------

    def _contents(self, attachments: list[Json]) -> tuple[list[Json], Json]:
        """(one Telegram content per file, the rest: a contact, a location, buttons)."""
        files: list[Json] = []
        rest: Json = {}
        for item in attachments:
            kind = item.get("type")
            payload = item.get("payload") or {}
            if kind == "image" and payload.get("url"):
                ref = file_id(MaxFile("image", str(payload.get("token", "")), payload["url"]))
                unique = str(payload.get("photo_id") or payload.get("token", ""))[:64]
                files.append(
                    {
                        "photo": [
                            {
                                "file_id": ref,
                                "file_unique_id": unique or ref[:64],
                                "width": 1280,
                                "height": 960,
                            }
                        ]
                    }
                )
            elif kind in ("file", "video", "audio") and payload.get("url"):
                name = item.get("filename") or {"video": "video.mp4", "audio": "audio.mp3"}.get(
                    str(kind), "file"
                )
                token = str(payload.get("token", ""))
                ref = file_id(MaxFile(str(kind), token, payload["url"], name))
                document: Json = {"file_id": ref, "file_unique_id": ref[-64:], "file_name": name}
                if isinstance(item.get("size"), int):
                    document["file_size"] = item["size"]
                files.append({"document": document})
            elif kind == "location" and "latitude" in item:
                rest["location"] = {
                    "latitude": float(item["latitude"]),
                    "longitude": float(item["longitude"]),
                }
            elif kind == "contact":
                rest["contact"] = payload
            elif kind == "inline_keyboard":
                rest["keyboard"] = payload.get("buttons") or []
        return files, rest

    async def _contact(self, payload: Json, sender: Json | None) -> Json:
        info = payload.get("max_info") or {}
        contact: Json = {
            "phone_number": phone_of(payload.get("vcf_info")),
            "first_name": info.get("first_name") or (sender or {}).get("first_name") or "—",
        }
        if info.get("last_name"):
            contact["last_name"] = info["last_name"]
        if info.get("user_id") is not None:
            user = await self.user(info)
            if user is not None:
                contact["user_id"] = user["id"]
        if payload.get("vcf_info"):
            contact["vcard"] = payload["vcf_info"]
        return contact

    @staticmethod
    def _inline_markup(rows: list[list[Json]]) -> Json | None:
        """The buttons of a bot's message as Telegram's inline keyboard (what a handler may
        read back from a pressed message)."""
        out = []
        for row in rows:
            kept = []
            for button in row:
                if button.get("type") == "callback":
                    kept.append(
                        {"text": button.get("text", ""), "callback_data": button.get("payload", "")}
                    )
                elif button.get("type") == "link":
                    kept.append({"text": button.get("text", ""), "url": button.get("url", "")})
            if kept:
                out.append(kept)
        return {"inline_keyboard": out} if out else None

    async def messages(self, raw: Json, locale: str | None = None) -> list[Json]:
        """A MAX message as Telegram messages (several for several files); [] when it is
        not for the bot (a channel's post)."""
        chat = await self.chat(raw)
        if chat is None:
            return []
        body = raw.get("body") or {}
        mid = str(body.get("mid") or "")
        date = int(raw.get("timestamp") or 0) // 1000
        sender = await self.user(raw.get("sender"), locale)
        base: Json = {"date": date, "chat": chat}
        if sender is not None:
            base["from"] = sender
        files, rest = self._contents(list(body.get("attachments") or []))
        text = body.get("text") or ""
        link = raw.get("link") or {}
        if link.get("type") == "forward":
            inner = link.get("message") or {}
            text = text or inner.get("text") or ""
            origin_user = await self.user(link.get("sender"))
            base["forward_origin"] = (
                {"type": "user", "date": date, "sender_user": origin_user}
                if origin_user is not None
                else {"type": "hidden_user", "date": date, "sender_user_name": "—"}
            )
            if not files:
                files, more = self._contents(list(inner.get("attachments") or []))
                rest = {**more, **rest}
        elif link.get("type") == "reply" and (link.get("message") or {}).get("mid"):
            inner = link["message"]
            replied: Json = {
                "message_id": await self.ids.message(str(inner["mid"]), chat["id"]),
                "date": date,
                "chat": chat,
            }
            author = await self.user(link.get("sender"))
            if author is not None:
                replied["from"] = author
            if inner.get("text"):
                replied["text"] = inner["text"]
            base["reply_to_message"] = replied
        if rest.get("location"):
            base["location"] = rest["location"]
        if rest.get("contact") is not None:
            base["contact"] = await self._contact(rest["contact"], raw.get("sender"))
        markup = self._inline_markup(rest.get("keyboard", []))
        if not files:
            message = {**base, "message_id": await self.ids.message(mid, chat["id"])}
            if text:
                message["text"] = text
            if markup:
                message["reply_markup"] = markup
            return [message]
        out = []
        for index, content in enumerate(files):
            key = mid if index == 0 else f"{mid}#{index}"
            message = {**base, **content, "message_id": await self.ids.message(key, chat["id"])}
            if index == 0 and text:
                message["caption"] = text
            if len(files) > 1:
                message["media_group_id"] = mid
            if index == len(files) - 1 and markup:
                message["reply_markup"] = markup
            out.append(message)
        return out

    # -- updates ---------------------------------------------------------------------------

    async def update(self, raw: Json) -> list[Json]:
        """Telegram updates (without `update_id`) for one MAX update; [] for the kinds the
        bot does not act on (edits, joins, a user who stopped the bot: the next message to
        them says so)."""
        kind = raw.get("update_type")
        locale = raw.get("user_locale")
        if kind == "message_created" and raw.get("message"):
            return [{"message": m} for m in await self.messages(raw["message"], locale)]
        if kind == "message_callback" and raw.get("callback"):
            return await self._callback(raw, locale)
        if kind == "bot_started" and raw.get("user"):
            return await self._started(raw, locale)
        if kind == "bot_added" and raw.get("chat_id") is not None:
            # How a town hall learns its staff group's id for MAX_STAFF_CHAT_ID.
            log.info("MAX: the bot was added to the group chat %s", raw["chat_id"])
        return []

    async def _callback(self, raw: Json, locale: str | None) -> list[Json]:
        callback = raw["callback"]
        user = await self.user(callback.get("user"), locale)
        if user is None or not callback.get("callback_id"):
            return []
        query: Json = {
            "id": CALLBACK_PREFIX + str(callback["callback_id"]),
            "from": user,
            "chat_instance": str(user["id"]),
            "data": str(callback.get("payload") or ""),
        }
        if raw.get("message"):
            shown = await self.messages(raw["message"], locale)
            if shown:
                query["message"] = shown[-1]  # the one with the buttons
                query["chat_instance"] = str(shown[-1]["chat"]["id"])
        return [{"callback_query": query}]

    async def _started(self, raw: Json, locale: str | None) -> list[Json]:
        user_raw = raw["user"]
        dialog = raw.get("chat_id")
        internal = await self.ids.person(
            int(user_raw["user_id"]), None if dialog is None else int(dialog)
        )
        user = await self.user(user_raw, locale)
        payload = str(raw.get("payload") or "").strip()
        text = f"/start {payload}" if payload else "/start"
        name = user_raw.get("first_name") or "—"
        # No message of MAX's stands behind it: a number of its own, never replied to.
        key = f"{STARTED}{dialog}:{raw.get('timestamp')}"
        message: Json = {
            "message_id": await self.ids.message(key, internal),
            "date": int(raw.get("timestamp") or 0) // 1000,
            "chat": {"id": internal, "type": "private", "first_name": name},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/start")}],
        }
        if user is not None:
            message["from"] = user
        return [{"message": message}]


STARTED = "started:"  # the key of a `bot_started` event's message number (not a MAX mid)
