"""A metric's change between visits, judged against its smallest detectable difference. Pure, no I/O.

Only like with like: a metric is compared within one test (task and view), on one side. Each visit's value
is the saved summary mean; its uncertainty is the saved error margin (the metric's p95 error,
``docs/accuracy.md``) or, where it has none, the standard error SD/sqrt(n) of its reps, stances or strides.

The change first visit -> last visit counts as real when it is larger than the metric's smallest detectable
difference from the thresholds (``SDD_KEYS``: e.g. ``valgus.fppa_sdd_deg``, 8°); a metric without one is
judged against the larger of the two visits' saved error margins, and one with neither is not judged. A
change within it is "unchanged: within measurement error". A real change is "improved" or "worse" in the
metric's better direction (``BETTER``: valgus, pelvic drop, trunk lean and a symmetry index nearer zero,
less heel rise, faster walking), and "changed" for a metric without a known better direction. A value whose
status is "not reliable" is never judged (the one status rule, ``kneechain.findings.status``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from kneechain.findings.text import format_limit, format_value
from kneechain.report.metric_text import METRIC_INFO
from kneechain.visit.combine import name_of_test
from kneechain.visit.model import Change

SI = "symmetry_index_pct"
# (metric, sides compared) in the order the progress report lists them.
PROGRESS_METRICS = (
    ("fppa_deg", ("left", "right")),
    ("knee_ankle_separation_ratio", ("left", "right")),
    ("sticker_peak_drop_deg", ("left", "right")),
    ("sticker_mean_drop_deg", ("left", "right")),
    ("peak_drop_deg", ("left", "right")),
    ("peak_trunk_lean_deg", ("left", "right")),
    ("heel_rise_cm", ("left", "right")),
    ("heel_rise_foot", ("left", "right")),
    ("shank_angle_deg", ("left", "right")),
    ("knee_travel_foot", ("left", "right")),
    ("walking_speed_m_s", ("left", "right")),
    ("walking_speed_leg_s", ("left", "right")),
    ("cadence_steps_min", ("both",)),
    ("step_length_leg", (SI,)),
    ("step_time_s", (SI,)),
    ("stance_time_s", (SI,)),
)
BETTER = {  # signed angles: nearer zero, so a knee swinging from valgus into varus is not "improved"
    "fppa_deg": "nearer zero",
    "knee_ankle_separation_ratio": "higher",
    "sticker_peak_drop_deg": "nearer zero",
    "sticker_mean_drop_deg": "nearer zero",
    "peak_drop_deg": "nearer zero",
    "peak_trunk_lean_deg": "nearer zero",
    "heel_rise_cm": "lower",
    "heel_rise_foot": "lower",
    "walking_speed_m_s": "higher",
    "walking_speed_leg_s": "higher",
    SI: "nearer zero",
}
SDD_KEYS = {
    "fppa_deg": "valgus.fppa_sdd_deg",
    "sticker_peak_drop_deg": "pelvis.sticker_drop_sdd_deg",
    "sticker_mean_drop_deg": "pelvis.sticker_drop_sdd_deg",
    "peak_drop_deg": "pelvis.drop_sdd_deg",
    "walking_speed_m_s": "gait.speed_sdd_m_s",
    "walking_speed_leg_s": "gait.speed_sdd_leg_s",
    SI: "gait.symmetry_index_sdd_pct",
}
VERDICTS = ("improved", "worse", "changed", "unchanged", "not judged")


def metric_label(metric: str, side: str) -> str:
    """A metric on a side in words: "left knee valgus (FPPA)", "step length symmetry index"."""
    label = METRIC_INFO.get(metric, (metric.replace("_", " "),))[0]
    if side == SI:
        return f"{label} symmetry index"
    return label if side == "both" else f"{side} {label}"


def sdd_key(metric: str, side: str) -> str | None:
    """The thresholds entry of the metric's smallest detectable difference, or None."""
    return SDD_KEYS.get(SI if side == SI else metric)


def better_direction(metric: str, side: str) -> str | None:
    """ "lower", "higher" or "nearer zero"; None when no direction is known to be better."""
    return BETTER.get(SI if side == SI else metric)


def uncertainty(row: Mapping) -> float | None:
    """A saved value's uncertainty: its error margin, else SD/sqrt(n) (None when neither is known)."""
    margin = row.get("error_margin")
    if isinstance(margin, (int, float)) and margin > 0:
        return float(margin)
    sd, n = row.get("sd"), row.get("n") or 0
    if isinstance(sd, (int, float)) and math.isfinite(sd) and n > 1:
        return float(sd) / math.sqrt(n)
    return None


def judging_difference(sdd: float | None, margins: Sequence[float | None]) -> float | None:
    """What a change must exceed: the SDD, else the larger saved error margin, else None."""
    if sdd is not None:
        return sdd
    known = [m for m in margins if m is not None and m > 0]
    return max(known) if known else None


