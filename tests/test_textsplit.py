"""Splitting long HTML: every part fits, is valid HTML, and nothing is lost or cut mid-word."""

from __future__ import annotations

import random
import re
from html import unescape

from bot.textsplit import split_html, visible_length
from tests.kit import check_html

PIECES = [
    "слово",
    "<b>жирный текст</b>",
    "a&amp;b",
    "длинноеслово" * 3,
    "\n",
    "\n\n",
    "😀эмодзи",
    "<pre>код\n\nкод</pre>",
    '<a href="https://example.org">ссылка</a>',
]


def plain(html: str) -> str:
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]*>", "", html)))


def words(html: str) -> set[str]:
    return set(unescape(re.sub(r"<[^>]*>", " ", html)).split())


def test_short_text_is_left_alone() -> None:
    assert split_html("<b>Привет</b>") == ["<b>Привет</b>"]


def test_random_documents_split_correctly() -> None:
    rng = random.Random(42)
    for trial in range(200):
        body = "".join(
            rng.choice(PIECES) + (" " if rng.random() < 0.7 else "")
            for _ in range(rng.randint(100, 2500))
        )
        html = f"<i>{body}</i>" if trial % 2 else body
        parts = split_html(html, 500)
        for part in parts:
            assert visible_length(part) <= 500
            assert check_html(part) is None, part[:200]
        assert plain("".join(parts)) == plain(html)
        # Cuts fall between words: every word of every part is a word of the original.
        assert set().union(*(words(p) for p in parts)) <= words(html)


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    paragraphs = [f"Абзац {n}: " + "текст " * 100 for n in range(10)]
    parts = split_html("\n\n".join(paragraphs), 1500)
    assert all(p.startswith("Абзац") for p in parts)
    assert sum(p.count("Абзац") for p in parts) == 10


def test_a_tag_open_across_a_cut_is_closed_and_reopened() -> None:
    html = "<b>" + "очень " * 2000 + "</b>"
    parts = split_html(html, 4096)
    assert len(parts) == 3
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)


def test_emoji_count_as_two_units() -> None:
    parts = split_html("😀 " * 3000, 4096)
    assert all(visible_length(p) <= 4096 for p in parts)
    assert len(parts) == 3  # 9,000 UTF-16 units
