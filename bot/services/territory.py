"""Where a TOS is: street names matched despite typos and Russian case endings, and
points matched against a TOS's circle or polygon."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

import snowballstemmer

# Street names are matched by their stems, so that case endings and a typo do not matter
# («Lenin St» in the nominative, genitive or dative is the same street). The Snowball stemmer
# knows Russian and English inflection; the words that only say what kind of street it is
# («street», «lane», «house») and the words around a name in a typed answer («I live on»)
# are vocabulary in locales/ (STREET_TYPE_WORDS, STREET_STOP_WORDS in registry_fields).
MIN_STEM = 3
MATCH = 0.78  # how alike two words must be: one typo in a six-letter name passes
WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")  # letters, maybe hyphenated («pr-t»)
_STEMMERS = (snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english"))


def _fold(text: str) -> str:
    """Lower case, and the Russian yo written as ye, as most people type it."""
    return text.lower().replace("\u0451", "\u0435")


def stem(word: str) -> str:
    for stemmer in _STEMMERS:
        stemmed: str = stemmer.stemWord(word)
        if stemmed != word:
            return stemmed if len(stemmed) >= MIN_STEM else word
    return word


class StreetWords:
    """The words that are not a street's name: kinds of street and the words around it."""

    def __init__(self, types: Iterable[str], stop: Iterable[str]) -> None:
        self.types = frozenset(_fold(w) for w in types)
        self.stop = frozenset(_fold(w) for w in stop)
        # «lane» inflected is still «lane»: its stem marks it too (short ones would catch names).
        self.type_stems = frozenset(stem(w) for w in self.types if len(w) > 3)

    def skips(self, word: str) -> bool:
        spaced = word.replace("-", " ")  # the catalogs' words are normalized so
        return word in self.stop or word in self.types or spaced in self.types


def name_words(text: str, vocabulary: StreetWords) -> tuple[tuple[str, str], ...]:
    """The words that name a street, each with its stem: no numbers, no «street», no «house»."""
    found = []
    for word in WORD_RE.findall(_fold(text)):
        # A lone letter is a house letter («12a»), not a name.
        if len(word) < 2 or vocabulary.skips(word):
            continue
        stemmed = stem(word)
        if stemmed not in vocabulary.type_stems:
            found.append((word, stemmed))
    return tuple(found)


def _alike(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)):
        return 0.9
    return SequenceMatcher(None, a, b).ratio()


def street_score(query: tuple[tuple[str, str], ...], street: tuple[tuple[str, str], ...]) -> float:
    """How well a typed street matches one line of a territory (0..1): every typed word must
    be like some word of the street's name, by its stem or as it is written."""
    if not query or not street:
        return 0.0
    return min(max(max(_alike(qs, ss), _alike(qw, sw)) for sw, ss in street) for qw, qs in query)


def best_score(query_text: str, lines: Iterable[str], vocabulary: StreetWords) -> float:
    query = name_words(query_text, vocabulary)
    return max((street_score(query, name_words(line, vocabulary)) for line in lines), default=0.0)


def is_match(score: float) -> bool:
    return score >= MATCH


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
