"""The open data files (bot/services/open_data.py gathers what they hold): CSV through the one
safe writer (bot/tables.py: UTF-8 with a BOM, «;», a header row, never a formula), GeoJSON
(RFC 7946: WGS 84 longitude and latitude), and README.txt, the data dictionary, in the
reader's language.

Column names are fixed codes in English (a portal's schema relies on them); values that are
codes (direction, status) come with a label in the reader's language beside them. In the
GeoJSON of initiatives every public initiative is a feature: those without a shared location
have `"geometry": null` (RFC 7946, 3.2), so both files list the same initiatives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiogram.utils.i18n import gettext as _

from bot.services.errors import N_
from bot.services.initiatives import DIRECTIONS
from bot.services.initiatives import NUMBER as INITIATIVE_NUMBER
from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES
from bot.services.open_data import OpenData, PublicInitiative, PublicTos
from bot.services.registry_fields import ORG_KINDS
from bot.services.report_figures import Figures
from bot.services.request_kinds import KINDS
from bot.services.requests import STATUSES as REQUEST_STATUSES
from bot.services.status_groups import OUTCOME_LABELS
from bot.tables import to_csv

INITIATIVES_CSV = "initiatives.csv"
INITIATIVES_GEOJSON = "initiatives.geojson"
TOS_CSV = "tos.csv"
TOS_GEOJSON = "tos.geojson"
README = "README.txt"


def figures_csv(year: int) -> str:
    return f"figures-{year}.csv"


# The columns of each file with what they hold (README.txt), in their order.
INITIATIVE_COLUMNS: dict[str, str] = {
    "number": N_("the initiative's public number, as the bot shows it"),
    "year": N_("the year of its number"),
    "direction": N_(
        "direction, a code: improvement, sport, festivals, memorials, other (see direction_name)"
    ),
    "direction_name": N_("direction, in words"),
    "title": N_("title, as the public list shows it"),
    "status": N_("status, a code: accepted, in_progress, done (see status_name)"),
    "status_name": N_("status, in words"),
    "tos": N_("the TOS it belongs to, if any"),
    "latitude": N_("the place's latitude (WGS 84), where the author shared a location"),
    "longitude": N_("the place's longitude (WGS 84), where the author shared a location"),
    "supporters": N_("residents who supported it in the bot"),
    "submitted_on": N_("the day it was submitted (YYYY-MM-DD, the town's calendar)"),
    "status_since": N_("the day of its last status change (YYYY-MM-DD)"),
}
TOS_COLUMNS: dict[str, str] = {
    "name": N_("the TOS's name"),
    "territory": N_("its territory: streets and houses, separated by «; »"),
    "residents": N_("residents living on its territory"),
    "registered_on": N_("registration date (YYYY-MM-DD), where known"),
    "public_contact": N_("the contact the TOS publishes for residents"),
    "latitude": N_("the centre of its area: latitude (WGS 84), where given"),
    "longitude": N_("the centre of its area: longitude (WGS 84), where given"),
    "radius_m": N_("the radius of its area around the centre, metres, where given"),
}
FIGURE_COLUMNS: dict[str, str] = {
    "indicator": N_("the indicator, a code (listed below)"),
    "name": N_("the indicator, in words"),
    "group": N_("what the value is broken down by, a code (a direction, a kind); empty if none"),
    "group_name": N_("the same, in words; for a competition, its title"),
    "subgroup": N_("a second breakdown: an outcome or a status; empty if none"),
    "subgroup_name": N_("the same, in words"),
    "value": N_("the value"),
}
INDICATORS: dict[str, str] = {
    "population": N_("population of the town"),
    "tos": N_("TOS registered by the year's end"),
    "tos_residents": N_("residents on the TOS' territories"),
    "tos_coverage_percent": N_("share of the population on the TOS' territories, %"),
    "tos_members": N_("residents who joined a TOS in the bot, at the year's end"),
    "organisations": N_("organisations in the bot, by kind"),
    "initiatives": N_("citizen initiatives submitted, by direction and outcome"),
    "requests": N_("support requests received, by type and status"),
    "requests_answered": N_("support requests answered, by type"),
    "requests_answered_on_time": N_("support requests answered by the due date, by type"),
    "answer_days_median": N_("median days to the first answer, by type (empty type: all)"),
    "events_held": N_("events held"),
    "events_joint": N_("events held jointly with the town hall"),
    "events_attended": N_("people who attended the events, as organisers counted"),
    "events_signed_up": N_("people who signed up in the bot for the events held"),
    "competition_applications": N_("competition applications, by competition"),
    "competition_winners": N_("competition winners, by competition, once announced"),
    "competition_awarded": N_("roubles awarded, by competition, once announced"),
    "people": N_("people who took part through the bot"),
    "supporters": N_("people who supported an initiative"),
    "supports": N_("supports given to initiatives"),
}


def _number(record: PublicInitiative) -> str:
    return _(INITIATIVE_NUMBER).format(year=record.year, seq=f"{record.seq:04d}")


def _coordinate(value: float) -> float:
    return round(value, 6)  # about 10 cm: more digits say nothing more


def _label(labels: dict[str, str], code: str) -> str:
    return _(labels[code]) if code in labels else ""


def _initiative_values(record: PublicInitiative) -> dict[str, Any]:
    return {
        "number": _number(record),
        "year": record.year,
        "direction": record.direction,
        "direction_name": _label(DIRECTIONS, record.direction),
        "title": record.title,
        "status": record.status,
        "status_name": _label(INITIATIVE_STATUSES, record.status),
        "tos": record.tos or "",
        "latitude": _coordinate(record.latitude) if record.latitude is not None else None,
        "longitude": _coordinate(record.longitude) if record.longitude is not None else None,
        "supporters": record.supporters,
        "submitted_on": record.submitted_on.isoformat(),
        "status_since": record.status_since.isoformat(),
    }


def _tos_values(tos: PublicTos) -> dict[str, Any]:
    return {
        "name": tos.name,
        "territory": "; ".join(tos.territory),
        "residents": tos.residents,
        "registered_on": tos.registered_on.isoformat() if tos.registered_on else "",
        "public_contact": tos.public_contact or "",
        "latitude": _coordinate(tos.latitude) if tos.latitude is not None else None,
        "longitude": _coordinate(tos.longitude) if tos.longitude is not None else None,
        "radius_m": tos.radius_m,
    }


def _table(columns: dict[str, str], rows: list[dict[str, Any]]) -> bytes:
    return to_csv([list(columns), *([row[name] for name in columns] for row in rows)])


def _geojson(features: list[dict[str, Any]]) -> bytes:
    collection = {"type": "FeatureCollection", "features": features}
    return (json.dumps(collection, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _point(latitude: float | None, longitude: float | None) -> dict[str, Any] | None:
    if latitude is None or longitude is None:
        return None
    return {"type": "Point", "coordinates": [_coordinate(longitude), _coordinate(latitude)]}


def _tos_geometry(tos: PublicTos) -> dict[str, Any] | None:
    if tos.polygon:
        ring = [[_coordinate(lon), _coordinate(lat)] for lat, lon in tos.polygon]
        if ring[0] != ring[-1]:
            ring.append(ring[0])  # a linear ring closes on its first position
        return {"type": "Polygon", "coordinates": [ring]}
    return _point(tos.latitude, tos.longitude)


def initiatives_geojson(data: OpenData) -> bytes:
    features = []
    for record in data.initiatives:
        values = _initiative_values(record)
        properties = {k: v for k, v in values.items() if k not in ("latitude", "longitude")}
        geometry = _point(record.latitude, record.longitude)
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return _geojson(features)


def tos_geojson(data: OpenData) -> bytes:
    features = []
    for tos in data.tos:
        values = _tos_values(tos)
        properties = {k: v for k, v in values.items() if k not in ("latitude", "longitude")}
        features.append(
            {"type": "Feature", "geometry": _tos_geometry(tos), "properties": properties}
        )
    return _geojson(features)


def figure_rows(figures: Figures) -> list[dict[str, Any]]:
    """The report's figures, one value a row: totals first, then each breakdown."""
    rows: list[dict[str, Any]] = []

    def add(
        indicator: str,
        value: Any,
        group: str = "",
        group_name: str = "",
        subgroup: str = "",
        subgroup_name: str = "",
    ) -> None:
        rows.append(
            {
                "indicator": indicator,
                "name": _(INDICATORS[indicator]),
                "group": group,
                "group_name": group_name,
                "subgroup": subgroup,
                "subgroup_name": subgroup_name,
                "value": value,
            }
        )

    def by(labels: dict[str, str]) -> Callable[[str], str]:
        return lambda code: _label(labels, code)

    if figures.population:
        add("population", figures.population)
    add("tos", figures.tos)
    add("tos_residents", figures.tos_residents)
    if figures.coverage is not None:
        add("tos_coverage_percent", figures.coverage)
    add("tos_members", figures.tos_members)
    for kind, count in sorted((figures.organisations or {}).items()):
        add("organisations", count, kind, by(ORG_KINDS)(kind))
    for direction in DIRECTIONS:
        for outcome, count in sorted(figures.initiatives.get(direction, {}).items()):
            add(
                "initiatives",
                count,
                direction,
                _label(DIRECTIONS, direction),
                outcome,
                _label(OUTCOME_LABELS, outcome),
            )
    for kind in KINDS:
        for status, count in sorted(figures.requests.get(kind, {}).items()):
            add(
                "requests",
                count,
                kind,
                _label(KINDS, kind),
                status,
                _label(REQUEST_STATUSES, status),
            )
    for kind, count in sorted(figures.answered.items()):
        add("requests_answered", count, kind, _label(KINDS, kind))
    for kind, count in sorted(figures.on_time.items()):
        add("requests_answered_on_time", count, kind, _label(KINDS, kind))
    for kind, days in sorted(figures.answer_days.items()):
        add("answer_days_median", days, kind, _label(KINDS, kind))
    add("events_held", figures.events_held)
    add("events_joint", figures.events_joint)
    add("events_attended", figures.events_attended)
    add("events_signed_up", figures.events_signed_up)
    for competition in figures.competitions:
        add("competition_applications", competition.applications, "", competition.title)
        if competition.announced:  # before, only the applicants know the results
            add("competition_winners", competition.winners, "", competition.title)
            add("competition_awarded", competition.awarded, "", competition.title)
    add("people", figures.people)
    add("supporters", figures.supporters)
    add("supports", figures.supports)
    return rows


