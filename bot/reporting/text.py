"""The report in words: the seed's three questions answered from a period's figures, each
sentence a fact with its figure, and the tables and charts that show the same numbers.

Every sentence is a catalog message with plural forms where a number governs a noun, so the
Russian agrees in number and case («действуют 34 общественные организации», «18 ТОС …
4 040 жителей»). A figure the period before also had follows in brackets («(в 2025 году —
15)»). Totals in the text are sums of the very cells the tables show.
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.reporting.activity import Activity
from bot.reporting.cases import Cases
from bot.reporting.key_figures import KeyFigures
from bot.reporting.model import Document, Heading, Paragraph
from bot.reporting.words import (
    cap,
    column,
    competition_name,
    day_text,
    for_period,
    listing,
    moment_text,
    num,
    quote,
    when,
)
from bot.reporting.writer import (
    COMPETITIONS_LISTED,
    EVENTS_LISTED,
)
from bot.services.report_figures import PeriodReport
from bot.services.status_groups import STALLED_AFTER


def document(report: PeriodReport, *, font: str = "", draw: bool = True) -> Document:
    """The whole report; `draw` False leaves the charts out (the chat message needs none)."""
    return _Writer(report, font, draw).write()


class _Writer(Activity, Cases, KeyFigures):
    # -- the document --------------------------------------------------------------------

    def write(self) -> Document:
        r = self.r
        period = r.period
        town = r.municipality.strip()
        self.doc.title = _("Report on public engagement {period}").format(period=for_period(period))
        if town:
            self.add(Heading(town.upper(), 0))
        self.add(Paragraph(self.doc.title, "subtitle"))
        prepared = _("Prepared on {date} from the records of the town hall's bot.").format(
            date=moment_text(r.prepared, r.timezone)
        )
        self.add(Paragraph(prepared, "prepared"))
        if r.previous_since is not None and self.before is not None:
            self.add(
                Paragraph(
                    _(
                        "The figures {period} are the bot's records from {date}, when it began to "
                        "be used."
                    ).format(
                        period=for_period(self.before.period), date=day_text(r.previous_since)
                    ),
                    "note",
                )
            )
        self.achievements()
        self.problems()
        self.ahead()
        self.doc.summary = self.summary()
        return self.doc

    # -- 1. what was done ------------------------------------------------------------------

    def achievements(self) -> None:
        heading = _("What was most significant in public engagement {when}")
        self.add(Heading(heading.format(when=when(self.r.period)), 1))
        self.organisations()
        self.tos()
        self.competitions()
        self.events()
        self.initiatives()
        self.requests()
        self.engagement()
        self.key_table()

    # -- 2. what could not be solved -------------------------------------------------------

    def problems(self) -> None:
        r, now = self.r, self.now
        if r.period.single_year is not None:
            self.add(
                Heading(
                    _("What were the hardest problems that could not be solved in the past year?"),
                    1,
                )
            )
        else:
            self.add(
                Heading(
                    _("What were the hardest problems that could not be solved in the period?"), 1
                )
            )
        open_ = now.unresolved()
        declined = now.requests_in("rejected")
        rejected = now.initiatives_in("rejected")
        stalled_days = ngettext(
            "more than {count} day", "more than {count} days", STALLED_AFTER.days
        ).format(count=num(STALLED_AFTER.days))
        if not (open_ or declined or r.reopened or rejected or r.stalled):
            self.para(
                _(
                    "There were no serious problems in the course of the work; the questions that "
                    "arose were settled in the ordinary course of business."
                )
            )
            return
        sentences = []
        if open_:
            text = ngettext(
                "{count} request received {when} is not closed yet",
                "{count} requests received {when} are not closed yet",
                open_,
            ).format(count=num(open_), when=when(r.period))
            if r.overdue_total:
                text += ngettext(
                    "; {count} of them has been waiting for an answer past its due date",
                    "; {count} of them have been waiting for an answer past their due date",
                    r.overdue_total,
                ).format(count=num(r.overdue_total))
            sentences.append(cap(text) + ".")
        if declined:
            sentences.append(
                ngettext(
                    "{count} request was declined.", "{count} requests were declined.", declined
                ).format(count=num(declined))
            )
        if r.reopened:
            sentences.append(
                ngettext(
                    "{count} request was reopened after an answer: the requester needed more.",
                    "{count} requests were reopened after an answer: the requesters needed more.",
                    r.reopened,
                ).format(count=num(r.reopened))
            )
        if rejected:
            sentences.append(
                ngettext(
                    "{count} citizen initiative was rejected.",
                    "{count} citizen initiatives were rejected.",
                    rejected,
                ).format(count=num(rejected))
            )
        if r.stalled:
            sentences.append(
                ngettext(
                    "{count} accepted initiative has made no progress for {days}.",
                    "{count} accepted initiatives have made no progress for {days}.",
                    r.stalled,
                ).format(count=num(r.stalled), days=stalled_days)
            )
        self.para(*sentences)
        rows = [
            [_("Support requests not closed"), num(open_)],
            [_("Of them overdue"), num(r.overdue_total)],
            [_("Support requests declined"), num(declined)],
            [_("Support requests reopened after an answer"), num(r.reopened)],
            [_("Citizen initiatives rejected"), num(rejected)],
            [
                _("Accepted initiatives with no progress for {days}").format(days=stalled_days),
                num(r.stalled),
            ],
        ]
        self.table(_("What remained unresolved"), [_("Indicator"), column(r.period)], rows)

    # -- 3. what is ahead ------------------------------------------------------------------

    def ahead(self) -> None:
        r, now = self.r, self.now
        if (year := r.period.single_year) is not None:
            heading = _("What tasks lie ahead in {year}").format(year=year + 1)
        else:
            heading = _("What tasks lie ahead")
        self.add(Heading(heading, 1))
        sentences = []
        for title, deadline in r.open_competitions[:COMPETITIONS_LISTED]:
            sentences.append(
                _("Applications to the competition {title} are accepted until {date}.").format(
                    title=competition_name(title), date=moment_text(deadline, r.timezone)
                )
            )
        if now.underway:
            parts = [
                text.format(count=num(count))
                for text, count in (
                    (_("in progress — {count}"), now.initiatives_in("in_progress")),
                    (_("not started yet — {count}"), now.initiatives_in("accepted")),
                )
                if count
            ]
            sentences.append(
                ngettext(
                    "{count} accepted initiative is to be carried out ({parts}).",
                    "{count} accepted initiatives are to be carried out ({parts}).",
                    now.underway,
                ).format(count=num(now.underway), parts=listing(parts))
            )
        overdue = r.overdue_total
        in_term = now.awaiting() - overdue
        answered = now.requests_in("answered")
        if overdue:
            sentences.append(
                ngettext(
                    "First of all, {count} overdue request is to be answered.",
                    "First of all, {count} overdue requests are to be answered.",
                    overdue,
                ).format(count=num(overdue))
            )
        if in_term:
            sentences.append(
                ngettext(
                    "{count} request is to be answered by its due date.",
                    "{count} requests are to be answered by their due dates.",
                    in_term,
                ).format(count=num(in_term))
            )
        if answered:
            sentences.append(
                ngettext(
                    "{count} request has its answer and is to be closed.",
                    "{count} requests have their answers and are to be closed.",
                    answered,
                ).format(count=num(answered))
            )
        if r.events_ahead_total:
            listed = listing(
                [
                    _("{title} ({date})").format(
                        title=quote(title), date=moment_text(at, r.timezone)
                    )
                    for title, at in r.events_ahead[:EVENTS_LISTED]
                ]
            )
            more = r.events_ahead_total - min(len(r.events_ahead), EVENTS_LISTED)
            if more > 0:
                listed += _(" and {count} more").format(count=num(more))
            sentences.append(
                ngettext(
                    "{count} event is planned: {events}.",
                    "{count} events are planned: {events}.",
                    r.events_ahead_total,
                ).format(count=num(r.events_ahead_total), events=listed)
            )
        if not sentences:
            sentences.append(
                _(
                    "To go on supporting citizens' initiatives, TOS and socially oriented "
                    "non-profit organisations."
                )
            )
        self.para(*sentences)
