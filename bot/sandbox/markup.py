"""Telegram's HTML parse mode as the sandbox server reads it: what it rejects, and the plain
text with entities it stores (so `Message.html_text` round-trips as it does with Telegram)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class ParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's description."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check(text: str) -> None:
    stack: list[str] = []
    for match in _TAG_RE.finditer(text):
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in ENTITY_OF_TAG:
            raise ParseError(f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"')
        if closing:
            if not stack or stack[-1] != tag:
                raise ParseError(f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')
            stack.pop()
        else:
            stack.append(tag)
    if stack:
        raise ParseError(f'Bad Request: can\'t parse entities: no end tag for "{stack[-1]}"')
    bare = _TAG_RE.sub("", text)
    if "<" in bare or ">" in bare:
        raise ParseError("Bad Request: can't parse entities: Unexpected < or > outside a tag")
    if any(not _ENTITY_RE.match(bare, m.start()) for m in re.finditer("&", bare)):
        raise ParseError("Bad Request: can't parse entities: Unescaped &")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and its entities (offsets in UTF-16 code units), or ParseError."""
    _check(text)
    plain: list[str] = []
    length = 0  # UTF-16 units written so far
    open_: list[tuple[str, int, str]] = []  # tag, offset, attributes
    entities: list[dict[str, Any]] = []
    position = 0
    for match in _TAG_RE.finditer(text):
        chunk = unescape(text[position : match.start()])
        plain.append(chunk)
        length += utf16_len(chunk)
        position = match.end()
        closing, tag, attrs = match.group(1), match.group(2).lower(), match.group(3) or ""
        if not closing:
            open_.append((tag, length, attrs))
            continue
        _, start, attrs = open_.pop()
        if length == start:
            continue  # Telegram drops empty entities
        entity: dict[str, Any] = {
            "type": ENTITY_OF_TAG[tag],
            "offset": start,
            "length": length - start,
        }
        if tag == "a":
            href = _HREF_RE.search(attrs)
            url = next((g for g in href.groups() if g is not None), "") if href else ""
            entity["url"] = unescape(url)
        entities.append(entity)
    plain.append(unescape(text[position:]))
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities
