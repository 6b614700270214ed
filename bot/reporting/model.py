"""A report as blocks of text, tables and figures: written once (bot.reporting.text), then
set as DOCX and as Markdown, so that both say the same."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int  # 0: the town's name; 1: a section's question


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    kind: str = "body"  # body | subtitle | prepared | note


@dataclass(frozen=True, slots=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True, slots=True)
class Table:
    caption: str  # «Table 1 — …», numbered
    header: list[str]
    rows: list[list[str]]
    numeric: list[bool]  # per column: figures, set right-aligned
    total: bool = False  # the last row is a total, set bold


@dataclass(frozen=True, slots=True)
class Figure:
    caption: str
    png: bytes
    width_cm: float = 16.0


Block = Heading | Paragraph | Bullets | Table | Figure


@dataclass
class Document:
    title: str  # a short name for the chat message and the file's properties
    blocks: list[Block] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # the chat message's lines

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
