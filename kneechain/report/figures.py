"""The report's figures: saved per-frame and per-item values drawn with matplotlib, as inline SVG.

Figures only draw what the analysis saved (``metrics_<family>_series.csv``, the per-item tables,
``reps.csv``, ``stances.csv``, ``strides.csv``, ``gait_events.csv`` and the summary values on the metric
cards); nothing is recomputed. They are made for print: text drawn as paths (no font files referenced),
left and right told apart by line style and marker as well as shade, thresholds as dashed lines with a
hatched band.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from kneechain.findings.inputs import unit_of
from kneechain.metrics.plausibility import IMPLAUSIBLE
from kneechain.report.cards import MetricCard, Threshold
from kneechain.report.metric_text import METRIC_INFO, unit_text

WIDTH_IN = 7.0
PANEL_HEIGHT_IN = 1.75
MAX_PANELS = 4  # 0.6 + 4 x 1.75 in: fits an A4 or Letter page
SIDE_STYLE = {
    "left": {"color": "#1b1b1b", "linestyle": "-", "marker": "o", "label": "left"},
    "right": {"color": "#5a5a5a", "linestyle": "--", "marker": "s", "label": "right"},
    "both": {"color": "#333333", "linestyle": ":", "marker": "^", "label": "both sides"},
}
RC = {
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "hatch.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
}
SERIES_LABELS = {
    "pelvic_obliquity_deg": "pelvis tilt",
    "pelvic_obliquity_change_deg": "pelvis tilt, change from standing",
    "shoulder_obliquity_deg": "shoulder tilt",
    "shoulder_obliquity_change_deg": "shoulder tilt, change from standing",
    "trunk_lean_left_deg": "trunk lean to the left",
    "trunk_lean_left_change_deg": "trunk lean to the left, change from standing",
}
AXIS_UNITS = {"deg": "degrees", "s": "seconds", "ratio": "ratio"}
TIME_COLUMNS = ("t_s", "bottom_s", "heel_strike_s", "start_s")
GAIT_PLOTTED = (
    "step_time_s",
    "step_length_leg",
    "step_length_cm",
    "stride_time_s",
    "stance_time_s",
    "double_support_s",
)


@dataclass(frozen=True)
class ReportFigure:
    """One figure: an id for the page, a title, a caption and the SVG markup."""

    id: str
    title: str
    caption: str
    svg: str


@dataclass(frozen=True)
class Span:
    """A shaded time span (a rep, a stance, a stride's stance phase) with its label and side."""

    start_s: float
    end_s: float
    label: str
    side: str = "both"


ThresholdOf = Callable[[str], "Threshold | None"]


def svg_markup(figure: Figure, prefix: str, title: str) -> str:
    """The figure as inline SVG for HTML: no XML prolog, DOCTYPE, comments or namespace URLs; it scales
    down with the page but never beyond its drawn size; every id prefixed so figures can share a page."""
    buffer = io.StringIO()
    metadata = {"Date": None, "Creator": None, "Format": None, "Type": None}
    figure.savefig(buffer, format="svg", metadata=metadata, bbox_inches="tight", pad_inches=0.05)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    width = re.search(r'<svg[^>]*? width="([\d.]+)pt"', svg)
    style = f' style="max-width: {float(width.group(1)):.0f}pt"' if width else ""
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf"<svg\1{style}", svg, count=1)
    for name in set(re.findall(r'id="([^"]+)"', svg)):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"').replace(f"#{name}", f"#{prefix}-{name}")
    svg = re.sub(r"\n\s*", "\n", svg)
    return svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(title, quote=True)}"', 1)


def label_of(metric: str) -> str:
    """A metric's plain-language label for a plot."""
    return SERIES_LABELS.get(metric) or METRIC_INFO.get(metric, (metric.replace("_", " "), ""))[0]


