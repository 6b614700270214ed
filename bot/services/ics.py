"""An event as an iCalendar file (RFC 5545), for «add to my calendar», written by the
`icalendar` package (escaping, folding at 75 octets, UTC times).

A calendar keeps an event by its UID: the file of a changed event carries the same UID and a
higher SEQUENCE (the event's `sequence`, one more at each change), so the calendar replaces
the entry it has; the file of a cancelled one is METHOD:CANCEL with STATUS:CANCELLED, so the
calendar takes it away (RFC 5546 3.2.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.events import Event

PRODID = "-//tos-bot//events//EN"
DOMAIN = "tos-bot"  # the right-hand side of every event's UID


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """What an event's file says: a snapshot, so that a file queued with a change notice
    says what the notice says, however late it goes."""

    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    organiser: str
    sequence: int = 0
    cancelled: bool = False

    @classmethod
    def of(cls, event: Event) -> CalendarEntry:
        return cls(
            event.id,
            event.title,
            event.starts_at,
            event.ends_at,
            event.place,
            event.organiser,
            event.sequence,
            event.cancelled,
        )

    def args(self) -> dict[str, Any]:
        """As an outbox row's arguments (JSON), for `from_args` at send time."""
        return {
            "event": self.event_id,
            "title": self.title,
            "starts": self.starts_at.isoformat(),
            "ends": self.ends_at.isoformat(),
            "place": self.place,
            "organiser": self.organiser,
            "sequence": self.sequence,
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> CalendarEntry:
        return cls(
            int(args["event"]),
            str(args["title"]),
            datetime.fromisoformat(str(args["starts"])),
            datetime.fromisoformat(str(args["ends"])),
            str(args["place"]),
            str(args["organiser"]),
            int(args["sequence"]),
            bool(args["cancelled"]),
        )


def uid_of(event_id: int, domain: str = DOMAIN) -> str:
    """An event's UID, the same in every file of it."""
    return f"event-{event_id}@{domain}"


def entry_ics(entry: CalendarEntry, now: datetime, domain: str = DOMAIN) -> bytes:
    """The file: PUBLISH (the event, or its new version by SEQUENCE) or CANCEL."""
    # Imported when a file is first written (a few MiB a bot may never need).
    from icalendar import Calendar
    from icalendar import Event as VEvent

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", uid_of(entry.event_id, domain))
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", entry.starts_at.astimezone(UTC))
    vevent.add("dtend", entry.ends_at.astimezone(UTC))
    vevent.add("summary", entry.title)
    vevent.add("location", entry.place)
    vevent.add("description", entry.organiser)
    vevent.add("sequence", entry.sequence)
    vevent.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    calendar.add_component(vevent)
    # In the order written (VERSION first, DTSTART before DTEND), as people read it too.
    content: bytes = calendar.to_ical(sorted=False)
    return content


def event_ics(event: Event, now: datetime, domain: str = DOMAIN) -> bytes:
    """The event's file as it is now (a cancelled event's is its CANCEL)."""
    return entry_ics(CalendarEntry.of(event), now, domain)
