"""Numbers as people and buttons carry them, bounded where they are read.

SQLite keeps a 64-bit signed INTEGER: a larger Python int does not fit a query parameter
(OverflowError), so every id and count read from outside is checked against these bounds
before it reaches storage, and what is out of range is simply not a valid id or number.
"""

from __future__ import annotations

INT_MIN = -(2**63)  # SQLite's INTEGER
INT_MAX = 2**63 - 1
PAGE_MAX = 100_000  # a list's page number (times its page size still fits an INTEGER)


def whole_number(text: str, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """A whole number written in ASCII digits (surrounding spaces allowed) within
    [low, high]; None for anything else («²», «١٢», «1e9», «-1» when low is 0, 10**30)."""
    text = text.strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if low <= value <= high else None
