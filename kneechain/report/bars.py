"""Page 1's key measures: each metric's left and right values drawn on its normal band as a small inline SVG
bar (normal zone, the zone within measured error of the limit, the rest), so the left-right picture and the
value-vs-normal reading are one glance. Values come from the saved cards; an unreliable value is drawn
hollow and grey, never on a colour that reads as normal or abnormal."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from kneechain.report.cards import MetricCard
from kneechain.report.context import ReportContext
from kneechain.report.metric_text import format_number, unit_text

MAX_BARS = 3
# The measures that answer the hip- or foot-driven question most directly come first.
PRIORITY = ("fppa_deg", "sticker_peak_drop_deg", "peak_drop_deg", "shank_angle_deg", "heel_rise_foot",
            "heel_rise_cm", "knee_ankle_separation_ratio", "peak_trunk_lean_deg")  # fmt: skip
WIDTH_PX, ROW_PX, PAD_PX = 420.0, 15.0, 8.0
COLOURS = {"normal": "#d8eedd", "limit": "#e4e4e4", "beyond": "#f7d9d5"}
MARKS = {"within": "#1e6b34", "above": "#a3211a", "below": "#a3211a"}
LANDMARK_DROP = ("peak_drop_deg", "mean_drop_deg")


@dataclass(frozen=True)
class BarValue:
    side: str
    value: float
    status: str  # the saved status key (within, above, below, borderline, not-reliable, reference)
    text: str


@dataclass(frozen=True)
class MetricBar:
    """One metric's band and side values, with the SVG drawing of them."""

    metric: str
    label: str
    unit: str
    kind: str  # upper / lower / band
    limit: float
    margin: float
    values: tuple[BarValue, ...]
    range_text: str
    item_word: str
    svg: str = ""

    def format(self, value: float) -> str:
        """A value in the card's rounding; a limit with a fraction keeps one more decimal (13.5°)."""
        decimals = 0 if self.unit in ("deg", "%") else 2
        decimals += value == self.limit and format_number(value, decimals) != f"{value:g}"
        return format_number(value, decimals) + unit_text(self.unit)


def bar_metrics(context: ReportContext) -> list[str]:
    """The metrics page 1 draws: the call's evidence first, then other measured metrics with a range."""
    findings = context.metrics.get("findings", {})
    evidence = [*findings.get("overall", {}).get("evidence", [])]
    evidence += [e for side in findings.get("sides", []) for e in side.get("evidence", [])]
    wanted = [str(e.get("metric")) for e in evidence if e.get("supports") != "asymmetry"]
    wanted += [card.metric for family in context.families for card in family.measured if card.threshold]
    cards = card_index(context)
    usable = [m for m in dict.fromkeys(wanted) if m in cards and cards[m].threshold and has_side(cards[m])]
    if any(m.startswith("sticker_") for m in usable):  # the stickers measure what the landmarks cannot
        usable = [m for m in usable if m not in LANDMARK_DROP]
    usable = [m for m in usable if m.removesuffix("_cm") + "_foot" not in usable]  # one unit per measure
    usable.sort(key=lambda m: PRIORITY.index(m) if m in PRIORITY else len(PRIORITY))
    return usable[:MAX_BARS]


def card_index(context: ReportContext) -> dict[str, MetricCard]:
    return {card.metric: card for family in context.families for card in family.measured}


def has_side(card: MetricCard) -> bool:
    return any(s.side in ("left", "right", "both") and math.isfinite(s.value) for s in card.sides)


def item_word(context: ReportContext) -> str:
    task = str(context.movement.get("task", {}).get("task", context.summary.get("task", "")))
    return {"single_leg_stand": "stance", "walk": "stride"}.get(task, "rep")


def margin_of(context: ReportContext, metric: str) -> float:
    """The measured error saved with the metric's summary rows (0 when none)."""
    margins = [float(row["error_margin"]) for family in context.metrics.get("families", {}).values()
               for row in family.get("summary", []) if row.get("metric") == metric
               and isinstance(row.get("error_margin"), int | float)]  # fmt: skip
    return max(margins, default=0.0)


