"""The town's own days off (a local holiday), which staff add to the production calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class DayOff:
    day: date
    name: str
