"""The gait timeline: heel strikes, toe-offs and stance phases per foot over the clip."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context

from kneechain.report.figures.svg import RC, WIDTH_IN, ReportFigure, new_figure, svg_markup

GAIT_PLOTTED = (
    "step_time_s",
    "step_length_leg",
    "step_length_cm",
    "stride_time_s",
    "stance_time_s",
    "double_support_s",
)
EVENT_MARKERS = (("heel_strike", "v", "black"), ("toe_off", "^", "white"))


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
        figure = new_figure(WIDTH_IN, 2.0)
        ax = figure.subplots()
        for row, foot in enumerate(("right", "left")):
            column = f"{foot}_stance"
            look = {"color": "#bdbdbd"} if foot == "left" else {"color": "white", "hatch": "///"}
            if column in series.columns:
                on = pd.to_numeric(series[column], errors="coerce").fillna(0).to_numpy() > 0
                for start, end in stance_runs(series["t_s"].to_numpy(float), on):
                    ax.barh(row, end - start, left=start, height=0.45, lw=0.6, edgecolor="black", **look)
            for event, marker, face in EVENT_MARKERS:
                times = events.loc[(events["foot"] == foot) & (events["event"] == event), "t_s"]
                ax.plot(times, [row + 0.38] * len(times), linestyle="none", marker=marker, markersize=7,
                        markerfacecolor=face, markeredgecolor="black",
                        label=event.replace("_", " ") if row == 0 else None)  # fmt: skip
        ax.set_yticks([0, 1], ["right foot", "left foot"])
        ax.set_ylim(-0.5, 1.8)
        ax.set_xlabel("time since the start of the clip (s)")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.02), ncol=2, borderaxespad=0.0)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        svg = svg_markup(figure, "fig-gait-events", "Gait events")
    caption = (
        "Bars: stance (foot on the floor; left grey, right hatched). Filled triangles: heel strikes; "
        "open triangles: toe-offs."
    )
    return ReportFigure("fig-gait-events", "Gait events", caption, svg)
