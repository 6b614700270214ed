"""Dates and times as people type them, read in the town's time zone (zoneinfo, so daylight
saving is the zone's business, never a fixed offset)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.errors import N_, NP_, DomainError
from bot.services.vocabulary import TODAY_WORDS, TOMORROW_WORDS
from bot.vocabulary import Words, normalize_label

BAD_TIME = N_(
    "I could not read this time. Write it like «25.12.2026 18:00», «25.12 18:00» or "
    "«tomorrow 18:00»."
)
TOO_FAR = N_("This date is too far from today. Please give a date within five years.")
# Dates further than this from today are refused: no plan in the bot is that far off, and
# a year like 0001 or 9999 would overflow the arithmetic on instants (time zones, reminders).
HORIZON = timedelta(days=5 * 366)
_FULL = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})$")
_SHORT = re.compile(r"^(\d{1,2})\.(\d{1,2})\s+(\d{1,2}):(\d{2})$")
_WORD = re.compile(r"^(\S+)\s+(\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _local(day: date, hour: int, minute: int, tz: ZoneInfo, today: date) -> datetime:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DomainError(BAD_TIME)
    if abs(day - today) > HORIZON:
        raise DomainError(TOO_FAR)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DomainError(BAD_TIME) from None


def parse_when(
    text: str, now: datetime, tz: ZoneInfo, words: Words, *, base_day: date | None = None
) -> datetime:
    """`25.12.2026 18:00`, `25.12 18:00` (this year, or the next once that day has passed),
    `tomorrow 18:00`, `today 18:00` (the words in any language we speak) -> an aware UTC instant.
    With `base_day` (a date on the town's calendar), a time alone (`20:00`) is on that day."""
    typed = " ".join(text.strip().split())
    today = now.astimezone(tz).date()
    if base_day is not None and (match := _TIME.match(typed)):
        moment = _local(base_day, int(match.group(1)), int(match.group(2)), tz, today)
    elif match := _FULL.match(typed):
        d, m, y, hh, mm = map(int, match.groups())
        moment = _local(_day(y, m, d), hh, mm, tz, today)
    elif match := _SHORT.match(typed):
        d, m, hh, mm = map(int, match.groups())
        day = _day(today.year, m, d)
        if day < today:
            day = _day(today.year + 1, m, d)
        moment = _local(day, hh, mm, tz, today)
    elif (match := _WORD.match(typed)) and (
        normalize_label(match.group(1)) in words(TOMORROW_WORDS) | words(TODAY_WORDS)
    ):
        shift = 1 if normalize_label(match.group(1)) in words(TOMORROW_WORDS) else 0
        moment = _local(
            today + timedelta(days=shift), int(match.group(2)), int(match.group(3)), tz, today
        )
    else:
        raise DomainError(BAD_TIME)
    return moment.astimezone(UTC)


# How dates and times are written for people (messages, cards, files, exports).
STYLES = {
    "datetime": "%d.%m.%Y %H:%M",  # 25.12.2026 18:00
    "date": "%d.%m.%Y",  # 25.12.2026
    "day_time": "%d.%m %H:%M",  # 25.12 18:00
    "time": "%H:%M",  # 18:00
    "day": "%d.%m",  # 25.12
    "iso_date": "%Y-%m-%d",  # 2026-12-25, in file names
}


def town_time(moment: datetime | str, tz: tzinfo) -> datetime:
    """An instant (an aware datetime, or the database's ISO text) on the town's clock. A
    naive one is UTC, as the database keeps instants."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def town_today(now: datetime, tz: tzinfo) -> date:
    """The town's calendar day at this instant."""
    return town_time(now, tz).date()


def local_text(
    moment: datetime | date | str | None, tz: tzinfo | None, style: str = "datetime"
) -> str:
    """The one way a date or time is written for people, always on the town's clock:
    an instant (a datetime, or the database's ISO text) is shown in `tz`; a calendar day
    (a date, or ISO text of a date such as a wanted date) has no clock and is shown as it
    is (`tz` may then be None). None is empty."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str) and len(moment) == 10:
        moment = date.fromisoformat(moment)
    if isinstance(moment, str | datetime):
        if tz is None:
            raise ValueError("an instant needs the town's time zone")
        return town_time(moment, tz).strftime(STYLES[style])
    written = STYLES[style]
    return moment.strftime(STYLES["date"] if "%H" in written else written)


# How long is left, as labels the outbox renders in the reader's language.
LESS_THAN_A_MINUTE = N_("less than a minute")
MINUTES = NP_("{count} minute", "{count} minutes")
HOURS = NP_("{count} hour", "{count} hours")
DAYS = NP_("{count} day", "{count} days")
TWO_UNITS = N_("{larger} {smaller}")  # «1 hour 58 minutes», «5 days 5 hours»
# Labels of reminders queued before an upgrade (still rendered when they are sent).
LEGACY_LABELS = (N_("{count} d."), N_("{count} h"))


def _count(unit: tuple[str, str], count: int) -> dict[str, Any]:
    return {"t": unit[0], "p": unit[1], "count": count}


def _nearest(value: float, unit: int) -> int:
    """`value` in whole `unit`s, a half rounded up."""
    return int((value + unit / 2) // unit)


def time_left(left: timedelta) -> dict[str, Any]:
    """What is really left, as a label (bot.i18n.render_args): minutes under an hour, hours
    and minutes under a day, days and hours beyond; to the nearest minute (hour beyond a
    day), never rounded up to a whole hour or day."""
    seconds = max(0.0, left.total_seconds())
    minutes = _nearest(seconds, 60)
    if minutes == 0:
        return {"t": LESS_THAN_A_MINUTE}
    if minutes < 60:
        return _count(MINUTES, minutes)
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        if not minutes:
            return _count(HOURS, hours)
        return {"t": TWO_UNITS, "larger": _count(HOURS, hours), "smaller": _count(MINUTES, minutes)}
    days, hours = divmod(_nearest(seconds, 3600), 24)
    if not hours:
        return _count(DAYS, days)
    return {"t": TWO_UNITS, "larger": _count(DAYS, days), "smaller": _count(HOURS, hours)}
