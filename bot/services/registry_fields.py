"""What staff type or import for a TOS or an organisation, checked and parsed."""

from __future__ import annotations

import re
from datetime import date

from bot.services.errors import N_, DomainError
from bot.services.numbers import whole_number
from bot.textsplit import length
from bot.vocabulary import Words, normalize_label

ORG_KINDS = {
    "ngo": N_("NGO"),
    "group": N_("initiative group"),
    "other": N_("other organisation"),
}
# More words staff may type or put in a file for the kind (vocabulary in locales/).
ORG_KIND_WORDS = {
    "ngo": N_("ngo, npo, non-profit, public organisation"),
    "group": N_("initiative group, group"),
    "other": N_("other"),
}
# What a typed street may say besides its name (vocabulary: each catalog lists its forms).
STREET_TYPE_WORDS = N_(
    "street, st, str, avenue, ave, lane, ln, road, rd, square, sq, boulevard, blvd, "
    "district, quarter, embankment, highway, drive, dead end, house, building, block"
)
STREET_STOP_WORDS = N_("i, live, on, at, the, in, my, our, near, tos")
# Words among a territory's house numbers: «houses 1 and 3», «from 1 to 15», «even side».
STREET_HOUSE_WORDS = N_("house, houses, no, number, numbers, and, from, side, sides, only")
STREET_TO_WORDS = N_("to, till, until, through")
STREET_EVEN_WORDS = N_("even")
STREET_ODD_WORDS = N_("odd")
# The vocabulary of `territory.StreetWords`, by its argument's name.
STREET_WORDS = {
    "types": STREET_TYPE_WORDS,
    "stop": STREET_STOP_WORDS,
    "house": STREET_HOUSE_WORDS,
    "to": STREET_TO_WORDS,
    "even": STREET_EVEN_WORDS,
    "odd": STREET_ODD_WORDS,
}
CHAIR_FIELDS = ("public_contact", "description")  # what a chair may change

ROLE_NAMES = {
    "chair": N_("TOS chair"),
    "deputy": N_("deputy chair"),
    "rep": N_("representative"),
}
TOS_FIELDS = {
    "name": N_("Name"),
    "territory": N_("Territory"),
    "residents": N_("Residents covered"),
    "registered_on": N_("Registration date"),
    "area": N_("Centre and radius"),
    "contacts": N_("Contacts for staff"),
    "public_contact": N_("Public contact"),
    "description": N_("Description"),
}
ORG_FIELDS = {
    "name": N_("Name"),
    "kind": N_("Kind"),
    "description": N_("Description"),
    "contacts": N_("Contacts"),
}
DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?")


def _text(value: str, low: int, high: int, message: str) -> str:
    value = " ".join(value.split()) if "\n" not in value else value.strip()
    if not low <= length(value) <= high:
        raise DomainError(message, low=low, high=high)
    return value


def parse_name(value: str) -> str:
    return _text(value, 2, 150, N_("The name must be {low} to {high} characters long."))


def parse_territory(value: str) -> tuple[str, ...]:
    lines = [" ".join(line.split()) for line in re.split(r"[\n;]", value)]
    lines = [line for line in lines if line]
    if not lines or len(lines) > 300 or any(length(line) > 200 for line in lines):
        raise DomainError(
            N_(
                "List the streets and houses, one per line or separated by «;» "
                "(e.g. «Lenin St, 1–15; Garden Lane»): up to 300 lines of 200 characters."
            )
        )
    return tuple(lines)


def parse_residents(value: str) -> int:
    digits = value.replace(" ", "").replace("\u00a0", "")
    residents = whole_number(digits, high=1_000_000)
    if residents is None:
        raise DomainError(N_("The number of residents must be a whole number, e.g. 240."))
    return residents


def parse_date(value: str, today: date) -> date:
    value = value.strip()
    found = DATE_RE.fullmatch(value)
    try:
        if found:
            day, month, year = (int(g) for g in found.groups())
            parsed = date(year, month, day)
        else:
            parsed = date.fromisoformat(value)
    except ValueError:
        raise DomainError(N_("Write the date as DD.MM.YYYY, e.g. 15.03.2019.")) from None
    if parsed > today:
        raise DomainError(N_("The registration date cannot be in the future."))
    if parsed.year < 1990:
        raise DomainError(N_("Please check the year: it should be 1990 or later."))
    return parsed


def parse_area(value: str) -> tuple[float, float, int]:
    """«54.64, 83.30, 400»: the centre's latitude and longitude and a radius in metres."""
    numbers = [float(n.replace(",", ".")) for n in NUMBER_RE.findall(value.replace(", ", " "))]
    if len(numbers) != 3 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        raise DomainError(
            N_(
                "Send the centre and radius as «latitude longitude metres», e.g. "
                "«54.6401 83.3062 400», or share a location."
            )
        )
    if not 10 <= numbers[2] <= 20_000:  # before int(): a run of digits reads as infinity
        raise DomainError(N_("The radius must be 10 to 20000 metres."))
    return numbers[0], numbers[1], int(numbers[2])


def parse_polygon(value: str) -> tuple[tuple[float, float], ...]:
    points = []
    for part in value.split(";"):
        numbers = [float(n.replace(",", ".")) for n in NUMBER_RE.findall(part.replace(", ", " "))]
        if not numbers:
            continue
        if len(numbers) != 2 or not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
            raise DomainError(N_("A polygon is «lat lon; lat lon; lat lon», three points or more."))
        points.append((numbers[0], numbers[1]))
    if len(points) < 3:
        raise DomainError(N_("A polygon is «lat lon; lat lon; lat lon», three points or more."))
    return tuple(points)


def parse_kind(value: str, words: Words) -> str:
    typed = normalize_label(value)
    for kind, label in ORG_KINDS.items():
        if typed in words(label) | words(ORG_KIND_WORDS[kind]):
            return kind
    raise DomainError(N_("The kind is one of: NGO, initiative group, other."))


def parse_contact(value: str) -> str:
    return _text(value, 3, 300, N_("Contacts must be {low} to {high} characters long."))


def parse_description(value: str) -> str:
    return _text(value, 3, 1000, N_("The description must be {low} to {high} characters long."))
