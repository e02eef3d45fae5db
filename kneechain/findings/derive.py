"""``derive_findings``: the metric sets of one clip -> a finding per side, left-right differences beyond
measurement error, gait asymmetry notes and the overall call (rules in ``kneechain.findings.rules``)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from kneechain.config import Config, config_hash
from kneechain.config.accuracy import error_margin
from kneechain.findings.gait_directions import (
    CONFIRMED,
    NO_DIRECTIONS,
    NOT_EVERY_DIRECTION,
    ONE_DIRECTION,
    direction_check,
    direction_indices,
)
from kneechain.findings.inputs import Reading, find_metric, read_metric
from kneechain.findings.model import Evidence, Finding, Findings
from kneechain.findings.overall import build_overall
from kneechain.findings.rules import (
    FPPA_METRICS,
    PELVIC_DROP_METRICS,
    Scored,
    SideContext,
    collect_side_evidence,
    confidence_cap,
    decide_pattern,
    sex_variant,
)
from kneechain.findings.status import metric_statuses
from kneechain.findings.text import NORM_NAMES, describe_evidence, format_limit, format_value, side_statement
from kneechain.metrics.summary import SIDES, MetricSet

# (label, metric names in order of preference, config key of the smallest detectable difference)
ASYMMETRY_RULES = (
    ("knee valgus (FPPA)", FPPA_METRICS, "valgus.fppa_sdd_deg"),
    ("contralateral pelvic drop", PELVIC_DROP_METRICS, "pelvis.drop_sdd_deg"),
)
# Gait measures whose symmetry index is checked (the summary's rows with side SYMMETRY_SIDE): step length,
# step time, stance and swing time (Patterson 2010 gives symmetry limits for these; unverified).
GAIT_SYMMETRY_METRICS = ("step_length_leg", "step_time_s", "stance_time_s", "swing_time_s")
SYMMETRY_SIDE = "symmetry_index_pct"
DIRECTION_DETAIL = {
    ONE_DIRECTION: " while walking one way only (not confirmed: film walking back too)",
    NOT_EVERY_DIRECTION: " in one walking direction but not the other (a camera effect, not confirmed)",
}


def find_side_differences(ctx: SideContext) -> list[Evidence]:
    """Left-right differences of the side means larger than the smallest detectable difference, as evidence
    on the side with the larger value (more valgus, more drop)."""
    found = []
    for label, metrics, key in ASYMMETRY_RULES:
        left, right = (read_metric(ctx.metric_sets, metrics, side, ctx.config, ctx.task) for side in SIDES)
        if not (isinstance(left, Reading) and isinstance(right, Reading)):
            continue
        difference, sdd = left.value - right.value, float(ctx.config.value(key))
        if abs(difference) <= sdd:
            continue
        found.append(
            Evidence(
                metric=left.metric,
                label=f"left-right difference in {label}",
                value=round(abs(difference), 3),
                unit=left.unit,
                threshold=sdd,
                comparison="|left-right| >",
                side="left" if difference > 0 else "right",
                n_items=min(left.n_items, right.n_items),
                item_kind=left.item_kind,
                supports="asymmetry",
                confidence=min(left.confidence, right.confidence),
                source=ctx.config[key].source,
                threshold_key=key,
                detail=f"left {format_value(left.value, left.unit)}, "
                f"right {format_value(right.value, right.unit)}",
            )
        )
    return found


def symmetry_margin_pct(ctx: SideContext, reading: Reading) -> float:
    """How far beyond the limit a symmetry index must lie to count: the larger of its measured error
    (``docs/accuracy.md``) and 1.96 x its standard error from this clip's step-to-step spread (a few noisy
    steps per side make a large index by chance)."""
    sampling = 1.96 * reading.sd if math.isfinite(reading.sd) else math.inf  # one step a side: no spread
    return max(error_margin(f"{reading.metric}_{SYMMETRY_SIDE}", ctx.view), sampling)


def find_gait_asymmetries(ctx: SideContext) -> tuple[list[Evidence], list[Evidence]]:
    """Gait symmetry indices (Robinson: (right - left) / mean x 100 %, summary rows with side
    ``symmetry_index_pct``) of ``GAIT_SYMMETRY_METRICS`` whose magnitude exceeds
    ``gait.symmetry_index_upper_pct`` and its margin: (those that hold in every walking direction filmed,
    those that do not or were seen in one direction only; ``kneechain.findings.gait_directions``). The
    evidence's side is the side with the larger value."""
    key = "gait.symmetry_index_upper_pct"
    limit = float(ctx.config.value(key))
    found, unconfirmed = [], []
    for metric in GAIT_SYMMETRY_METRICS:
        reading = read_metric(ctx.metric_sets, (metric,), SYMMETRY_SIDE, ctx.config, ctx.task)
        if not isinstance(reading, Reading):
            continue
        if abs(reading.value) <= limit + symmetry_margin_pct(ctx, reading):
            continue
        check = direction_check(reading.value, direction_indices(ctx.metric_sets, metric), limit)
        evidence = gait_asymmetry(ctx, reading, key, limit, check)
        (found if check in (CONFIRMED, NO_DIRECTIONS) else unconfirmed).append(evidence)
    return found, unconfirmed


