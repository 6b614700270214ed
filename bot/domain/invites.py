"""Deep-link invites: created by staff, redeemed once (or until expiry) by whoever opens them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    kind: str
    target_id: int | None
    created_by: int
    created_at: datetime
    expires_at: datetime
    uses_left: int | None
    revoked_at: datetime | None
