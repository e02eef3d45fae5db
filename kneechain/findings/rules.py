"""The rule set that turns metrics into hip-driven / foot-driven findings, one per side.

Signs (thresholds and sources in ``kneechain/config/default.toml``; the weights in
``confidence.evidence_weight``):

- knee: FPPA above the upper normal limit (sex-specific with ``sex``, else the wider combined limit); when
  the FPPA gives no clear reading (a deep two-leg squat, where the thighs point at the camera, or a value
  within its measured error of the limit), the knees well inside the ankles (knee-to-ankle separation
  ratio below ``valgus.knee_ankle_separation_lower_ratio``);
- hip: valgus whose inward thigh part is at least ``valgus.component_dominant_share`` of the FPPA change
  from standing; contralateral pelvic drop above ``pelvis.drop_upper_deg``; trunk lean over the stance leg
  above ``pelvis.trunk_lean_upper_deg`` (both during stance of THAT side's leg);
- foot: valgus whose inward shank part reaches that share; toe-out above ``valgus.toe_out_upper_deg``;
  heel rise above ``knee_travel.heel_rise_upper_*``; an upright shank (below
  ``knee_travel.upright_shank_deg``) together with a large trunk pitch (above
  ``knee_travel.trunk_pitch_deg``);
- a valgus shared by thigh and shank (between the two shares) counts half for each.

Thigh/shank components are judged only when the FPPA is above normal. A side is "hip-driven" or
"foot-driven" when only (or, by ``confidence.dominance_ratio``, mostly) that kind of sign is present,
"mixed" when both are, "none" when usable metrics show no sign (at least one of them a primary reading of
the task, ``PRIMARY_METRICS``), and "insufficient data" when that is missing or a valgus above normal
cannot be traced to hip or foot. Confidence (0-1) =
``1 - prod(1 - weight x evidence confidence)`` over the supporting signs, times ``1 - 0.5 x`` the same
combination over contrary signs and normal readings, capped by the view confidence and the frame rate
(``data.full_confidence_fps``). Metrics not measured, below ``confidence.min_metric_confidence`` or from too
few items never become evidence; their reasons go to the finding's limitations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from kneechain.config import Config
from kneechain.config.accuracy import error_margin
from kneechain.findings.inputs import Reading, Unusable, read_metric
from kneechain.findings.model import Evidence
from kneechain.findings.status import limit_for
from kneechain.findings.text import format_limit, format_value
from kneechain.metrics.summary import MetricSet

SEX_VARIANTS = {
    "female": "female",
    "f": "female",
    "woman": "female",
    "male": "male",
    "m": "male",
    "man": "male",
}
FPPA_METRICS = ("fppa_deg",)
THIGH_METRICS = ("thigh_change_deg", "thigh_deg")
SHANK_METRICS = ("shank_change_deg", "shank_deg")
HEEL_RISE_METRICS = ("heel_rise_foot", "heel_rise_cm")
SEPARATION_METRICS = ("knee_ankle_separation_ratio",)
# The pelvis stickers' drop first: where the clinic used them, it measures the pelvis itself, precisely
# enough (rendered error under 0.1°) to read the peak, the drop the hip abductors failed to hold; the hip
# landmarks' drop is noisy, so their mean over the stance is used.
PELVIC_DROP_METRICS = ("sticker_peak_drop_deg", "mean_drop_deg", "pelvic_drop_deg", "peak_drop_deg")
# Readings of which at least one must be usable for a side to be called "none" (no pattern), by task: the
# knee's alignment (front-view squat) or the ankle's (side-view squat); the pelvis in single-leg stance and
# gait (a straight stance knee alone says little).
SQUAT_PRIMARY = (*FPPA_METRICS, *SEPARATION_METRICS, *HEEL_RISE_METRICS, "shank_angle_deg", "trunk_angle_deg")
PRIMARY_METRICS = {
    "squat": SQUAT_PRIMARY,
    "single_leg_squat": (*FPPA_METRICS, *PELVIC_DROP_METRICS),
    "single_leg_stand": PELVIC_DROP_METRICS,
    "walk": PELVIC_DROP_METRICS,
}


@dataclass(frozen=True)
class SignRule:
    """A one-metric sign: present when the first available of ``metrics`` exceeds its threshold
    (``thresholds[i]`` is the config key for ``metrics[i]``); ``domain`` is what it speaks for."""

    sign: str
    label: str
    metrics: tuple[str, ...]
    thresholds: tuple[str, ...]
    domain: str
    sex_specific: bool = False
    below: bool = False  # the sign is a value BELOW the threshold (a lower limit)
    fallback_for: str = ""  # evaluated only when this other sign gave no clear reading


SIGN_RULES = (
    SignRule("valgus", "knee valgus (FPPA)", FPPA_METRICS, ("valgus.fppa_upper_deg",), "knee", True),
    SignRule(
        "valgus",
        "knee-to-ankle separation",
        SEPARATION_METRICS,
        ("valgus.knee_ankle_separation_lower_ratio",),
        "knee",
        below=True,
        fallback_for="valgus",
    ),
    SignRule(
        "pelvic_drop",
        "contralateral pelvic drop",
        PELVIC_DROP_METRICS,
        ("pelvis.drop_upper_deg",) * len(PELVIC_DROP_METRICS),
        "hip",
    ),
    SignRule(
        "trunk_lean",
        "trunk lean over the stance leg",
        ("mean_trunk_lean_deg", "trunk_lean_deg"),
        ("pelvis.trunk_lean_upper_deg",) * 2,
        "hip",
    ),
    SignRule(
        "toe_out",
        "toe-out (foot progression angle)",
        ("foot_progression_deg",),
        ("valgus.toe_out_upper_deg",),
        "foot",
    ),
    SignRule(
        "heel_rise",
        "heel rise",
        HEEL_RISE_METRICS,
        ("knee_travel.heel_rise_upper_foot", "knee_travel.heel_rise_upper_cm"),
        "foot",
    ),
)


@dataclass(frozen=True)
class Scored:
    """A piece of evidence with its weight and what it speaks for (``domain``: hip/foot/knee/both);
    ``present``: the sign was seen (else it is a normal reading)."""

    evidence: Evidence
    weight: float
    domain: str
    present: bool
    reasons: tuple[str, ...] = ()

    @property
    def strength(self) -> float:
        return self.weight * self.evidence.confidence


@dataclass(frozen=True)
class SideContext:
    """What the rules need besides the metrics: the config, the sex variant of the norms, the task and the
    view (which measured error applies)."""

    metric_sets: Mapping[str, MetricSet]
    config: Config
    sex_variant: str
    task: str | None
    view: str | None = None


def sex_variant(sex: str | None) -> str:
    """The norms' variant: "female"/"male" for a given sex, "combined" (the wider range) when None/"other"."""
    if sex is None or str(sex).strip().lower() in ("", "other", "unknown", "unspecified"):
        return "combined"
    try:
        return SEX_VARIANTS[str(sex).strip().lower()]
    except KeyError:
        raise ValueError(f"sex must be 'female' or 'male' (or None), got {sex!r}") from None