def series_columns(series: pd.DataFrame) -> dict[str, dict[str, str]]:
    """The plottable series columns grouped by metric: {metric: {side: column}}. ``left_``/``right_``
    prefixes name the side; a metric with a ``_change_deg`` twin is shown as the change only."""
    grouped: dict[str, dict[str, str]] = {}
    for column in series.columns:
        values = pd.to_numeric(series[column], errors="coerce")
        if column == "t_s" or not np.isfinite(values.to_numpy(dtype=float)).any():
            continue
        side, metric = "both", column
        for prefix in ("left_", "right_"):
            if column.startswith(prefix):
                side, metric = prefix[:-1], column[len(prefix) :]
        grouped.setdefault(metric, {})[side] = column
    changed = {m.replace("_change_deg", "_deg") for m in grouped if m.endswith("_change_deg")}
    return {metric: sides for metric, sides in grouped.items() if metric not in changed}


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
            ax.axhline(level, color="#444444", linestyle=(0, (4, 2)), linewidth=1.0)
        ax.text(1.0, value, f" ±{text}", transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)
        return
    ax.set_ylim(min(low, value - 0.15 * span), max(high, value + 0.15 * span))
    low, high = ax.get_ylim()
    ax.axhspan(value, high, **style) if threshold.kind == "upper" else ax.axhspan(low, value, **style)
    ax.set_ylim(low, high)
    ax.axhline(value, color="#444444", linestyle=(0, (4, 2)), linewidth=1.0)
    ax.text(1.0, value, f" {text}", transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)


def shade_spans(ax: Axes, spans: Sequence[Span], label: bool) -> None:
    """Grey spans (reps, stances; right-side stances hatched) with their labels along the top."""
    for span in spans:
        hatch = "\\\\\\" if span.side == "right" else None
        ax.axvspan(
            span.start_s,
            span.end_s,
            facecolor="#e4e4e4",
            edgecolor="#b0b0b0",
            hatch=hatch,
            linewidth=0,
            zorder=0,
        )
        if label:
            middle = (span.start_s + span.end_s) / 2
            ax.text(
                middle,
                0.97,
                span.label,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=7,
                color="#333333",
            )


