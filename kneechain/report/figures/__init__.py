"""The report's figures: saved per-frame and per-item values drawn with matplotlib, as inline SVG.

Figures only draw what the analysis saved (``metrics_<family>_series.csv``, the per-item tables,
``reps.csv``, ``stances.csv``, ``strides.csv``, ``gait_events.csv`` and the summary values on the metric
cards); nothing is recomputed. They are made for print: text drawn as paths (no font files referenced),
left and right told apart by line style and marker as well as shade, thresholds as dashed lines with a
hatched band. In a side or oblique view the far leg (hidden behind the near one, its keypoints guessed) is
drawn grey, thin and dotted, and labelled as not reliable.

Modules: ``svg`` (a matplotlib figure as inline SVG), ``style`` (line styles per side), ``series_data``
(what a time plot draws, from the saved tables), ``series`` (time plots), ``comparison`` (left vs right)
and ``gait`` (the gait timeline).
"""

from kneechain.report.figures.comparison import comparison_figure
from kneechain.report.figures.gait import GAIT_PLOTTED, gait_timeline_figure
from kneechain.report.figures.series import SeriesPlot, Span, time_series_figures
from kneechain.report.figures.svg import ReportFigure

__all__ = [
    "GAIT_PLOTTED",
    "ReportFigure",
    "SeriesPlot",
    "Span",
    "comparison_figure",
    "gait_timeline_figure",
    "time_series_figures",
]
