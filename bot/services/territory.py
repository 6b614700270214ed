"""Where a TOS is: street names matched despite typos and Russian case endings, and
points matched against a TOS's circle or polygon."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher


def _words(text: str) -> list[str]:
    return text.split()


# Words that say what kind of street it is; they carry no name.
STREET_TYPES = frozenset(
    _words(
        """ул улица улицы улице улицу пер переулок переулка переулке пр пр-т пр-кт просп
        проспект проспекта проспекте пл площадь площади мкр мкрн микрорайон микрорайона
        микрорайоне б-р бульвар бульвара бульваре ш шоссе проезд проезда проезде туп тупик
        тупика кв-л квартал квартала квартале наб набережная набережной тер территория снт
        д дом дома корп к стр street st str avenue ave lane ln road rd square sq district"""
    )
)
# Russian inflections, longest first: «Ленина», «Ленину», «Ленинской» share the stem «ленин».
ENDINGS = tuple(
    sorted(
        _words(
            """ого его ому ему ыми ими ая яя ой ей ую юю ые ие ых их ом ем ам ям ах ях ов ев
            ский ская ской ское ских ским скую а я у ю ы и е о й ь"""
        ),
        key=len,
        reverse=True,
    )
)
# Words around a street name in a typed answer («живу на Ленина»).
STOP_WORDS = frozenset(
    _words(
        "на в во по у около возле рядом с со за живу мой моя наш наша i live on at the in my near"
    )
)
MIN_STEM = 3
MATCH = 0.78  # how alike two stems must be: one typo in a six-letter name passes
WORD_RE = re.compile(r"[a-zа-я]+(?:-[a-zа-я]+)?")


def stem(word: str) -> str:
    word = word.lower().replace("ё", "е")
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def name_stems(text: str) -> tuple[str, ...]:
    """The stems of the words that name a street: no numbers, no «ул.», no «дом»."""
    words = WORD_RE.findall(text.lower().replace("ё", "е"))
    stems = []
    for word in words:
        # A lone letter is a house letter («12а»), not a name.
        if len(word) < 2 or word in STOP_WORDS or word in STREET_TYPES:
            continue
        stemmed = stem(word)
        if stemmed not in _TYPE_STEMS:
            stems.append(stemmed)
    return tuple(stems)


_TYPE_STEMS = frozenset(stem(word) for word in STREET_TYPES if len(word) > 3)


def _alike(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)):
        return 0.9
    return SequenceMatcher(None, a, b).ratio()


def street_score(query: tuple[str, ...], street: tuple[str, ...]) -> float:
    """How well a typed street matches one line of a territory (0..1): every typed word must
    be like some word of the street's name."""
    if not query or not street:
        return 0.0
    return min(max(_alike(q, s) for s in street) for q in query)


def best_score(query_text: str, lines: Iterable[str]) -> float:
    query = name_stems(query_text)
    return max((street_score(query, name_stems(line)) for line in lines), default=0.0)


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
