"""handlers/README.md shows real code: each Python example is in the file it names, as it
is there («...» leaves lines out), so the examples stay true when the code changes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "handlers" / "README.md"
# «from `handlers/x.py`» names the file of the examples that follow it, up to the next one.
SOURCE = re.compile(r"from `(handlers/[a-z_]+\.py)`", re.IGNORECASE)
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for block in BLOCK.finditer(text):
        named = SOURCE.findall(text[: block.start()])
        assert named, f"an example names no file: {block.group(1)[:60]!r}"
        found.append((named[-1], block.group(1)))
    return found


def test_every_example_is_in_the_file_it_names() -> None:
    found = examples()
    assert len(found) >= 4
    for path, example in found:
        source = (ROOT / path).read_text(encoding="utf-8")
        at = 0
        for part in re.split(r"^\.\.\.\n", example, flags=re.MULTILINE):
            place = source.find(part, at)
            assert place >= 0, f"not in {path} (or not in this order):\n{part}"
            at = place + len(part)


def test_the_russian_quick_start_names_the_staff_work() -> None:
    """The town hall's IT person reads the Russian quick start only: it names the commands
    staff work with and the settings a town decides on, the calendar's and moderation's
    (issue 18) among them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Быстрый старт")
    quick = text[start : text.index("\n## ", start + 1)]
    names = "/staff /registry /inbox /digest /report /export /daysoff /moderation"
    for name in [*names.split(), "REQUEST_DEADLINES", "MODERATION_HIDE_AFTER"]:
        assert name in quick, name
