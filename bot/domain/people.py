"""People: whoever opened the bot, with their language and their consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    locale: str | None
    consent_version: str | None
    consent_at: datetime | None
    pending_payload: str | None
    last_seen_at: datetime
    unreachable_at: datetime | None = None

    @property
    def has_consent(self) -> bool:
        return self.consent_version is not None

    @property
    def display_name(self) -> str | None:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or (f"@{self.username}" if self.username else None)

    @property
    def label(self) -> str | None:
        """How staff see a person: name and @username (plain text, escape for HTML)."""
        name = self.display_name
        if name and self.username and self.first_name:
            return f"{name} (@{self.username})"
        return name
