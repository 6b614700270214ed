"""What initiatives and support requests share: the log of their status changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One line of a case's log: who moved it from which status to which, when, and why."""

    actor_id: int | None
    at: datetime
    from_status: str | None
    to_status: str
    comment: str | None
