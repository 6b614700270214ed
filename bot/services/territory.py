"""Where a TOS is: street names matched despite typos and Russian case endings, and
points matched against a TOS's circle or polygon."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import snowballstemmer

T = TypeVar("T")
Word = tuple[str, str]  # a word as written (folded) and its stem
Alike = Callable[[Word, Word], float]

# Street names are matched by their stems, so that case endings and a typo do not matter
# («Lenin St» in the nominative, genitive or dative is the same street). The Snowball stemmer
# knows Russian and English inflection; the words that only say what kind of street it is
# («street», «lane», «house»), the words around a name in a typed answer («I live on») and the
# words among house numbers («even», «from 1 to 15») are vocabulary in locales/ (STREET_WORDS
# in registry_fields).
#
# A territory line names a street and, after it, maybe its houses: a range «1–15», a list
# «1, 3, 5», a side «even» (before or after its numbers), or nothing: the whole street. A
# line whose houses cannot be read for sure counts as the whole street, so that a resident
# is never told that no TOS covers a house that one does.
MIN_STEM = 3
HOUSE_MAX = 9999  # a bigger number is a postcode or a typo, not a house
# How alike two words must be, as the number of typos (edits) allowed for their length.
TYPOS = ((4, 0), (8, 1))  # up to 4 letters: none; up to 8: one; longer: two
# How well a word matches, best first; with typos: TYPO x (1 - typos / length), always less.
EXACT, SAME_STEM, ABBREVIATED, TYPO = 1.0, 0.97, 0.9, 0.85
# A number with what may follow it: an ordinal ending («1-я», «2nd»: part of a name) or a
# house's letter or fraction («12а», «12/1»: still house 12).
TOKEN_RE = re.compile(
    r"(?P<num>\d+)(?:(?P<ordinal>-[^\W\d_]+|(?:st|nd|rd|th)(?![^\W\d_]))"
    r"|(?P<letter>[^\W\d_](?![^\W\d_])))?(?:/\d+)?"
    r"|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)"
    r"|(?P<dash>[-\u2010-\u2015\u2212])"
    r"|(?P<other>\S)"
)
SPEC_PUNCTUATION = frozenset(",.:()#\u2116")  # what may stand among house numbers (\u2116: No)
_STEMMERS = (snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english"))


def _fold(text: str) -> str:
    """Lower case, and the Russian yo written as ye, as most people type it."""
    return text.lower().replace("\u0451", "\u0435")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    for stemmer in _STEMMERS:
        stemmed: str = stemmer.stemWord(word)
        if stemmed != word:
            return stemmed if len(stemmed) >= MIN_STEM else word
    return word


class StreetWords:
    """The words that are not a street's name: kinds of street, the words around it, and
    the words among house numbers (a side of the street, «to» in a range, «house», «and»)."""

    def __init__(
        self,
        types: Iterable[str],
        stop: Iterable[str],
        house: Iterable[str] = (),
        to: Iterable[str] = (),
        even: Iterable[str] = (),
        odd: Iterable[str] = (),
    ) -> None:
        self.types = frozenset(_fold(w) for w in types)
        self.stop = frozenset(_fold(w) for w in stop)
        self.house = frozenset(_fold(w) for w in house)
        self.to = frozenset(_fold(w) for w in to)
        self.even = frozenset(_fold(w) for w in even)
        self.odd = frozenset(_fold(w) for w in odd)
        # «lane» inflected is still «lane»: its stem marks it too (short ones would catch names).
        self.type_stems = frozenset(stem(w) for w in self.types if len(w) > 3)
        self._lines: dict[str, Line] = {}

    def skips(self, word: str) -> bool:
        spaced = word.replace("-", " ")  # the catalogs' words are normalized so
        return any(
            word in words or spaced in words
            for words in (self.stop, self.types, self.house, self.to, self.even, self.odd)
        )

    def is_name(self, word: str) -> bool:
        """A word of a street's name: not a lone letter («12 a»), not vocabulary."""
        return len(word) >= 2 and not self.skips(word) and stem(word) not in self.type_stems

    def parity(self, word: str) -> int | None:
        spaced = word.replace("-", " ")
        if word in self.even or spaced in self.even:
            return 0
        if word in self.odd or spaced in self.odd:
            return 1
        return None

    def line(self, text: str) -> Line:
        """A territory line read once (the registry's lines do not change often)."""
        found = self._lines.get(text)
        if found is None:
            if len(self._lines) >= 50_000:
                self._lines.clear()
            found = self._lines[text] = read_line(text, self)
        return found