def item_points(items: Sequence[pd.DataFrame], metric: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-item values of ``metric`` by side at their time (rep bottom, stance middle, heel strike)."""
    points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for table in items:
        if metric not in table.columns or table.empty:
            continue
        time = next((c for c in TIME_COLUMNS if c in table.columns), None)
        if time is None:
            continue
        if "quality" in table.columns:  # values no body can produce (a misread clip) are not plotted
            table = table[~table["quality"].astype(str).str.startswith(IMPLAUSIBLE)]
        t_s = pd.to_numeric(table[time], errors="coerce")
        if time == "start_s" and "end_s" in table.columns and "stride_time_s" not in table.columns:
            t_s = (t_s + pd.to_numeric(table["end_s"], errors="coerce")) / 2
        sides = table["side"].astype(str) if "side" in table.columns else pd.Series("both", index=table.index)
        passes = table["pass_id"] if "pass_id" in table.columns else pd.Series(0, index=table.index)
        for side in sides.unique():
            rows = sides == side
            values = pd.to_numeric(table.loc[rows, metric], errors="coerce").to_numpy(float)
            points[side] = break_between_passes(t_s[rows].to_numpy(float), values, passes[rows].to_numpy())
    return points


def break_between_passes(t_s: np.ndarray, values: np.ndarray, passes: np.ndarray) -> tuple[np.ndarray, ...]:
    """The points with a gap (NaN) wherever the walking pass changes, so no line joins separate passes."""
    if len(t_s) < 2:
        return t_s, values
    breaks = np.flatnonzero(passes[1:] != passes[:-1]) + 1
    return np.insert(t_s, breaks, np.nan), np.insert(values, breaks, np.nan)


def _panel(
    ax: Axes,
    metric: str,
    series: pd.DataFrame,
    sides: dict[str, str],
    items: Sequence[pd.DataFrame],
    threshold: Threshold | None,
) -> None:
    points_by_side = item_points(items, metric)
    if set(sides) == {"both"}:  # one value per item (e.g. the trunk): pool the items' sides
        pooled = [points_by_side[side] for side in points_by_side]
        points_by_side = {"both": tuple(np.concatenate(parts) for parts in zip(*pooled, strict=True))}
    for side in ("left", "right", "both"):
        style = dict(SIDE_STYLE[side])
        marker = style.pop("marker")
        if side in sides:
            ax.plot(series["t_s"], pd.to_numeric(series[sides[side]], errors="coerce"), **style)
        points = points_by_side.get(side)
        if points is not None:
            face = style["color"] if side != "right" else "white"
            ax.plot(
                *points,
                linestyle="none",
                marker=marker,
                markerfacecolor=face,
                markeredgecolor=style["color"],
                markersize=6,
                zorder=5,
            )
            if side not in sides and len(points[0]) > 1:
                ax.plot(*points, color=style["color"], linestyle=style["linestyle"], linewidth=1.0)
    draw_threshold(ax, threshold)
    ax.set_title(label_of(metric), loc="left")
    ax.set_ylabel(AXIS_UNITS.get(unit_of(metric), unit_of(metric)) or "value")
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)


def _legend(ax: Axes, spans: Sequence[Span], span_name: str, has_threshold: bool) -> None:
    handles = [
        Line2D([], [], **{**SIDE_STYLE[s], "markerfacecolor": "white" if s == "right" else None})
        for s in ("left", "right")
    ]
    if any(span.side == "right" for span in spans):
        handles.append(Patch(facecolor="#e4e4e4", edgecolor="#b0b0b0", label=f"left {span_name}"))
        handles.append(
            Patch(facecolor="#e4e4e4", edgecolor="#b0b0b0", hatch="\\\\\\", label=f"right {span_name}")
        )
    elif spans:
        handles.append(Patch(facecolor="#e4e4e4", label=span_name))
    if has_threshold:
        handles.append(Line2D([], [], color="#444444", linestyle=(0, (4, 2)), label="threshold"))
        handles.append(Patch(facecolor="none", edgecolor="#9a9a9a", hatch="///", label="outside the range"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.12), ncol=min(len(handles), 4))


def series_caption(plot: SeriesPlot, has_threshold: bool) -> str:
    """The caption of a time plot: only what the figure draws (spans, their hatching, thresholds)."""
    parts = [
        "Left: solid line, filled circles; right: dashed line, open squares. Markers: the value measured for "
        f"each {plot.item_word}, which the cards summarise."
    ]
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


def _has_points(items: Sequence[pd.DataFrame], metric: str) -> bool:
    return any(np.isfinite(values).any() for _, values in item_points(items, metric).values())


def chunk_panels(names: Sequence[str]) -> list[list[str]]:
    """Split panels into figures of at most ``MAX_PANELS`` (evenly), so each fits one printed page."""
    count = math.ceil(len(names) / MAX_PANELS)
    size = math.ceil(len(names) / count) if count else 0
    return [list(names[i : i + size]) for i in range(0, len(names), size)] if size else []


@dataclass(frozen=True)
class SeriesPlot:
    """What a family's time plot draws: per-frame ``series``, per-item tables, spans and thresholds."""

    family: str
    title: str
    series: pd.DataFrame
    items: Sequence[pd.DataFrame]
    spans: Sequence[Span]
    span_name: str
    item_word: str
    threshold_of: ThresholdOf


def time_series_figures(plot: SeriesPlot, metrics: Sequence[str] | None = None) -> list[ReportFigure]:
    """Each metric of a family over time, one panel per metric, spans shaded, thresholds drawn, split into
    page-sized figures. With ``metrics`` (gait: no per-frame series), the per-item values are drawn."""
    series = plot.series
    if metrics is None:
        grouped = series_columns(series) if "t_s" in series.columns else {}
    else:
        grouped = {m: {} for m in metrics if _has_points(plot.items, m)}
        series = pd.DataFrame({"t_s": []})
    chunks = chunk_panels(list(grouped))
    figures = []
    for part, names in enumerate(chunks, start=1):
        suffix = f" ({part} of {len(chunks)})" if len(chunks) > 1 else ""
        figure_id = f"fig-{plot.family}-{part}"
        with rc_context(RC):
            figure = Figure(figsize=(WIDTH_IN, 0.6 + PANEL_HEIGHT_IN * len(names)))
            axes = figure.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
            for index, (ax, metric) in enumerate(zip(axes, names, strict=True)):
                shade_spans(ax, plot.spans, label=index == 0)
                _panel(ax, metric, series, grouped[metric], plot.items, plot.threshold_of(metric))
            has_threshold = any(plot.threshold_of(m) for m in names)
            _legend(axes[0], plot.spans, plot.span_name, has_threshold)
            axes[-1].set_xlabel("time since the start of the clip (s)")
            figure.tight_layout(h_pad=1.2)
            svg = svg_markup(figure, figure_id, plot.title + suffix)
        figures.append(ReportFigure(figure_id, plot.title + suffix, series_caption(plot, has_threshold), svg))
    return figures


def comparison_figure(cards: Sequence[MetricCard]) -> ReportFigure | None:
    """Left vs right: for each metric measured on both sides, two bars (mean ± SD), the threshold dashed."""
    pairs = [c for c in cards if {"left", "right"} <= {s.side for s in c.sides if s.text}][:9]
    if not pairs:
        return None
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_IN * max(columns, 2) / 3, 0.3 + 2.0 * rows))
        axes = figure.subplots(rows, columns, squeeze=False).ravel()
        for ax, card in zip(axes, pairs, strict=False):
            by_side = {s.side: s for s in card.sides}
            for x, side in enumerate(("left", "right")):
                value = by_side[side]
                sd = float(value.sd_text) if value.sd_text else 0.0
                ax.bar(
                    x,
                    value.value,
                    width=0.6,
                    color="#4a4a4a" if side == "left" else "white",
                    edgecolor="black",
                    hatch=None if side == "left" else "///",
                    yerr=sd,
                    capsize=4,
                    error_kw={"elinewidth": 1.0},
                )
                top = value.value + sd if value.value >= 0 else value.value - sd
                ax.annotate(
                    value.text,
                    (x, top),
                    ha="center",
                    va="bottom" if value.value >= 0 else "top",
                    xytext=(0, 3 if value.value >= 0 else -3),
                    textcoords="offset points",
                    fontsize=7,
                )
            if card.threshold is not None and card.threshold.kind != "band":
                ax.axhline(card.threshold.value, color="#444444", linestyle=(0, (4, 2)), linewidth=1.0)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_xticks([0, 1], ["left", "right"])
            ax.set_xlim(-0.7, 1.7)
            ax.margins(y=0.25)
            ax.set_title(card.label, fontsize=8.5)
            ax.set_ylabel(AXIS_UNITS.get(card.unit, card.unit))
        for ax in axes[len(pairs) :]:
            ax.set_visible(False)
        figure.tight_layout()
        svg = svg_markup(figure, "fig-left-right", "Left vs right")
    caption = (
        "Bars: mean per side (left dark, right hatched), labelled with the mean in the panel's unit; "
        "whiskers: ± 1 SD across reps / stances / strides; dashed line: threshold where one applies."
    )
    return ReportFigure("fig-left-right", "Left vs right", caption, svg)