def gait_asymmetry(ctx: SideContext, reading: Reading, key: str, limit: float, check: str) -> Evidence:
    """A gait symmetry index beyond its limit as evidence; ``check``: the walking-direction check's result,
    named in the detail when it did not confirm the difference."""
    metric = reading.metric
    label = next((metric[: -len(s)] for s in ("_leg", "_s") if metric.endswith(s)), metric).replace("_", " ")
    larger = "right" if reading.value > 0 else "left"
    detail = f"{label} larger on the {larger}" + DIRECTION_DETAIL.get(check, "")
    value = round(abs(reading.value), 3)
    return Evidence(
        metric=metric, label=f"gait symmetry index of {label}", value=value, unit="%", threshold=limit,
        comparison="|SI| >", side=larger, n_items=reading.n_items, item_kind=reading.item_kind,
        supports="asymmetry", confidence=reading.confidence, source=ctx.config[key].source,
        threshold_key=key, detail=detail,
    )  # fmt: skip


def _order(scored: list[Scored]) -> list[Scored]:
    """Signs first, then normal readings; each by strength (weight x confidence), strongest first."""
    return sorted(scored, key=lambda s: (not s.present, -s.strength, s.evidence.metric))


def build_side_finding(ctx: SideContext, side: str, cap: tuple[float, list[str]], differences: list[Evidence],
                       painful: bool) -> tuple[Finding, list[Scored]]:  # fmt: skip
    """The finding on ``side`` and its scored evidence (rules in ``kneechain.findings.rules``)."""
    scored, reasons = collect_side_evidence(ctx, side)
    scored = _order(scored)
    pattern, confidence = decide_pattern(scored, ctx.config, ctx.task)
    confidence = min(confidence, cap[0])
    supporting = [s.evidence for s in scored if s.present]
    normal = [s.evidence for s in scored if not s.present]
    known = [reason for s in scored for reason in s.reasons]
    limitations = tuple(dict.fromkeys([*reasons, *cap[1], *known]))
    strong = float(ctx.config.value("confidence.strong_call"))
    statement = side_statement(side, pattern, confidence, supporting, normal, reasons, strong,
                               ctx.sex_variant, painful)  # fmt: skip
    evidence = tuple(supporting + normal + [d for d in differences if d.side == side])
    not_assessed = tuple(dict.fromkeys(reason.split(":", 1)[0] for reason in reasons))
    finding = Finding(side, pattern, round(confidence, 2), evidence, statement, limitations, not_assessed)
    return finding, scored


def _pain_side(side_of_pain: str | None) -> str | None:
    if side_of_pain is None:
        return None
    side = str(side_of_pain).strip().lower()
    if side not in ("left", "right", "both"):
        raise ValueError(f"side_of_pain must be 'left', 'right' or 'both' (or None), got {side_of_pain!r}")
    return side


def _notes(ctx: SideContext, gait: list[Evidence], unconfirmed: list[Evidence]) -> tuple[str, ...]:
    notes = []
    if find_metric(ctx.metric_sets, FPPA_METRICS) is not None:
        upper = ctx.config["valgus.fppa_upper_deg"]
        limit = format_limit(upper.get(ctx.sex_variant), "deg")
        notes.append(f"FPPA upper normal limit {limit} {NORM_NAMES[ctx.sex_variant]} ({upper.source}).")
    if ctx.sex_variant == "combined" and notes:
        notes.append(
            "Sex not given: the wider (combined) normal FPPA range is used; give the sex for sex-specific "
            "ranges."
        )
    notes += [f"Gait asymmetry: {describe_evidence(e)}." for e in gait]
    notes += [f"Gait asymmetry not confirmed: {describe_evidence(e)}." for e in unconfirmed]
    return tuple(notes)


def derive_findings(metric_sets: Mapping[str, MetricSet], movement_info: Mapping, config: Config,
                    sex: str | None = None, side_of_pain: str | None = None) -> Findings:  # fmt: skip
    """Findings for one clip from its metric sets (any of the valgus, pelvis, knee-travel and gait sets).

    ``movement_info``: ``task``, ``view``, ``view_confidence`` (0-1) and ``fps`` (missing keys are ignored);
    ``sex``: "female"/"male" for sex-specific norms (None: the wider combined range); ``side_of_pain``:
    "left"/"right"/"both" (the painful side is listed first and decides the overall call when it has a
    pattern). Raises ValueError for an unknown ``sex`` or ``side_of_pain``."""
    task, view = movement_info.get("task"), movement_info.get("view")
    ctx = SideContext(metric_sets, config, sex_variant(sex), task, view)
    pain = _pain_side(side_of_pain)
    cap = confidence_cap(movement_info, config)
    differences = find_side_differences(ctx)
    gait, unconfirmed = find_gait_asymmetries(ctx)
    findings, strongest = [], []
    for side in SIDES:
        finding, scored = build_side_finding(ctx, side, cap, differences, pain in (side, "both"))
        findings.append(finding)
        strongest += [(s.strength, s.evidence) for s in scored]
    findings.sort(key=lambda f: f.side != pain)
    strong = float(config.value("confidence.strong_call"))
    overall = build_overall(findings, strongest, [*differences, *gait], pain, ctx.sex_variant, strong,
                            movement_info.get("task"), movement_info.get("view"))  # fmt: skip
    return Findings(
        sides=tuple(findings),
        asymmetries=tuple(differences + gait),
        overall=overall,
        norms=ctx.sex_variant,
        config_hash=config_hash(config),
        notes=_notes(ctx, gait, unconfirmed),
        statuses=metric_statuses(metric_sets, config, ctx.view, ctx.sex_variant),
        unconfirmed_asymmetries=tuple(unconfirmed),
    )
