"""Lengths as Telegram counts them, and an HTML message over a limit split into parts that
each fit (or shortened, where a message cannot be split: an edit, a caption).

Cuts go at paragraph breaks if possible, then at line breaks, then between words; never
inside a word (unless one "word" is longer than a whole message), never inside a tag or an
entity. Tags open at a cut are closed at the end of the part and opened again at the start
of the next, so every part is valid HTML on its own.
"""

from __future__ import annotations

import re
from html import escape, unescape

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
ELLIPSIS = "…"


def length(text: str) -> int:
    """A plain text's length as Telegram counts it: UTF-16 code units (an emoji is two).
    Every limit on what people type is counted so, so that a text within its limit fits
    the messages it is shown in whatever characters it has."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """A plain text cut to `limit` (as Telegram counts) with «…» when longer."""
    if length(text) <= limit:
        return text
    used, kept = 0, 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit - 1:
            break
        kept += 1
    return text[:kept].rstrip() + ELLIPSIS


def shorten_html(html: str, limit: int = TEXT_LIMIT) -> str:
    """The beginning of `html` that fits in `limit` visible characters, ended with «…»;
    cut between words and valid HTML on its own (for what cannot be sent in parts)."""
    if visible_length(html) <= limit:
        return html
    return _split_tokens(html, limit - 1)[0] + ELLIPSIS


def split_to_fit(html: str, limit: int = TEXT_LIMIT, *, markup_counts: bool = False) -> list[str]:
    """`split_html`, for a messenger that counts the tags in its limit too (MAX: the text
    field's length): a part whose HTML is longer is cut again, into smaller parts."""
    parts = split_html(html, limit)
    if not markup_counts:
        return parts
    fitted: list[str] = []
    for part in parts:
        fitted += _raw_fit(part, limit)
    return fitted


def _raw_fit(html: str, limit: int) -> list[str]:
    if length(html) <= limit:
        return [html]
    visible = visible_length(html)
    smaller = visible - (length(html) - limit) - 1
    if smaller < 64 or smaller >= visible:  # markup heavier than the text: leave it be
        return [html]
    return [piece for part in split_html(html, smaller) for piece in _raw_fit(part, limit)]


def shorten_to_fit(html: str, limit: int = TEXT_LIMIT, *, markup_counts: bool = False) -> str:
    """`shorten_html`; where tags count too, shortened until the HTML itself fits."""
    shortened = shorten_html(html, limit)
    while markup_counts and length(shortened) > limit:
        room = visible_length(shortened) - (length(shortened) - limit) - 1
        if room < 64:
            break
        shortened = shorten_html(html, room)
    return shortened


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A plain text (no markup) in parts of at most `limit`, cut as HTML is cut."""
    if length(text) <= limit:
        return [text]
    return [unescape(part) for part in split_html(escape(text, quote=False), limit)]


_TOKEN_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|[^<]+|<")
_ENTITY_RE = re.compile(r"&[#a-zA-Z0-9]+;")


def visible_length(html: str) -> int:
    """Length as Telegram counts it: text without tags, entities as one character, UTF-16."""
    plain = unescape(re.sub(r"<[^<>]*>", "", html))
    return len(plain.encode("utf-16-le")) // 2


def _units(text: str) -> int:
    """Visible length of a run of escaped text (an entity is one character)."""
    return len(unescape(text).encode("utf-16-le")) // 2


class _Part:
    def __init__(self, reopen: list[tuple[str, str]]) -> None:
        self.chunks = [f"<{name}{attrs}>" for name, attrs in reopen]
        self.length = 0
        self.has_text = False


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` visible characters; whole paragraphs where they fit."""
    if visible_length(html) <= limit:
        return [html]
    parts: list[str] = []
    current, current_length = "", 0
    for paragraph in _paragraphs(html):
        length = visible_length(paragraph)
        if current and current_length + 2 + length <= limit:
            current, current_length = f"{current}\n\n{paragraph}", current_length + 2 + length
            continue
        if current:
            parts.append(current)
        if length <= limit:
            current, current_length = paragraph, length
        else:  # one paragraph longer than a message: cut at lines, then between words
            *whole, current = _split_tokens(paragraph, limit)
            parts.extend(whole)
            current_length = visible_length(current)
    if current.strip():
        parts.append(current)
    return parts


def _paragraphs(html: str) -> list[str]:
    """Split at blank lines that are outside every tag (a <pre> block stays whole)."""
    paragraphs: list[str] = []
    current: list[str] = []
    depth = 0
    for match in _TOKEN_RE.finditer(html):
        token = match.group(0)
        if match.group(2):
            depth += -1 if match.group(1) else 1
            current.append(token)
        elif depth == 0 and "\n\n" in token:
            pieces = token.split("\n\n")
            current.append(pieces[0])
            for piece in pieces[1:]:
                paragraphs.append("".join(current).strip())
                current = [piece]
        else:
            current.append(token)
    paragraphs.append("".join(current).strip())
    return [p for p in paragraphs if p]


def _split_tokens(html: str, limit: int) -> list[str]:
    budget = limit  # closing tags add no visible characters
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # open tags: (name, attributes)
    current = _Part([])

    def close_part() -> None:
        nonlocal current
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        body = "".join(current.chunks).rstrip() + closing
        if current.has_text:
            parts.append(body)
        current = _Part(list(stack))

    def add_text(text: str) -> None:
        """Add a run of escaped text (no tags), cutting it where it must be cut."""
        while text:
            room = budget - current.length
            if _units(text) <= room:
                current.chunks.append(text)
                current.length += _units(text)
                current.has_text = current.has_text or bool(text.strip())
                return
            cut = _cut_point(text, room)
            if cut == 0:
                if current.has_text:
                    close_part()
                    text = text.lstrip()
                    continue
                cut = _fitting_prefix(text, room)  # one word longer than a whole message
            head, text = text[:cut], text[cut:].lstrip()
            current.chunks.append(head)
            current.length += _units(head)
            current.has_text = True
            close_part()

    for match in _TOKEN_RE.finditer(html):
        token = match.group(0)
        if match.group(2):  # a tag
            name = match.group(2).lower()
            if match.group(1):
                if stack and stack[-1][0] == name:
                    stack.pop()
            else:
                stack.append((name, match.group(3)))
            current.chunks.append(token)
        else:
            add_text(token)
    close_part()
    return parts


def _fitting_prefix(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` visible UTF-16 units; never ends inside
    an entity such as &amp;."""
    used = 0
    index = 0
    while index < len(text):
        entity = _ENTITY_RE.match(text, index) if text[index] == "&" else None
        step = entity.end() - index if entity else 1
        used += 1 if entity else (2 if ord(text[index]) > 0xFFFF else 1)
        if used > room:
            return index
        index += step
    return len(text)


def _cut_point(text: str, room: int) -> int:
    """Where to cut `text` so that the head fits in `room`: after the last paragraph break,
    else the last line break, else the last space; 0 if there is no such place."""
    fitting = _fitting_prefix(text, room)
    if fitting == 0:
        return 0
    head = text[:fitting]
    for separator in ("\n\n", "\n", " "):
        position = head.rfind(separator)
        if position > 0:
            return position + len(separator)
    return 0
