"""Citizen initiatives and their photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Initiative:
    id: int
    year: int
    seq: int
    author_id: int
    direction: str
    title: str
    description: str
    address: str | None
    latitude: float | None
    longitude: float | None
    tos_id: int | None
    show_author: bool
    status: str
    merged_into: int | None
    created_at: datetime
    supports: int = 0
    rejection_reason: str | None = None  # only where the query asks for it (by_author)


@dataclass(frozen=True, slots=True)
class Photo:
    file_id: str
    caption: str | None = None  # what the author typed under it
