"""Grant competitions and the applications TOS and organisations register for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Competition:
    id: int
    title: str
    organiser: str
    description: str
    eligible: tuple[str, ...]  # tos | ngo | group
    opens_at: datetime
    deadline: datetime
    results_at: datetime | None
    rules_url: str | None
    max_grant: int | None
    status: str  # open | closed
    announced_at: datetime | None
    created_by: int
    results_announced_at: datetime | None = None  # the winners made public (once)

    @property
    def finished(self) -> bool:
        """Its results are announced: a finished competition, shown with its winners."""
        return self.results_announced_at is not None


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    competition_id: int
    body_kind: str
    body_id: int
    body_name: str
    project: str
    direction: str
    amount: int
    initiative_id: int | None
    applicant_id: int
    status: str  # registered | withdrawn
    result: str | None  # winner | not_winner
    awarded: int | None
