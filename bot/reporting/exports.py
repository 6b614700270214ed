"""Exports as tables (CSV, XLSX) with headers in the reader's language; dates on the town's
clock."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from aiogram.utils.i18n import gettext as _

from bot.services.errors import N_
from bot.services.initiatives import DIRECTIONS
from bot.services.requests import KINDS, STATUSES
from bot.services.status_groups import OUTCOME_LABELS, initiative_outcome
from bot.services.when import local_text

RESULTS = {"winner": N_("winner"), "not_winner": N_("not a winner")}
APPLICATION_STATUSES = {"registered": N_("registered"), "withdrawn": N_("withdrawn")}
COMPETITION_STATUSES = {
    "open": N_("accepting applications"),
    "closed": N_("applications closed"),
}
OUTCOMES = OUTCOME_LABELS


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
        header = [
            _("Number"),
            _("Created"),
            _("Direction"),
            _("Status"),
            _("Title"),
            _("Description"),
            _("Address"),
            _("Latitude"),
            _("Longitude"),
            _("TOS"),
            _("Supporters"),
            _("Outcome"),
        ]
        if personal:
            header += [_("Author"), _("Username")]
        table = [header]
        for r in rows:
            line = [
                _(INITIATIVE_NUMBER).format(year=r["year"], seq=f"{r['seq']:04d}"),
                local_text(r["created_at"], tz, "date"),
                _(DIRECTIONS.get(r["direction"], r["direction"])),
                _(INITIATIVE_STATUSES.get(r["status"], r["status"])),
                r["title"],
                r["description"],
                r["address"] or "",
                r["latitude"] or "",
                r["longitude"] or "",
                r["tos_name"] or "",
                r["supports"],
                _(OUTCOMES[initiative_outcome(r["status"])]),
            ]
            table.append(line + (person(r) if personal else []))
        return table
    if what in ("events", "competitions", "applications"):
        return _other_export(what, rows, personal, person, tz)
    if what == "moderation":
        return _moderation_export(rows, personal, person, tz)
    header = [
        _("Number"),
        _("Created"),
        _("Type"),
        _("Status"),
        _("On behalf of"),
        _("Description"),
        _("Wanted date"),
        _("Due"),
        _("Term extended to"),
        _("Why extended"),
        _("Closed"),
        _("Helped"),
        _("Open"),
        _("Overdue"),
    ]
    if personal:
        header += [_("Requester"), _("Username"), _("Phone")]
    table = [header]
    for r in rows:
        helped = "" if r["helped"] is None else (_("yes") if r["helped"] else _("no"))
        line = [
            _(REQUEST_NUMBER).format(year=r["year"], seq=f"{r['seq']:04d}"),
            local_text(r["created_at"], tz, "date"),
            _(KINDS.get(r["kind"], r["kind"])),
            _(STATUSES.get(r["status"], r["status"])),
            r["behalf_name"] or _("themselves"),
            r["description"],
            local_text(r["wanted_date"], tz, "date"),
            local_text(r["due_at"], tz, "date"),
            local_text(r["extended_to"], tz, "date"),  # 59-FZ's extension, once
            r["extension_reason"] or "",
            local_text(r["closed_at"], tz, "date"),
            helped,
            _("yes") if r["is_open"] else _("no"),
            _("yes") if r["overdue"] else _("no"),
        ]
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
        table = [
            [
                _("Event"),
                _("Starts"),
                _("Ends"),
                _("Place"),
                _("Organiser"),
                _("Jointly with the town hall"),
                _("Places"),
                _("For the members of"),
                _("Signed up"),
                _("Waiting"),
                _("Attended"),
                _("Cancelled"),
            ]
        ]
        for r in rows:
            table.append(
                [
                    r["title"],
                    _local(r["starts_at"]),
                    _local(r["ends_at"]),
                    r["place"],
                    r["organiser"],
                    yes if r["joint"] else no,
                    r["capacity"] or "",
                    r["tos_name"] or "",
                    r["going"],
                    r["waiting"],
                    "" if r["attended"] is None else r["attended"],
                    _local(r["cancelled_at"]) if r["cancelled_at"] else "",
                ]
            )
        return table
    if what == "competitions":
        table = [
            [
                _("Competition"),
                _("Organiser"),
                _("Who may apply"),
                _("Opens"),
                _("Deadline"),
                _("Results"),
                _("Maximum grant, ₽"),
                _("Status"),
                _("Applications"),
                _("Winners"),
                _("Awarded, ₽"),
            ]
        ]
        for r in rows:
            who = ", ".join(_(ELIGIBLE[k]) for k in str(r["eligible"]).split(",") if k in ELIGIBLE)
            table.append(
                [
                    r["title"],
                    r["organiser"],
                    who,
                    _local(r["opens_at"]),
                    _local(r["deadline"]),
                    _local(r["results_at"]),
                    r["max_grant"] or "",
                    _(COMPETITION_STATUSES.get(r["status"], r["status"])),
                    r["applications"],
                    r["winners"],
                    r["awarded"],
                ]
            )
        return table
    header = [
        _("Competition"),
        _("Body"),
        _("Project"),
        _("Direction"),
        _("Amount, ₽"),
        _("Status"),
        _("Result"),
        _("Awarded, ₽"),
        _("Created"),
    ]
    if personal:
        header += [_("Applicant"), _("Username")]
    table = [header]
    for r in rows:
        line = [
            r["competition"],
            r["body"],
            r["project"],
            _(DIRECTIONS.get(r["direction"], r["direction"])),
            r["amount"],
            _(APPLICATION_STATUSES.get(r["status"], r["status"])),
            _(RESULTS[r["result"]]) if r["result"] in RESULTS else "",
            "" if r["awarded"] is None else r["awarded"],
            local_text(r["created_at"], tz, "date"),
        ]
        table.append(line + (person(r) if personal else []))
    return table


def _moderation_export(rows: list[Any], personal: bool, person: Any, tz: tzinfo) -> list[list[Any]]:
    """The moderation log: who reported is never named; staff are, where names may go."""
    from bot.services.initiatives import NUMBER as INITIATIVE_NUMBER
    from bot.services.moderation import LOG_ACTIONS, REPORT_REASONS

    table: list[list[Any]] = [[_("When"), _("Initiative"), _("Step"), _("Reason"), _("Who")]]
    for r in rows:
        action = r["action"]
        reason = r["reason"] or ""
        if action == "report":
            who = _("a resident")
            reason = _(REPORT_REASONS.get(reason, reason))
        elif action == "auto_hide":
            who = _("the bot")
            reason = _("reports: {count}").format(count=reason)
        else:
            name = person(r)[0] if personal and r["actor_id"] is not None else ""
            who = name or _("staff")
        table.append(
            [
                local_text(r["at"], tz),
                _(INITIATIVE_NUMBER).format(year=r["year"], seq=f"{r['seq']:04d}"),
                _(LOG_ACTIONS.get(action, action)),
                reason,
                who,
            ]
        )
    return table
