"""The metric cards of the report: each value with its saved status (``kneechain.findings.status``), its
normal range in words, how many items lie beyond it, the left-right difference against the smallest
detectable difference, the measured error and the quality reasons. Reads only saved data (``metrics.json``,
``config.json``); never recomputes a metric."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from kneechain.findings.inputs import QUALITY_GROUPS, UNIT_SUFFIXES, unit_of
from kneechain.findings.status import SYMMETRY_KEY, THRESHOLD_KEYS
from kneechain.report.metric_text import (
    FAMILY_TITLES,
    METRIC_INFO,
    decimals_for,
    format_number,
    unit_text,
)

SIDE_ROWS = ("left", "right", "both")
# What a value below a lower limit means, in words.
LOWER_MEANING = {
    "knee_travel.upright_shank_deg": "below: upright shank; a foot sign only with a large trunk pitch",
    "valgus.knee_ankle_separation_lower_ratio": "below: the knees well inside the ankles, a valgus sign",
}
DROP_METRICS = ("peak_drop_deg", "mean_drop_deg", "sticker_peak_drop_deg", "sticker_mean_drop_deg")
SDD_KEYS = {"fppa_deg": "valgus.fppa_sdd_deg", "fppa_change_deg": "valgus.fppa_sdd_deg",
            **dict.fromkeys(DROP_METRICS, "pelvis.drop_sdd_deg")}  # fmt: skip
NORM_TEXT = {"combined": "women and men combined", "female": "women", "male": "men"}


@dataclass(frozen=True)
class Status:
    """How a value compares with its range: ``key`` (CSS class), a symbol and a text label (so the status
    reads without colour)."""

    key: str
    symbol: str
    label: str


WITHIN = Status("within", "✓", "within range")
ABOVE = Status("above", "▲", "above range")
BELOW = Status("below", "▼", "below range")
NO_RANGE = Status("reference", "–", "no cut-off")
NOT_MEASURED = Status("not-measured", "∅", "not measured")
# A value whose confidence is below the evidence floor: neutral, never green or red, never evidence.
NOT_RELIABLE = Status("not-reliable", "?", "not reliable: check by eye")
# A value within its measured error of the limit: neutral, neither a sign nor a normal reading.
BORDERLINE = Status("borderline", "≈", "at the limit: within measurement error")
# The statuses saved in metrics.json (``kneechain.findings.status``) as displayed.
SAVED_STATUS = {"within": WITHIN, "above": ABOVE, "below": BELOW, "borderline": BORDERLINE,
                "not_reliable": NOT_RELIABLE, "no_range": NO_RANGE, "not_measured": NOT_MEASURED}  # fmt: skip


@dataclass(frozen=True)
class Threshold:
    """A saved threshold: its ``value`` in ``unit``, ``kind`` (upper/lower/band), ``source``, whether the
    figure is ``verified`` and which config ``key`` it came from."""

    key: str
    value: float
    kind: str
    unit: str
    source: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class SideValue:
    """One summary row shown on a card: the rounded ``value`` (and SD), as display text, with a status;
    ``detail``: one more decimal where the rounded value sits on the limit it is beyond."""

    side: str
    value: float
    text: str
    sd_text: str
    n: int
    status: Status
    detail: str = ""
    beyond: str = ""


@dataclass(frozen=True)
class MetricCard:
    """Everything one metric card shows (``sides`` empty and ``measured`` False: "not measured")."""

    family: str
    metric: str
    label: str
    definition: str
    unit: str
    decimals: int
    measured: bool
    sides: tuple[SideValue, ...]
    difference: SideValue | None
    difference_text: str
    symmetry: SideValue | None
    range_text: str
    threshold: Threshold | None
    confidence: float
    low_confidence: bool
    reasons: tuple[str, ...]
    error_text: str = ""


@dataclass(frozen=True)
class FamilyCards:
    family: str
    title: str
    cards: tuple[MetricCard, ...]
    notes: tuple[str, ...] = ()

    @property
    def measured(self) -> tuple[MetricCard, ...]:
        return tuple(card for card in self.cards if card.measured)

    @property
    def not_measured(self) -> tuple[MetricCard, ...]:
        return tuple(card for card in self.cards if not card.measured)

    @property
    def not_measured_by_reason(self) -> list[tuple[str, list[MetricCard]]]:
        """The not-measured cards grouped by their reasons (one line per distinct reason)."""
        groups: dict[str, list[MetricCard]] = {}
        for card in self.not_measured:
            groups.setdefault("; ".join(card.reasons), []).append(card)
        return list(groups.items())


def threshold_of(config: dict, key: str, kind: str, norms: str = "combined") -> Threshold | None:
    """The threshold ``key`` ("group.name") from ``config.json``, picking the ``norms`` variant."""
    group, _, name = key.partition(".")
    entry = config.get("thresholds", {}).get(group, {}).get(name)
    if not isinstance(entry, dict):
        return None
    value = entry.get("value", entry.get(norms, entry.get("combined")))
    if not isinstance(value, int | float):
        return None
    return Threshold(key, float(value), kind, str(entry.get("unit", "")), str(entry.get("source", "")),
                     bool(entry.get("verified", False)), str(entry.get("note", "")))  # fmt: skip


def metric_threshold(config: dict, metric: str, norms: str = "combined") -> Threshold | None:
    """The range threshold that applies to ``metric`` (``THRESHOLD_KEYS``), or None."""
    if metric not in THRESHOLD_KEYS:
        return None
    key, kind = THRESHOLD_KEYS[metric]
    return threshold_of(config, key, kind, norms)


def status_of(value: float, threshold: Threshold | None) -> Status:
    """Within / above / below ``threshold`` (the saved mean, unrounded), for analyses saved before
    kneechain saved each value's status (which also weighs confidence and measured error)."""
    if threshold is None or not math.isfinite(value):
        return NO_RANGE
    if threshold.kind == "lower":
        return BELOW if value < threshold.value else WITHIN
    if threshold.kind == "band":
        return ABOVE if abs(value) > threshold.value else WITHIN
    return ABOVE if value > threshold.value else WITHIN