README_TITLE = N_("Open data: {municipality}")
README_INTRO = N_(
    "Public initiatives of residents, the registry of territorial public self-government "
    "bodies (TOS) and the figures of {year}, as of {prepared}. The files hold nothing "
    "personal: no names, phone numbers, e-mail or home addresses, and no texts people wrote "
    "about themselves; only what the bot already shows to everyone."
)
README_FORMAT = N_(
    "CSV files: UTF-8 (with a byte order mark), fields separated by «;», the first row holds "
    "the column names. A text that a spreadsheet would take for a formula starts with an "
    "apostrophe ('). GeoJSON files (RFC 7946): coordinates are longitude and latitude in WGS "
    "84. In initiatives.geojson an initiative without a shared location has no geometry "
    '("geometry": null); both initiative files list the same initiatives.'
)
README_FILES = {
    INITIATIVES_CSV: N_("public citizen initiatives (accepted, in progress, done)"),
    INITIATIVES_GEOJSON: N_("the same initiatives as GeoJSON points, with the same columns"),
    TOS_CSV: N_("the registry of active TOS"),
    TOS_GEOJSON: N_(
        "the same TOS as GeoJSON: a polygon where the registry has one, otherwise the centre "
        "of the area as a point (radius_m gives its radius)"
    ),
    "figures": N_("the year's figures of the report on public engagement, one value a row"),
}


