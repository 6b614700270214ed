"""The yearly report and the digest chart as documents: Markdown, DOCX and PNG.

Texts come from the catalogs through aiogram's gettext, so call these inside a locale
context (a handler has one; the command line opens one with `i18n.use_locale`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_decimal

from bot.services.errors import N_
from bot.services.initiatives import DIRECTIONS
from bot.services.registry_fields import ORG_KINDS
from bot.services.reports import YearReport
from bot.services.requests import KINDS, STATUSES
from bot.services.status_groups import OUTCOME_LABELS, initiative_outcome
from bot.services.when import local_text

RESULTS = {"winner": N_("winner"), "not_winner": N_("not a winner")}
APPLICATION_STATUSES = {"registered": N_("registered"), "withdrawn": N_("withdrawn")}
COMPETITION_STATUSES = {
    "open": N_("accepting applications"),
    "closed": N_("applications closed"),
}
OUTCOMES = OUTCOME_LABELS  # the report's columns, in this order


def num(value: float, pattern: str = "#,##0") -> str:
    return format_decimal(value, format=pattern, locale=get_i18n().current_locale)


def residents_covered(count: int) -> str:
    """«covering 4 761 residents»: in the form a sentence about covering them needs (in
    Russian the accusative after the verb, which differs from the count's usual forms)."""
    return ngettext("{count} resident", "{count} residents", count).format(count=num(count))


def days(value: float) -> str:
    """A number of days, maybe fractional: a fraction takes the plural form of 2, as in
    Russian and English alike («2.5 days»)."""
    count = int(value) if value == int(value) else 2
    return ngettext("{count} day", "{count} days", count).format(count=num(value, "0.#"))


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]


def headline(report: YearReport) -> list[str]:
    """The figures the seed report is made of, one sentence each (plain text)."""
    lines = [
        _("{municipality}, {year}").format(
            municipality=report.municipality or _("The town"), year=report.year
        ),
        _("Active public organisations: {count}.").format(count=num(report.organisations)),
        _("TOS registered: {count}, covering {residents}.").format(
            count=num(report.tos), residents=residents_covered(report.tos_residents)
        ),
    ]
    if report.coverage is not None:
        lines.append(
            _("That is {percent} % of the town's population ({population}).").format(
                percent=num(report.coverage, "0.0"), population=num(report.population or 0)
            )
        )
    lines.append(
        _("Citizen initiatives: {total}, of them done: {done}, rejected: {rejected}.").format(
            total=num(report.initiatives_total),
            done=num(sum(v.get("done", 0) for v in report.initiatives.values())),
            rejected=num(sum(v.get("rejected", 0) for v in report.initiatives.values())),
        )
    )
    lines.append(
        _("Events held: {held}, of them jointly with the town hall: {joint}.").format(
            held=num(report.events_held), joint=num(report.events_joint)
        )
    )
    if report.competitions:
        tos = sum(c.tos_applied for c in report.competitions)
        ngo = sum(c.ngo_applied + c.group_applied for c in report.competitions)
        lines.append(
            _(
                "Competitions: {count}; applications from TOS: {tos}, from NGOs and initiative "
                "groups: {ngo}; winners: {winners}; awarded: {awarded} ₽."
            ).format(
                count=num(len(report.competitions)), tos=num(tos), ngo=num(ngo),
                winners=num(sum(c.winners for c in report.competitions)),
                awarded=num(sum(c.awarded for c in report.competitions)),
            )
        )  # fmt: skip
    lines.append(_("Support requests: {total}.").format(total=num(report.requests_total)))
    if "" in report.answer_days:
        lines.append(
            _("Median time to the first answer: {days}.").format(days=days(report.answer_days[""]))
        )
    lines.append(
        _("Unresolved requests: {open}, of them overdue: {overdue}.").format(
            open=num(report.unresolved), overdue=num(report.overdue)
        )
    )
    return lines