def range_text(threshold: Threshold | None, norms: str, decimals: int) -> str:
    """The normal range in words, e.g. "≤ 13° (upper normal, women and men combined)"."""
    if threshold is None:
        return "no validated cut-off: reported only"
    value = format_number(threshold.value, max(decimals, 0 if threshold.value.is_integer() else 2))
    unit = unit_text(threshold.unit)
    if threshold.key == "valgus.fppa_upper_deg":
        return f"≤ {value}{unit} (upper normal, {NORM_TEXT.get(norms, norms)})"
    low = source_lower_bound(threshold)
    if low:
        return f"{low}–{value}{unit} typical (source); only above {value}{unit} is flagged"
    if threshold.kind == "lower":
        return f"≥ {value}{unit} ({LOWER_MEANING.get(threshold.key, 'below: outside the range')})"
    return f"≤ {value}{unit}"


def source_lower_bound(threshold: Threshold) -> str:
    """The lower end of a range its source gives as "5-13 deg" ending at the upper threshold, or ""."""
    if threshold.kind != "upper":
        return ""
    found = re.search(r"(\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)\s*deg", threshold.source)
    if found is None or float(found.group(2)) != threshold.value:
        return ""
    return found.group(1)


def beyond_of(value: float, threshold: Threshold) -> bool:
    """Whether one item's value lies outside the range."""
    if threshold.kind == "lower":
        return value < threshold.value
    if threshold.kind == "band":
        return abs(value) > threshold.value
    return value > threshold.value