def readme(data: OpenData) -> bytes:
    figures_file = figures_csv(data.year)
    lines = [
        _(README_TITLE).format(municipality=data.municipality)
        if data.municipality
        else _("Open data"),
        "",
        _(README_INTRO).format(year=data.year, prepared=data.prepared_on.isoformat()),
        "",
        _(README_FORMAT),
        "",
        _("Files:"),
    ]
    for name, what in README_FILES.items():
        lines.append(f"- {figures_file if name == 'figures' else name}: {_(what)}")
    for title, columns in (
        (f"{INITIATIVES_CSV}, {INITIATIVES_GEOJSON}", INITIATIVE_COLUMNS),
        (f"{TOS_CSV}, {TOS_GEOJSON}", TOS_COLUMNS),
        (figures_file, FIGURE_COLUMNS),
    ):
        lines += ["", _("Columns of {file}:").format(file=title)]
        lines += [f"- {name}: {_(what)}" for name, what in columns.items()]
    lines += ["", _("Indicators of {file}:").format(file=figures_file)]
    lines += [f"- {name}: {_(what)}" for name, what in INDICATORS.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def files(data: OpenData) -> dict[str, bytes]:
    """The files by name, in the reader's language (the current locale)."""
    return {
        INITIATIVES_CSV: _table(
            INITIATIVE_COLUMNS, [_initiative_values(r) for r in data.initiatives]
        ),
        INITIATIVES_GEOJSON: initiatives_geojson(data),
        TOS_CSV: _table(TOS_COLUMNS, [_tos_values(t) for t in data.tos]),
        TOS_GEOJSON: tos_geojson(data),
        figures_csv(data.year): _table(FIGURE_COLUMNS, figure_rows(data.figures)),
        README: readme(data),
    }