def weight_of(config: Config, sign: str, present: bool) -> float:
    """The evidence weight of ``sign``; a normal reading uses ``<sign>_normal`` when the config has it."""
    weights = config["confidence.evidence_weight"].values
    return float(weights.get(f"{sign}_normal", weights[sign]) if not present else weights[sign])


def _evidence(reading: Reading, label: str, threshold_key: str, threshold: float, comparison: str,
              supports: str, config: Config, detail: str = "", metric: str | None = None,
              value: float | None = None, unit: str | None = None) -> Evidence:  # fmt: skip
    return Evidence(
        metric=metric or reading.metric,
        label=label,
        value=round(reading.value if value is None else value, 3),
        unit=reading.unit if unit is None else unit,
        threshold=float(threshold),
        comparison=comparison,
        side=reading.side,
        n_items=reading.n_items,
        item_kind=reading.item_kind,
        supports=supports,
        confidence=reading.confidence,
        source=config[threshold_key].source,
        threshold_key=threshold_key,
        detail=detail,
    )


def _read(ctx: SideContext, metrics: tuple[str, ...], side: str) -> Reading | Unusable | None:
    return read_metric(ctx.metric_sets, metrics, side, ctx.config, ctx.task)


def within_error(ctx: SideContext, reading: Reading, label: str, limit: float) -> str | None:
    """Why ``reading`` counts neither as a sign nor as a normal reading: it lies within its measured error
    (``docs/accuracy.md``) of ``limit``; None when it is clear of the limit."""
    margin = error_margin(reading.metric, ctx.view)
    if abs(reading.value - limit) > margin:
        return None
    value, unit = format_value(reading.value, reading.unit, limit), reading.unit
    return (f"{label}: {value} is within its measured error (±{format_value(margin, unit)}) of the limit "
            f"{format_limit(limit, unit)}, so it counts neither way")  # fmt: skip


