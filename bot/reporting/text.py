"""The report in words: the seed's three questions answered from a period's figures, each
sentence a fact with its figure, and the tables and charts that show the same numbers.

Every sentence is a catalog message with plural forms where a number governs a noun, so the
Russian agrees in number and case («действуют 34 общественные организации», «18 ТОС …
4 040 жителей»). A figure the period before also had follows in brackets («(в 2025 году —
15)»). Totals in the text are sums of the very cells the tables show.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.reporting import charts
from bot.reporting.labels import (
    DIRECTION_AIMS,
    DIRECTION_PHRASES,
    KIND_PHRASES,
    OUTCOME_COLUMNS,
    OUTCOME_PARTS,
)
from bot.reporting.model import Bullets, Document, Figure, Heading, Paragraph, Table
from bot.reporting.words import (
    DASH,
    at_end,
    cap,
    column,
    competition_name,
    day_text,
    days,
    for_period,
    listing,
    moment_text,
    month_in,
    month_name,
    num,
    quote,
    roubles,
    share,
    signed,
    was,
    when,
)
from bot.services.initiatives import DIRECTIONS
from bot.services.report_figures import CompetitionFigures, Figures, PeriodReport
from bot.services.requests import KINDS
from bot.services.status_groups import STALLED_AFTER
from bot.services.when import town_time

EVENTS_LISTED = 5
COMPETITIONS_LISTED = 5
EXAMPLES_LISTED = 5
PROJECTS_NAMED = 3


def document(report: PeriodReport, *, font: str = "", draw: bool = True) -> Document:
    """The whole report; `draw` False leaves the charts out (the chat message needs none)."""
    return _Writer(report, font, draw).write()


class _Writer:
    def __init__(self, report: PeriodReport, font: str, draw: bool) -> None:
        self.r = report
        self.now = report.current
        # The period compared with: its registry figures always, its activity if tracked.
        self.before = report.previous
        self.font = font
        self.draw = draw
        self.doc = Document(title="")
        self.tables = 0
        self.figures = 0
        self.today = town_time(report.prepared, report.timezone).date()

    # -- helpers -------------------------------------------------------------------------

    def was(
        self,
        value: Callable[[Figures], float | None],
        show: Callable[[float], str] = num,
        *,
        registry: bool = False,
    ) -> str:
        """« (in 2025: 15)» for a figure the period before has."""
        before = self.before
        if before is None or not (before.tracked or registry):
            return ""
        figure = value(before)
        return "" if figure is None else was(before.period, show(figure))

    def add(self, *blocks: Heading | Paragraph | Bullets | Table | Figure) -> None:
        self.doc.blocks.extend(blocks)

    def para(self, *sentences: str) -> None:
        text = " ".join(s for s in sentences if s)
        if text:
            self.add(Paragraph(text))

    def table(
        self,
        title: str,
        header: list[str],
        rows: list[list[str]],
        *,
        total: bool = False,
        first: int = 1,
    ) -> None:
        """A numbered table; the columns after the first `first` hold figures."""
        self.tables += 1
        caption = _("Table {number} — {title}").format(number=self.tables, title=title)
        numeric = [i >= first for i in range(len(header))]
        self.add(Table(caption, header, rows, numeric, total))

    def figure(self, title: str, png: bytes | None) -> None:
        if png is None:
            return
        self.figures += 1
        caption = _("Figure {number} — {title}").format(number=self.figures, title=title)
        self.add(Figure(caption, png))

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

    def organisations(self) -> None:
        now = self.now
        sentences = []
        count = now.organisations_total
        if count:
            sentences.append(
                ngettext(
                    "In the town, {count} public organisation is active{was}.",
                    "In the town, {count} public organisations are active{was}.",
                    count,
                ).format(count=num(count), was=self.was(lambda f: f.organisations_total))
            )
        total = now.requests_total
        if total:
            parts = [
                _("{what} — {count}").format(
                    what=_(KIND_PHRASES[kind]), count=num(now.requests_of(kind))
                )
                for kind in KINDS
                if now.requests_of(kind)
            ]
            sentences.append(
                ngettext(
                    "Public organisations, TOS and residents turn to the town hall for support: "
                    "{when}, {count} request came in{was}, including: {parts}.",
                    "Public organisations, TOS and residents turn to the town hall for support: "
                    "{when}, {count} requests came in{was}, including: {parts}.",
                    total,
                ).format(
                    when=when(self.r.period),
                    count=num(total),
                    parts=listing(parts),
                    was=self.was(lambda f: f.requests_total),
                )
            )
        else:
            sentences.append(
                _("{opening}, no support requests came in through the bot.").format(
                    opening=cap(when(self.r.period))
                )
            )
        self.para(*sentences)

    def tos(self) -> None:
        now, period = self.now, self.r.period
        if not now.tos:
            self.para(
                _("{as_of}, the town has no TOS in the bot's registry.").format(
                    as_of=cap(at_end(period, self.today))
                )
            )
            return
        sentences = [
            ngettext(
                "{as_of}, {count} TOS is registered in the town{was}.",
                "{as_of}, {count} TOS are registered in the town{was}.",
                now.tos,
            ).format(
                as_of=cap(at_end(period, self.today)),
                count=num(now.tos),
                was=self.was(lambda f: f.tos, registry=True),
            )
        ]
        residents = now.tos_residents
        coverage = now.coverage
        if coverage is not None and self.r.population:
            sentences.append(
                ngettext(
                    "{count} resident lives on their territories, {share} of the town's "
                    "population{was}.",
                    "{count} residents live on their territories, {share} of the town's "
                    "population{was}.",
                    residents,
                ).format(
                    count=num(residents),
                    share=share(coverage),
                    was=self.was(lambda f: f.coverage, share, registry=True),
                )
            )
            sentences.append(
                ngettext(
                    "The population, {count} person, is taken from the bot's settings "
                    "(MUNICIPALITY_POPULATION).",
                    "The population, {count} people, is taken from the bot's settings "
                    "(MUNICIPALITY_POPULATION).",
                    self.r.population,
                ).format(count=num(self.r.population))
            )
        else:
            sentences.append(
                ngettext(
                    "{count} resident lives on their territories.",
                    "{count} residents live on their territories.",
                    residents,
                ).format(count=num(residents))
            )
            sentences.append(
                _(
                    "Their share of the population is not given: the town's population is not "
                    "set in the bot's settings (MUNICIPALITY_POPULATION)."
                )
            )
        before = self.before
        if before is not None and before.tos:
            sentences.append(self.growth(before))
        self.para(*sentences)

    def growth(self, before: Figures) -> str:
        """Whether the movement grows, as the figures say."""
        now = self.now
        span = _("the year") if self.r.period.single_year is not None else _("the period")
        change = now.tos - before.tos
        if change > 0:
            text = ngettext(
                "The movement is growing: over {span} the number of TOS rose by {count}, "
                "from {before} to {after}",
                "The movement is growing: over {span} the number of TOS rose by {count}, "
                "from {before} to {after}",
                change,
            )
        elif change < 0:
            text = ngettext(
                "Over {span} the number of TOS fell by {count}, from {before} to {after}",
                "Over {span} the number of TOS fell by {count}, from {before} to {after}",
                -change,
            )
        else:
            text = _("Over {span} the number of TOS did not change")
        text = text.format(
            span=span, count=num(abs(change)), before=num(before.tos), after=num(now.tos)
        )
        if now.coverage is not None and before.coverage is not None:
            text += _(", the share of the population they cover from {before} to {after}").format(
                before=share(before.coverage), after=share(now.coverage)
            )
        return text + "."

    def competitions(self) -> None:
        now, tz = self.now, self.r.timezone
        if not now.competitions:
            return
        for c in now.competitions:
            title, announced = competition_name(c.title), month_in(c.opens_at, tz)
            sentences = []
            only_tos = c.tos_applied and not (c.ngo_applied or c.group_applied)
            if only_tos and c.tos_applied == now.tos and now.tos > 1:
                sentences.append(
                    ngettext(
                        "All {count} TOS took part in the competition {title} announced {when}.",
                        "All {count} TOS took part in the competition {title} announced {when}.",
                        c.tos_applied,
                    ).format(count=num(c.tos_applied), title=title, when=announced)
                )
            elif only_tos and c.tos_applied == now.tos:
                sentences.append(
                    _(
                        "The town's only TOS took part in the competition {title} announced {when}."
                    ).format(title=title, when=announced)
                )
            elif c.applications:
                sentences.append(self.applications(c, title, announced))
            else:
                sentences.append(
                    _(
                        "No applications were submitted to the competition {title} "
                        "announced {when}."
                    ).format(title=title, when=announced)
                )
            if c.winners and c.awarded:
                sentences.append(
                    ngettext(
                        "{count} project won; {amount} was awarded for it.",
                        "{count} projects won; {amount} was awarded for them.",
                        c.winners,
                    ).format(count=num(c.winners), amount=roubles(c.awarded))
                )
            elif c.winners:
                sentences.append(
                    ngettext("{count} project won.", "{count} projects won.", c.winners).format(
                        count=num(c.winners)
                    )
                )
            elif c.applications and not c.decided:
                sentences.append(_("The results have not been announced yet."))
            self.para(*sentences)
        self.winning_aims()
        rows = [
            [
                c.title,
                num(c.tos_applied),
                num(c.ngo_applied),
                num(c.group_applied),
                num(c.winners),
                num(c.awarded),
            ]
            for c in now.competitions
        ]
        if len(rows) > 1:
            rows.append(
                [
                    _("Total"),
                    num(sum(c.tos_applied for c in now.competitions)),
                    num(sum(c.ngo_applied for c in now.competitions)),
                    num(sum(c.group_applied for c in now.competitions)),
                    num(now.winners),
                    num(now.awarded),
                ]
            )
        self.table(
            _("Competitions"),
            [
                _("Competition"),
                _("Applications from TOS"),
                _("Applications from NGOs"),
                _("Applications from initiative groups"),
                _("Winners"),
                _("Awarded, roubles"),
            ],
            rows,
            total=len(rows) > 1,
        )

    def applications(self, c: CompetitionFigures, title: str, announced: str) -> str:
        """«In the competition …, 20 applications: from TOS — 12, from NGOs — 8.»"""
        kinds = [
            (_("from TOS — {count}"), _("from TOS"), c.tos_applied),
            (_("from NGOs — {count}"), _("from NGOs"), c.ngo_applied),
            (_("from initiative groups — {count}"), _("from initiative groups"), c.group_applied),
        ]
        present = [(counted, whom, n) for counted, whom, n in kinds if n]
        if len(present) == 1:
            return ngettext(
                "{count} application {whom} was submitted to the competition {title} "
                "announced {when}.",
                "{count} applications {whom} were submitted to the competition {title} "
                "announced {when}.",
                c.applications,
            ).format(count=num(c.applications), whom=present[0][1], title=title, when=announced)
        parts = [counted.format(count=num(n)) for counted, _w, n in present]
        return ngettext(
            "{count} application was submitted to the competition {title} announced "
            "{when}: {parts}.",
            "{count} applications were submitted to the competition {title} announced "
            "{when}: {parts}.",
            c.applications,
        ).format(count=num(c.applications), title=title, when=announced, parts=listing(parts))

    def winning_aims(self) -> None:
        projects = [p for c in self.now.competitions for p in c.projects]
        if not projects:
            return
        items = []
        codes = [d for d in DIRECTION_AIMS if any(p.direction == d for p in projects)]
        codes += sorted({p.direction for p in projects} - set(DIRECTION_AIMS))
        for code in codes:
            mine = [p.project for p in projects if p.direction == code]
            aim = _(DIRECTION_AIMS[code]) if code in DIRECTION_AIMS else code
            named = listing([quote(p) for p in mine[:PROJECTS_NAMED]])
            items.append(
                ngettext(
                    "{aim} — {count} project ({names})",
                    "{aim} — {count} projects ({names})",
                    len(mine),
                ).format(aim=aim, count=num(len(mine)), names=named)
            )
        self.para(_("The winning projects are aimed at:"))
        self.add(Bullets([*(item + ";" for item in items[:-1]), items[-1] + "."]))

    def events(self) -> None:
        now = self.now
        if not now.events_held:
            return
        text = ngettext(
            "{opening}, {count} event was held{was}",
            "{opening}, {count} events were held{was}",
            now.events_held,
        ).format(
            opening=cap(when(self.r.period)),
            count=num(now.events_held),
            was=self.was(lambda f: f.events_held),
        )
        if now.events_joint:
            text += _(", {count} of them jointly with the town hall{was}").format(
                count=num(now.events_joint), was=self.was(lambda f: f.events_joint)
            )
        if now.events_attended:
            text += ngettext(
                "; {count} person took part in them, as the organisers marked{was}",
                "; {count} people took part in them, as the organisers marked{was}",
                now.events_attended,
            ).format(count=num(now.events_attended), was=self.was(lambda f: f.events_attended))
        if now.events_signed_up:
            text += ngettext(
                "; {count} person signed up for them in the bot",
                "; {count} people signed up for them in the bot",
                now.events_signed_up,
            ).format(count=num(now.events_signed_up))
        self.para(text + ".")

    def initiatives(self) -> None:
        now, period = self.now, self.r.period
        total = now.initiatives_total
        if not total:
            self.para(
                _("{opening}, no citizen initiatives were submitted through the bot.").format(
                    opening=cap(when(period))
                )
            )
            return
        by_direction = sorted(
            ((code, sum(now.initiatives.get(code, {}).values())) for code in DIRECTIONS),
            key=lambda pair: -pair[1],
        )
        parts = [
            _("{what} — {count}").format(what=_(DIRECTION_PHRASES[code]), count=num(count))
            for code, count in by_direction
            if count
        ]
        sentences = [
            ngettext(
                "{opening}, residents submitted {count} citizen initiative through the bot{was}: "
                "{parts}.",
                "{opening}, residents submitted {count} citizen initiatives through the bot{was}: "
                "{parts}.",
                total,
            ).format(
                opening=cap(when(period)),
                count=num(total),
                parts=listing(parts),
                was=self.was(lambda f: f.initiatives_total),
            )
        ]
        done = now.initiatives_in("done")
        outcome_parts = [
            _(text).format(count=num(now.initiatives_in(code)))
            for code, text in OUTCOME_PARTS.items()
            if now.initiatives_in(code)
        ]
        if done:
            head = ngettext(
                "{count} initiative has been carried out{was}",
                "{count} initiatives have been carried out{was}",
                done,
            ).format(count=num(done), was=self.was(lambda f: f.initiatives_in("done")))
        else:
            head = _("None has been carried out yet")
        sentences.append(listing([head, *outcome_parts]) + ".")
        examples = [t for code, _n in by_direction for t in self.r.examples.get(code, [])]
        if examples:
            sentences.append(
                _("Among those carried out: {titles}.").format(
                    titles=listing([quote(t) for t in examples[:EXAMPLES_LISTED]])
                )
            )
        self.para(*sentences)
        self.initiatives_table(by_direction)
        if self.draw:
            self.figure(
                _("Citizen initiatives by direction and outcome"),
                charts.initiatives(now, self.font),
            )

    def initiatives_table(self, by_direction: list[tuple[str, int]]) -> None:
        now = self.now
        outcomes = [code for code in OUTCOME_COLUMNS if now.initiatives_in(code)]
        rows = []
        for code, count in by_direction:
            if count:
                cells = [now.initiatives.get(code, {}).get(o, 0) for o in outcomes]
                rows.append([_(DIRECTIONS[code]), num(count), *map(num, cells)])
        rows.append(
            [
                _("Total"),
                num(now.initiatives_total),
                *[num(now.initiatives_in(o)) for o in outcomes],
            ]
        )
        self.table(
            _("Citizen initiatives by direction and outcome"),
            [_("Direction"), _("Submitted"), *[_(OUTCOME_COLUMNS[o]) for o in outcomes]],
            rows,
            total=True,
        )

    def requests(self) -> None:
        now = self.now
        if not now.requests_total:
            return
        sentences = []
        answered = now.answered_total
        if answered:
            on_time = now.on_time_total
            sentences.append(
                ngettext(
                    "The answer came by the due date for {on_time} of {count} answered request "
                    "({share}); the median time to the first answer is {days}{was}.",
                    "The answer came by the due date for {on_time} of {count} answered requests "
                    "({share}); the median time to the first answer is {days}{was}.",
                    answered,
                ).format(
                    on_time=num(on_time),
                    count=num(answered),
                    share=share(100 * on_time / answered, "0.#"),
                    days=days(now.answer_days[""]),
                    was=self.was(lambda f: f.answer_days.get(""), days),
                )
            )
        else:
            sentences.append(_("None of the requests has been answered yet."))
        self.para(*sentences)
        self.requests_table()
        self.months()

    def requests_table(self) -> None:
        now, overdue = self.now, self.r.overdue
        rows = []
        for kind, label in KINDS.items():
            if not now.requests_of(kind):
                continue
            median = now.answer_days.get(kind)
            rows.append(
                [
                    _(label),
                    num(now.requests_of(kind)),
                    num(now.on_time.get(kind, 0)),
                    num(now.unresolved(kind)),
                    num(overdue.get(kind, 0)),
                    num(now.requests_in("rejected", kind=kind)),
                    num(now.requests_in("closed", kind=kind)),
                    DASH if median is None else num(median, "0.#"),
                ]
            )
        median = now.answer_days.get("")
        rows.append(
            [
                _("Total"),
                num(now.requests_total),
                num(now.on_time_total),
                num(now.unresolved()),
                num(self.r.overdue_total),
                num(now.requests_in("rejected")),
                num(now.requests_in("closed")),
                DASH if median is None else num(median, "0.#"),
            ]
        )
        self.table(
            _("Support requests by type"),
            [
                _("Type of support"),
                _("Received"),
                _("Answered on time"),
                _("Not closed"),
                _("Of them overdue"),
                _("Declined"),
                _("Closed"),
                _("Median days to the first answer"),
            ],
            rows,
            total=True,
        )

    def months(self) -> None:
        by_month = self.r.by_month
        kinds = [k for k in KINDS if any(counts.get(k) for _m, counts in by_month)]
        if not kinds:
            return
        several_years = self.r.period.first.year != self.r.period.last.year
        if self.draw:
            self.figure(
                _("Support requests by type and month"),
                charts.requests_by_month(by_month, kinds, several_years, self.font),
            )
        rows = [
            [
                cap(month_name(month.first, True)),
                *[num(counts.get(k, 0)) for k in kinds],
                num(sum(counts.values())),
            ]
            for month, counts in by_month
        ]
        rows.append(
            [
                _("Total"),
                *[num(self.now.requests_of(k)) for k in kinds],
                num(self.now.requests_total),
            ]
        )
        self.table(
            _("Support requests by month"),
            [_("Month"), *[_(KINDS[k]) for k in kinds], _("Total")],
            rows,
            total=True,
        )

    def engagement(self) -> None:
        now, period = self.now, self.r.period
        sentences = []
        if now.people:
            sentences.append(
                ngettext(
                    "{opening}, {count} resident{was} took part in the town hall's work through "
                    "the bot, submitting initiatives and requests, supporting initiatives and "
                    "signing up for events.",
                    "{opening}, {count} residents{was} took part in the town hall's work through "
                    "the bot, submitting initiatives and requests, supporting initiatives and "
                    "signing up for events.",
                    now.people,
                ).format(
                    opening=cap(when(period)),
                    count=num(now.people),
                    was=self.was(lambda f: f.people),
                )
            )
        if now.supporters:
            sentences.append(
                ngettext(
                    "{count} person supported initiatives{was}.",
                    "{count} people supported initiatives{was}.",
                    now.supporters,
                ).format(count=num(now.supporters), was=self.was(lambda f: f.supporters))
            )
        if now.tos_members:
            sentences.append(
                ngettext(
                    "{as_of}, {count} resident is a member of a TOS through the bot{was}.",
                    "{as_of}, {count} residents are members of a TOS through the bot{was}.",
                    now.tos_members,
                ).format(
                    as_of=cap(at_end(period, self.today)),
                    count=num(now.tos_members),
                    was=self.was(lambda f: f.tos_members),
                )
            )
        self.para(*sentences)

    def key_rows(self) -> list[tuple[str, str, str, str]]:
        """(indicator, the period before, this period, change) of the figures the text
        states; «—» where the period before has none."""
        now, before = self.now, self.before
        rows: list[tuple[str, str, str, str]] = []

        def row(
            label: str,
            value: Callable[[Figures], float | None],
            pattern: str = "#,##0",
            *,
            registry: bool = False,
        ) -> None:
            current = value(now)
            if current is None:
                return
            old = None
            if before is not None and (before.tracked or registry):
                old = value(before)
            rows.append(
                (
                    label,
                    DASH if old is None else num(old, pattern),
                    num(current, pattern),
                    DASH if old is None else signed(current - old, pattern),
                )
            )

        row(_("Public organisations"), lambda f: f.organisations_total)
        row(_("TOS registered"), lambda f: f.tos, registry=True)
        row(_("Residents of TOS territories"), lambda f: f.tos_residents, registry=True)
        if self.r.population:
            row(_("Share of the population in TOS, %"), lambda f: f.coverage, "0.0", registry=True)
        row(_("Competitions"), lambda f: len(f.competitions))
        row(_("Applications to competitions"), lambda f: f.applications)
        row(_("Winning projects"), lambda f: f.winners)
        row(_("Awarded, roubles"), lambda f: f.awarded)
        row(_("Events held"), lambda f: f.events_held)
        row(_("Of them jointly with the town hall"), lambda f: f.events_joint)
        row(_("Event participants, as organisers marked"), lambda f: f.events_attended)
        row(_("Citizen initiatives submitted"), lambda f: f.initiatives_total)
        row(_("Of them carried out"), lambda f: f.initiatives_in("done"))
        row(_("Support requests received"), lambda f: f.requests_total)
        row(_("Of them answered on time"), lambda f: f.on_time_total)
        row(
            _("Median days to the first answer"),
            lambda f: f.answer_days.get("") if f.answered_total else None,
            "0.#",
        )
        row(_("Residents who took part through the bot"), lambda f: f.people)
        row(_("Supporters of initiatives"), lambda f: f.supporters)
        row(_("TOS members in the bot"), lambda f: f.tos_members)
        return rows

    def key_table(self) -> None:
        rows = self.key_rows()
        now_column = column(self.r.period)
        if self.before is None:
            self.table(
                _("Key figures"),
                [_("Indicator"), now_column],
                [[label, current] for label, _b, current, _c in rows],
            )
            return
        self.table(
            _("Key figures"),
            [_("Indicator"), column(self.before.period), now_column, _("Change")],
            [list(r) for r in rows],
        )

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

    # -- the chat message --------------------------------------------------------------------

    def summary(self) -> list[str]:
        """The key figures as lines: «Indicator: value (in 2025: 15)»."""
        town = self.r.municipality.strip()
        lines = [
            _("{town}: {title}").format(town=town, title=self.doc.title) if town else self.doc.title
        ]
        before = self.before
        for label, old, current, _change in self.key_rows():
            if before is not None and old != DASH:
                lines.append(
                    _("{label}: {value}").format(label=label, value=current)
                    + was(before.period, old)
                )
            else:
                lines.append(_("{label}: {value}").format(label=label, value=current))
        return lines
