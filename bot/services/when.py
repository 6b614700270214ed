"""Dates and times as people type them, read in the town's time zone (zoneinfo, so daylight
saving is the zone's business, never a fixed offset)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import Words, normalize_label
from bot.services.errors import N_, DomainError

TOMORROW_WORDS = N_("tomorrow")
TODAY_WORDS = N_("today")
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
        moment = _local(today + timedelta(days=shift), int(match.group(2)),
                        int(match.group(3)), tz, today)  # fmt: skip
    else:
        raise DomainError(BAD_TIME)
    return moment.astimezone(UTC)


def local_text(moment: datetime, tz: ZoneInfo) -> str:
    """An instant as the town's clock shows it: 25.12.2026 18:00."""
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