def beyond_text(items: list[dict], side: str, metric: str, threshold: Threshold | None) -> str:
    """How many of a side's saved items lie beyond the limit, and the extreme one, e.g. "1 of 3 reps
    above 13° (max 15°)"; "" without a threshold or items."""
    values = [float(item[metric]) for item in items if str(item.get("side")) == side
              and isinstance(item.get(metric), int | float) and math.isfinite(item[metric])]  # fmt: skip
    if threshold is None or not values:
        return ""
    kinds = [
        str(item.get("kind", "")) for item in items if str(item.get("side")) == side and item.get("kind")
    ]
    kind = kinds[0] if kinds else "item"
    count = sum(beyond_of(v, threshold) for v in values)
    decimals, unit = decimals_for(metric), unit_text(unit_of(metric))
    word = {"lower": "below ", "band": "beyond ±"}.get(threshold.kind, "above ")
    limit = format_number(threshold.value, max(decimals, 0 if threshold.value.is_integer() else 2))
    if threshold.kind == "lower":
        name, extreme = "min", min(values)
    else:
        name, extreme = "max", max(values, key=abs) if threshold.kind == "band" else max(values)
    plural = "s" if len(values) != 1 else ""
    extreme_text = format_number(extreme, decimals)
    if extreme_text == limit and extreme != threshold.value:  # rounds onto the limit: one more decimal
        extreme_text = format_number(extreme, decimals + 1)
    return f"{count} of {len(values)} {kind}{plural} {word}{limit}{unit} ({name} {extreme_text}{unit})"


def quality_for(quality: dict, metric: str) -> tuple[str, dict]:
    """The quality entry covering ``metric`` (by name, name without unit, or group) and its key."""
    stripped = next((metric[: -len(s)] for s in UNIT_SUFFIXES if metric.endswith(s)), metric)
    for key in (metric, stripped, *QUALITY_GROUPS.get(metric, ())):
        if key in quality:
            return key, quality[key]
    return "", {}


def side_value(row: dict, metric: str, threshold: Threshold | None) -> SideValue:
    """A summary row as displayed: mean ± SD rounded by the metric's unit, with its status."""
    decimals = decimals_for(metric)
    mean = row.get("mean")
    mean = float(mean) if isinstance(mean, int | float) else math.nan
    text = format_number(mean, decimals)
    value = float(text) if text else math.nan
    sd = row.get("sd")
    sd_text = format_number(float(sd), decimals) if isinstance(sd, int | float) else ""
    status = SAVED_STATUS.get(str(row.get("status"))) or status_of(mean, threshold)
    detail = ""
    on_limit = threshold is not None and math.isfinite(value) and value == threshold.value != mean
    if on_limit or (
        threshold is not None and status in (ABOVE, BELOW) and status_of(value, threshold) != status
    ):
        detail = format_number(mean, decimals + 1) + unit_text(unit_of(metric))  # rounds onto the limit
    return SideValue(str(row.get("side")), value, text, sd_text, int(row.get("n") or 0), status, detail)


def difference_text(difference: SideValue | None, metric: str, config: dict) -> str:
    """The left-right difference against the smallest detectable difference, in words."""
    if difference is None or not difference.text:
        return ""
    unit = unit_text(unit_of(metric))
    sdd = threshold_of(config, SDD_KEYS[metric], "upper") if metric in SDD_KEYS else None
    if sdd is None:
        return f"left − right {difference.text}{unit} (no smallest detectable difference known)"
    beyond = abs(difference.value) > sdd.value
    verdict = "beyond measurement error" if beyond else "within measurement error"
    limit = f"smallest detectable difference {sdd.value:g}{unit}"
    return f"left − right {difference.text}{unit}: {verdict} ({limit})"


def error_text(rows: list[dict], metric: str) -> str:
    """The measured error saved with the values, in words ("" when none was saved)."""
    margins = [float(r["error_margin"]) for r in rows if isinstance(r.get("error_margin"), int | float)]
    if not margins or max(margins) <= 0:
        return ""
    digits = decimals_for(metric) + 1
    while digits < 4 and float(format_number(max(margins), digits) or 0) == 0:  # never "±0.0"
        digits += 1
    margin = format_number(max(margins), digits) + unit_text(unit_of(metric))
    return (f"Measured error ±{margin}: 95% of readings on kneechain's validation clips were this close to "
            "the truth; a value this close to the limit is shown as at the limit")  # fmt: skip