# -- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | word | dash | other
    text: str
    number: int | None = None  # a house number (num); None when too long to be one
    ordinal: bool = False  # «1-я», «2nd»: part of a name, never a house


def tokens(text: str) -> list[Token]:
    found = []
    for match in TOKEN_RE.finditer(_fold(text)):
        kind = match.lastgroup or "other"
        if match.group("num") is not None:
            digits = match.group("num")
            number = int(digits) if len(digits) <= 4 and 0 < int(digits) <= HOUSE_MAX else None
            found.append(Token("num", match.group(0), number, match.group("ordinal") is not None))
        else:
            found.append(Token(kind, match.group(0)))
    return found


def _words(found: list[Token], vocabulary: StreetWords) -> tuple[Word, ...]:
    return tuple(
        (t.text, stem(t.text)) for t in found if t.kind == "word" and vocabulary.is_name(t.text)
    )


def name_words(text: str, vocabulary: StreetWords) -> tuple[Word, ...]:
    """The words that name a street, each with its stem: no numbers, no «street», no «house»."""
    return _words(tokens(text), vocabulary)


# -- houses -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Houses:
    """The houses of a street a territory line covers: spans (first, last, parity), parity
    0 for even numbers, 1 for odd, None for all. No spans: the whole street."""

    spans: tuple[tuple[int, int, int | None], ...] = ()

    @property
    def whole(self) -> bool:
        return not self.spans

    def covers(self, house: int) -> bool:
        return self.whole or any(
            lo <= house <= hi and (parity is None or house % 2 == parity)
            for lo, hi, parity in self.spans
        )


WHOLE_STREET = Houses()


@dataclass(slots=True)
class _Span:
    first: int
    last: int
    parity: int | None


def _house_items(found: list[Token], vocabulary: StreetWords) -> list[tuple[str, int]] | None:
    """The tokens after a street's name as items: ("n", number), ("to", 0), ("side", parity),
    (",", 0); None when a token is not one that house numbers are written with."""
    items: list[tuple[str, int]] = []
    for index, token in enumerate(found):
        if token.kind == "num":
            if token.number is None or token.ordinal:
                return None
            items.append(("n", token.number))
        elif token.kind == "dash":
            items.append(("to", 0))
        elif token.kind == "word":
            word = token.text
            side = vocabulary.parity(word)
            if side is not None:
                items.append(("side", side))
            elif word in vocabulary.to:
                items.append(("to", 0))
            elif vocabulary.skips(word) or stem(word) in vocabulary.type_stems:
                continue  # «house», «from», «side», «and», «St»
            elif not (len(word) == 1 and index and found[index - 1].kind == "num"):
                return None  # (a lone letter after a number is the house's: «12 a»)
        elif token.text == ",":
            items.append((",", 0))
        elif token.text not in SPEC_PUNCTUATION:
            return None
    return items


