"""What initiatives and support requests share as cases: public numbers and staff cards."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from bot.services.errors import N_, DomainError
from bot.services.staff import StaffService
from bot.textsplit import length
from storage.db import UnitOfWork

# «I-2026-0042», «R-2026-17», «2026-0042» (any letter): a letter and a dash are optional.
NUMBER_RE = re.compile(r"^\s*\w?-?(\d{4})-(\d{1,6})\s*$")
DESCRIPTION_LIMITS = (10, 2000)


class Numbered(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def seq(self) -> int: ...


class Label(dict[str, str]):
    """A template argument that the renderer translates (see bot/delivery.py)."""

    def __init__(self, msgid: str) -> None:
        super().__init__(t=msgid)


class Number(dict[str, Any]):
    """A template argument rendered as a case's public number (`msgid`: its pattern)."""

    def __init__(self, msgid: str, record: Numbered) -> None:
        super().__init__(t=msgid, year=record.year, seq=f"{record.seq:04d}")


def check_length(text: str, limits: tuple[int, int], msgid: str) -> str:
    """`text` if its length is within `limits`; `msgid` names {low}, {high} and {length}.
    Lengths are counted as Telegram counts them (an emoji is two), so that a text within
    its limit fits every card it is shown on, whatever its characters."""
    if not limits[0] <= length(text) <= limits[1]:
        raise DomainError(msgid, low=limits[0], high=limits[1], length=length(text))
    return text


def check_text(value: str, low: int, high: int) -> str:
    """A typed text, stripped, if its length is within `low` and `high` (a form's step)."""
    value = value.strip()
    if not low <= length(value) <= high:
        raise DomainError(N_("Please write {low} to {high} characters."), low=low, high=high)
    return value


def check_description(text: str) -> str:
    """A case's description (an initiative's or a request's), stripped."""
    return check_length(
        text.strip(),
        DESCRIPTION_LIMITS,
        N_("The description should be {low} to {high} characters long; yours has {length}."),
    )


def parse_number(text: str) -> tuple[int, int] | None:
    """(year, seq) of a public number as a person writes it; None if it is not one."""
    match = NUMBER_RE.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


async def refresh_cards(
    uow: UnitOfWork,
    staff: StaffService,
    cards: list[tuple[int, int]],
    template: str,
    case_id: int,
    now: datetime,
) -> None:
    """Queue an in-place edit of every staff card (rendered at send time: the latest), for
    whoever may still get staff mail."""
    for chat_id, outbox_id in cards:
        await staff.notify(
            uow, chat_id, now=now, template=template, args={"id": case_id}, edit_of=outbox_id
        )
