"""Support request kinds and how long the town hall has to answer each (59-FZ: 30 days
unless set shorter): the one list the form, the cards, the report and the REQUEST_DEADLINES
setting all read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.errors import N_

KINDS: dict[str, str] = {
    "consultation": N_("Methodological consultation"),
    "event": N_("Help organising an event"),
    "transport": N_("Transport"),
    "information": N_("Information support"),
    "premises": N_("Premises"),
    "other": N_("Other"),
}
DATED_KINDS = frozenset({"transport", "event"})  # these need a wanted date
# A kind may be given less time than 59-FZ's 30 days, never more.
MAX_DAYS = 30
MAX_WORKING_DAYS = 20

_TERM_RE = re.compile(r"^(\w+)\s*=\s*(\d+)\s*(wd|d)$")


@dataclass(frozen=True, slots=True)
class RequestTerm:
    """How long the town hall has to answer a support request of one kind."""

    days: int
    working: bool = False  # working days: bot/services/workdays.py


DEFAULT_TERM = RequestTerm(MAX_DAYS)


def parse_terms(raw: str) -> dict[str, RequestTerm]:
    """Parse `transport=5wd,event=10d` (a ValueError names the item it cannot take)."""
    terms: dict[str, RequestTerm] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        match = _TERM_RE.match(item.lower())
        if not match or match.group(1) not in KINDS:
            raise ValueError(item)
        days, working = int(match.group(2)), match.group(3) == "wd"
        limit = MAX_WORKING_DAYS if working else MAX_DAYS
        if not 1 <= days <= limit:
            raise ValueError(item)
        terms[match.group(1)] = RequestTerm(days, working)
    return terms


def term_of(terms: dict[str, RequestTerm], kind: str) -> RequestTerm:
    """The term of a kind: as the town set it, or 30 days."""
    return terms.get(kind, DEFAULT_TERM)
