"""The report's time plots stay faithful and small for long clips: lines thinned to what the figure can
show (every peak, dip and gap kept), span labels that do not overprint, ids that stay unique."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kneechain.report.figures import SeriesPlot, Span, time_series_figures
from kneechain.report.figures.series import MAX_SPAN_LABELS, shade_spans
from kneechain.report.figures.series_data import line_points


def test_a_short_line_is_drawn_whole():
    t_s = np.arange(100) / 30
    values = np.sin(t_s)
    assert all(
        np.array_equal(a, b) for a, b in zip(line_points(t_s, values, bins=50), (t_s, values), strict=True)
    )


def test_a_long_line_keeps_every_bins_extremes_its_spikes_and_its_gaps():
    rng = np.random.default_rng(0)
    t_s = np.arange(54_000) / 30  # 30 minutes
    values = rng.normal(0, 1, len(t_s))
    values[12_345] = 40.0  # a one-frame spike
    values[30_000:30_200] = np.nan  # a gap of 200 frames
    shown_t, shown = line_points(t_s, values, bins=1000)
    assert len(shown) <= 3 * 1000 and np.all(np.diff(shown_t) > 0)
    assert 40.0 in shown and np.isnan(shown).any()
    for run in np.array_split(np.arange(len(t_s)), 1000):
        inside = shown[(shown_t >= t_s[run[0]]) & (shown_t <= t_s[run[-1]])]
        if np.isfinite(values[run]).any():
            assert np.nanmin(values[run]) in inside and np.nanmax(values[run]) in inside


def _plot(n_spans: int) -> SeriesPlot:
    t_s = np.arange(n_spans * 75 + 30) / 30  # a 2.5 s rep every 2.5 s
    series = pd.DataFrame({"t_s": t_s, "left_fppa_deg": np.sin(t_s), "right_fppa_deg": np.cos(t_s)})
    return SeriesPlot(
        "knee_valgus", "Knee valgus", series, [], _spans(n_spans), "reps", "rep", lambda m: None
    )


def _spans(n: int) -> list[Span]:
    return [
        Span(2.5 * i + 0.5, 2.5 * i + 2.0, f"rep {i + 1}", "right" if i % 2 else "left") for i in range(n)
    ]


def test_hundreds_of_reps_are_two_artists_and_get_a_readable_number_of_labels():
    few, many = Figure().subplots(), Figure().subplots()
    shade_spans(few, _spans(3), label=True)
    shade_spans(many, _spans(700), label=True)
    assert [text.get_text() for text in few.texts] == ["rep 1", "rep 2", "rep 3"]  # a few reps: each labelled
    assert 0 < len(many.texts) <= MAX_SPAN_LABELS and many.texts[0].get_text() == "rep 1"
    assert len(many.collections) == 2  # left and right looks, whatever the number of reps
    assert many.get_xlim()[1] >= 2.5 * 699 + 2.0  # the time axis takes in the last rep


def test_a_long_clips_figure_has_unique_ids_and_every_reference_resolves():
    (figure,) = time_series_figures(_plot(700))
    ids = re.findall(r'id="([^"]+)"', figure.svg)
    assert len(ids) == len(set(ids)) and all(name.startswith("fig-") for name in ids)
    assert set(re.findall(r"#(fig-[\w.-]+)", figure.svg)) <= set(ids)
    assert not re.search(r"(?:href=\"|url\()#(?!fig-)", figure.svg)  # no reference left unprefixed
