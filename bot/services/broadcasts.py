"""Broadcasts: one localized message to an audience, queued in batches, with progress."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.outbox import NOT_ALLOWED, UNREACHABLE
from bot.domain.people import Person
from bot.services.errors import N_, DomainError
from bot.services.privacy import StaffPrivacy
from bot.services.staff import StaffService
from storage.db import Database

# Queued this many recipients per transaction, so the writer is never held for long.
BATCH = 500


class Audience(enum.StrEnum):
    RESIDENTS = "residents"  # everyone reachable who has consented
    STAFF = "staff"
    # With the id of what it is about: "tos:<id>", "event:<id>", "competition:<id>"
    # (audience_of).
    TOS = "tos"  # a TOS chair's announcement to its members
    EVENT = "event"  # an event's announcement, to everyone or to a TOS's members
    COMPETITION = "competition"  # a competition's results, to everyone eligible


def audience_of(kind: Audience, about: int) -> str:
    """A broadcast's stored audience for one TOS or one event."""
    return f"{kind.value}:{about}"


@dataclass(frozen=True, slots=True)
class AudienceView:
    """Whom a broadcast went to, as staff read it: its kind and the names it is about,
    never an id (None where the TOS or the event is gone, or for an unknown audience)."""

    kind: str  # residents | staff | tos | event | other
    tos: str | None = None  # the TOS whose members got it
    event: str | None = None  # the event it announced
    competition: str | None = None  # the competition whose results it announced


@dataclass(frozen=True, slots=True)
class Progress:
    broadcast_id: int
    audience: AudienceView
    created_at: datetime
    cancelled: bool
    sent: int
    pending: int
    failed: int  # failed or skipped (blocked the bot)
    cancelled_count: int

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.cancelled_count


class BroadcastService:
    def __init__(self, db: Database, clock: Clock, staff: StaffService) -> None:
        self._db = db
        self._clock = clock
        self._staff = staff

    async def _recipients(self, audience: Audience) -> list[int]:
        if audience is Audience.STAFF:
            return sorted(self._staff.staff_ids())
        return await self._db.read.users.reachable_with_consent()

    async def start(
        self, actor_id: int, audience: Audience, template: str, args: dict[str, Any] | None = None
    ) -> int:
        """Queue `template` (a msgid, rendered in each recipient's language) for everyone
        in the audience; returns the broadcast's id for progress and cancelling."""
        self._staff.require_staff(actor_id)
        recipients = await self._recipients(audience)
        return await self.start_for(audience.value, recipients, template, args, actor_id)

    async def start_for(
        self,
        audience: str,
        recipients: list[int],
        template: str,
        args: dict[str, Any] | None,
        actor_id: int,
    ) -> int:
        """Queue a broadcast to the given people; the caller has checked who may send it
        (staff for the town, a chair for their TOS's members)."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            broadcast_id = await uow.outbox.create_broadcast(
                audience, template, args or {}, actor_id, now
            )
        for first in range(0, len(recipients), BATCH):
            async with self._db.transaction() as uow:
                for user_id in recipients[first : first + BATCH]:
                    message: dict[str, Any] = {
                        "now": now,
                        "template": template,
                        "args": args,
                        "broadcast_id": broadcast_id,
                        "key": f"broadcast:{broadcast_id}:{user_id}",
                    }
                    if audience == Audience.STAFF:  # staff mail: to current staff only
                        await self._staff.notify(uow, user_id, **message)
                    else:
                        await uow.outbox.enqueue(user_id, **message)
        return broadcast_id

    async def progress(self, actor_id: int, limit: int = 3) -> list[Progress]:
        self._staff.require_staff(actor_id)
        result = []
        for (
            broadcast_id,
            audience,
            created_at,
            cancelled,
        ) in await self._db.read.outbox.recent_broadcasts(limit):
            counts = await self._db.read.outbox.broadcast_progress(broadcast_id)
            result.append(
                Progress(
                    broadcast_id,
                    await self._audience_view(audience),
                    created_at,
                    cancelled,
                    sent=counts.get("sent", 0),
                    pending=counts.get("pending", 0) + counts.get("sending", 0),
                    failed=counts.get("failed", 0) + counts.get("skipped", 0),
                    cancelled_count=counts.get("cancelled", 0),
                )
            )
        return result

    async def _audience_view(self, stored: str) -> AudienceView:
        kind, _sep, about = stored.partition(":")
        if kind in (Audience.RESIDENTS, Audience.STAFF) and not about:
            return AudienceView(kind)
        read = self._db.read
        if kind == Audience.TOS and about.isdigit():
            tos = await read.registry.get_tos(int(about))
            return AudienceView(kind, tos=tos.name if tos else None)
        if kind == Audience.EVENT and about.isdigit():
            event = await read.events.get(int(about))
            if event is None:
                return AudienceView(kind)
            tos = await read.registry.get_tos(event.audience_tos) if event.audience_tos else None
            return AudienceView(kind, tos=tos.name if tos else None, event=event.title)
        if kind == Audience.COMPETITION and about.isdigit():
            competition = await read.competitions.get(int(about))
            return AudienceView(kind, competition=competition.title if competition else None)
        return AudienceView("other")

    async def cancel(self, actor_id: int, broadcast_id: int) -> int:
        """Cancel what has not gone out yet; returns how many messages will not be sent."""
        self._staff.require_staff(actor_id)
        async with self._db.transaction() as uow:
            if not await uow.outbox.broadcast_exists(broadcast_id):
                raise DomainError(N_("There is no such broadcast."))
            return await uow.outbox.cancel_broadcast(broadcast_id, self._clock.now())


@dataclass(frozen=True, slots=True)
class Failure:
    recipient: Person | None  # None for a group, or when the town hides names from staff
    chat_id: int
    cause: str  # unreachable (blocked, deleted) | not_allowed (no longer staff) | error
    reason: str  # Telegram's words, for an error (the log's; staff are told by `code`)
    code: str | None = None  # why, as bot/delivery.py classified it (None: an older row)


def failure_cause(status: str, reason: str) -> str:
    if status == "skipped" and reason == NOT_ALLOWED:
        return "not_allowed"
    if status == "skipped" or any(hint in reason.lower() for hint in UNREACHABLE):
        return "unreachable"
    return "error"


@dataclass(frozen=True, slots=True)
class OutboxOverview:
    counts: dict[str, int]
    failures: list[Failure]
    names_hidden: bool = False  # the town's privacy setting left the recipients' names out


class OutboxService:
    """What staff see of delivery: the queue by status and the latest failures."""

    def __init__(self, db: Database, staff: StaffService, *, privacy: StaffPrivacy) -> None:
        self._db = db
        self._staff = staff
        self._privacy = privacy

    async def overview(self, actor_id: int, failures: int = 5) -> OutboxOverview:
        self._staff.require_staff(actor_id)
        counts = await self._db.read.outbox.counts()
        recent = await self._db.read.outbox.recent_failures(failures)
        # With the town's privacy setting, a failure never says whom it was for.
        shown = self._privacy.shows_people
        wanted = [m.chat_id for m in recent if m.chat_id > 0] if shown else []
        people = await self._db.read.users.get_many(wanted)
        return OutboxOverview(
            counts,
            [
                Failure(
                    people.get(m.chat_id),
                    m.chat_id,
                    failure_cause(m.status, m.last_error or ""),
                    m.last_error or "",
                    m.error_code,
                )
                for m in recent
            ],
            names_hidden=not self._privacy.shows_people,
        )
