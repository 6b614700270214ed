"""What initiatives and support requests share as cases: public numbers and staff cards."""

from __future__ import annotations

import re
from datetime import datetime

from bot.services.staff import StaffService
from storage.db import UnitOfWork

# «I-2026-0042», «R-2026-17», «2026-0042» (any letter): a letter and a dash are optional.
NUMBER_RE = re.compile(r"^\s*\w?-?(\d{4})-(\d{1,6})\s*$")


def parse_number(text: str) -> tuple[int, int] | None:
    """(year, seq) of a public number as a person writes it; None if it is not one."""
    match = NUMBER_RE.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def card_targets(staff_chat_id: int | None, staff: StaffService) -> list[int]:
    """Where staff cards go: the staff chat if there is one, else every staff member."""
    if staff_chat_id is not None:
        return [staff_chat_id]
    return sorted(staff.staff_ids())


async def refresh_cards(
    uow: UnitOfWork,
    staff: StaffService,
    cards: list[tuple[int, int]],
    template: str,
    case_id: int,
    now: datetime,
) -> None:
    """Queue an in-place edit of every staff card (rendered at send time: the latest)."""
    for chat_id, outbox_id in cards:
        if not staff.reaches_staff(chat_id):
            continue
        await uow.outbox.enqueue(
            chat_id, now=now, template=template, args={"id": case_id}, edit_of=outbox_id
        )