def build_card(family: str, metric: str, rows: list[dict], quality: dict, config: dict, norms: str,
               min_confidence: float, items: list[dict] | None = None) -> MetricCard:  # fmt: skip
    """One metric card from the metric's summary rows, quality entry and saved per-item values."""
    _, entry = quality_for(quality, metric)
    label, definition = METRIC_INFO.get(metric, (metric.replace("_", " "), ""))
    threshold = metric_threshold(config, metric, norms)
    by_side = {str(row.get("side")): row for row in rows}
    sides = tuple(side_value(by_side[s], metric, threshold) for s in SIDE_ROWS if s in by_side)
    sides = tuple(
        replace(side, beyond=beyond_text(items or [], side.side, metric, threshold))
        for side in sides
        if side.text
    )
    measured = bool(entry.get("measured", bool(rows))) and any(s.text for s in sides)
    difference = symmetry = None
    if "left_minus_right" in by_side:
        difference = side_value(by_side["left_minus_right"], metric, None)
    if "symmetry_index_pct" in by_side:
        si = threshold_of(config, SYMMETRY_KEY, "band")
        symmetry = side_value({**by_side["symmetry_index_pct"], "n": 0}, "symmetry_index_pct", si)
    confidence = float(entry.get("confidence", 0.0) or 0.0)
    if confidence < min_confidence:  # below the evidence floor: the value is shown, its status is not
        sides = tuple(replace(side, status=NOT_RELIABLE) for side in sides)
        symmetry = symmetry and replace(symmetry, status=NOT_RELIABLE)
    reasons = tuple(entry.get("reasons", ()))
    if not measured and entry.get("measured", True):
        reasons = ("no value was measured in this clip",)
    return MetricCard(
        family, metric, label, definition, unit_of(metric), decimals_for(metric), measured,
        sides if measured else (), difference if measured else None,
        difference_text(difference, metric, config) if measured else "", symmetry if measured else None,
        range_text(threshold, norms, decimals_for(metric)), threshold, confidence,
        measured and confidence < min_confidence, reasons, error_text(rows, metric) if measured else "",
    )  # fmt: skip


def build_family(family: str, data: dict, config: dict, norms: str, min_confidence: float) -> FamilyCards:
    """The cards of one metric family: every metric in its summary, then every quality entry no summary
    metric covers (shown as not measured)."""
    rows_by_metric: dict[str, list[dict]] = {}
    for row in data.get("summary", []):
        rows_by_metric.setdefault(str(row.get("metric")), []).append(row)
    quality = data.get("quality", {})
    items = [item for table in data.get("items", {}).values() if isinstance(table, list) for item in table
             if isinstance(item, dict)]  # fmt: skip
    cards = [build_card(family, m, rows, quality, config, norms, min_confidence, items)
             for m, rows in rows_by_metric.items()]  # fmt: skip
    covered = {quality_for(quality, metric)[0] for metric in rows_by_metric}
    cards += [build_card(family, key, [], quality, config, norms, min_confidence)
              for key in quality if key not in covered]  # fmt: skip
    title = FAMILY_TITLES.get(family, family.replace("_", " ").capitalize())
    return FamilyCards(family, title, tuple(cards), tuple(data.get("notes", ())))


def build_families(metrics: dict, config: dict) -> list[FamilyCards]:
    """Cards for every metric family in ``metrics.json``."""
    norms = str(metrics.get("findings", {}).get("norms") or "combined")
    minimum = threshold_of(config, "confidence.min_metric_confidence", "lower")
    min_confidence = minimum.value if minimum else 0.3
    families = metrics.get("families", {})
    return [build_family(name, data, config, norms, min_confidence) for name, data in families.items()]
