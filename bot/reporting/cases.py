"""The first question's answer, part two: citizen initiatives and support requests, with
their tables and charts."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.reporting import charts
from bot.reporting.labels import (
    DIRECTION_PHRASES,
    OUTCOME_COLUMNS,
    OUTCOME_PARTS,
)
from bot.reporting.words import (
    DASH,
    cap,
    days,
    listing,
    month_name,
    num,
    quote,
    share,
    when,
)
from bot.reporting.writer import (
    EXAMPLES_LISTED,
    Writer,
)
from bot.services.initiatives import DIRECTIONS
from bot.services.requests import KINDS


class Cases(Writer):
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
        if self.r.extended:
            sentences.append(
                ngettext(
                    "The term of {count} request was extended under 59-FZ (article 12 part 2); "
                    "its answer is counted on time against the extended date.",
                    "The terms of {count} requests were extended under 59-FZ (article 12 part "
                    "2); their answers are counted on time against the extended dates.",
                    self.r.extended,
                ).format(count=num(self.r.extended))
            )
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