def below_range(ctx: SideContext, reading: Reading, label: str) -> str | None:
    """Why a reading below the lower end of a two-sided range (a varus FPPA, toe-in) is not a normal
    reading for an upper-limit sign; None otherwise."""
    limit = limit_for(ctx.config, reading.metric, reading.side, ctx.sex_variant)
    if limit is None or limit.lower is None or reading.value >= limit.lower:
        return None
    value, lower = format_value(reading.value, reading.unit), format_limit(limit.lower, reading.unit)
    return f"{label}: {value} is below its range (lower end {lower}), so it counts neither way"


def evaluate_sign(ctx: SideContext, rule: SignRule, side: str) -> Scored | str | None:
    """The scored evidence of one sign on ``side``, the reason it cannot be used, or None if absent."""
    reading = _read(ctx, rule.metrics, side)
    if reading is None:
        return None
    if isinstance(reading, Unusable):
        return f"{rule.label}: {reading.reason}"
    key = rule.thresholds[rule.metrics.index(reading.metric)]
    threshold = ctx.config.value(key, ctx.sex_variant if rule.sex_specific else "value")
    borderline = within_error(ctx, reading, rule.label, threshold) or below_range(ctx, reading, rule.label)
    if borderline:
        return borderline
    present = reading.value < threshold if rule.below else reading.value > threshold
    comparison = ("<" if present else ">=") if rule.below else (">" if present else "<=")
    label = f"{rule.label} (stickers)" if reading.metric.startswith("sticker_") else rule.label
    evidence = _evidence(reading, label, key, threshold, comparison,
                         rule.domain if present else "normal", ctx.config)  # fmt: skip
    return Scored(evidence, weight_of(ctx.config, rule.sign, present), rule.domain, present, reading.reasons)


def _component_readings(ctx: SideContext, side: str) -> tuple[Reading, Reading] | str | None:
    thigh, shank = _read(ctx, THIGH_METRICS, side), _read(ctx, SHANK_METRICS, side)
    if thigh is None or shank is None:
        return None
    for reading, label in ((thigh, "thigh"), (shank, "shank")):
        if isinstance(reading, Unusable):
            return f"{label} part of the valgus: {reading.reason}"
    return thigh, shank


