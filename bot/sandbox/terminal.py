"""A terminal chat with the bot through the sandbox server: type as a resident, press
numbered buttons, switch between people and to the staff chat. Plain stdin/stdout."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.sandbox.server import Outgoing, SandboxServer

HELP = """\
Type a message as the current person; /start, /help, /initiative ... go to the bot.
  N or /press N      press inline button N of the latest message with buttons
  /press #ID N       press button N of an older message #ID (/show lists them)
  kN                 press reply-keyboard button N (the menu under the input field)
  /as NAME           talk as someone else: {names}
  /chat staff        the staff group chat (as the current person); /chat me: back
  /loc [LAT LON]     share a location (default: the town centre)
  /contact [PHONE]   share your phone number
  /photo [CAPTION]   send a photo;  /doc PATH: send a file
  /reply ID TEXT     reply to message #ID
  /show              the chat so far;  /?  this help;  /quit  leave"""


# Is the bot still busy with what this chat asked (an update in flight, a reply due)?
Busy = Callable[[int], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Persona:
    key: str  # what /as takes
    user_id: int  # their id on their messenger
    name: str
    role: str
    messenger: str = "telegram"  # which sandbox server they write through


class Terminal:
    def __init__(
        self,
        server: SandboxServer,
        personas: list[Persona],
        out: TextIO,
        *,
        staff_chat: int | None = None,
        centre: tuple[float, float] = (54.64, 83.30),
        settle: float = 5.0,
        busy: Busy | None = None,
        servers: dict[str, Any] | None = None,  # messenger -> server, when there are several
        staff_messenger: str = "telegram",
    ) -> None:
        self._servers: dict[str, Any] = servers or {personas[0].messenger: server}
        self.staff_messenger = staff_messenger if servers else personas[0].messenger
        self.personas = {p.key: p for p in personas}
        self.out = out
        self.staff_chat = staff_chat
        self.centre = centre
        self.settle_within = settle
        self.busy = busy
        self.me = personas[0]
        self.chat_id = self.me.user_id
        self._shown: dict[str, int] = dict.fromkeys(self._servers, 0)  # outgoing looked at
        self._unseen: dict[tuple[str, int], int] = {}
        self._keyboards_shown: dict[int, dict[str, Any]] = {}
        self._presses: list[str] = []  # callback queries whose answer (a pop-up) is awaited
        for persona in personas:
            self._servers[persona.messenger].user(persona.user_id, persona.name.split(" (")[0])

    @property
    def server(self) -> Any:
        """The sandbox server of the person now typing (Telegram's or MAX's)."""
        return self._servers[self.me.messenger]

    def _latest(self, chat_id: int, message: dict[str, Any]) -> bool:
        latest = self.server.last_with_buttons(chat_id) or {}
        return bool(latest.get("message_id") == message.get("message_id"))

    # -- output -------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _name_of_chat(self, chat_id: int, messenger: str | None = None) -> str:
        messenger = messenger or self.me.messenger
        if chat_id == self.staff_chat and messenger == self.staff_messenger:
            return "the staff chat"
        persona = next(
            (p for p in self.personas.values() if (p.messenger, p.user_id) == (messenger, chat_id)),
            None,
        )
        return f"{persona.name} (/as {persona.key})" if persona else str(chat_id)

    def _render(self, item: Outgoing) -> None:
        message = self.server.message_view(item.chat_id, item.message_id) or {}
        head = "edited" if item.method.startswith("edit") else "bot"
        if item.method == "deleteMessage":
            self.say(f"  (the bot deleted #{item.message_id})")
            return
        if item.method == "editMessageReplyMarkup":
            if item.buttons:
                self.say(f"  (#{item.message_id}: new buttons)")
                self._buttons(item.buttons)
            else:
                self.say(f"  (#{item.message_id}: buttons removed)")
            return
        kind = ""
        if message.get("photo"):
            kind = "[photo] "
        elif message.get("document"):
            kind = f"[file {message['document'].get('file_name', '')}] "
        self.say(f"── {head} #{item.message_id} ──")
        if kind or item.text:
            self.say(kind + item.text)
        if item.buttons:
            latest = self._latest(item.chat_id, message)
            self._buttons(item.buttons, None if latest else item.message_id)
        keyboard = self.server.keyboards.get(item.chat_id)
        if keyboard and keyboard != self._keyboards_shown.get(item.chat_id):
            self._keyboards_shown[item.chat_id] = keyboard
            self._keyboard(keyboard)

    def _buttons(self, rows: list[list[dict[str, Any]]], older: int | None = None) -> None:
        """The inline buttons, numbered; those of an `older` message (not the latest with
        buttons) are pressed with /press #ID N."""
        n = 0
        for row in rows:
            cells = []
            for button in row:
                n += 1
                cells.append(f"[{n}] {button.get('text', '')}")
            self.say("   " + "   ".join(cells))
        if older is not None:
            self.say(f"   (press these with /press #{older} N)")

    def _answers(self) -> None:
        """What the bot answered to presses: a pop-up that goes by, or an alert to close."""
        waiting = []
        for query_id in self._presses:
            answer = self.server.callback_answers.get(query_id)
            if answer is None:
                waiting.append(query_id)
            elif answer.get("text"):
                kind = "alert" if answer.get("show_alert") else "pop-up"
                self.say(f"  ({kind}) {answer['text']}")
        self._presses = waiting[-20:]  # a press the bot never answers is not waited for forever

    def _keyboard(self, keyboard: dict[str, Any]) -> None:
        labels = [str(b.get("text", "")) for row in keyboard.get("keyboard", []) for b in row]
        self.say("   menu: " + "  ".join(f"k{i} {label}" for i, label in enumerate(labels, 1)))

    def flush(self) -> None:
        """Print what the bot said in this chat since last time; count the rest."""
        self._answers()
        elsewhere: set[tuple[str, int]] = set()
        for messenger, server in self._servers.items():
            new = server.outgoing[self._shown[messenger] :]
            self._shown[messenger] = len(server.outgoing)
            for item in new:
                where = (messenger, item.chat_id)
                if where == (self.me.messenger, self.chat_id):
                    self._render(item)
                elif not item.method.startswith(("edit", "delete")):
                    self._unseen[where] = self._unseen.get(where, 0) + 1
                    elsewhere.add(where)
        for where in sorted(elsewhere):
            count = self._unseen[where]
            self.say(f"  · {count} new for {self._name_of_chat(where[1], where[0])}")

    def show_chat(self) -> None:
        for message in self.server.chat_messages(self.chat_id):
            who = "bot" if message.get("from", {}).get("id") == self.server.bot_id else "you"
            text = message.get("text") or message.get("caption") or ""
            kind = "[photo] " if message.get("photo") else ""
            kind += "[file] " if message.get("document") else ""
            self.say(f"#{message['message_id']} {who}: {kind}{text}")
            rows = message.get("reply_markup", {}).get("inline_keyboard")
            if rows and who == "bot":
                latest = self._latest(self.chat_id, message)
                self._buttons(rows, None if latest else message["message_id"])

    def _prompt(self) -> None:
        print(self.prompt(), end="", file=self.out, flush=True)

    def prompt(self) -> str:
        where = "staff chat" if self.chat_id == self.staff_chat else "private"
        return f"{self.me.name} @ {where}> "

    # -- input --------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one line; False means quit."""
        line = line.strip()
        if not line:
            return True
        try:
            acted = self._command(line)
        except (KeyError, ValueError, OSError) as error:
            self.say(f"  ! {error}")
            return True
        if acted is None:
            return False
        if acted:
            await self.settle()
        self.flush()
        return True

    async def settle(self) -> None:
        """Wait, up to `settle_within` seconds, until the bot is done with what was typed:
        every update taken and handled, nothing due in the outbox for this chat, and the
        server quiet. A slow reply (a report's chart) then shows right after its command."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_within
        while (left := deadline - loop.time()) > 0:
            try:
                await self.server.settle(within=left)
            except TimeoutError:
                return
            done = self.busy is None or not await self.busy(self.chat_id)
            quiet = all(s.idle and s.in_flight == 0 for s in self._servers.values())
            if done and quiet:
                return
            await asyncio.sleep(0.05)

    def _group(self) -> int | None:
        return None if self.chat_id == self.me.user_id else self.chat_id

    def _command(self, line: str) -> bool | None:
        """Returns None to quit, True when something was sent to the bot, False otherwise."""
        server, me = self.server, self.me
        word, _, rest = line.partition(" ")
        if line.isdigit():
            return self._press(int(line))
        if word == "/press":
            return self._press_typed(rest.split())
        if len(word) > 1 and word[0] == "k" and word[1:].isdigit() and not rest:
            return self._key(int(word[1:]))
        if word == "/quit":
            return None
        if word in ("/?", "/keys"):
            self.say(HELP.format(names=", ".join(self.personas)))
            return False
        if word == "/as":
            return self._switch(rest.strip())
        if word == "/chat":
            return self._chat(rest.strip())
        if word == "/show":
            self.show_chat()
            return False
        if word == "/loc":
            parts = rest.split()
            lat, lon = (float(parts[0]), float(parts[1])) if len(parts) == 2 else self.centre
            server.send_location(me.user_id, lat, lon, chat_id=self._group())
            return True
        if word == "/contact":
            server.send_contact(me.user_id, rest.strip() or "+79001234567", chat_id=self._group())
            return True
        if word == "/photo":
            server.send_photo(me.user_id, caption=rest.strip() or None, chat_id=self._group())
            return True
        if word == "/doc":
            path = Path(shlex.split(rest)[0]).expanduser()
            server.send_document(me.user_id, path.name, path.read_bytes(), chat_id=self._group())
            return True
        if word == "/reply":
            target, _, text = rest.strip().partition(" ")
            server.send_text(
                me.user_id, text, chat_id=self._group(), reply_to=int(target.lstrip("#"))
            )
            return True
        server.send_text(me.user_id, line, chat_id=self._group())
        return True

    def _press_typed(self, parts: list[str]) -> bool:
        """/press N (the latest message with buttons) or /press #ID N (message #ID)."""
        if len(parts) == 1 and parts[0].isdigit():
            return self._press(int(parts[0]))
        if len(parts) == 2 and parts[0].lstrip("#").isdigit() and parts[1].isdigit():
            return self._press(int(parts[1]), int(parts[0].lstrip("#")))
        raise ValueError("press a button with /press N or /press #ID N")

    def _press(self, number: int, message_id: int | None = None) -> bool:
        if message_id is None:
            message = self.server.last_with_buttons(self.chat_id)
            where = "here"
        else:
            message = self.server.message_view(self.chat_id, message_id)
            where = f"on #{message_id}"
        buttons = [
            b
            for row in (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]
        if message is None or not 1 <= number <= len(buttons):
            raise ValueError(f"no button {number} {where}; /show lists the chat")
        button = buttons[number - 1]
        if "url" in button:
            self.say(f"  (a link: {button.get('url', '')})")
            return False
        if "callback_data" in button:
            query_id = self.server.press(
                self.me.user_id,
                message["message_id"],
                data=str(button["callback_data"]),
                chat_id=self._group(),
            )
        else:  # MAX's menu, contact and location buttons: they write for the person
            query_id = self.server.press(
                self.me.user_id,
                message["message_id"],
                str(button.get("text", "")),
                chat_id=self._group(),
            )
        if query_id:
            self._presses.append(query_id)
        return True

    def _key(self, number: int) -> bool:
        keyboard = self.server.keyboards.get(self.chat_id) or {}
        buttons = [b for row in keyboard.get("keyboard", []) for b in row]
        if not 1 <= number <= len(buttons):
            raise ValueError(f"no menu button k{number}")
        button = buttons[number - 1]
        if button.get("request_location"):
            return self._command("/loc") is True
        if button.get("request_contact"):
            return self._command("/contact") is True
        self.server.send_text(self.me.user_id, str(button.get("text", "")), chat_id=self._group())
        return True

    def _switch(self, key: str) -> bool:
        if key not in self.personas:
            for persona in self.personas.values():
                self.say(f"  /as {persona.key:<8} {persona.name} — {persona.role}")
            return False
        self.me = self.personas[key]
        self.chat_id = self.me.user_id
        self.say(f"  now you are {self.me.name}, in a private chat with the bot")
        self._shown_for_switch()
        return False

    def _chat(self, where: str) -> bool:
        if where == "staff":
            if self.staff_chat is None:
                raise ValueError("no staff chat in this sandbox")
            if self.me.messenger != self.staff_messenger:
                raise ValueError(f"the staff chat is on {self.staff_messenger}: /as staff first")
            self.chat_id = self.staff_chat
        else:
            self.chat_id = self.me.user_id
        self.say(f"  now in {self._name_of_chat(self.chat_id)}")
        self._shown_for_switch()
        return False

    def _shown_for_switch(self) -> None:
        if self._unseen.pop((self.me.messenger, self.chat_id), 0):
            self.show_chat()
        keyboard = self.server.keyboards.get(self.chat_id)
        if keyboard:
            self._keyboards_shown[self.chat_id] = keyboard
            self._keyboard(keyboard)

    # -- the loop -----------------------------------------------------------------------------

    async def run(self, lines: AsyncIterator[str]) -> None:
        watcher = asyncio.create_task(self._watch())
        try:
            self._prompt()
            async for line in lines:
                if not await self.handle(line):
                    break
                self._prompt()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        """Messages the bot sends on its own (notifications) appear while you think."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self.server.wait_for(self._news, within=3600, what="news")
            await asyncio.sleep(0.3)  # let a burst arrive; an action in progress flushes itself
            if all(s.in_flight == 0 and s.idle for s in self._servers.values()):
                self.flush()

    def _news(self) -> bool:
        return any(len(s.outgoing) > self._shown[m] for m, s in self._servers.items())


async def stdin_lines(stream: TextIO) -> AsyncIterator[str]:
    """Lines from a blocking stream, read off the event loop."""
    while True:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            return
        yield line
