"""kneechain's measured accuracy per metric and view: the data behind ``docs/accuracy.md``.

``accuracy.json`` (next to this module) is written by ``benchmarks/accuracy.py`` from rendered clips with
programmed truth and projected mocap; nothing else writes it. Each entry gives, for one metric seen from one
view, the bias (mean of measured - true), the spread (SD of the errors), ``p95_abs`` (95 % of the readings
were within this of the truth), the share within the metric's goal, and how many items and clips it rests
on, and for metrics with an upper limit ``p95_near_limit``, the same over the items whose truth lies within
one limit of that limit. ``error_margin`` is what the findings and every status use (the near-limit figure
where there is one): a reading closer to its limit than this cannot be told apart from the limit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

ACCURACY_FILE = "accuracy.json"
VIEW_FALLBACK = {"oblique": "side", "back": "front"}  # the nearest validated view, when a view has no entry


@dataclass(frozen=True)
class MeasuredError:
    """Measured error of one metric from one view (units of the metric)."""

    metric: str
    view: str
    bias: float
    sd: float
    p95_abs: float
    within_goal: float
    goal: float
    n_items: int
    n_clips: int
    p95_near_limit: float = math.nan

    @property
    def margin(self) -> float:
        """The error margin used for decisions: 95 % of readings were at least this close to the truth;
        over the readings near the metric's limit when the table has them (``p95_near_limit``)."""
        return self.p95_near_limit if math.isfinite(self.p95_near_limit) else self.p95_abs


@lru_cache(maxsize=1)
def load_accuracy() -> dict:
    """The parsed ``accuracy.json`` ({"metrics": {metric: {view: entry}}, ...}); empty when absent."""
    path = resources.files("kneechain.config").joinpath(ACCURACY_FILE)
    if not path.is_file():
        return {"metrics": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def measured_error(metric: str, view: str | None) -> MeasuredError | None:
    """The measured error of ``metric`` seen from ``view`` (or the nearest validated view), or None when it
    was never measured."""
    by_view = load_accuracy().get("metrics", {}).get(metric, {})
    for name in (view, VIEW_FALLBACK.get(view or ""), "any"):
        entry = by_view.get(name or "")
        if entry and math.isfinite(entry.get("p95_abs", math.nan)):
            fields = {k: entry[k] for k in MeasuredError.__dataclass_fields__ if k in entry}
            return MeasuredError(**{"metric": metric, "view": name, **fields})
    return None


def error_margin(metric: str, view: str | None) -> float:
    """``measured_error(...).margin``, 0 when the metric's error was never measured."""
    error = measured_error(metric, view)
    return error.margin if error is not None else 0.0