def build_bar(card: MetricCard, context: ReportContext) -> MetricBar:
    threshold = card.threshold
    values = tuple(BarValue(s.side, s.value, s.status.key, s.text + unit_text(card.unit))
                   for s in card.sides if math.isfinite(s.value))  # fmt: skip
    bar = MetricBar(card.metric, card.label, card.unit, threshold.kind, threshold.value,
                    margin_of(context, card.metric), values, card.range_text, item_word(context))  # fmt: skip
    return MetricBar(**{**bar.__dict__, "svg": draw_bar(bar)})


def build_bars(context: ReportContext) -> tuple[MetricBar, ...]:
    cards = card_index(context)
    return tuple(build_bar(cards[m], context) for m in bar_metrics(context))


def scale_of(bar: MetricBar) -> tuple[float, float]:
    """The drawn value range: zero, both limits with their margins and every value, padded."""
    limits = [bar.limit, -bar.limit] if bar.kind == "band" else [bar.limit]
    points = [
        0.0,
        *[x + d for x in limits for d in (-bar.margin, bar.margin)],
        *[v.value for v in bar.values],
    ]
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    return low - 0.15 * span, high + 0.15 * span


def zones(bar: MetricBar, low: float, high: float) -> list[tuple[float, float, str]]:
    """(start, end, zone) over the drawn range: normal, within measured error of a limit, beyond."""
    m = bar.margin
    if bar.kind == "band":
        t = bar.limit
        return [(low, -t - m, "beyond"), (-t - m, -t + m, "limit"), (-t + m, t - m, "normal"),
                (t - m, t + m, "limit"), (t + m, high, "beyond")]  # fmt: skip
    if bar.kind == "lower":
        return [(low, bar.limit - m, "beyond"), (bar.limit - m, bar.limit + m, "limit"),
                (bar.limit + m, high, "normal")]  # fmt: skip
    return [(low, bar.limit - m, "normal"), (bar.limit - m, bar.limit + m, "limit"),
            (bar.limit + m, high, "beyond")]  # fmt: skip


def draw_bar(bar: MetricBar) -> str:
    """The bar as inline SVG: the zones, the limit line and label, one marker row per side."""
    low, high = scale_of(bar)

    def x_px(value: float) -> float:
        return PAD_PX + (WIDTH_PX - 2 * PAD_PX) * (value - low) / (high - low)

    rows = len(bar.values)
    band_y, band_h = 16.0, ROW_PX * max(rows, 1) + 6
    parts = []
    for start, end, zone in zones(bar, low, high):
        start, end = max(start, low), min(end, high)
        if end > start:
            parts.append(f'<rect x="{x_px(start):.1f}" y="{band_y}" width="{x_px(end) - x_px(start):.1f}" '
                         f'height="{band_h}" fill="{COLOURS[zone]}"/>')  # fmt: skip
    limit_x = x_px(bar.limit)
    parts.append(f'<line x1="{limit_x:.1f}" x2="{limit_x:.1f}" y1="{band_y - 3}" y2="{band_y + band_h}" '
                 'stroke="#333" stroke-width="1.2"/>')  # fmt: skip
    parts.append(f'<text x="{limit_x:.1f}" y="11" font-size="10" text-anchor="middle">limit '
                 f"{escape(bar.format(bar.limit))}</text>")  # fmt: skip
    for row, value in enumerate(bar.values):
        parts.append(marker(x_px(value.value), band_y + 3 + ROW_PX * row + ROW_PX / 2, value))
    height = band_y + band_h + 4
    title = escape(f"{bar.label}: " + ", ".join(f"{v.side} {v.text}" for v in bar.values))
    return (f'<svg class="bar" viewBox="0 0 {WIDTH_PX:.0f} {height:.0f}" role="img" aria-label="{title}">'
            f"<title>{title}</title>{''.join(parts)}</svg>")  # fmt: skip


def marker(x: float, y: float, value: BarValue) -> str:
    """A side's marker: a filled dot in its status colour, hollow grey when not usable as evidence."""
    colour = MARKS.get(value.status)
    letter = {"left": "L", "right": "R"}.get(value.side, "B")
    fill = colour or "#ffffff"
    stroke = colour or "#777777"
    label_colour = "#ffffff" if colour else "#555555"
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6.5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{y + 3.3:.1f}" font-size="9" font-weight="700" text-anchor="middle" '
            f'fill="{label_colour}">{letter}</text>')  # fmt: skip
