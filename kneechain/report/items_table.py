"""The reps / stances table: one row per rep or stance and side with each measured value and its status
against the range (within, at the limit within the measured error, beyond), the worst row highlighted.
From the per-item values saved in ``metrics.json``; walks have their own table on the gait page."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kneechain.report.bars import card_index, margin_of
from kneechain.report.cards import MetricCard
from kneechain.report.context import ReportContext
from kneechain.report.metric_text import format_number, unit_text

MAX_COLUMNS = 5
NUMBER_KEYS = ("item", "rep", "stance")
TIME_KEYS = ("t_s", "bottom_s", "start_s")
SYMBOLS = {"within": "✓", "above": "▲", "below": "▼", "borderline": "≈", "not-reliable": "?", "reference": ""}


@dataclass(frozen=True)
class ItemColumn:
    metric: str
    label: str
    unit: str
    decimals: int
    reliable: bool
    kind: str = ""  # upper / lower / band; "" without a range
    limit: float = math.nan
    margin: float = 0.0

    def status(self, value: float) -> str:
        """A value's status: not reliable, no range, within, at the limit (within the measured error) or
        beyond (above / below)."""
        if not self.reliable:
            return "not-reliable"
        if not self.kind:
            return "reference"
        distance = abs(value) - self.limit if self.kind == "band" else value - self.limit
        distance = -distance if self.kind == "lower" else distance
        if abs(distance) <= self.margin:
            return "borderline"
        return ("below" if self.kind == "lower" else "above") if distance > 0 else "within"

    def badness(self, value: float) -> float:
        """How far towards (or past) the limit a value lies: larger is worse."""
        if self.kind == "lower":
            return -value
        return abs(value) if self.kind == "band" else value


@dataclass(frozen=True)
class ItemCell:
    text: str
    status: str


@dataclass(frozen=True)
class ItemRow:
    number: int
    side: str
    time_text: str
    cells: tuple[ItemCell, ...]
    quality: str
    worst: bool = False


@dataclass(frozen=True)
class ItemsTable:
    word: str  # "rep" / "stance"
    columns: tuple[ItemColumn, ...]
    rows: tuple[ItemRow, ...]


def saved_items(context: ReportContext) -> dict[tuple[int, str], dict]:
    """Every saved item of the non-gait families, merged per (number, side)."""
    merged: dict[tuple[int, str], dict] = {}
    for name, family in context.metrics.get("families", {}).items():
        if name == "gait":
            continue
        for table in family.get("items", {}).values():
            for item in table if isinstance(table, list) else []:
                number = next((item[k] for k in NUMBER_KEYS if isinstance(item.get(k), int | float)), None)
                if number is not None and item.get("side") in ("left", "right"):
                    merged.setdefault((int(number), str(item["side"])), {}).update(item)
    return merged


def column_of(card: MetricCard, context: ReportContext) -> ItemColumn:
    threshold = card.threshold
    reliable = not card.low_confidence
    if threshold is None:
        return ItemColumn(card.metric, card.label, card.unit, card.decimals, reliable)
    return ItemColumn(card.metric, card.label, card.unit, card.decimals, reliable, threshold.kind,
                      threshold.value, margin_of(context, card.metric))  # fmt: skip


def columns_for(items: dict, context: ReportContext) -> tuple[ItemColumn, ...]:
    """The measured metrics the items carry: those with a range first, at most ``MAX_COLUMNS``."""
    present = {key for item in items.values() for key, v in item.items() if isinstance(v, int | float)}
    cards = [card for card in card_index(context).values() if card.metric in present]
    cards.sort(key=lambda card: card.threshold is None)
    return tuple(column_of(card, context) for card in cards[:MAX_COLUMNS])


def cell_of(column: ItemColumn, value: object) -> ItemCell:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return ItemCell("–", "")
    return ItemCell(
        format_number(float(value), column.decimals) + unit_text(column.unit), column.status(value)
    )


def time_text(item: dict) -> str:
    time = next((item[k] for k in TIME_KEYS if isinstance(item.get(k), int | float)), None)
    return f"{time:.2f} s" if time is not None else ""


def worst_key(items: dict, column: ItemColumn | None) -> tuple[int, str] | None:
    """The (number, side) of the item furthest towards the first ranged column's limit."""
    if column is None or not column.kind or not column.reliable:
        return None
    values = {key: item.get(column.metric) for key, item in items.items()}
    scored = [(column.badness(float(v)), key) for key, v in values.items()
              if isinstance(v, int | float) and math.isfinite(v)]  # fmt: skip
    return max(scored)[1] if scored else None


def build_items_table(context: ReportContext) -> ItemsTable | None:
    """The table of a squat, single-leg squat or single-leg stand (None for walks or without items)."""
    task = str(context.movement.get("task", {}).get("task", context.summary.get("task", "")))
    items = saved_items(context) if context.usable and task != "walk" else {}
    columns = columns_for(items, context)
    if not items or not columns:
        return None
    worst = worst_key(items, columns[0])
    rows = tuple(
        ItemRow(number, side, time_text(item), tuple(cell_of(c, item.get(c.metric)) for c in columns),
                str(item.get("quality") or item.get("rep_quality") or ""), (number, side) == worst)
        for (number, side), item in sorted(items.items())
    )  # fmt: skip
    return ItemsTable("stance" if task == "single_leg_stand" else "rep", columns, rows)
