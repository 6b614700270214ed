"""Which reminder rounds are due: derived from the database on every tick, never from a job
store. A round is one (object, target time, offset); it is claimed in `reminder_stages` in
the same unit of work that queues its messages, so a restart or a second process never sends
it twice, and a changed target time makes new rounds (old ones are cancelled)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

Claim = Callable[[str, str, datetime], Awaitable[bool]]


def target_stamp(target: datetime) -> str:
    return target.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def stage_key(kind: str, object_id: int, target: datetime, offset: timedelta) -> str:
    return f"{kind}:{object_id}:{target_stamp(target)}:{int(offset.total_seconds())}"


def round_prefix(kind: str, object_id: int, target: datetime) -> str:
    return f"{kind}:{object_id}:{target_stamp(target)}:"


def next_round(target: datetime, offsets: Sequence[timedelta], now: datetime) -> datetime | None:
    """When the next round of this target falls after `now` (None: none is left)."""
    return min((target - offset for offset in offsets if target - offset > now), default=None)


def earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


Wake = Callable[[], None]


def no_wake() -> None:
    """What a service calls when its rounds change, before the app connects the scheduler."""


async def due_round(
    claim: Claim,
    kind: str,
    object_id: int,
    target: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
) -> str | None:
    """Claim every round whose time has come and return the key of the one to send now.

    Only the latest round is sent, and only while the target is still ahead: rounds missed
    while the bot was down and already overtaken by a later one, or whose target has passed,
    are dropped with a log line.
    """
    due = sorted((target - offset, offset) for offset in offsets if target - offset <= now)
    send: str | None = None
    for index, (_when, offset) in enumerate(due):
        key = stage_key(kind, object_id, target, offset)
        latest = index == len(due) - 1
        outcome = "sent" if latest and now < target else "dropped"
        if not await claim(key, outcome, now):
            continue
        if outcome == "sent":
            send = key
        else:
            reason = "its time has passed" if now >= target else "a later reminder replaces it"
            log.info("reminder %s dropped: %s", key, reason)
    return send


async def skip_past_rounds(
    claim: Claim,
    kind: str,
    object_id: int,
    target: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
) -> None:
    """A new target time: rounds already due under it are not sent (the change is told)."""
    for offset in offsets:
        if target - offset <= now:
            await claim(stage_key(kind, object_id, target, offset), "skipped", now)
