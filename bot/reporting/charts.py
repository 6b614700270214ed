"""Charts as PNG (matplotlib, no screen): whole numbers on the count axis, and no category or
legend entry that has nothing in it."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

from aiogram.utils.i18n import gettext as _

from bot.reporting import fonts
from bot.reporting.labels import OUTCOME_COLUMNS
from bot.reporting.words import month_name
from bot.services.initiatives import DIRECTIONS
from bot.services.initiatives import STATUSES as INITIATIVE_STATUSES
from bot.services.periods import Period
from bot.services.report_figures import Figures
from bot.services.requests import KINDS
from bot.services.requests import STATUSES as REQUEST_STATUSES
from bot.services.when import local_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

DPI = 150
FONT_PT = 10


def initiatives(figures: Figures, font: str = "") -> bytes | None:
    """Initiatives by direction, stacked by outcome (PNG); None when there are none."""
    return _png(initiatives_figure(figures, font))


def initiatives_figure(figures: Figures, font: str = "") -> MplFigure | None:
    codes = [c for c in DIRECTIONS if sum(figures.initiatives.get(c, {}).values())]
    if not codes:
        return None
    series = {
        _(label): [figures.initiatives.get(c, {}).get(outcome, 0) for c in codes]
        for outcome, label in OUTCOME_COLUMNS.items()
    }
    return _stacked_bars([_(DIRECTIONS[c]) for c in codes], series, font=font, horizontal=True)


def _png(figure: MplFigure | None) -> bytes | None:
    if figure is None:
        return None
    import matplotlib

    out = io.BytesIO()
    # Ticks are made when drawn: in the figure's font too (its label names the family).
    with matplotlib.rc_context({"font.family": figure.get_label(), "font.size": FONT_PT}):
        figure.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()


def requests_by_month(
    by_month: list[tuple[Period, dict[str, int]]],
    kinds: list[str],
    with_year: bool,
    font: str = "",
) -> bytes | None:
    """Requests per month, stacked by kind (PNG); None when there are none."""
    return _png(requests_figure(by_month, kinds, with_year, font))


def requests_figure(
    by_month: list[tuple[Period, dict[str, int]]],
    kinds: list[str],
    with_year: bool,
    font: str = "",
) -> MplFigure | None:
    """Requests per month (every month of the period, a month with none too: it is a time
    axis), stacked by the kinds that have any."""
    if not kinds:
        return None
    labels = [month_name(month.first, with_year, short=True) for month, _counts in by_month]
    series = {_(KINDS[k]): [counts.get(k, 0) for _m, counts in by_month] for k in kinds}
    return _stacked_bars(labels, series, font=font, keep_empty_labels=True)


def weekly(weeks: list[str], data: dict[str, dict[str, list[int]]], font: str = "") -> bytes:
    """New initiatives and requests per week, by their current status (the Monday digest)."""
    labels = [local_text(date.fromisoformat(week), None, "day") for week in weeks]
    series: dict[str, list[int]] = {}
    for status, counts in sorted(data.get("initiatives", {}).items()):
        name = _("Initiatives: {status}").format(status=_(INITIATIVE_STATUSES.get(status, status)))
        series[name] = counts
    for status, counts in sorted(data.get("requests", {}).items()):
        series[_("Requests: {status}").format(status=_(REQUEST_STATUSES.get(status, status)))] = (
            counts
        )
    png = _png(
        _stacked_bars(
            labels,
            series,
            font=font,
            title=_("New initiatives and requests by week"),
            keep_empty_labels=True,
        )
    )
    assert png is not None
    return png


def _stacked_bars(
    labels: list[str],
    series: dict[str, list[int]],
    *,
    font: str = "",
    title: str = "",
    horizontal: bool = False,
    keep_empty_labels: bool = False,
) -> MplFigure | None:
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    series = {name: values for name, values in series.items() if any(values)}
    if not keep_empty_labels:
        keep = [i for i in range(len(labels)) if any(v[i] for v in series.values())]
        labels = [labels[i] for i in keep]
        series = {name: [values[i] for i in keep] for name, values in series.items()}
    if not labels:
        return None
    family = "DejaVu Sans"
    if font:
        face = fonts.resolve(font)
        font_manager.fontManager.addfont(face.regular)
        font_manager.fontManager.addfont(face.bold)
        family = face.family
    with matplotlib.rc_context({"font.family": family, "font.size": FONT_PT}):
        tall = max(2.8, 0.5 * len(labels) + 1.4) if horizontal else 3.6
        figure = Figure(figsize=(6.3, tall), dpi=DPI)  # printed at its size: 16 cm wide
        figure.set_label(family)
        axes = figure.subplots()
        positions = list(range(len(labels)))
        bottom = [0] * len(labels)
        for name, values in series.items():
            if horizontal:
                axes.barh(positions, values, left=bottom, label=name)
            else:
                axes.bar(positions, values, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        counts = axes.xaxis if horizontal else axes.yaxis
        counts.set_major_locator(MaxNLocator(integer=True))  # whole numbers: counts
        if horizontal:
            axes.set_yticks(positions, labels)
            axes.invert_yaxis()
        else:
            turn = 90 if len(labels) > 12 else 45 if len(labels) > 6 else 0
            step = -(-len(labels) // 24)  # at most 24 labels: every step-th on a long axis
            shown = [label if i % step == 0 else "" for i, label in enumerate(labels)]
            axes.set_xticks(positions, shown, rotation=turn, ha="right" if turn == 45 else "center")
        axes.grid(axis="x" if horizontal else "y", alpha=0.3)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if title:
            axes.set_title(title)
        if series:  # above the plot: never over a bar or a turned label
            axes.legend(
                frameon=False,
                loc="lower center",
                bbox_to_anchor=(0.5, 1.0),
                ncol=min(3, len(series)),
            )
    return figure