def tables(report: YearReport) -> list[Table]:
    outcome_names = [_(label) for label in OUTCOMES.values()]
    initiative_rows = []
    for code, label in DIRECTIONS.items():
        counts = report.initiatives.get(code, {})
        cells = [counts.get(o, 0) for o in OUTCOMES]
        initiative_rows.append([_(label), *map(num, cells), num(sum(cells))])
    request_statuses = list(STATUSES)
    request_rows = []
    for code, label in KINDS.items():
        counts = report.requests.get(code, {})
        cells = [counts.get(s, 0) for s in request_statuses]
        days = report.answer_days.get(code)
        request_rows.append(
            [_(label), *map(num, cells), num(sum(cells)),
             num(days, "0.#") if days is not None else "—"]
        )  # fmt: skip
    org_rows = [[_(label), num(report.org_kinds.get(code, 0))] for code, label in ORG_KINDS.items()]
    return [
        Table(
            _("Public organisations and TOS"),
            [_("Indicator"), _("Value")],
            [
                *org_rows,
                [_("Organisations in all"), num(report.organisations)],
                [_("TOS registered"), num(report.tos)],
                [_("Residents covered by TOS"), num(report.tos_residents)],
                [
                    _("Share of the population"),
                    f"{num(report.coverage, '0.0')} %" if report.coverage is not None else "—",
                ],
            ],
        ),
        Table(
            _("Events"),
            [_("Indicator"), _("Value")],
            [
                [_("Events held"), num(report.events_held)],
                [_("Of them jointly with the town hall"), num(report.events_joint)],
                [_("People who attended"), num(report.events_attended)],
            ],
        ),
        Table(
            _("Competitions"),
            [
                _("Competition"),
                _("TOS applied"),
                _("NGOs applied"),
                _("Initiative groups applied"),
                _("Winners"),
                _("Awarded, ₽"),
            ],
            [
                [
                    c.title,
                    num(c.tos_applied),
                    num(c.ngo_applied),
                    num(c.group_applied),
                    num(c.winners),
                    num(c.awarded),
                ]
                for c in report.competitions
            ],
        ),
        Table(
            _("Citizen initiatives by direction and outcome"),
            [_("Direction"), *outcome_names, _("Total")],
            initiative_rows,
        ),
        Table(
            _("Support given by type"),
            [
                _("Type"),
                *[_(STATUSES[s]) for s in request_statuses],
                _("Total"),
                _("Days to the first answer (median)"),
            ],
            request_rows,
        ),
        Table(
            _("What we could not solve"),
            [_("Indicator"), _("Value")],
            [
                [_("Requests still open"), num(report.unresolved)],
                [_("Of them overdue"), num(report.overdue)],
            ],
        ),
    ]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: YearReport) -> str:
    title = _("Public relations: figures for {year}").format(year=report.year)
    parts = [f"# {title}", "", *[f"- {line}" for line in headline(report)[1:]], ""]
    for table in tables(report):
        parts += [f"## {table.title}", ""]
        parts.append("| " + " | ".join(map(_md_cell, table.header)) + " |")
        parts.append("|" + "---|" * len(table.header))
        parts += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
        parts.append("")
    return "\n".join(parts)


def initiatives_chart(report: YearReport) -> bytes:
    """Initiatives by direction, stacked by outcome (PNG)."""
    labels = [_(label) for label in DIRECTIONS.values()]
    series = {
        _(name): [report.initiatives.get(code, {}).get(key, 0) for code in DIRECTIONS]
        for key, name in OUTCOMES.items()
    }
    return _stacked_bars(
        labels, series, _("Citizen initiatives, {year}").format(year=report.year), horizontal=True
    )


def weekly_chart(weeks: list[str], data: dict[str, dict[str, list[int]]]) -> bytes:
    """New initiatives and requests per week, by their current status (PNG)."""
    from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES

    labels = [local_text(week, None, "day") for week in weeks]  # days on the town's calendar
    series: dict[str, list[int]] = {}
    for status, counts in sorted(data.get("initiatives", {}).items()):
        name = _("Initiatives: {status}").format(status=_(INITIATIVE_STATUSES.get(status, status)))
        series[name] = counts
    for status, counts in sorted(data.get("requests", {}).items()):
        series[_("Requests: {status}").format(status=_(STATUSES.get(status, status)))] = counts
    return _stacked_bars(labels, series, _("New initiatives and requests by week"))