def read_houses(found: list[Token], vocabulary: StreetWords) -> Houses:
    """What the tokens after a street's name say about its houses; anything not understood
    makes it the whole street. A side word right before numbers («even 2–20») holds until
    the next side word; after them («2–20 even»), it takes those since the last side word;
    alone, it is the whole side."""
    items = _house_items(found, vocabulary)
    if items is None:
        return WHOLE_STREET
    spans: list[_Span] = []
    unbound: list[_Span] = []  # spans no side word has claimed yet
    forward: int | None = None
    i = 0
    while i < len(items):
        kind, value = items[i]
        following = [k for k, _ in items[i + 1 : i + 3]]
        if kind == "side":
            if following[:1] in (["n"], ["to"]):
                forward, unbound = value, []
            else:
                for span in unbound:
                    span.parity = value
                if not unbound:
                    spans.append(_Span(1, HOUSE_MAX, value))
                forward, unbound = None, []
            i += 1
            continue
        if kind == "n" and following == ["to", "n"]:
            first, last = sorted((value, items[i + 2][1]))
            span = _Span(first, last, forward)
            i += 3
        elif kind == "n" and following[:1] != ["to"]:
            span = _Span(value, value, forward)
            i += 1
        elif kind == "to" and following[:1] == ["n"]:
            span = _Span(1, items[i + 1][1], forward)  # «up to 15»
            i += 2
        elif kind == ",":
            i += 1
            continue
        else:
            return WHOLE_STREET  # «15–» or «to» with no number after it
        spans.append(span)
        if forward is None:
            unbound.append(span)
    return Houses(tuple((span.first, span.last, span.parity) for span in spans))


# -- a territory line and what a resident typed -------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a territory: the street's name words, the numbers in its name («40 let
    Pobedy»), and the houses it covers."""

    words: tuple[Word, ...]
    name_numbers: frozenset[int]
    houses: Houses


def read_line(text: str, vocabulary: StreetWords) -> Line:
    found = tokens(text)
    names = [i for i, t in enumerate(found) if t.kind == "word" and vocabulary.is_name(t.text)]
    if not names:
        return Line((), frozenset(), WHOLE_STREET)
    last = names[-1]
    name_part, spec = found[: last + 1], found[last + 1 :]
    # A number inside the name after its first word («Lenin 1–15 except 7»): not understood.
    inside = [t for t in found[names[0] : last] if t.kind == "num" and not t.ordinal]
    houses = WHOLE_STREET if inside else read_houses(spec, vocabulary)
    numbers = frozenset(t.number for t in name_part if t.kind == "num" and t.number is not None)
    return Line(_words(name_part, vocabulary), numbers, houses)


@dataclass(frozen=True, slots=True)
class Place:
    """What a resident typed: the street's name words and the house number, which comes
    after the name («Lenina, 15») or before it («15 Lenin St», «house 15 on Lenina»)."""

    words: tuple[Word, ...]
    after: int | None  # the first number after the name
    before: tuple[int, ...]  # numbers before the name, maybe part of it («40 let Pobedy»)

    def house_for(self, line: Line) -> int | None:
        if self.after is not None:
            return self.after
        return next((n for n in self.before if n not in line.name_numbers), None)


def read_place(text: str, vocabulary: StreetWords) -> Place:
    found = tokens(text)
    names = [i for i, t in enumerate(found) if t.kind == "word" and vocabulary.is_name(t.text)]
    if not names:
        return Place((), None, ())
    houses = [
        (i, t.number)
        for i, t in enumerate(found)
        if t.kind == "num" and not t.ordinal and t.number is not None
    ]
    after = next(((i, n) for i, n in houses if i > names[0]), None)
    # The street's name ends at the house number after it: «Lenina 15, flat 7».
    end = after[0] if after else len(found)
    before = tuple(n for i, n in houses if i < names[0])
    return Place(_words(found[:end], vocabulary), after[1] if after else None, before)


# -- how alike --------------------------------------------------------------------------------


def edits(a: str, b: str, limit: int) -> int:
    """Typos between two words (insert, delete, replace, swap two neighbours), or
    `limit + 1` as soon as there are more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _typos_allowed(length: int) -> int:
    for longest, allowed in TYPOS:
        if length <= longest:
            return allowed
    return 2


