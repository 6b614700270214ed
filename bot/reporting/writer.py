"""The report's writer: its state and the helpers every section uses (a figure with
the period before's beside it, numbered tables and figures)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.utils.i18n import gettext as _

from bot.reporting.model import Bullets, Document, Figure, Heading, Paragraph, Table
from bot.reporting.words import num, was
from bot.services.report_figures import Figures, PeriodReport
from bot.services.when import town_time

EVENTS_LISTED = 5
COMPETITIONS_LISTED = 5
EXAMPLES_LISTED = 5
PROJECTS_NAMED = 3


class Writer:
    """A report being written: the figures, the blocks so far, the tables and figures
    numbered as they come."""

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
