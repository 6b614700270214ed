"""The registry: TOS, organisations and the people who lead them (their roles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Tos:
    id: int
    name: str
    territory: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    radius_m: int | None
    polygon: tuple[tuple[float, float], ...] | None
    registered_on: date | None
    residents: int
    contacts: str | None
    public_contact: str | None
    description: str | None
    join_token: str
    active: bool
    members: int = 0


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    kind: str  # ngo | group | other
    description: str | None
    contacts: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class BodyRole:
    """A person's role in a TOS (chair, deputy) or an organisation (rep)."""

    user_id: int
    body_kind: str  # tos | org
    body_id: int
    role: str
    body_name: str = ""
    since: datetime | None = None  # when the role was given (in a body's list of people)


def name_key(name: str) -> str:
    """A name as uniqueness sees it: case and spacing folded in any alphabet (SQLite's
    NOCASE folds only ASCII, so two spellings of one Cyrillic name would both pass)."""
    return " ".join(name.casefold().split())
