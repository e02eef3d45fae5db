"""The walking page: its own headline (left-right differences beyond measurement error, in words: "left
step 15% longer"), walking speed, cadence, step length and stance share against the reference values for
the patient's age and sex (``gait_norms`` in the thresholds), the values of each walking pass, and whether
the clip shows both walking directions. Values are the saved ones; the references are shown beside them,
never as a status."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kneechain.report.bars import card_index
from kneechain.report.cards import MetricCard
from kneechain.report.context import ReportContext
from kneechain.report.metric_text import format_number, unit_text

# (label, metric with the patient's height, metric without it, reference entry, factor to the entry's unit)
GAIT_ROWS = (
    ("Walking speed", "walking_speed_m_s", "walking_speed_leg_s", "speed_m_s", 1.0),
    ("Cadence", "cadence_steps_min", "cadence_steps_min", "cadence_steps_min", 1.0),
    ("Step length", "step_length_cm", "step_length_leg", "step_length_m", 0.01),
    ("Stance share of the stride", "stance_pct", "stance_pct", "stance_pct", 1.0),
)
SYMMETRY_WORDS = {"step_length_leg": ("step", "longer"), "step_time_s": ("step time", "longer"),
                  "stance_time_s": ("stance", "longer"), "swing_time_s": ("swing", "longer"),
                  "stride_time_s": ("stride time", "longer")}  # fmt: skip
DIRECTION_WORDS = {
    "image_right": "towards the right of the picture",
    "image_left": "towards the left of the picture",
    "towards": "towards the camera",
    "away": "away from the camera",
}
NO_DIFFERENCE = "Walking: no left-right difference beyond measurement error."
PASS_METRICS = (("step_length_leg", "step length", "steps"), ("step_time_s", "step time", "steps"))


@dataclass(frozen=True)
class GaitRow:
    label: str
    value_text: str
    reference_text: str
    reliable: bool
    confidence: float


@dataclass(frozen=True)
class PassRow:
    number: int
    direction: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class GaitPage:
    headline: str
    differences: tuple[str, ...]  # beyond the one in the headline
    rows: tuple[GaitRow, ...]
    pass_columns: tuple[str, ...]
    passes: tuple[PassRow, ...]
    direction_note: str
    references_note: str


def side_values_text(card: MetricCard) -> str:
    """ "left 0.82 leg lengths, right 0.71 leg lengths" or "110 steps/min" (both sides together)."""
    unit = unit_text(card.unit)
    return ", ".join(f"{s.side} {s.text}{unit}" if s.side in ("left", "right") else f"{s.text}{unit}"
                     for s in card.sides)  # fmt: skip


def age_band(age_years: object) -> int | None:
    """The norms' age decade (20, 30, ... 80 for 80-99), None when the age is not given or under 20."""
    if not isinstance(age_years, int | float) or not math.isfinite(age_years) or age_years < 20:
        return None
    return min(int(age_years) // 10 * 10, 80)


def speed_reference(entry: dict, subject: dict) -> str:
    """The mean comfortable speed of the patient's age decade and sex, or the adult span without them."""
    band, sex = age_band(subject.get("age_years")), str(subject.get("sex") or "")
    if band is not None and f"{sex}_{band}" in entry:
        ages = "80-99" if band == 80 else f"{band}-{band + 9}"
        who = {"female": "women", "male": "men"}[sex]
        return f"mean {entry[f'{sex}_{band}']:.2f} m/s for {who} aged {ages}"
    adult = [v for k, v in entry.items() if k[-2:] in ("20", "30", "40", "50") and isinstance(v, int | float)]
    missing = "age and sex" if band is None and not sex else "age" if band is None else "sex"
    span = f"{min(adult):.2f}-{max(adult):.2f} m/s"
    return f"adults 20-59: means {span} (give the {missing} for the patient's own)"


def reference_text(name: str, context: ReportContext, factor: float, has_height: bool) -> str:
    """The reference for one gait row in words with its source, or what is needed to compare."""
    entry = context.config.get("thresholds", {}).get("gait_norms", {}).get(name)
    if not isinstance(entry, dict):
        return "no reference"
    if name in ("speed_m_s", "step_length_m") and not has_height:
        return "give the patient's height (--height-cm) to compare in metres"
    if name == "speed_m_s":
        text = speed_reference(entry, context.metrics.get("subject", {}))
    else:
        unit = unit_text(str(entry.get("unit", "")))
        low, high = entry["low"] / factor, entry["high"] / factor
        unit = " cm" if factor != 1.0 else unit
        text = f"typically {low:g}-{high:g}{unit}"
    return f"{text} ({str(entry.get('source', '')).split(': ')[0]})"


def gait_rows(context: ReportContext) -> tuple[GaitRow, ...]:
    cards = card_index(context)
    has_height = "walking_speed_m_s" in cards or "step_length_cm" in cards
    rows = []
    for label, metric, fallback, name, factor in GAIT_ROWS:
        card = cards.get(metric) or cards.get(fallback)
        if card is None:
            continue
        rows.append(GaitRow(label, side_values_text(card), reference_text(name, context, factor, has_height),
                            not card.low_confidence, card.confidence))  # fmt: skip
    return tuple(rows)


def difference_text(evidence: dict, cards: dict[str, MetricCard], confirmed: bool = True) -> str:
    """A gait asymmetry in words: "Left step 15% longer than the right (symmetry index 14%, beyond the 10%
    limit ...)"; one that did not hold in every walking direction says so."""
    metric = str(evidence.get("metric"))
    noun, adjective = SYMMETRY_WORDS.get(metric, (metric.replace("_", " "), "larger"))
    side = str(evidence.get("side"))
    card = cards.get(metric)
    values = {s.side: s.value for s in card.sides} if card else {}
    other = "right" if side == "left" else "left"
    ratio = ""
    if values.get(side) and values.get(other):
        ratio = f" {100 * (values[side] / values[other] - 1):.0f}%"
    index = float(evidence.get("value", 0))
    limit = f"beyond the {float(evidence.get('threshold', 10)):g}% limit and its measured error"
    text = f"{side.capitalize()} {noun}{ratio} {adjective} than the {other}"
    if confirmed:
        return f"{text} (symmetry index {index:.0f}%, {limit})"
    walked = "but not walking back" if "not the other" in str(evidence.get("detail")) else "walking one way"
    return f"{text} {walked} only (not confirmed)"


def pass_rows(context: ReportContext) -> tuple[tuple[str, ...], tuple[PassRow, ...]]:
    """Each walking pass's saved steps, per side: how many and their values (one row per pass)."""
    steps = context.metrics.get("families", {}).get("gait", {}).get("items", {}).get("steps", [])
    directions = {int(p.get("pass_id", -1)): str(p.get("direction", "")) for p in context.passes}
    columns = tuple(f"{label}, {side}" for _, label, _ in PASS_METRICS for side in ("left", "right"))
    rows = []
    for pass_id in sorted({int(s["pass_id"]) for s in steps if isinstance(s.get("pass_id"), int | float)}):
        used = [s for s in steps if s.get("pass_id") == pass_id and s.get("included") in (True, "True")]
        cells = tuple(
            step_cell(used, metric, side) for metric, _, _ in PASS_METRICS for side in ("left", "right")
        )
        rows.append(PassRow(pass_id + 1, DIRECTION_WORDS.get(directions.get(pass_id, ""), "unknown"), cells))
    return columns, tuple(rows)


def step_cell(steps: list[dict], metric: str, side: str) -> str:
    """The saved step values of one side in a pass, listed ("0.82, 0.82 leg lengths")."""
    values = [float(s[metric]) for s in steps if s.get("side") == side
              and isinstance(s.get(metric), int | float) and math.isfinite(s[metric])]  # fmt: skip
    unit = "leg lengths" if metric.endswith("_leg") else "s"
    return ", ".join(format_number(v, 2) for v in values) + f" {unit}" if values else "–"


def direction_note(context: ReportContext, has_differences: bool) -> str:
    """Whether both walking directions were filmed: a side camera sees one side walking one way and the
    other side walking back, so a left-right difference is confirmed only when it holds both ways."""
    directions = {str(p.get("direction")) for p in context.passes} - {"", "nan"}
    if len(directions) >= 2:
        return "Both walking directions were filmed."
    if not has_differences:
        return "One walking direction was filmed."
    return ("One walking direction only: the camera sees the near and far foot differently, so a left-right "
            "difference counts only when it holds walking back too: film the return walk.")  # fmt: skip


def build_gait_page(context: ReportContext) -> GaitPage | None:
    """The walking page of a walk (None for other tasks or an unusable clip)."""
    task = str(context.movement.get("task", {}).get("task", context.summary.get("task", "")))
    if task != "walk" or not context.usable:
        return None
    cards = card_index(context)
    findings = context.metrics.get("findings", {})
    gait = [e for e in findings.get("asymmetries", []) if str(e.get("threshold_key", "")).startswith("gait.")]
    unconfirmed = [difference_text(e, cards, False) for e in findings.get("unconfirmed_asymmetries", [])]
    differences = (*(difference_text(e, cards) for e in gait), *unconfirmed)
    headline = f"Walking: {differences[0]}." if differences else NO_DIFFERENCE
    columns, passes = pass_rows(context)
    notes = {
        str(e.get("note", "")) for e in context.config.get("thresholds", {}).get("gait_norms", {}).values()
    }
    note = direction_note(context, bool(differences))
    references = " ".join(sorted(n for n in notes if n))
    return GaitPage(headline, differences[1:], gait_rows(context), columns, passes, note, references)
