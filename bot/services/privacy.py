"""What the town hall's staff may learn about a person through the messenger."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.people import Person
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class Shown:
    """A person as staff may see them through the messenger (a card names them or not)."""

    person: Person | None  # None: hidden (below), or not in the bot
    hidden: bool = False  # the town's setting keeps people from staff


@dataclass(frozen=True, slots=True)
class StaffPrivacy:
    """The town's privacy setting (STAFF_SEES_PERSONAL_DATA), read here and nowhere else.

    On: staff see who wrote (name and @username), the phone a requester shared, and who
    holds a role in a TOS or an organisation. Off: nothing the bot sends to staff names a
    person, role holders included; staff see roles and what people wrote, while names and
    phones stay on the server (`python -m bot export`). Staff members themselves are
    colleagues and are always named to each other.
    """

    shows_people: bool = True

    @classmethod
    def of(cls, settings: Settings) -> StaffPrivacy:
        """The town's policy: the one place that reads the setting."""
        return cls(shows_people=settings.staff_sees_personal_data)

    def person(self, user: Person | None) -> Person | None:
        """The person as staff may see them; None when the setting hides people."""
        return user if self.shows_people else None

    def shown(self, user: Person | None) -> Shown:
        """The person as a staff card shows them: named, or hidden by the setting."""
        return Shown(user) if self.shows_people else Shown(None, hidden=True)

    def phone(self, phone: str | None) -> str | None:
        return phone if self.shows_people else None
