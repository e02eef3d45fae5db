"""Left vs right: the metric cards' mean per side as bars, the far leg greyed in a side or oblique view."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.axes import Axes

from kneechain.report.cards import MetricCard
from kneechain.report.figures.style import AXIS_UNITS, FAR_COLOR, SIDES, far_leg_sentence, far_side
from kneechain.report.figures.svg import RC, WIDTH_IN, ReportFigure, new_figure, svg_markup

MAX_PAIRS = 9
BAR_LOOK = {
    "left": {"color": "#4a4a4a", "edgecolor": "black", "hatch": None},
    "right": {"color": "white", "edgecolor": "black", "hatch": "///"},
}
FAR_BAR_LOOK = {"color": "#e6e6e6", "edgecolor": FAR_COLOR, "linestyle": ":"}


def bar_look(side: str, near_side: str | None) -> dict:
    """The bar's fill, edge and hatching; the far leg's pale grey with a dotted grey edge."""
    look = dict(BAR_LOOK[side])
    return {**look, **FAR_BAR_LOOK} if side == far_side(near_side) else look


def tick_label(side: str, near_side: str | None) -> str:
    return f"{side}\n(far leg,\nnot reliable)" if side == far_side(near_side) else side


def draw_pair(ax: Axes, card: MetricCard, near_side: str | None) -> None:
    """One metric: a bar per side (mean ± SD) labelled with its text, the threshold dashed."""
    by_side = {s.side: s for s in card.sides}
    for x, side in enumerate(SIDES):
        value = by_side[side]
        far = side == far_side(near_side)
        sd = float(value.sd_text) if value.sd_text else 0.0
        ax.bar(x, value.value, width=0.6, yerr=sd, capsize=4,
               error_kw={"elinewidth": 1.0, "ecolor": FAR_COLOR if far else "black"},
               **bar_look(side, near_side))  # fmt: skip
        top = value.value + sd if value.value >= 0 else value.value - sd
        ax.annotate(value.text, (x, top), ha="center", va="bottom" if value.value >= 0 else "top",
                    xytext=(0, 3 if value.value >= 0 else -3), textcoords="offset points", fontsize=7,
                    color=FAR_COLOR if far else "black")  # fmt: skip
    if card.threshold is not None and card.threshold.kind != "band":
        ax.axhline(card.threshold.value, color="#444444", linestyle=(0, (4, 2)), linewidth=1.0)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks([0, 1], [tick_label(side, near_side) for side in SIDES])
    ax.set_xlim(-0.7, 1.7)
    ax.margins(y=0.25)
    ax.set_title(card.label, fontsize=8.5)
    ax.set_ylabel(AXIS_UNITS.get(card.unit, card.unit))


def comparison_figure(cards: Sequence[MetricCard], near_side: str | None = None) -> ReportFigure | None:
    """Left vs right: for each metric measured on both sides, two bars (mean ± SD), the threshold dashed.
    ``near_side``: the leg facing the camera in a side or oblique view; the other leg's bars are greyed."""
    pairs = [c for c in cards if {"left", "right"} <= {s.side for s in c.sides if s.text}][:MAX_PAIRS]
    if not pairs:
        return None
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    with rc_context(RC):
        figure = new_figure(WIDTH_IN * max(columns, 2) / 3, 0.3 + 2.0 * rows)
        axes = figure.subplots(rows, columns, squeeze=False).ravel()
        for ax, card in zip(axes, pairs, strict=False):
            draw_pair(ax, card, near_side)
        for ax in axes[len(pairs) :]:
            ax.set_visible(False)
        svg = svg_markup(figure, "fig-left-right", "Left vs right")
    caption = (
        "Bars: mean per side (left dark, right hatched), labelled with the mean in the panel's unit; "
        "whiskers: ± 1 SD across reps / stances / strides; dashed line: threshold where one applies."
    )
    if far_side(near_side):
        caption += " " + far_leg_sentence(near_side).replace("Grey dotted, thin", "Pale grey bars")
    return ReportFigure("fig-left-right", "Left vs right", caption, svg)
