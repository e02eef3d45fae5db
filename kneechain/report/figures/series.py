"""Time plots: each metric of a family over the clip, one panel per metric, the reps / stances shaded,
thresholds drawn, split into page-sized figures."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from kneechain.findings.inputs import unit_of
from kneechain.report.cards import Threshold
from kneechain.report.figures.series_data import (
    has_points,
    item_points,
    label_of,
    line_points,
    series_columns,
)
from kneechain.report.figures.style import AXIS_UNITS, SIDES, far_leg_sentence, far_side, side_style
from kneechain.report.figures.svg import RC, WIDTH_IN, ReportFigure, new_figure, svg_markup
from kneechain.report.metric_text import unit_text

PANEL_HEIGHT_IN = 1.75
MAX_PANELS = 4  # 0.6 + 4 x 1.75 in: fits an A4 or Letter page
SPAN_FACE = "#e4e4e4"
SPAN_EDGE = "#b0b0b0"
RIGHT_HATCH = "\\\\\\"
MAX_SPAN_LABELS = 12  # a label ("rep 12", 7 pt) is about 0.4 in wide; a panel about 6.5 in
THRESHOLD_LINE = {"color": "#444444", "linestyle": (0, (4, 2)), "linewidth": 1.0}

ThresholdOf = Callable[[str], "Threshold | None"]


@dataclass(frozen=True)
class Span:
    """A shaded time span (a rep, a stance, a stride's stance phase) with its label and side."""

    start_s: float
    end_s: float
    label: str
    side: str = "both"


@dataclass(frozen=True)
class SeriesPlot:
    """What a family's time plot draws: per-frame ``series``, per-item tables, spans and thresholds.
    ``near_side``: the leg facing the camera in a side or oblique view ("left"/"right"; the other leg is
    drawn grey as not reliable), None when the camera sees both legs."""

    family: str
    title: str
    series: pd.DataFrame
    items: Sequence[pd.DataFrame]
    spans: Sequence[Span]
    span_name: str
    item_word: str
    threshold_of: ThresholdOf
    near_side: str | None = None


def draw_threshold(ax: Axes, threshold: Threshold | None) -> None:
    """The threshold as a dashed line and the out-of-range side as a light hatched band."""
    if threshold is None:
        return
    symbol = unit_text(threshold.unit) if threshold.unit in ("deg", "%") else ""
    value, text = threshold.value, f"{threshold.value:g}{symbol}"
    low, high = ax.get_ylim()
    span = max(high - low, 1e-9)
    style = {"facecolor": "none", "edgecolor": "#9a9a9a", "hatch": "///", "linewidth": 0, "zorder": 0}
    if threshold.kind == "band":
        ax.set_ylim(min(low, -value - 0.1 * span), max(high, value + 0.1 * span))
        ax.axhspan(-value, value, facecolor="#ececec", edgecolor="none", zorder=0)
        for level in (-value, value):
            ax.axhline(level, **THRESHOLD_LINE)
        ax.text(1.0, value, f" ±{text}", transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)
        return
    ax.set_ylim(min(low, value - 0.15 * span), max(high, value + 0.15 * span))
    low, high = ax.get_ylim()
    ax.axhspan(value, high, **style) if threshold.kind == "upper" else ax.axhspan(low, value, **style)
    ax.set_ylim(low, high)
    ax.axhline(value, **THRESHOLD_LINE)
    ax.text(1.0, value, f" {text}", transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)


def shade_spans(ax: Axes, spans: Sequence[Span], label: bool) -> None:
    """Grey spans (reps, stances; right-side stances hatched) with their labels along the top: at most
    ``MAX_SPAN_LABELS`` of them, evenly spread (hundreds of reps in a long clip would overprint). The spans
    of one look are one collection (a 30-minute clip has 700 reps: one artist each took 4.5 s)."""
    for hatch in (None, RIGHT_HATCH):
        boxes = [[(s.start_s, 0), (s.start_s, 1), (s.end_s, 1), (s.end_s, 0)]
                 for s in spans if (s.side == "right") == (hatch is not None)]  # fmt: skip
        if boxes:
            shaded = PolyCollection(boxes, transform=ax.get_xaxis_transform(), facecolor=SPAN_FACE,
                                    edgecolor=SPAN_EDGE, hatch=hatch, linewidth=0, zorder=0)  # fmt: skip
            ax.add_collection(shaded, autolim=False)
    if spans:  # the time axis takes in every span (the height is the axes', not data)
        ax.update_datalim([(spans[0].start_s, 0), (max(s.end_s for s in spans), 0)], updatey=False)
        ax.autoscale_view(scaley=False)
    if label:
        for span in spans[:: max(1, math.ceil(len(spans) / MAX_SPAN_LABELS))]:
            middle = (span.start_s + span.end_s) / 2
            ax.text(middle, 0.97, span.label, transform=ax.get_xaxis_transform(), ha="center", va="top",
                    fontsize=7, color="#333333")  # fmt: skip


def draw_points(ax: Axes, points: tuple[np.ndarray, np.ndarray], side: str, near_side: str | None,
                joined: bool) -> None:  # fmt: skip
    """One side's per-item values as markers (right open, the far leg's small and grey); ``joined`` also
    draws a thin line between them (no per-frame series)."""
    style = side_style(side, near_side)
    face = "white" if side == "right" else style["color"]
    size = 4 if side == far_side(near_side) else 6
    ax.plot(*points, linestyle="none", marker=style["marker"], markerfacecolor=face,
            markeredgecolor=style["color"], markersize=size, zorder=5)  # fmt: skip
    if joined and len(points[0]) > 1:
        ax.plot(
            *points, color=style["color"], linestyle=style["linestyle"], linewidth=style.get("linewidth", 1.0)
        )


def draw_panel(ax: Axes, metric: str, series: pd.DataFrame, sides: dict[str, str], plot: SeriesPlot) -> None:
    """One metric: the per-frame line per side, the per-item markers, the threshold, title and axis."""
    points_by_side = item_points(plot.items, metric)
    if set(sides) == {"both"}:  # one value per item (e.g. the trunk): pool the items' sides
        pooled = [points_by_side[side] for side in points_by_side]
        points_by_side = {"both": tuple(np.concatenate(parts) for parts in zip(*pooled, strict=True))}
    for side in (*SIDES, "both"):
        if side in sides:
            line = {k: v for k, v in side_style(side, plot.near_side).items() if k != "marker"}
            values = pd.to_numeric(series[sides[side]], errors="coerce").to_numpy(float)
            ax.plot(*line_points(series["t_s"].to_numpy(float), values), **line)
        if side in points_by_side:
            draw_points(ax, points_by_side[side], side, plot.near_side, joined=side not in sides)
    draw_threshold(ax, plot.threshold_of(metric))
    ax.set_title(label_of(metric), loc="left")
    ax.set_ylabel(AXIS_UNITS.get(unit_of(metric), unit_of(metric)) or "value")
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)