def stance_runs(t_s: np.ndarray, on: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of frames where ``on`` is true, as (start, end) times."""
    runs, start = [], None
    for time, flag in zip(t_s, on, strict=True):
        if flag and start is None:
            start = time
        elif not flag and start is not None:
            runs.append((start, time))
            start = None
    if start is not None:
        runs.append((start, float(t_s[-1])))
    return runs


def gait_timeline_figure(events: pd.DataFrame, series: pd.DataFrame) -> ReportFigure | None:
    """Heel strikes (filled triangles down) and toe-offs (open triangles up) per foot, stance phases as
    bars (left grey, right hatched)."""
    if events.empty or not {"foot", "event", "t_s"} <= set(events.columns):
        return None
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_IN, 2.0))
        ax = figure.subplots()
        for row, foot in enumerate(("right", "left")):
            column = f"{foot}_stance"
            look = {"color": "#bdbdbd"} if foot == "left" else {"color": "white", "hatch": "///"}
            if column in series.columns:
                on = pd.to_numeric(series[column], errors="coerce").fillna(0).to_numpy() > 0
                for start, end in stance_runs(series["t_s"].to_numpy(float), on):
                    ax.barh(row, end - start, left=start, height=0.45, lw=0.6, edgecolor="black", **look)
            for event, marker, face in (("heel_strike", "v", "black"), ("toe_off", "^", "white")):
                times = events.loc[(events["foot"] == foot) & (events["event"] == event), "t_s"]
                ax.plot(
                    times,
                    [row + 0.38] * len(times),
                    linestyle="none",
                    marker=marker,
                    markersize=7,
                    markerfacecolor=face,
                    markeredgecolor="black",
                    label=event.replace("_", " ") if row == 0 else None,
                )
        ax.set_yticks([0, 1], ["right foot", "left foot"])
        ax.set_ylim(-0.5, 1.8)
        ax.set_xlabel("time since the start of the clip (s)")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=2, borderaxespad=0.0)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        figure.tight_layout()
        svg = svg_markup(figure, "fig-gait-events", "Gait events")
    caption = (
        "Bars: stance (foot on the floor; left grey, right hatched). Filled triangles: heel strikes; "
        "open triangles: toe-offs."
    )
    return ReportFigure("fig-gait-events", "Gait events", caption, svg)
