"""Events: staff, TOS chairs and organisation representatives announce them, residents sign
up (with a waiting list), are reminded before the start and add them to their calendar."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.events import Event
from bot.services.broadcasts import Audience, BroadcastService, audience_of
from bot.services.cases import check_text
from bot.services.errors import N_, DomainError, NotAllowed, at_field
from bot.services.ics import CalendarEntry, entry_ics, event_ics
from bot.services.numbers import whole_number
from bot.services.reminders import (
    Wake,
    due_round,
    earliest,
    next_round,
    no_wake,
    round_prefix,
    skip_past_rounds,
    target_stamp,
)
from bot.services.staff import StaffService
from bot.services.status_groups import SIGNED_UP
from bot.services.when import local_text, parse_when
from bot.vocabulary import Words
from storage.db import Database, Repositories

MAX_CAPACITY = 100_000  # places at an event, people who came

log = logging.getLogger(__name__)

REMIND_KIND = "event-remind"
CAME_KIND = "event-came"  # the organiser asked how many came, once the event is over
KEEP_LOOKING = timedelta(days=2)
ANNOUNCE_WINDOW = timedelta(days=7)
GONE = N_("This event is no longer in the bot.")
LIST_LIMIT = 10
TEXT_LIMITS = {"title": (3, 200), "place": (3, 300), "organiser": (2, 200)}
PLACES = N_("Write the number of places, e.g. 30, or press «No limit».")
TOWN_HALL = N_("the town hall")
ATTENDANCE = N_("Write the number of people who came, e.g. 35.")
# To the person who announced it, once it is over (drawn with its button in handlers/events.py).
ASK_ATTENDANCE = N_(
    "«{title}» ({when}) is over. How many people came? Press the button and write the "
    "number: it goes into the town hall's report."
)

ANNOUNCED = N_(
    "📅 <b>{title}</b>\n{when}, {place}\nOrganiser: {organiser}{joint}\n"
    "Sign up and more events: /events"
)
JOINT = N_(" (jointly with the town hall)")
REMIND = N_("⏰ Reminder: «{title}» starts {when}, {place}. See you there!")
# Told to everyone signed up and on the waiting list when an event changes or is cancelled,
# each followed by the calendar file (ICS_FILE) that replaces the one they may have added.
CHANGED = N_(
    "📅 <b>«{title}» has changed</b>\nNow: {when}, {place}\nBefore: {before}, {old_place}\n{status}"
)
STILL = {
    "going": N_("You are still signed up. If you cannot come now, cancel in /events."),
    "waiting": N_("You are still on the waiting list: I will tell you if a place opens up."),
    "organiser": N_(
        "You announced this event: the change was made by the town hall's staff or another "
        "of its organisers."
    ),
}
CANCELLED = N_(
    "❌ <b>«{title}» is cancelled</b>\nIt was to take place {when}, {place}.{reason}\n"
    "Sorry for the change of plans."
)
CANCEL_REASON = N_("\nThe reason: {reason}")
ICS_FILE = "gen:event-ics"  # the .ics drawn at send time from the row's snapshot
ICS_UPDATED = N_("The calendar file of «{title}»: open it to update the event in your calendar.")
ICS_CANCELLED = N_(
    "The calendar file of «{title}»: open it to remove the event from your calendar."
)
REASON_LIMITS = (3, 500)  # a cancellation's reason
NOT_ORGANISER = N_("Only the event's organiser can do this.")
IS_CANCELLED = N_("This event is cancelled.")
ALREADY_CANCELLED = N_("This event is already cancelled.")
BEGUN = N_("This event has already begun: it can no longer be changed or cancelled.")
PROMOTED = N_(
    "A place has opened up: you are now signed up for «{title}», {when}. If your plans have "
    "changed, cancel in /events so that someone else can come."
)


@dataclass(frozen=True, slots=True)
class Owner:
    """On whose behalf an event is announced."""

    kind: str  # town | tos | org
    id: int
    name: str  # empty for the town hall (the handler says it in the reader's language)


@dataclass
class EventDraft:
    owner_kind: str = ""
    owner_id: int = 0
    title: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str = ""
    organiser: str = ""
    joint: bool = False
    capacity: int | None = None
    audience_tos: int | None = None
    # One per form: a retried or twice-pressed «Announce» saves the event once.
    token: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class EventChange:
    """The change form's draft: a new time (start and end), a new place, or both."""

    event_id: int = 0
    what: str = ""  # time | place | both
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str = ""
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def moves_time(self) -> bool:
        return self.what in ("time", "both")

    @property
    def moves_place(self) -> bool:
        return self.what in ("place", "both")


