"""Events people sign up for (with a waiting list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    organiser: str
    joint: bool
    capacity: int | None
    audience_tos: int | None
    owner_kind: str  # town | tos | org
    owner_id: int
    attended: int | None
    created_by: int
    going: int = 0
    waiting: int = 0
    sequence: int = 0  # the .ics SEQUENCE: one more at each change and at the cancellation
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def full(self) -> bool:
        """Every place is taken: whoever signs up now joins the waiting list."""
        return self.capacity is not None and self.going >= self.capacity
