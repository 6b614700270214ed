"""The period a report covers: whole years or any run of days, on the town's calendar, and
the one it is compared with; read from what staff type after /report."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.services.errors import N_, DomainError
from bot.vocabulary import Words, normalize_label

FIRST_YEAR = 2000  # nothing the bot counts is older
BAD_PERIOD = N_(
    "Give a year or a period, e.g. /report {year}, /report {previous}-{year} or "
    "/report 01.03.{year} 31.08.{year}."
)
REVERSED = N_("The period ends before it begins: give the earlier date first, e.g. {example}.")
TOO_EARLY = N_("The bot has no figures before {first}: give a period from then on.")
NOT_BEGUN = N_("This period has not begun yet: give one that starts by today, {today}.")
TOO_LATE = N_("The period runs past this year: give one that ends by 31.12.{year}.")
# Words staff may put between the dates («from 01.03.2026 to 31.08.2026», «2026 year»):
# vocabulary in locales/, every language's at once.
PERIOD_WORDS = N_("from, to, till, year, years")

# One date, as people write it: 2026-03-01 | 01.03.2026 | 03.2026 (a month) | 2026 (a year).
_TOKEN = re.compile(
    r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
    r"|(?P<day>(?P<d>\d{1,2})\.(?P<dm>\d{1,2})\.(?P<dy>\d{4}))"
    r"|(?P<month>(?P<m>\d{1,2})\.(?P<my>\d{4}))"
    r"|(?P<year>\d{4})"
)
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_BETWEEN = re.compile(rf"^[\s{_DASHES}.,:;()]*$")


def shift_years(day: date, years: int) -> date:
    """The same calendar day `years` later (earlier when negative); 29 February becomes the
    28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Period:
    """Days `first` to `last`, both included, on the town's calendar."""

    first: date
    last: date

    @classmethod
    def years(cls, first: int, last: int | None = None) -> Period:
        return cls(date(first, 1, 1), date(last or first, 12, 31))

    @property
    def whole_years(self) -> bool:
        return (self.first.month, self.first.day, self.last.month, self.last.day) == (1, 1, 12, 31)

    @property
    def single_year(self) -> int | None:
        """The year, when the period is one whole calendar year."""
        return self.first.year if self.whole_years and self.first.year == self.last.year else None

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as instants: from the first day's midnight to the day after the last."""
        return (
            datetime.combine(self.first, time(), tz),
            datetime.combine(self.last + timedelta(days=1), time(), tz),
        )

    def before(self) -> Period:
        """What the period is compared with: the same days as many whole years earlier as
        it takes not to overlap (2026 with 2025; 2025-2026 with 2023-2024; 01.03-31.08.2026
        with 01.03-31.08.2025)."""
        years = 1
        while shift_years(self.last, -years) >= self.first:
            years += 1
        return Period(shift_years(self.first, -years), shift_years(self.last, -years))

    def months(self) -> list[Period]:
        """The period cut at month boundaries, in order."""
        out = []
        first = self.first
        while first <= self.last:
            month_end = date(first.year, first.month, monthrange(first.year, first.month)[1])
            out.append(Period(first, min(self.last, month_end)))
            first = month_end + timedelta(days=1)
        return out

    @property
    def slug(self) -> str:
        """For file names: 2026, 2025-2026 or 2026-03-01-2026-08-31."""
        if self.whole_years:
            if self.first.year == self.last.year:
                return str(self.first.year)
            return f"{self.first.year}-{self.last.year}"
        return f"{self.first.isoformat()}-{self.last.isoformat()}"


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _extent(match: re.Match[str]) -> tuple[date, date] | None:
    """The first and last day a written date stands for (a year, a month or a day)."""
    g = match.groupdict()
    if g["iso"]:
        day = _day(int(g["iy"]), int(g["im"]), int(g["id"]))
        return None if day is None else (day, day)
    if g["day"]:
        day = _day(int(g["dy"]), int(g["dm"]), int(g["d"]))
        return None if day is None else (day, day)
    if g["month"]:
        year, month = int(g["my"]), int(g["m"])
        if not 1 <= month <= 12:
            return None
        return date(year, month, 1), date(year, month, monthrange(year, month)[1])
    year = int(g["year"])
    return (date(year, 1, 1), date(year, 12, 31)) if year >= 1 else None


def parse_period(text: str, today: date, words: Words | None = None) -> Period:
    """What staff type after /report: nothing (this year), a year (2026), years (2025-2026),
    a month (03.2026), days (01.03.2026 31.08.2026, 2026-03-01 - 2026-08-31), or two of
    these (from the first's first day to the second's last), with «from»/«to» words of any
    language we speak between them. Refuses, politely, anything else, a period that ends
    before it begins, starts before 2000 or has not begun yet."""
    bad = DomainError(BAD_PERIOD, year=today.year, previous=today.year - 1)
    connectors = words(PERIOD_WORDS) if words is not None else frozenset()
    typed = text.strip()
    if not typed:
        return Period.years(today.year)
    extents: list[tuple[date, date]] = []
    position = 0
    for match in _TOKEN.finditer(typed):
        if not _between(typed[position : match.start()], connectors):
            raise bad
        if (match.start() > 0 and typed[match.start() - 1].isdigit()) or (
            match.end() < len(typed) and typed[match.end()].isdigit()
        ):
            raise bad  # part of a longer number
        extent = _extent(match)
        if extent is None:
            raise bad
        extents.append(extent)
        position = match.end()
    if not extents or len(extents) > 2 or not _between(typed[position:], connectors):
        raise bad
    period = Period(extents[0][0], extents[-1][1])
    check_period(period, today)
    return period


def check_period(period: Period, today: date) -> None:
    """A period the report can cover: in order, from 2000, begun by `today`, within this
    year at the latest."""
    if period.first > period.last:
        example = f"{period.last:%d.%m.%Y} {period.first:%d.%m.%Y}"
        raise DomainError(REVERSED, example=example)
    if period.first.year < FIRST_YEAR:
        raise DomainError(TOO_EARLY, first=FIRST_YEAR)
    if period.first > today:
        raise DomainError(NOT_BEGUN, today=f"{today:%d.%m.%Y}")
    if period.last.year > today.year:
        raise DomainError(TOO_LATE, year=today.year)


def _between(text: str, connectors: frozenset[str]) -> bool:
    """Only separators and «from»/«to» words between (and around) the dates."""
    if _BETWEEN.match(text):
        return True
    kept = normalize_label(text)
    return (
        bool(kept)
        and all(word in connectors for word in kept.split())
        and bool(_BETWEEN.match(re.sub(r"[^\W\d_]+", " ", text)))
    )