def evaluate_components(ctx: SideContext, side: str) -> Scored | str | None:
    """Which segment the valgus comes from: the inward (positive) parts of the thigh and shank angles
    (changes from standing when available), as the thigh's share of their sum."""
    readings = _component_readings(ctx, side)
    if readings is None or isinstance(readings, str):
        return readings
    thigh, shank = readings
    inward_thigh, inward_shank = max(thigh.value, 0.0), max(shank.value, 0.0)
    if inward_thigh + inward_shank <= 0:
        return "thigh/shank split: neither segment leans inward"
    share = inward_thigh / (inward_thigh + inward_shank)
    dominant = float(ctx.config.value("valgus.component_dominant_share"))
    detail = f"thigh {thigh.value:.0f}°, shank {shank.value:.0f}°"
    base = Reading(thigh.metric, side, share, "fraction", min(thigh.n_items, shank.n_items), thigh.item_kind,
                   min(thigh.confidence, shank.confidence))  # fmt: skip
    key = "valgus.component_dominant_share"
    reasons = tuple(dict.fromkeys(thigh.reasons + shank.reasons))
    if share >= dominant:
        evidence = _evidence(base, "thigh-dominant valgus", key, dominant, ">=", "hip", ctx.config, detail,
                             metric="thigh_share")  # fmt: skip
        return Scored(evidence, weight_of(ctx.config, "thigh_dominant", True), "hip", True, reasons)
    if share <= 1 - dominant:
        evidence = _evidence(base, "shank-dominant valgus", key, dominant, ">=", "foot", ctx.config, detail,
                             metric="shank_share", value=1 - share)  # fmt: skip
        return Scored(evidence, weight_of(ctx.config, "shank_dominant", True), "foot", True, reasons)
    evidence = _evidence(base, "valgus shared by thigh and shank", key, dominant, "<", "both", ctx.config,
                         detail, metric="thigh_share")  # fmt: skip
    weight = 0.5 * (
        weight_of(ctx.config, "thigh_dominant", True) + weight_of(ctx.config, "shank_dominant", True)
    )
    return Scored(evidence, weight, "both", True, reasons)


def evaluate_upright_shank(ctx: SideContext, side: str) -> Scored | str | None:
    """Limited dorsiflexion at the squat bottom: shank angle below the upright limit with the trunk pitched
    beyond its limit (side view). An upright shank with an upright trunk is not a sign (shallow squat)."""
    shank, trunk = _read(ctx, ("shank_angle_deg",), side), _read(ctx, ("trunk_angle_deg",), side)
    if shank is None or trunk is None:
        return None
    for reading, label in ((shank, "shank angle"), (trunk, "trunk angle")):
        if isinstance(reading, Unusable):
            return f"{label}: {reading.reason}"
    upright, pitch = (
        ctx.config.value("knee_travel.upright_shank_deg"),
        ctx.config.value("knee_travel.trunk_pitch_deg"),
    )
    borderline = within_error(ctx, shank, "shank angle", upright)
    if borderline or shank.value < upright:  # the trunk matters only with an upright shank
        borderline = borderline or within_error(ctx, trunk, "trunk pitch", pitch)
    if borderline:
        return borderline
    present = shank.value < upright and trunk.value > pitch
    n_items, confidence = min(shank.n_items, trunk.n_items), min(shank.confidence, trunk.confidence)
    detail = f"shank {shank.value:.0f}° from vertical, trunk {trunk.value:.0f}° from vertical"
    if present or shank.value >= upright:  # the shank decides: upright (with a pitched trunk) or not
        reading, key, threshold = shank, "knee_travel.upright_shank_deg", upright
        comparison = "<" if present else ">="
        label = (
            "upright shank with the trunk pitched forward" if present else "shank angle at the squat bottom"
        )
    else:  # an upright shank, but the trunk is not pitched beyond its limit
        reading, key, threshold = trunk, "knee_travel.trunk_pitch_deg", pitch
        comparison, label = "<=", "trunk pitch at the squat bottom (shank upright)"
    combined = Reading(
        reading.metric, side, reading.value, reading.unit, n_items, reading.item_kind, confidence
    )
    evidence = _evidence(combined, label, key, threshold, comparison, "foot" if present else "normal",
                         ctx.config, detail)  # fmt: skip
    reasons = tuple(dict.fromkeys(shank.reasons + trunk.reasons))
    return Scored(evidence, weight_of(ctx.config, "upright_shank", present), "foot", present, reasons)