def judge(before: float, after: float, limit: float | None, better: str | None) -> str:
    """The verdict of a change from ``before`` to ``after`` against ``limit`` (``VERDICTS``)."""
    if limit is None:
        return "not judged"
    if abs(after - before) <= limit:
        return "unchanged"
    if better is None or (better == "nearer zero" and abs(after) == abs(before)):
        return "changed"
    gain = {"lower": before - after, "higher": after - before, "nearer zero": abs(before) - abs(after)}
    return "improved" if gain[better] > 0 else "worse"


VERDICT_WORDS = {
    "improved": "improved by more than measurement error",
    "worse": "worse by more than measurement error",
    "changed": "changed by more than measurement error",
    "unchanged": "unchanged: within measurement error",
}


def sentence(label: str, unit: str, values: Sequence[float], verdict: str, limit: float | None,
             why_not: str = "", from_sdd: bool = True) -> str:  # fmt: skip
    """The change in words: "left knee valgus (FPPA) 17° → 9°: improved by more than measurement error
    (smallest detectable difference 8°)"."""
    path = " → ".join(format_value(v, unit) for v in values)
    unit_word = "" if unit in ("deg", "%", "cm", "s", "foot lengths", "ratio", "") else f" {unit}"
    head = f"{label} {path}{unit_word}"
    if verdict == "not judged":
        return f"{head}: not judged ({why_not or 'no smallest detectable difference known'})"
    name = "smallest detectable difference " if from_sdd else "measurement error ±"
    return f"{head}: {VERDICT_WORDS[verdict]} ({name}{format_limit(limit, unit)})"


def compare(test: str, metric: str, side: str, unit: str, dates: Sequence[str],
            rows: Sequence[Mapping | None], sdd: float | None) -> Change:  # fmt: skip
    """The change of one metric on one side of one test across visits (``rows``: each visit's saved row or
    None), first visit with a value to the last one."""
    present = [row for row in rows if row is not None]
    values = tuple(None if row is None else float(row["value"]) for row in rows)
    spreads = tuple(None if row is None else uncertainty(row) for row in rows)
    label = metric_label(metric, side)
    first, last = present[0], present[-1]
    limit = judging_difference(sdd, [first.get("error_margin"), last.get("error_margin")])
    unreliable = any(row.get("status") == "not_reliable" for row in (first, last))
    verdict = "not judged" if unreliable else judge(first["value"], last["value"], limit,
                                                    better_direction(metric, side))  # fmt: skip
    why = "a reading was not reliable: check by eye" if unreliable else ""
    shown = [float(row["value"]) for row in present]
    text = sentence(label, unit, shown, verdict, limit, why, from_sdd=sdd is not None)
    change = float(last["value"]) - float(first["value"])
    return Change(test, metric, side, unit, tuple(dates), values, spreads, change, limit, verdict, text)


def best_rows(rows: Sequence[Mapping]) -> dict[tuple[str, str, str], Mapping]:
    """One row per (test, metric, side): the one with the highest confidence (a test filmed twice at a
    visit counts once)."""
    best: dict[tuple[str, str, str], Mapping] = {}
    for row in rows:
        key = (row["test"], row["metric"], row["side"])
        if key not in best or (row.get("confidence") or 0.0) > (best[key].get("confidence") or 0.0):
            best[key] = row
    return best


def test_words(test: str) -> str:
    """A test key ("squat_front") in words ("front-view squat")."""
    task, _, view = test.rpartition("_")
    return name_of_test(task or None, view or None)


def _only_on(labels: Sequence[str], indexes: Sequence[int]) -> str:
    return " and ".join(labels[i] for i in indexes)


def compare_visits(labels: Sequence[str], visit_rows: Sequence[Sequence[Mapping]],
                   sdds: Mapping[str, float]) -> tuple[tuple[Change, ...], tuple[str, ...]]:  # fmt: skip
    """The changes of every compared metric (``PROGRESS_METRICS``) of every test filmed at two or more of
    the visits (``labels`` in date order, each with its long-table rows), and what could not be compared,
    in words. ``sdds``: the smallest detectable difference per thresholds key."""
    best = [best_rows(rows) for rows in visit_rows]
    tests = list(dict.fromkeys(row["test"] for rows in visit_rows for row in rows))
    changes, not_compared = [], []
    for test in tests:
        present = [i for i, rows in enumerate(best) if any(key[0] == test for key in rows)]
        if len(present) < 2:
            not_compared.append(f"the {test_words(test)}: filmed only on {_only_on(labels, present)}")
            continue
        for metric, sides in PROGRESS_METRICS:
            for side in sides:
                rows = [visit.get((test, metric, side)) for visit in best]
                found = [i for i, row in enumerate(rows) if row is not None]
                if len(found) >= 2:
                    unit = rows[found[0]]["unit"]
                    key = sdd_key(metric, side)
                    changes.append(compare(test, metric, side, unit, labels, rows, sdds.get(key or "")))
                elif found:
                    where = f"{metric_label(metric, side)} in the {test_words(test)}"
                    not_compared.append(f"{where}: measured only on {_only_on(labels, found)}")
    return tuple(changes), tuple(not_compared)
