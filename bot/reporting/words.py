"""How the report writes numbers, periods, quotes and comparisons, in the current language.

Call inside a locale context (see bot.reporting)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.i18n import fill
from bot.services.errors import N_
from bot.services.periods import Period
from bot.services.when import town_time

NARROW_NBSP = "\u202f"  # thousands: «4 040», never broken across lines
NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2014"

# «in April 2026» in every month: Russian needs the prepositional case («в апреле»).
MONTHS_IN = (
    N_("in January {year}"),
    N_("in February {year}"),
    N_("in March {year}"),
    N_("in April {year}"),
    N_("in May {year}"),
    N_("in June {year}"),
    N_("in July {year}"),
    N_("in August {year}"),
    N_("in September {year}"),
    N_("in October {year}"),
    N_("in November {year}"),
    N_("in December {year}"),
)


def locale() -> str:
    return str(get_i18n().current_locale)


def num(value: float, pattern: str = "#,##0") -> str:
    """A number as the language writes it, thousands apart by a narrow no-break space in
    Russian («4 040»), by a comma in English («4,040»)."""
    text = format_decimal(value, format=pattern, locale=locale())
    return text.replace(NBSP, NARROW_NBSP).replace(" ", NARROW_NBSP)


def share(value: float, pattern: str = "0.0") -> str:
    """A percentage, one decimal by default: «7,2 %», «7.2%»."""
    return _("{value} %").format(value=num(value, pattern))


def signed(value: float, pattern: str = "#,##0") -> str:
    """A change: «+3», «−2», «0»."""
    if round(value, 1) == 0:
        return num(0, pattern)
    return ("+" if value > 0 else MINUS) + num(abs(value), pattern)


def days(value: float) -> str:
    """Days, whole or not, in the reader's language: "2 days", "5 days", "2.5 days"."""
    if value == int(value):
        whole = int(value)
        return ngettext("{count} day", "{count} days", whole).format(count=num(whole))
    return _("{count} days (not whole)").format(count=num(value, "0.#"))


def roubles(value: int) -> str:
    return ngettext("{count} rouble", "{count} roubles", value).format(count=num(value))


def day_text(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def moment_text(moment: datetime, tz: tzinfo) -> str:
    return day_text(town_time(moment, tz).date())


def month_in(moment: datetime, tz: tzinfo) -> str:
    """«in April 2026» (the month it was on the town's calendar)."""
    local = town_time(moment, tz)
    return _(MONTHS_IN[local.month - 1]).format(year=local.year)


def month_name(day: date, with_year: bool, *, short: bool = False) -> str:
    """A month as a table's row ("April 2026") or a chart's tick ("Apr", "Apr 26"), in the
    reader's language."""
    pattern = ("LLL" if short else "LLLL") + (" yy" if short else " yyyy") * with_year
    return format_date(day, pattern, locale=locale())


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def quote(text: str) -> str:
    """«A title», with „…“ for quotes inside it."""
    return fill(_("«{text}»"), text=text.strip())


def when(period: Period) -> str:
    """«in 2026», «in 2025–2026», «from 01.03.2026 to 31.08.2026»."""
    if (year := period.single_year) is not None:
        return _("in {year}").format(year=year)
    if period.whole_years:
        return _("in {first}–{last}").format(first=period.first.year, last=period.last.year)
    return _("from {first} to {last}").format(
        first=day_text(period.first), last=day_text(period.last)
    )


def for_period(period: Period) -> str:
    """«for 2026», «for 2025–2026», «for the period from … to …»."""
    if (year := period.single_year) is not None:
        return _("for {year}").format(year=year)
    if period.whole_years:
        return _("for {first}–{last}").format(first=period.first.year, last=period.last.year)
    return _("for the period from {first} to {last}").format(
        first=day_text(period.first), last=day_text(period.last)
    )


def at_end(period: Period, today: date) -> str:
    """«at the end of 2026», «as of 31.08.2026»; «as of» today while the period runs."""
    if period.last >= today:
        return _("as of {day}").format(day=day_text(today))
    if period.whole_years:
        return _("at the end of {year}").format(year=period.last.year)
    return _("as of {day}").format(day=day_text(period.last))


def competition_name(title: str) -> str:
    """A competition's name inside a sentence that already says «competition»: a title that
    begins with the word loses it («Конкурс социально значимых проектов» -> «в конкурсе
    социально значимых проектов»), any other is quoted («в конкурсе «Со мной регион
    успешнее!»»)."""
    words = title.split(maxsplit=1)
    word = _("competition (the word a competition's title may begin with)")
    if len(words) == 2 and words[0].casefold() == word.casefold():
        return words[1]
    return quote(title)


def column(period: Period) -> str:
    """A table column's heading: «2026», «2025–2026», «01.03–31.08.2026»."""
    if (year := period.single_year) is not None:
        return str(year)
    if period.whole_years:
        return f"{period.first.year}\u2013{period.last.year}"
    return f"{day_text(period.first)}\u2013{day_text(period.last)}"


def was(previous: Period | None, value: str | None) -> str:
    """« (in 2025: 15)» after a figure, when there is one to compare with."""
    if previous is None or value is None:
        return ""
    return _(" ({when}: {value})").format(when=when(previous), value=value)


def listing(parts: list[str]) -> str:
    return ", ".join(parts)