def collect_side_evidence(ctx: SideContext, side: str) -> tuple[list[Scored], list[str]]:
    """All scored evidence on ``side`` and the reasons metrics could not be used."""
    results: list[Scored | str | None] = []
    for rule in SIGN_RULES:  # a fallback rule only when the sign it stands in for gave no clear reading
        read = {r.sign for r, result in zip(SIGN_RULES, results, strict=False) if isinstance(result, Scored)}
        results.append(None if rule.fallback_for in read else evaluate_sign(ctx, rule, side))
    if isinstance(results[0], Scored) and results[0].present:
        results.append(evaluate_components(ctx, side))
    results.append(evaluate_upright_shank(ctx, side))
    scored = [result for result in results if isinstance(result, Scored)]
    reasons = [result for result in results if isinstance(result, str)]
    return scored, reasons


def combine(strengths: list[float]) -> float:
    """Probabilistic OR of independent signs: 1 - prod(1 - s)."""
    return 1.0 - math.prod(1.0 - min(max(s, 0.0), 1.0) for s in strengths)


def _strengths(scored: list[Scored], domain: str) -> list[float]:
    """Strengths of the present signs for ``domain`` (half of the shared-valgus sign)."""
    values = [s.strength for s in scored if s.present and s.domain == domain]
    return values + [0.5 * s.strength for s in scored if s.present and s.domain == "both"]


def primary_metrics(task: str | None) -> tuple[str, ...]:
    """The ``PRIMARY_METRICS`` of ``task`` (all of them for an unknown task)."""
    everything = tuple(dict.fromkeys(m for metrics in PRIMARY_METRICS.values() for m in metrics))
    return PRIMARY_METRICS.get(task or "", everything)


def decide_pattern(scored: list[Scored], config: Config, task: str | None = None) -> tuple[str, float]:
    """Pattern and (uncapped) confidence from the scored evidence of one side (module docstring)."""
    hip, foot = _strengths(scored, "hip"), _strengths(scored, "foot")
    knee = [s.strength for s in scored if s.present and s.domain == "knee"]
    normal = {
        d: [s.strength for s in scored if not s.present and s.domain == d] for d in ("hip", "foot", "knee")
    }
    hip_score, foot_score = sum(hip), sum(foot)
    if hip_score == 0 and foot_score == 0:
        if knee or not any(s.evidence.metric in primary_metrics(task) for s in scored):
            return "insufficient data", 0.0
        return "none", combine([x for values in normal.values() for x in values])
    ratio = float(config.value("confidence.dominance_ratio"))
    low, high = sorted((hip_score, foot_score))
    if low > 0 and (high == low or high < ratio * low):
        return "mixed", min(combine(hip + knee), combine(foot + knee))
    if hip_score > foot_score:
        support, contrary = hip + knee, foot + normal["hip"] + normal["knee"]
        pattern = "hip-driven"
    else:
        support, contrary = foot + knee, hip + normal["foot"] + normal["knee"]
        pattern = "foot-driven"
    return pattern, combine(support) * (1.0 - 0.5 * combine(contrary))


def confidence_cap(movement_info: Mapping, config: Config) -> tuple[float, list[str]]:
    """The cap from the view confidence and the frame rate, with the reasons it is below 1."""
    cap, reasons = 1.0, []
    view_confidence = movement_info.get("view_confidence")
    if view_confidence is not None and math.isfinite(float(view_confidence)) and float(view_confidence) < 1:
        cap = min(cap, float(view_confidence))
        reasons.append(
            f"view ({movement_info.get('view', '?')}) recognised with confidence {float(view_confidence):.2f}"
        )
    fps = movement_info.get("fps")
    full_fps = float(config.value("data.full_confidence_fps"))
    # Half a frame per second of tolerance: 29.97 frames/s (NTSC) counts as 30.
    if fps is not None and math.isfinite(float(fps)) and 0 < float(fps) < full_fps - 0.5:
        cap = min(cap, float(fps) / full_fps)
        reasons.append(f"frame rate {float(fps):.0f} frames/s (below {full_fps:.0f})")
    return cap, reasons
