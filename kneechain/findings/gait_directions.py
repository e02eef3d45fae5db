"""Whether a gait asymmetry holds in every walking direction filmed.

Mechanism: a camera sees the two feet differently. From the side, the near foot is larger and lower in the
image than the far one and the far foot is partly hidden behind the near leg, so its events and footprints
are less precise; walking back swaps near and far. From the front or back, walking towards the camera uses
heel strikes and walking away uses toe-offs, again with the nearer foot seen best. A left-right difference
the patient makes shows walking both ways; one the camera makes changes side (or vanishes) when the patient
turns. So a symmetry index beyond its limit is flagged only when every direction filmed shows the same
larger side beyond the limit; with one direction only it is reported as not confirmed, with a request to film
walking back too. Walks saved without pass directions keep the single-index rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kneechain.metrics.gait_params import GAIT_SCREENS, symmetry_index_pct
from kneechain.metrics.plausibility import plausible_values
from kneechain.metrics.summary import MetricSet

# The item table each checked gait measure is saved in.
ITEM_TABLES = {"step_length_leg": "steps", "step_time_s": "steps", "stance_time_s": "strides",
               "swing_time_s": "strides"}  # fmt: skip
CONFIRMED, ONE_DIRECTION, NOT_EVERY_DIRECTION, NO_DIRECTIONS = (
    "confirmed", "one direction", "not every direction", "no directions")  # fmt: skip


def direction_indices(metric_sets: Mapping[str, MetricSet], metric: str) -> dict[str, float]:
    """The symmetry index (Robinson, right minus left over the mean, %) of ``metric`` per walking direction,
    from the items the summary uses (included and plausible); directions without both feet are left out."""
    gait = metric_sets.get("gait")
    table = (
        gait.items.get(ITEM_TABLES.get(metric, ""), pd.DataFrame()) if gait is not None else pd.DataFrame()
    )
    if table.empty or "direction" not in table.columns or metric not in table.columns:
        return {}
    used = plausible_values(table[table["included"].astype(bool)], GAIT_SCREENS)
    indices = {}
    for direction, group in used.dropna(subset=[metric]).groupby("direction"):
        means = group.groupby("side")[metric].mean()
        if str(direction) and {"left", "right"} <= set(means.index):
            indices[str(direction)] = float(symmetry_index_pct(means["right"], means["left"]))
    return indices


def direction_check(index_pct: float, by_direction: Mapping[str, float], limit_pct: float) -> str:
    """``CONFIRMED`` when every direction (two or more) has the same larger side beyond ``limit_pct``,
    ``ONE_DIRECTION`` with a single direction, ``NOT_EVERY_DIRECTION`` otherwise, ``NO_DIRECTIONS`` when
    the saved items carry no direction."""
    if not by_direction:
        return NO_DIRECTIONS
    if len(by_direction) == 1:
        return ONE_DIRECTION
    holds = [math.copysign(1, v) == math.copysign(1, index_pct) and abs(v) > limit_pct
             for v in by_direction.values()]  # fmt: skip
    return CONFIRMED if all(holds) else NOT_EVERY_DIRECTION
