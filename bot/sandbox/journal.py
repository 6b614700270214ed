"""What the sandbox server keeps next to the bot's database (`--db`), so that a restart goes
on with the same chats, as Telegram would: message numbers continue (the bot's database
holds the numbers of the messages it sent, and edits them by number), the messages and
their buttons are still there to read and press, and the files the bot sent can be sent
again by their ids.

A journal of JSON lines, one per change, appended as the change happens (a kill loses
nothing the bot was told about); on start it is replayed and rewritten as a snapshot.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: TextIO | None = None

    def records(self) -> Iterator[dict[str, Any]]:
        """The records written so far, oldest first, each `{kind: value}`; a torn last line
        (a kill mid-write) is skipped."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as stream:
            for line in stream:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and len(record) == 1:
                    yield record

    def rewrite(self, records: list[dict[str, Any]]) -> None:
        """Replace the journal with `records` (a snapshot), atomically, and keep appending."""
        self.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as stream:
            for record in records:
                stream.write(_line(record))
        os.replace(temporary, self.path)

    def append(self, record: dict[str, Any]) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write(_line(record))
        self._out.flush()  # to the OS at once: a killed sandbox still has it

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def encode(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))
