"""Working days: Russia's official production calendar (the public holidays and the
government's transfers of days off, from the `holidays` package), and the town's own days
off that staff add in the bot (/daysoff). The one place where working days are counted:
a request's term in working days (REQUEST_DEADLINES `5wd`) and anything else that counts
them ask a `WorkCalendar`, and `WorkdayService.calendar()` builds one with the town's days
as they are stored now."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any

from bot.clock import Clock
from bot.domain.calendar import DayOff
from bot.services.errors import N_, DomainError
from bot.services.staff import StaffService
from bot.services.when import town_today
from bot.textsplit import length
from storage.db import Database


@cache
def _russia() -> Any:
    """Russia's calendar with the decrees the package carries (the years fill in as asked).
    Imported when first asked: `holidays` loads every country's module (about 20 MiB), which
    a bot that has not yet counted a working day does not need."""
    import holidays

    return holidays.country_holidays("RU")


NAME_LIMIT = 100  # a day off's name («Town Day»)
DAYS_OFF_AHEAD = 20  # the town's own days off ahead at a time (a few local holidays a year)
AHEAD = timedelta(days=2 * 366)  # how far ahead a day off may be added
_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")


def decreed_years() -> frozenset[int]:
    """The years whose government decree on transfers of days off the package carries
    (without one, a year's calendar has the holidays alone: tests/test_workdays.py fails
    for next year so that a December upgrade is not forgotten)."""
    from holidays.countries.russia import RussiaStaticHolidays

    return frozenset(RussiaStaticHolidays.special_public_holidays)


class WorkCalendar:
    """Which days are working days: Russia's production calendar, less the town's own days
    off. Adding n working days counts the days after the given one."""

    def __init__(self, days_off: Iterable[date] = ()) -> None:
        self.days_off = frozenset(days_off)

    def is_official_working_day(self, day: date) -> bool:
        return bool(_russia().is_working_day(day))

    def is_working_day(self, day: date) -> bool:
        return day not in self.days_off and self.is_official_working_day(day)

    def add(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (count >= 0; 0: `day` itself)."""
        if count < 0:
            raise ValueError("count must not be negative")
        while count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many `add` steps lead from start to end."""
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )

    def add_to(self, moment: datetime, count: int) -> datetime:
        """The same wall-clock time `count` working days after an aware `moment`, on its
        calendar (pass it in the town's time zone)."""
        day = self.add(moment.date(), count)
        return moment.replace(year=day.year, month=day.month, day=day.day)


def parse_day(text: str) -> date:
    """dd.mm.yyyy."""
    match = _DATE.match(text or "")
    if match is None:
        raise DomainError(N_("Please write the date as dd.mm.yyyy, e.g. 12.06.2027."))
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        raise DomainError(
            N_("There is no such date. Please check the day and the month.")
        ) from None


def check_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise DomainError(N_("Please write the day's name as text."))
    if length(name) > NAME_LIMIT:
        raise DomainError(
            N_("The name should be at most {high} characters long; yours has {length}."),
            high=NAME_LIMIT,
            length=length(name),
        )
    return name


class WorkdayService:
    """The production calendar with the town's days off; staff manage the latter (the role
    is checked at every call)."""

    def __init__(
        self, db: Database, clock: Clock, staff: StaffService, *, timezone: tzinfo
    ) -> None:
        self._db = db
        self._clock = clock
        self._staff = staff
        self._timezone = timezone

    def today(self) -> date:
        return town_today(self._clock.now(), self._timezone)

    async def calendar(self) -> WorkCalendar:
        """The calendar as it is now: every deadline computed after a day off is added
        skips it (those computed before keep their dates)."""
        return WorkCalendar(d.day for d in await self._db.read.workdays.days_off())

    async def days_off(self, actor_id: int) -> list[DayOff]:
        """The town's days off from today on, the nearest first (staff only)."""
        self._staff.require_staff(actor_id)
        today = self.today()
        return [d for d in await self._db.read.workdays.days_off() if d.day >= today]

    def check_day(self, day: date) -> date:
        """A day that may become the town's day off: ahead, within two years, and a working
        day on the official calendar."""
        today = self.today()
        if day <= today:
            raise DomainError(N_("This date is not ahead. Please give a date from tomorrow on."))
        if day - today > AHEAD:
            raise DomainError(
                N_("This date is more than two years ahead. Please give a nearer one.")
            )
        if not WorkCalendar().is_official_working_day(day):
            raise DomainError(N_("This day is a day off on the official calendar already."))
        return day

    def read_day(self, text: str) -> date:
        """A typed date that may become the town's day off."""
        return self.check_day(parse_day(text))

    async def add(self, actor_id: int, draft: DayOffDraft) -> DayOff:
        """The form's `submit`: everything is checked again now."""
        if draft.day is None:
            raise DomainError(N_("This step of the form is not answered yet.")).at("day")
        return await self.add_day_off(actor_id, draft.day, draft.name or "")

    async def add_day_off(self, actor_id: int, day: date, name: str) -> DayOff:
        self._staff.require_staff(actor_id)
        day = self.check_day(day)
        name = check_name(name)
        if len(await self.days_off(actor_id)) >= DAYS_OFF_AHEAD:
            raise DomainError(
                N_("The town has {count} days off ahead already; remove one first."),
                count=DAYS_OFF_AHEAD,
            )
        async with self._db.transaction() as uow:
            if not await uow.workdays.add(day, name, actor_id, self._clock.now()):
                raise DomainError(N_("This day is the town's day off already."))
        return DayOff(day, name)

    async def remove_day_off(self, actor_id: int, day: date) -> bool:
        """False when it was not a day off (a button from an old list)."""
        self._staff.require_staff(actor_id)
        async with self._db.transaction() as uow:
            return await uow.workdays.remove(day)


@dataclass
class DayOffDraft:
    """A day off being added by staff (the form's FSM data)."""

    day: date | None = None
    name: str | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(8))
