"""A small trend plot per metric across visits (matplotlib, inline SVG via ``kneechain.report.figures``):
each side's value per visit with its uncertainty as an error bar, the visits in date order."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib import rc_context

from kneechain.report.figures.style import AXIS_UNITS, SIDE_STYLE
from kneechain.report.figures.svg import RC, new_figure, svg_markup
from kneechain.visit.model import Change

WIDTH_IN, HEIGHT_IN = 3.6, 1.9


def side_label(side: str) -> str:
    return (
        "symmetry index"
        if side == "symmetry_index_pct"
        else SIDE_STYLE.get(side, SIDE_STYLE["both"])["label"]
    )


def trend_svg(changes: Sequence[Change], title: str, prefix: str) -> str:
    """One metric's values per visit (one line per side of ``changes``), as inline SVG."""
    figure = new_figure(WIDTH_IN, HEIGHT_IN)
    with rc_context(RC):
        ax = figure.add_subplot()
        for change in changes:
            style = dict(SIDE_STYLE.get(change.side, SIDE_STYLE["both"]), label=side_label(change.side))
            pairs = zip(change.values, change.uncertainties, strict=True)
            points = [(i, v, u or 0.0) for i, (v, u) in enumerate(pairs) if v is not None]
            xs, ys, errors = zip(*points, strict=True)
            ax.errorbar(xs, ys, yerr=errors, capsize=3, **style)
        dates = changes[0].dates
        ax.set_xticks(range(len(dates)), dates)
        ax.set_xlim(-0.4, len(dates) - 0.6)
        unit = changes[0].unit
        ax.set_ylabel(AXIS_UNITS.get(unit, unit) or "value")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(loc="best", fontsize=7)
        return svg_markup(figure, prefix, title)
