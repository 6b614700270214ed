"""Open data for the town's open data page: what the bot already shows to everyone, and
nothing personal, whatever the settings.

- Public initiatives: those the public list shows (InitiativeService.public_page, so an
  initiative hidden from it is left out here too); their number, direction, title, status,
  TOS, the place's coordinates where the author shared a location, supporters and dates.
  Never the author, the description, the typed address (it may name a person or a flat) or
  the photos.
- The TOS registry: the active TOS' name, territory (streets and houses), residents covered,
  registration date, the contact the chair publishes on the TOS's card, and its area (centre
  and radius, or polygon). Never the contacts for staff, the description, the people who hold
  a role or the members.
- The year's figures: the report's (bot/services/report_figures.py), counts only.

The files are written by bot/reporting/open_data.py; `python -m bot export --what open-data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.initiatives import InitiativeService
from bot.services.periods import Period
from bot.services.report_figures import Figures
from bot.services.reports import ReportService
from bot.services.when import town_today
from storage.db import Database

PAGE = 500  # public initiatives read at a time


@dataclass(frozen=True, slots=True)
class PublicInitiative:
    year: int
    seq: int
    direction: str
    title: str
    status: str  # one of INITIATIVE_PUBLIC
    tos: str | None  # the TOS's name
    latitude: float | None  # where the author shared a location
    longitude: float | None
    supporters: int
    submitted_on: date
    status_since: date  # the last decision's day (the submission's, if none is logged)


@dataclass(frozen=True, slots=True)
class PublicTos:
    """A TOS as the registry publishes it."""

    name: str
    territory: tuple[str, ...]
    residents: int
    registered_on: date | None
    public_contact: str | None  # what the chair publishes on the TOS's card
    latitude: float | None  # the centre of its area
    longitude: float | None
    radius_m: int | None
    polygon: tuple[tuple[float, float], ...] | None  # (latitude, longitude) points


@dataclass(frozen=True, slots=True)
class OpenData:
    municipality: str
    year: int
    prepared_on: date  # the town's day the files were written
    initiatives: list[PublicInitiative]
    tos: list[PublicTos]
    figures: Figures


class OpenDataService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        initiatives: InitiativeService,
        reports: ReportService,
        *,
        timezone: ZoneInfo,
    ) -> None:
        self._db = db
        self._clock = clock
        self._initiatives = initiatives
        self._reports = reports
        self.timezone = timezone

    def _day(self, moment: datetime) -> date:
        return town_today(moment, self.timezone)

    async def public_initiatives(self) -> list[PublicInitiative]:
        """Every initiative the public list shows, the oldest first."""
        found = []
        page = 0
        while True:
            records, total = await self._initiatives.public_page(None, page, PAGE)
            found += records
            page += 1
            if not records or page * PAGE >= total:
                break
        tos_names = await self._db.read.registry.tos_names(
            sorted({r.tos_id for r in found if r.tos_id is not None})
        )
        out = []
        for record in sorted({r.id: r for r in found}.values(), key=lambda r: r.id):
            history = await self._db.read.initiatives.history(record.id)
            last = max((change.at for change in history), default=record.created_at)
            located = record.latitude is not None and record.longitude is not None
            out.append(
                PublicInitiative(
                    year=record.year,
                    seq=record.seq,
                    direction=record.direction,
                    title=record.title,
                    status=record.status,
                    tos=tos_names.get(record.tos_id) if record.tos_id is not None else None,
                    latitude=record.latitude if located else None,
                    longitude=record.longitude if located else None,
                    supporters=record.supports,
                    submitted_on=self._day(record.created_at),
                    status_since=self._day(last),
                )
            )
        return out

    async def registry(self) -> list[PublicTos]:
        """The active TOS, by name."""
        return [
            PublicTos(
                name=tos.name,
                territory=tos.territory,
                residents=tos.residents,
                registered_on=tos.registered_on,
                public_contact=tos.public_contact,
                latitude=tos.latitude,
                longitude=tos.longitude,
                radius_m=tos.radius_m,
                polygon=tos.polygon,
            )
            for tos in await self._db.read.registry.all_tos(active_only=True)
        ]

    async def gather(self, year: int | None = None) -> OpenData:
        """Everything the open data files hold; the figures of `year` (default: this year on
        the town's calendar, so far)."""
        now = self._clock.now()
        year = year or self._day(now).year
        report = await self._reports.report(None, Period.years(year))
        return OpenData(
            municipality=report.municipality,
            year=year,
            prepared_on=self._day(now),
            initiatives=await self.public_initiatives(),
            tos=await self.registry(),
            figures=report.current,
        )