def alike(typed: Word, street: Word) -> float:
    """How alike a typed word is to a word of a street's name (0..1, 0: not alike)."""
    (word, stemmed), (street_word, street_stem) = typed, street
    if word == street_word:
        return EXACT
    # A stem matches when it is long enough to say something (Snowball cuts «Lenena» to
    # «len», which is also «Lena»), or when neither word lost more than its last letter.
    if stemmed == street_stem and (
        len(stemmed) >= 4 or max(len(word), len(street_word)) <= len(stemmed) + 1
    ):
        return SAME_STEM
    if len(stemmed) >= 4 and street_stem.startswith(stemmed):
        return ABBREVIATED  # «Sovet» for «Sovetskaya»
    typo = _typo(word, street_word)
    if min(len(stemmed), len(street_stem)) >= 4 and stemmed != street_stem:
        typo = max(typo, _typo(stemmed, street_stem))  # «Ленену» for «Ленина»: «ленен», «ленин»
    return typo


def _typo(a: str, b: str) -> float:
    """TYPO x (1 - typos / length), or 0 when there are more typos than a word that long
    may have."""
    length = max(len(a), len(b))
    allowed = _typos_allowed(length)
    found = edits(a, b, allowed)
    return TYPO * (1 - found / length) if found <= allowed else 0.0


def street_score(query: tuple[Word, ...], street: tuple[Word, ...], alike: Alike) -> float:
    """How well a typed street matches one line of a territory (0..1): every typed word must
    be like some word of the street's name."""
    if not query or not street:
        return 0.0
    return min(max(alike(typed, word) for word in street) for typed in query)


def is_match(score: float) -> bool:
    return score > 0  # `alike` already said 0 for words that are not alike


def rank_by_street(
    text: str, candidates: Iterable[tuple[T, Iterable[str]]], vocabulary: StreetWords
) -> list[T]:
    """The candidates (a TOS and its lines: its name, then its territory) that have the street
    typed in `text`, best first. Only those with the best-matching street are kept (a typo
    that is one letter from «Lenina» is not also «Lesnaya»); with a house number, only those
    whose line for that street covers the house, the ones that list it before those that
    cover the whole street."""
    place = read_place(text, vocabulary)
    if not place.words:
        return []
    known: dict[tuple[Word, Word], float] = {}  # lines share words: compare each pair once

    def remembered(typed: Word, word: Word) -> float:
        score = known.get((typed, word))
        if score is None:
            score = known[typed, word] = alike(typed, word)
        return score

    scored: list[tuple[float, T, list[Line]]] = []
    for item, texts in candidates:
        lines = [vocabulary.line(line) for line in texts]
        scores = [street_score(place.words, line.words, remembered) for line in lines]
        best = max(scores, default=0.0)
        if is_match(best):
            scored.append(
                (best, item, [ln for ln, s in zip(lines, scores, strict=True) if s >= best - 1e-9])
            )
    if not scored:
        return []
    top = max(score for score, _, _ in scored)
    ranked: list[tuple[int, int, T]] = []
    for order, (score, item, lines) in enumerate(scored):
        if score < top - 1e-9:
            continue
        covering = []
        for line in lines:
            house = place.house_for(line)
            if house is None or line.houses.covers(house):
                covering.append(house is not None and not line.houses.whole)
        if covering:
            ranked.append((0 if any(covering) else 1, order, item))
    ranked.sort(key=lambda entry: entry[:2])
    return [item for _, _, item in ranked]


# -- geometry ---------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def in_polygon(lat: float, lon: float, polygon: Iterable[tuple[float, float]]) -> bool:
    """Ray casting; a town's blocks are small enough to treat degrees as flat."""
    points = list(polygon)
    inside = False
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:] + points[:1], strict=True):
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


@dataclass(frozen=True, slots=True)
class Area:
    latitude: float | None
    longitude: float | None
    radius_m: int | None
    polygon: tuple[tuple[float, float], ...] | None

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon and len(self.polygon) >= 3:
            return in_polygon(lat, lon, self.polygon)
        if self.latitude is not None and self.longitude is not None and self.radius_m:
            return distance_m(lat, lon, self.latitude, self.longitude) <= self.radius_m
        return False

    def centre(self) -> tuple[float, float] | None:
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        if self.polygon:
            lats = [p[0] for p in self.polygon]
            lons = [p[1] for p in self.polygon]
            return sum(lats) / len(lats), sum(lons) / len(lons)
        return None
