"""Support requests and the conversation between the requester and the town hall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class SupportRequest:
    id: int
    year: int
    seq: int
    requester_id: int
    kind: str
    behalf_kind: str  # self | tos | org
    behalf_id: int | None
    behalf_name: str | None
    description: str
    wanted_date: date | None
    phone: str | None
    status: str
    assignee_id: int | None
    opened_at: datetime
    due_at: datetime
    cycle: int
    nudged: int
    closed_at: datetime | None
    helped: bool | None
    rating_comment: str | None
    created_at: datetime
    # 59-FZ's extension (once): the due date before it, the one it set, and why.
    extended_from: datetime | None = None
    extended_to: datetime | None = None
    extension_reason: str | None = None

    @property
    def extended(self) -> bool:
        """The term in force is an extended one (a reopening since set a new term)."""
        return self.extended_to is not None and self.extended_to == self.due_at


@dataclass(frozen=True, slots=True)
class RequestMessage:
    id: int
    request_id: int
    direction: str  # in: from the requester | out: from the town hall
    author_id: int | None
    text: str | None
    file_kind: str | None  # photo | document
    file_id: str | None
    at: datetime
