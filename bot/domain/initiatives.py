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
    hidden: bool = False  # hidden from the public by moderation (bot/services/moderation.py)


@dataclass(frozen=True, slots=True)
class Photo:
    file_id: str
    caption: str | None = None  # what the author typed under it


@dataclass(frozen=True, slots=True)
class ModerationEntry:
    """One step of the moderation log: a report, a hiding by reports, a staff action."""

    id: int
    initiative_id: int
    year: int  # the initiative's number
    seq: int
    action: str  # report | auto_hide | hide | restore | edit
    actor_id: int | None  # None: the bot itself, or a person whose data is erased
    reason: str | None  # a report's reason code, or staff's reason in their words
    at: datetime


@dataclass(frozen=True, slots=True)
class Moderation:
    """Where an initiative stands in moderation, for its staff card."""

    hidden: bool
    pending_reports: dict[str, int]  # reason code -> reports staff have not looked at yet
    original_title: str | None = None  # the author's own text, once staff edited it
    original_description: str | None = None
