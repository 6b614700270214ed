"""Texts on MAX: Telegram's HTML as MAX reads it, MAX's markup back to HTML, and the bot's
start links, which on MAX are https://max.ru/<bot>?start=<payload>."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from html import escape
from typing import Any

# Telegram's tags -> MAX's (dev.max.ru, "HTML support"); others are dropped, their text kept.
MAX_TAGS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "a": "a",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_HREF_RE = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_START_LINK_RE = re.compile(r"https?://t\.me/([A-Za-z0-9_]{3,64})(?![A-Za-z0-9_/])")


def start_link(bot_name: str, payload: str | None = None) -> str:
    """MAX's link that opens the bot (and sends `bot_started` with the payload)."""
    link = f"https://max.ru/{bot_name}"
    return f"{link}?start={payload}" if payload else link


def rewrite_start_links(text: str, ours: Iterable[str], bot_name: str) -> str:
    """Links to any of our bots on Telegram (`ours`: their usernames) made links to the bot on
    MAX: an invite, a poster or a digest's card link made once works on either messenger."""
    names = {name.lower() for name in ours if name}
    if not names or "t.me/" not in text:
        return text

    def swap(match: re.Match[str]) -> str:
        if match.group(1).lower() not in names:
            return match.group(0)
        return f"https://max.ru/{bot_name}"

    return _START_LINK_RE.sub(swap, text)


def to_max_html(html: str, ours: Iterable[str] = (), bot_name: str = "") -> str:
    """Telegram HTML as MAX's `format: html` reads it: the tags MAX knows, renamed where
    Telegram has synonyms; others (a spoiler, a custom emoji, a quote) dropped with their text
    kept; a link to a Telegram-only address (tg://) becomes its text; start links swapped."""
    out: list[str] = []
    stack: list[str | None] = []  # what each open tag became (None: dropped)
    position = 0
    for match in _TAG_RE.finditer(html):
        out.append(html[position : match.start()])
        position = match.end()
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            kept = stack.pop() if stack else None
            if kept is not None:
                out.append(f"</{kept}>")
            continue
        tag = MAX_TAGS.get(name)
        if tag == "a":
            found = _HREF_RE.search(attrs)
            href = (found.group(1) or found.group(2) or "") if found else ""
            if not href.startswith(("http://", "https://", "mailto:")):
                tag = None
            else:
                href = rewrite_start_links(href, ours, bot_name).replace('"', "&quot;")
                out.append(f'<a href="{href}">')
                stack.append("a")
                continue
        if tag is not None:
            out.append(f"<{tag}>")
        stack.append(tag)
    out.append(html[position:])
    return rewrite_start_links("".join(out), ours, bot_name)


# MAX's markup elements -> the tags that say the same (back to MAX as `format: html`).
_MARKUP_TAGS = {
    "strong": "b",
    "emphasized": "i",
    "monospaced": "code",
    "strikethrough": "s",
    "underline": "u",
    "highlighted": "mark",
    "heading": "h1",
    "link": "a",
}


def _utf16_index(text: str) -> list[int]:
    """For each UTF-16 offset 0..n, the string index it falls on."""
    index = []
    for position, char in enumerate(text):
        index.append(position)
        if ord(char) > 0xFFFF:
            index.append(position)
    index.append(len(text))
    return index


def markup_to_html(text: str, markup: list[dict[str, Any]] | None) -> str:
    """A MAX message's text and markup elements (offsets in UTF-16 units) as HTML: what the
    message says, to give back to MAX unchanged. Overlapping elements are cut at each
    boundary, so the HTML is always well nested."""
    elements = []
    index = _utf16_index(text)
    for item in markup or ():
        tag = _MARKUP_TAGS.get(str(item.get("type")))
        try:
            start, length = int(item["from"]), int(item["length"])
        except (KeyError, TypeError, ValueError):
            continue
        if tag is None or length <= 0 or start < 0 or start >= len(index) - 1:
            continue
        end = min(start + length, len(index) - 1)
        opening = f'<a href="{escape(str(item.get("url", "")))}">' if tag == "a" else f"<{tag}>"
        if tag == "a" and not str(item.get("url", "")).startswith(("http://", "https://")):
            continue
        elements.append((index[start], index[end], opening, f"</{tag}>"))
    if not elements:
        return escape(text, quote=False)
    cuts = sorted({0, len(text), *(e[0] for e in elements), *(e[1] for e in elements)})
    out = []
    for left, right in itertools.pairwise(cuts):
        if left == right:
            continue
        active = sorted(
            (e for e in elements if e[0] <= left and right <= e[1]), key=lambda e: (e[0], -e[1])
        )
        piece = escape(text[left:right], quote=False)
        out.append("".join(e[2] for e in active) + piece + "".join(e[3] for e in reversed(active)))
    return "".join(out)
