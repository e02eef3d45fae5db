"""A matplotlib figure as inline SVG for the report page, and the settings every figure is drawn with."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

from matplotlib.figure import Figure

WIDTH_IN = 7.0
PAD_IN = 0.05  # white margin around each figure
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


@dataclass(frozen=True)
class ReportFigure:
    """One figure: an id for the page, a title, a caption and the SVG markup."""

    id: str
    title: str
    caption: str
    svg: str


def new_figure(width_in: float, height_in: float) -> Figure:
    """An empty figure laid out once, by matplotlib's constrained layout: every title, label and legend
    fits inside the given size, so saving needs no second (``bbox_inches="tight"``) pass."""
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    figure.get_layout_engine().set(w_pad=PAD_IN, h_pad=PAD_IN)
    return figure


def svg_markup(figure: Figure, prefix: str, title: str) -> str:
    """The figure as inline SVG for HTML: no XML prolog, DOCTYPE, comments or namespace URLs; it scales
    down with the page but never beyond its drawn size; every id prefixed so figures can share a page."""
    buffer = io.StringIO()
    metadata = {"Date": None, "Creator": None, "Format": None, "Type": None}
    figure.savefig(buffer, format="svg", metadata=metadata)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    width = re.search(r'<svg[^>]*? width="([\d.]+)pt"', svg)
    style = f' style="max-width: {float(width.group(1)):.0f}pt"' if width else ""
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', rf"<svg\1{style}", svg, count=1)
    ids = set(re.findall(r'id="([^"]+)"', svg))
    svg = re.sub(r'(id="|#)([\w.-]+)', lambda m: f"{m[1]}{prefix}-{m[2]}" if m[2] in ids else m[0], svg)
    svg = re.sub(r"\n\s*", "\n", svg)
    return svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(title, quote=True)}"', 1)