def draw_legend(ax: Axes, plot: SeriesPlot, has_threshold: bool) -> None:
    """The sides (the far leg marked as not reliable), the spans and the threshold, above the first panel."""
    handles = [
        Line2D(
            [], [], **{**side_style(s, plot.near_side), "markerfacecolor": "white" if s == "right" else None}
        )
        for s in SIDES
    ]
    if any(span.side == "right" for span in plot.spans):
        handles.append(Patch(facecolor=SPAN_FACE, edgecolor=SPAN_EDGE, label=f"left {plot.span_name}"))
        handles.append(
            Patch(
                facecolor=SPAN_FACE, edgecolor=SPAN_EDGE, hatch=RIGHT_HATCH, label=f"right {plot.span_name}"
            )
        )
    elif plot.spans:
        handles.append(Patch(facecolor=SPAN_FACE, label=plot.span_name))
    if has_threshold:
        handles.append(Line2D([], [], **THRESHOLD_LINE, label="threshold"))
        handles.append(Patch(facecolor="none", edgecolor="#9a9a9a", hatch="///", label="outside the range"))
    columns = 3 if far_side(plot.near_side) else 4  # the far leg's label is long
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.12), ncol=min(len(handles), columns))


def series_caption(plot: SeriesPlot, has_threshold: bool) -> str:
    """The caption of a time plot: only what the figure draws (spans, their hatching, thresholds)."""
    parts = [
        "Left: solid line, filled circles; right: dashed line, open squares. Markers: the value measured for "
        f"each {plot.item_word}, which the cards summarise."
    ]
    if far_leg_sentence(plot.near_side):
        parts.append(far_leg_sentence(plot.near_side))
    if any(span.side == "right" for span in plot.spans):
        parts.append(f"Grey bands: {plot.span_name} (left plain; right with back-slanted hatching).")
    elif plot.spans:
        parts.append(f"Grey bands: {plot.span_name}.")
    if has_threshold:
        parts.append(
            "Dashed line: threshold; forward-slanted hatching beyond it: outside the range (it applies to "
            "the markers, not to the frames in between)."
        )
    if plot.family == "gait":
        parts.append("Lines are broken between walking passes.")
    return " ".join(parts)


def chunk_panels(names: Sequence[str]) -> list[list[str]]:
    """Split panels into figures of at most ``MAX_PANELS`` (evenly), so each fits one printed page."""
    count = math.ceil(len(names) / MAX_PANELS)
    size = math.ceil(len(names) / count) if count else 0
    return [list(names[i : i + size]) for i in range(0, len(names), size)] if size else []


def time_series_figures(plot: SeriesPlot, metrics: Sequence[str] | None = None) -> list[ReportFigure]:
    """Each metric of a family over time, one panel per metric, spans shaded, thresholds drawn, split into
    page-sized figures. With ``metrics`` (gait: no per-frame series), the per-item values are drawn."""
    series = plot.series
    if metrics is None:
        grouped = series_columns(series) if "t_s" in series.columns else {}
    else:
        grouped = {m: {} for m in metrics if has_points(plot.items, m)}
        series = pd.DataFrame({"t_s": []})
    chunks = chunk_panels(list(grouped))
    figures = []
    for part, names in enumerate(chunks, start=1):
        suffix = f" ({part} of {len(chunks)})" if len(chunks) > 1 else ""
        figure_id = f"fig-{plot.family}-{part}"
        with rc_context(RC):
            figure = new_figure(WIDTH_IN, 0.6 + PANEL_HEIGHT_IN * len(names))
            axes = figure.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
            for index, (ax, metric) in enumerate(zip(axes, names, strict=True)):
                shade_spans(ax, plot.spans, label=index == 0)
                draw_panel(ax, metric, series, grouped[metric], plot)
            has_threshold = any(plot.threshold_of(m) for m in names)
            draw_legend(axes[0], plot, has_threshold)
            axes[-1].set_xlabel("time since the start of the clip (s)")
            svg = svg_markup(figure, figure_id, plot.title + suffix)
        figures.append(ReportFigure(figure_id, plot.title + suffix, series_caption(plot, has_threshold), svg))
    return figures
