"""The key figures: a table of this period's and the period before's, and the chat message
that says the same."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import gettext as _

from bot.reporting.words import (
    DASH,
    column,
    num,
    signed,
    was,
)
from bot.reporting.writer import (
    Writer,
)
from bot.services.report_figures import Figures


class KeyFigures(Writer):
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