@dataclass
class EventCancel:
    """The cancellation form's draft: the reason, if one is given."""

    event_id: int = 0
    reason: str | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass(frozen=True, slots=True)
class Told:
    """An event changed or cancelled, and how many people are told."""

    event: Event
    told: int


@dataclass(frozen=True, slots=True)
class EventView:
    event: Event
    my_status: str | None  # going | waiting | cancelled | None
    manages: bool
    audience_name: str | None
    signups_open: bool = False  # not started yet: people may sign up and cancel
    ended: bool = False  # over: its organiser may record how many came
    editable: bool = False  # its organiser (or staff) may change or cancel it now


def _started(event: Event, now: datetime) -> bool:
    """Sign-ups close when an event starts."""
    return event.starts_at <= now


def _ended(event: Event, now: datetime) -> bool:
    """Attendance is recorded once an event is over."""
    return event.ends_at <= now


class EventService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        staff: StaffService,
        broadcasts: BroadcastService,
        *,
        timezone: ZoneInfo,
        offsets: Sequence[timedelta],
        announcements_per_week: int = 2,
    ) -> None:
        self._db = db
        self._clock = clock
        self._staff = staff
        self._broadcasts = broadcasts
        self.timezone = timezone
        self.offsets = tuple(offsets)
        # Called when a new event brings reminder rounds: the scheduler looks again at once.
        self.rounds_changed: Wake = no_wake
        # Events to everyone a non-staff organiser may announce in 7 days (like TOS news).
        self.announcements_per_week = announcements_per_week

    def when(self, moment: datetime, style: str = "datetime") -> str:
        """A moment as the town's clock shows it (bot.services.when.local_text)."""
        return local_text(moment, self.timezone, style)

    def span(self, starts: datetime, ends: datetime) -> tuple[str, str]:
        """An event's start and end as the town's clock shows them: the end's date is left
        out when it is the start's day."""
        same_day = self.when(starts, "date") == self.when(ends, "date")
        return self.when(starts), self.when(ends, "time" if same_day else "datetime")

    # -- who may announce -----------------------------------------------------------------------

    async def owners(self, user_id: int) -> list[Owner]:
        found = [Owner("town", 0, "")] if self._staff.role_of(user_id).is_staff else []
        for role in await self._db.read.registry.roles_of(user_id):
            if role.role in ("chair", "deputy", "rep"):
                found.append(Owner(role.body_kind, role.body_id, role.body_name))
        return found

    async def _may_manage(self, repos: Repositories, user_id: int, event: Event) -> bool:
        if self._staff.role_of(user_id).is_staff:
            return True
        if event.owner_kind == "town":
            return False
        people = await repos.registry.people_of(event.owner_kind, event.owner_id)
        return any(p.user_id == user_id for p in people)

    async def audience_choices(
        self, user_id: int, owner_kind: str, owner_id: int
    ) -> list[tuple[int, str]]:
        """TOS an event may be meant for: any active TOS for staff, their own for a chair."""
        if owner_kind == "town" and self._staff.role_of(user_id).is_staff:
            return [(t.id, t.name) for t in await self._db.read.registry.all_tos(active_only=True)]
        if owner_kind == "tos":
            tos = await self._db.read.registry.get_tos(owner_id)
            return [(tos.id, tos.name)] if tos is not None and tos.active else []
        return []

    # -- reads ----------------------------------------------------------------------------------

    async def upcoming(self, user_id: int) -> list[Event]:
        now = self._clock.now()
        if self._staff.role_of(user_id).is_staff:
            return await self._db.read.events.upcoming(now, None, LIST_LIMIT)
        mine = set(await self._db.read.registry.memberships(user_id))
        mine |= {
            r.body_id
            for r in await self._db.read.registry.roles_of(user_id)
            if r.body_kind == "tos"
        }
        return await self._db.read.events.upcoming(now, sorted(mine), LIST_LIMIT)

    async def _visible(self, repos: Repositories, user_id: int, event_id: int) -> Event:
        """The event, if this person may see it: a members' event is hidden from everyone
        but staff and the TOS's members and leaders, as if it did not exist."""
        event = await repos.events.get(event_id)
        if event is None or not await self._in_tos(repos, user_id, event):
            raise DomainError(GONE)
        return event

    async def view(self, user_id: int, event_id: int) -> EventView:
        event = await self._visible(self._db.read, user_id, event_id)
        audience = None
        if event.audience_tos is not None:
            tos = await self._db.read.registry.get_tos(event.audience_tos)
            audience = tos.name if tos else None
        now = self._clock.now()
        manages = await self._may_manage(self._db.read, user_id, event)
        open_ = not _started(event, now) and not event.cancelled
        return EventView(
            event=event,
            my_status=await self._db.read.events.signup_status(event_id, user_id),
            manages=manages,
            audience_name=audience,
            signups_open=open_,
            ended=_ended(event, now),
            editable=manages and open_,
        )

    async def calendar_file(self, user_id: int, event_id: int) -> tuple[Event, bytes]:
        """The event's .ics as it is now: its latest SEQUENCE, or its CANCEL."""
        event = await self._visible(self._db.read, user_id, event_id)
        return event, event_ics(event, self._clock.now())

    # -- announcing -----------------------------------------------------------------------------

    @staticmethod
    def check_text(name: str, value: str) -> str:
        """A title, a place or an organiser, within its limits (TEXT_LIMITS): checked at the
        form's step, and again on announcing."""
        return check_text(value, *TEXT_LIMITS[name])

    @staticmethod
    def check_capacity(places: int) -> int:
        """How many people may come: checked at the form's step, and again on announcing."""
        if not 0 < places <= MAX_CAPACITY:
            raise DomainError(PLACES).at("capacity")
        return places

    @classmethod
    def parse_capacity(cls, text: str) -> int:
        """A typed number of places (the form's step), by the rule of `check_capacity`."""
        places = whole_number(text)
        if places is None:
            raise DomainError(PLACES).at("capacity")
        return cls.check_capacity(places)

    @staticmethod
    def parse_attendance(text: str) -> int:
        """How many people came, as the organiser typed it."""
        count = whole_number(text, high=MAX_CAPACITY)
        if count is None:
            raise DomainError(ATTENDANCE)
        return count

    @staticmethod
    def ends_after_start(draft: EventDraft) -> bool:
        """The draft's end comes after its start (or one of them is not given yet)."""
        starts, ends = draft.starts_at, draft.ends_at
        return starts is None or ends is None or ends > starts

    def parse_start(self, text: str, words: Words) -> datetime:
        """The start as the organiser typed it (bot.services.when.parse_when), in the future."""
        starts = parse_when(text, self._clock.now(), self.timezone, words)
        self.check_times(EventDraft(starts_at=starts))
        return starts

    def parse_end(self, text: str, starts: datetime, words: Words) -> datetime:
        """The end as typed: a time alone is on the start's day; after the start."""
        day = starts.astimezone(self.timezone).date()
        ends = parse_when(text, self._clock.now(), self.timezone, words, base_day=day)
        self.check_times(EventDraft(starts_at=starts, ends_at=ends))
        return ends

    def check_times(self, draft: EventDraft) -> None:
        """The times of a draft, as far as they are given: the form checks them at each
        step, and announcing checks them again."""
        if draft.starts_at is not None and draft.starts_at <= self._clock.now():
            raise DomainError(N_("This time has already passed. Choose a time in the future.")).at(
                "starts_at"
            )
        if not self.ends_after_start(draft):
            raise DomainError(N_("The event must end after it starts.")).at("ends_at")

    async def create(self, actor_id: int, draft: EventDraft, town_hall: str) -> Event:
        """Check the draft and the author's right to announce for its owner, now; save it and
        tell the audience. `town_hall` names the town hall in the author's language."""
        limit = self.announcements_per_week
        now = self._clock.now()
        owner = next(
            (
                o
                for o in await self.owners(actor_id)
                if (o.kind, o.id) == (draft.owner_kind, draft.owner_id)
            ),
            None,
        )
        if owner is None:
            raise NotAllowed(
                N_(
                    "Events are announced by the town hall's staff, TOS chairs and deputies, "
                    "and organisations' representatives."
                )
            )
        for name in TEXT_LIMITS:
            value = getattr(draft, name)
            if value or name != "organiser":  # no organiser: the owner's name is used
                at_field(name, self.check_text, name, value)
        if draft.starts_at is None or draft.ends_at is None:
            raise DomainError(N_("Give the start and the end of the event.")).at("starts_at")
        self.check_times(draft)
        if draft.capacity is not None:
            self.check_capacity(draft.capacity)
        if draft.audience_tos is not None:
            allowed = {i for i, _ in await self.audience_choices(actor_id, owner.kind, owner.id)}
            if draft.audience_tos not in allowed:
                raise NotAllowed(N_("You can announce only to your own TOS or to everyone.")).at(
                    "audience_tos"
                )
        organiser = draft.organiser or owner.name or town_hall
        values = {
            "title": draft.title,
            "draft_token": draft.token,
            "starts_at": draft.starts_at,
            "ends_at": draft.ends_at,
            "place": draft.place,
            "organiser": organiser,
            "joint": int(draft.joint),
            "capacity": draft.capacity,
            "audience_tos": draft.audience_tos,
            "owner_kind": owner.kind,
            "owner_id": owner.id,
        }
        args = {
            "title": draft.title,
            "when": self.when(draft.starts_at),
            "place": draft.place,
            "organiser": organiser,
            "joint": {"t": JOINT} if draft.joint else "",
        }
        limited = draft.audience_tos is None and not self._staff.role_of(actor_id).is_staff
        # The event, its announcement and the form's token in one unit of work: a failure
        # leaves nothing, and a retry of the same form finds the event instead of a copy.
        async with self._db.transaction() as uow:
            existing = await uow.events.by_draft(draft.token)
            if existing is not None:
                return existing
            if (
                limited
                and await uow.events.to_everyone_since(actor_id, now - ANNOUNCE_WINDOW) >= limit
            ):
                raise DomainError(
                    N_("This week's limit of {count} announcements is used up. Try again later."),
                    count=limit,
                )
            event_id = await uow.events.create(values, actor_id, now)
            if draft.audience_tos is None:
                recipients = await uow.users.reachable_with_consent()
            else:
                recipients = await uow.registry.member_ids(draft.audience_tos)
            recipients = [r for r in recipients if r != actor_id]
            if recipients:
                await self._broadcasts.start_for(
                    audience_of(Audience.EVENT, event_id), recipients, ANNOUNCED, args, actor_id
                )  # joins this unit of work
            event = await uow.events.get(event_id)
        assert event is not None
        self.rounds_changed()
        return event

    # -- residents --------------------------------------------------------------------------------

    async def sign_up(self, user_id: int, event_id: int) -> str:
        """Returns going, or waiting when the event is full."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            event = await self._visible(uow, user_id, event_id)
            if event.cancelled:
                raise DomainError(IS_CANCELLED)
            if _started(event, now):
                raise DomainError(N_("This event has already started."))
            current = await uow.events.signup_status(event_id, user_id)
            if current == "going":
                raise DomainError(N_("You are already signed up."))
            if current == "waiting":
                raise DomainError(N_("You are already on the waiting list."))
            status = "waiting" if event.full else "going"
            await uow.events.set_signup(event_id, user_id, status, now)
        return status

    async def _in_tos(self, repos: Repositories, user_id: int, event: Event) -> bool:
        if event.audience_tos is None or self._staff.role_of(user_id).is_staff:
            return True
        roles = await repos.registry.roles_of(user_id)
        return event.audience_tos in await repos.registry.memberships(user_id) or any(
            r.body_kind == "tos" and r.body_id == event.audience_tos for r in roles
        )

    async def release_places(self, user_id: int) -> None:
        """Someone withdrew consent: their places go to the waiting lists (who are told)."""
        now = self._clock.now()
        for event_id in await self._db.read.events.upcoming_signups(user_id, SIGNED_UP, now):
            with contextlib.suppress(DomainError):  # started or cancelled meanwhile
                await self.cancel(user_id, event_id)

    async def cancel(self, user_id: int, event_id: int) -> int | None:
        """Cancel a sign-up; the first on the waiting list takes the place and is told.
        Returns who was promoted."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            event = await uow.events.get(event_id)
            current = await uow.events.signup_status(event_id, user_id)
            if event is None or current not in SIGNED_UP:
                raise DomainError(N_("You are not signed up for this event."))
            if event.cancelled:
                raise DomainError(IS_CANCELLED)
            if _started(event, now):
                raise DomainError(N_("This event has already started."))
            await uow.events.set_signup(event_id, user_id, "cancelled", now)
            if current != "going":
                return None
            promoted = await uow.events.promote(event_id)
            if promoted is not None:
                await uow.outbox.enqueue(
                    promoted,
                    now=now,
                    template=PROMOTED,
                    args={"title": event.title, "when": self.when(event.starts_at)},
                    key=f"event-promoted:{event_id}:{promoted}:{now.isoformat()}",
                )
        return promoted

    # -- organisers ------------------------------------------------------------------------------

    async def record_attendance(self, actor_id: int, event_id: int, count: int) -> None:
        async with self._db.transaction() as uow:
            event = await uow.events.get(event_id)
            if event is None:
                raise DomainError(N_("This event is no longer in the bot."))
            if not await self._may_manage(uow, actor_id, event):
                raise NotAllowed(NOT_ORGANISER)
            if event.cancelled:
                raise DomainError(IS_CANCELLED)
            if not _ended(event, self._clock.now()):
                raise DomainError(N_("Attendance is recorded after the event ends."))
            if not 0 <= count <= MAX_CAPACITY:
                raise DomainError(ATTENDANCE)
            await uow.events.set_attended(event_id, count)

    # -- changes and cancellations ---------------------------------------------------------------

    def _require_editable(self, event: Event, manages: bool, now: datetime) -> None:
        """Who may change or cancel an event, and when: its organiser (the people of the
        body it is announced for) or staff, before it begins, while it takes place."""
        if not manages:
            raise NotAllowed(NOT_ORGANISER)
        if event.cancelled:
            raise DomainError(ALREADY_CANCELLED)
        if _started(event, now):
            raise DomainError(BEGUN)

    async def editable(self, user_id: int, event_id: int) -> EventView:
        """The event, for its organiser or staff about to change or cancel it (the forms'
        entry and preview); refused as `change` and `call_off` would refuse it now."""
        view = await self.view(user_id, event_id)
        self._require_editable(view.event, view.manages, self._clock.now())
        return view

    @staticmethod
    def check_reason(text: str) -> str:
        """A cancellation's reason, as typed (the form's step) and on cancelling."""
        return check_text(text, *REASON_LIMITS)

    async def change(self, actor_id: int, change: EventChange) -> Told:
        """A new time and/or place, by the rules of announcing (check_times, check_text),
        checked with the actor's right now. Everyone signed up and on the waiting list is
        told, with a calendar file of the same UID and a higher SEQUENCE; reminders queued
        for the old time are cancelled and the new time's rounds already due are skipped
        (the notice says the time)."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            event = await self._visible(uow, actor_id, change.event_id)
            self._require_editable(event, await self._may_manage(uow, actor_id, event), now)
            starts, ends, place = event.starts_at, event.ends_at, event.place
            if change.moves_time:
                if change.starts_at is None or change.ends_at is None:
                    raise DomainError(N_("Give the start and the end of the event.")).at(
                        "starts_at"
                    )
                starts, ends = change.starts_at, change.ends_at
                self.check_times(EventDraft(starts_at=starts, ends_at=ends))
            if change.moves_place:
                place = at_field("place", self.check_text, "place", change.place)
            if (starts, ends, place) == (event.starts_at, event.ends_at, event.place):
                raise DomainError(
                    N_("Nothing has changed: the time and the place are as they were.")
                )
            if not await uow.events.move(event.id, event.sequence, starts, ends, place, now):
                raise DomainError(
                    N_("The event has just been changed by someone else. Open it again.")
                )
            new = await uow.events.get(event.id)
            assert new is not None
            await self._reminders_moved(uow, event, new, now)
            args = {
                "title": new.title,
                "when": self.when(new.starts_at),
                "place": new.place,
                "before": self.when(event.starts_at),
                "old_place": event.place,
            }
            told = await self._tell(uow, actor_id, new, CHANGED, args, now)
        self.rounds_changed()
        return Told(new, told)

    async def call_off(self, actor_id: int, cancel: EventCancel) -> Told:
        """Cancel the event, with the actor's right checked now; everyone signed up and on
        the waiting list is told (with the reason, if given) and gets the CANCEL file;
        reminders not sent yet are cancelled, and none is due any more."""
        reason = self.check_reason(cancel.reason) if cancel.reason else None
        now = self._clock.now()
        async with self._db.transaction() as uow:
            event = await self._visible(uow, actor_id, cancel.event_id)
            self._require_editable(event, await self._may_manage(uow, actor_id, event), now)
            if not await uow.events.call_off(event.id, reason, now):
                raise DomainError(ALREADY_CANCELLED)
            new = await uow.events.get(event.id)
            assert new is not None
            await self._reminders_moved(uow, event, new, now)
            args = {
                "title": new.title,
                "when": self.when(new.starts_at),
                "place": new.place,
                "reason": {"t": CANCEL_REASON, "reason": reason} if reason else "",
            }
            told = await self._tell(uow, actor_id, new, CANCELLED, args, now)
        self.rounds_changed()
        return Told(new, told)

    async def _reminders_moved(
        self, uow: Repositories, old: Event, new: Event, now: datetime
    ) -> None:
        """Reminders queued for the event as it was never go out; rounds of the new time
        already due are not sent (the change's notice says it)."""
        cancelled = await uow.reminders.cancel_queued(
            round_prefix(REMIND_KIND, old.id, old.starts_at)
        )
        if cancelled:
            log.info("event %s changed: %s queued reminders cancelled", old.id, cancelled)
        if not new.cancelled:
            await skip_past_rounds(
                uow.reminders.claim_stage, REMIND_KIND, new.id, new.starts_at, self.offsets, now
            )

    async def _tell(
        self,
        uow: Repositories,
        actor_id: int,
        event: Event,
        template: str,
        args: dict[str, Any],
        now: datetime,
    ) -> int:
        """The notice to each person signed up or waiting, and to the person who announced it
        when someone else (staff, a co-organiser) made the change; never to the actor. In
        their language at sending, the calendar file after it; keyed by the event's
        SEQUENCE, so each version is told once."""
        entry = CalendarEntry.of(event).args()
        caption = ICS_CANCELLED if event.cancelled else ICS_UPDATED
        recipients = await uow.events.signed_up(event.id, SIGNED_UP)
        author = event.created_by
        if author != actor_id and all(person != author for person, _status in recipients):
            found = await uow.users.get(author)
            if (
                found is not None
                and found.has_consent
                and await self._may_manage(uow, author, event)
            ):
                recipients.append((author, "organiser"))
        told = 0
        for person, status in recipients:
            if person == actor_id:
                continue
            mine = args if event.cancelled else args | {"status": {"t": STILL[status]}}
            version = f"{event.id}:{event.sequence}:{person}"
            notice = await uow.outbox.enqueue(
                person, now=now, template=template, args=mine, key=f"event-changed:{version}"
            )
            if notice is None:
                continue
            await uow.outbox.enqueue(
                person,
                now=now,
                template=caption,
                args=entry,
                file=("document", ICS_FILE),
                reply_to=notice,
                key=f"event-ics:{version}",
            )
            told += 1
        return told

    async def calendar_of(self, args: dict[str, Any], locale: str) -> tuple[bytes, str]:
        """The sender's generator of ICS_FILE: the file of the snapshot the row carries."""
        entry = CalendarEntry.from_args(args)
        return entry_ics(entry, self._clock.now()), f"event-{entry.event_id}.ics"

    # -- the scheduler --------------------------------------------------------------------------

    async def remind_due(self) -> int:
        now = self._clock.now()
        queued = 0
        for seen in await self._db.read.events.starting_after(now - KEEP_LOOKING):
            async with self._db.transaction() as uow:
                # Read again in the unit of work (they run one at a time): a change or a
                # cancellation that came after the list was read is what counts, so no
                # round is claimed or queued for an old time.
                event = await uow.events.get(seen.id)
                if event is None or event.cancelled:
                    continue
                key = await due_round(
                    uow.reminders.claim_stage,
                    REMIND_KIND,
                    event.id,
                    event.starts_at,
                    self.offsets,
                    now,
                )
                if key is None:
                    continue
                args = {
                    "title": event.title,
                    "when": self.when(event.starts_at),
                    "place": event.place,
                }
                for person in await uow.events.going(event.id):
                    if await uow.outbox.enqueue(
                        person, now=now, template=REMIND, args=args, key=f"{key}:{person}"
                    ):
                        queued += 1
        return queued + await self._ask_attendance(now)

    async def _ask_attendance(self, now: datetime) -> int:
        """Once an event is over (not cancelled, nothing marked yet), the person who announced
        it is asked how many came, once, if they may still record it (within KEEP_LOOKING
        of its end: a bot down longer does not ask about old events)."""
        asked = 0
        for event in await self._db.read.events.ended_unmarked(now - KEEP_LOOKING, now):
            async with self._db.transaction() as uow:
                key = f"{CAME_KIND}:{event.id}:{target_stamp(event.ends_at)}"
                if not await uow.reminders.claim_stage(key, "sent", now):
                    continue
                if not await self._may_manage(uow, event.created_by, event):
                    continue
                args = {"event": event.id, "title": event.title, "when": self.when(event.starts_at)}
                if await uow.outbox.enqueue(
                    event.created_by, now=now, template=ASK_ATTENDANCE, args=args, key=key
                ):
                    asked += 1
        return asked

    async def next_due(self) -> datetime | None:
        """When the next reminder round of an upcoming event falls, or the next event ends
        (its organiser is asked how many came), after now."""
        now = self._clock.now()
        events = await self._db.read.events.starting_after(now)
        ends = await self._db.read.events.next_end(now)  # the question of attendance
        return earliest(ends, *(next_round(e.starts_at, self.offsets, now) for e in events))