def _stacked_bars(
    labels: list[str], series: dict[str, list[int]], title: str, *, horizontal: bool = False
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 5), dpi=110)
    axes = figure.subplots()
    bottom = [0] * len(labels)
    positions = list(range(len(labels)))
    for name, values in series.items():
        if horizontal:
            axes.barh(positions, values, left=bottom, label=name)
        else:
            axes.bar(positions, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if horizontal:
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
    else:
        axes.set_xticks(positions, labels)
    axes.set_title(title)
    if series:
        axes.legend(fontsize="small")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def docx(report: YearReport, chart: bytes | None) -> bytes:
    from docx import Document
    from docx.shared import Cm

    document = Document()
    document.add_heading(_("Public relations: figures for {year}").format(year=report.year), 0)
    for line in headline(report)[1:]:
        document.add_paragraph(line, style="List Bullet")
    for table in tables(report):
        document.add_heading(table.title, level=2)
        grid = document.add_table(rows=1, cols=len(table.header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
            cell.text = text
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
    if chart:
        document.add_picture(io.BytesIO(chart), width=Cm(16))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def export_rows(what: str, rows: list[Any], personal: bool, tz: tzinfo) -> list[list[Any]]:
    """An export as a table with headers in the reader's language; dates on the town's
    clock (`tz`)."""
    from bot.services.initiatives import NUMBER as INITIATIVE_NUMBER
    from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES
    from bot.services.requests import NUMBER as REQUEST_NUMBER

    def person(row: Any) -> list[Any]:
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        return [name, f"@{row['username']}" if row["username"] else ""]

    table: list[list[Any]]
    if what == "initiatives":
        header = [_("Number"), _("Created"), _("Direction"), _("Status"), _("Title"),
                  _("Description"), _("Address"), _("Latitude"), _("Longitude"), _("TOS"),
                  _("Supporters"), _("Outcome")]  # fmt: skip
        if personal:
            header += [_("Author"), _("Username")]
        table = [header]
        for r in rows:
            line = [
                _(INITIATIVE_NUMBER).format(year=r["year"], seq=f"{r['seq']:04d}"),
                local_text(r["created_at"], tz, "date"),
                _(DIRECTIONS.get(r["direction"], r["direction"])),
                _(INITIATIVE_STATUSES.get(r["status"], r["status"])), r["title"],
                r["description"], r["address"] or "", r["latitude"] or "",
                r["longitude"] or "", r["tos_name"] or "", r["supports"],
                _(OUTCOMES[initiative_outcome(r["status"])]),
            ]  # fmt: skip
            table.append(line + (person(r) if personal else []))
        return table
    if what in ("events", "competitions", "applications"):
        return _other_export(what, rows, personal, person, tz)
    header = [_("Number"), _("Created"), _("Type"), _("Status"), _("On behalf of"),
              _("Description"), _("Wanted date"), _("Due"), _("Closed"), _("Helped"), _("Open"),
              _("Overdue")]  # fmt: skip
    if personal:
        header += [_("Requester"), _("Username"), _("Phone")]
    table = [header]
    for r in rows:
        helped = "" if r["helped"] is None else (_("yes") if r["helped"] else _("no"))
        line = [
            _(REQUEST_NUMBER).format(year=r["year"], seq=f"{r['seq']:04d}"),
            local_text(r["created_at"], tz, "date"), _(KINDS.get(r["kind"], r["kind"])),
            _(STATUSES.get(r["status"], r["status"])),
            r["behalf_name"] or _("themselves"), r["description"],
            local_text(r["wanted_date"], tz, "date"), local_text(r["due_at"], tz, "date"),
            local_text(r["closed_at"], tz, "date"), helped,
            _("yes") if r["is_open"] else _("no"), _("yes") if r["overdue"] else _("no"),
        ]  # fmt: skip
        table.append(line + ([*person(r), r["phone"] or ""] if personal else []))
    return table


def _other_export(
    what: str, rows: list[Any], personal: bool, person: Any, tz: tzinfo
) -> list[list[Any]]:
    from bot.services.competitions import ELIGIBLE

    def _local(value: str | None) -> str:
        return local_text(value, tz)

    yes, no = _("yes"), _("no")
    table: list[list[Any]]
    if what == "events":
        table = [[_("Event"), _("Starts"), _("Ends"), _("Place"), _("Organiser"),
                  _("Jointly with the town hall"), _("Places"), _("For the members of"),
                  _("Signed up"), _("Waiting"), _("Attended")]]  # fmt: skip
        for r in rows:
            table.append([
                r["title"], _local(r["starts_at"]), _local(r["ends_at"]), r["place"],
                r["organiser"], yes if r["joint"] else no, r["capacity"] or "",
                r["tos_name"] or "", r["going"], r["waiting"],
                "" if r["attended"] is None else r["attended"],
            ])  # fmt: skip
        return table
    if what == "competitions":
        table = [[_("Competition"), _("Organiser"), _("Who may apply"), _("Opens"),
                  _("Deadline"), _("Results"), _("Maximum grant, ₽"), _("Status"),
                  _("Applications"), _("Winners"), _("Awarded, ₽")]]  # fmt: skip
        for r in rows:
            who = ", ".join(_(ELIGIBLE[k]) for k in str(r["eligible"]).split(",") if k in ELIGIBLE)
            table.append([
                r["title"], r["organiser"], who, _local(r["opens_at"]), _local(r["deadline"]),
                _local(r["results_at"]), r["max_grant"] or "",
                _(COMPETITION_STATUSES.get(r["status"], r["status"])), r["applications"],
                r["winners"], r["awarded"],
            ])  # fmt: skip
        return table
    header = [_("Competition"), _("Body"), _("Project"), _("Direction"), _("Amount, ₽"),
              _("Status"), _("Result"), _("Awarded, ₽"), _("Created")]  # fmt: skip
    if personal:
        header += [_("Applicant"), _("Username")]
    table = [header]
    for r in rows:
        line = [
            r["competition"], r["body"], r["project"],
            _(DIRECTIONS.get(r["direction"], r["direction"])), r["amount"],
            _(APPLICATION_STATUSES.get(r["status"], r["status"])),
            _(RESULTS[r["result"]]) if r["result"] in RESULTS else "",
            "" if r["awarded"] is None else r["awarded"],
            local_text(r["created_at"], tz, "date"),
        ]  # fmt: skip
        table.append(line + (person(r) if personal else []))
    return table
