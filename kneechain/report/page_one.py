"""Page 1 of the report, the answer: one sentence per knee with its strength in words and why a knee got no
call, the key measures against their normal bands (``kneechain.report.bars``), the worst item's key frame
per side and what to film or check next for THIS clip. Built from the saved findings, cards, movement and
key frames; nothing is recomputed."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kneechain.findings.text import strength_word
from kneechain.movement.view import NEAR_SIDE, near_side
from kneechain.report.bars import MetricBar, build_bars
from kneechain.report.context import KeyFrame, ReportContext

OTHER = {"left": "right", "right": "left"}
FLAGGED = ("above", "below", "borderline")  # the saved statuses worth showing a frame of first
SENTENCES = {
    "hip-driven": "Signs point to a hip-driven pattern.",
    "foot-driven": "Signs point to a foot-driven pattern.",
    "mixed": "Both hip-driven and foot-driven signs.",
    "none": "No hip- or foot-driven signs in what this clip measures.",
    "insufficient data": "No call from this clip.",
}
STRENGTH = {"low": "weak evidence", "moderate": "moderate evidence", "high": "strong evidence"}
AT_LIMIT = re.compile(r"(.+) is within its measured error \((.+?)\) of the limit (.+?), so it counts")
SHORT_REASONS = (  # (words in a finding's limitation, what page 1 says)
    ("needs a front or back view", "needs a front or back view"),
    ("needs a side view", "needs a side view"),
    ("-side values", "not measured on this side"),
    ("only measured at the bottom of two-leg squats", "measured in two-leg squats only"),
    ("below 0.", "too uncertain in this clip to judge (check by eye)"),
)
# task -> (item word, the thresholds' kind of item, how to film enough of them: {n} from the thresholds)
ITEM_ADVICE = {
    "squat": ("rep", "reps", "film {n} slow reps"),
    "single_leg_squat": ("rep", "reps", "film {n} slow reps on each leg"),
    "single_leg_stand": ("stance", "stances", "film {n} stances of about 10 s on each leg"),
    "walk": ("stride", "strides", "walk longer, or back and forth, for {n} strides per foot"),
}
DEFAULT_FULL_ITEMS = {"reps": 5, "stances": 2, "strides": 6}


@dataclass(frozen=True)
class KneeLine:
    """One knee on page 1: the call in one sentence, its strength in words (the number on hover) and, for
    a knee without a call or with measures left out, why."""

    side: str
    title: str
    pattern: str
    sentence: str
    strength: str
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class WorstFrame:
    """The key frame of a side's worst item (furthest towards its limit) with its caption."""

    frame: KeyFrame
    text: str


@dataclass(frozen=True)
class PageOne:
    knees: tuple[KneeLine, ...]
    bars: tuple[MetricBar, ...]
    frames: tuple[WorstFrame, ...]
    next_steps: tuple[str, ...]
    camera_sees: str


def confidence_word(confidence: float, config: dict) -> str:
    """A confidence in words by the saved config's evidence floor and strong-call confidence."""
    thresholds = config.get("thresholds", {}).get("confidence", {})
    low = thresholds.get("min_metric_confidence", {}).get("value", 0.3)
    strong = thresholds.get("strong_call", {}).get("value", 0.6)
    return strength_word(confidence, low, strong)


def view_of(context: ReportContext) -> tuple[str, str | None]:
    """The clip's view and the side the camera sees (None when it sees both legs, or each side in turn
    on a walk filmed both ways)."""
    view = context.movement.get("view", {})
    name = str(view.get("view", context.summary.get("view", "")))
    facing = str(view.get("facing", ""))
    directions = {str(p.get("direction")) for p in context.passes} & set(NEAR_SIDE)
    if directions:  # a walk: the way the patient walks is the way they face
        facing = directions.pop() if len(directions) == 1 else ""
    return name, near_side(name, facing)


def camera_sees_text(context: ReportContext) -> str:
    """Which of the patient's sides the camera sees, in words."""
    view, near = view_of(context)
    if near:
        return f"the {near} side (the {OTHER[near]} leg is the far leg, partly hidden)"
    if view in ("side", "oblique") and len({str(p.get("direction")) for p in context.passes}) > 1:
        return "each side in turn (walking both ways)"
    return {"front": "both legs, from the front", "back": "both legs, from behind"}.get(view, "unknown")


def knee_title(side: str, painful: str) -> str:
    """ "Left knee", with "(painful side)" when the clinician said so."""
    return f"{side.capitalize()} knee" + (" (painful side)" if painful in (side, "both") else "")


def far_leg_reason(side: str, context: ReportContext) -> str:
    """Why a side view cannot judge the far knee, and what to film instead ("" for the near knee)."""
    _, near = view_of(context)
    if near is None or near == side:
        return ""
    return f"The camera sees the {near} side, so this knee is partly hidden: film from the {side} side."


def short_reason(reason: str) -> str:
    """A finding's limitation reason shortened for page 1 (the appendix keeps the full text)."""
    at_limit = AT_LIMIT.match(reason)
    if at_limit:
        value, error, limit = at_limit.groups()
        return f"at the limit ({value}, within the measured error {error} of {limit})"
    return next((short for text, short in SHORT_REASONS if text in reason), reason.split(" (")[0])


def judged_reasons(finding: dict) -> list[str]:
    """ "Heel rise, shank angle: needs a side view", one line per shortened reason, for the measures the
    finding could not judge (general notes stay in the appendix)."""
    labels = [str(label) for label in finding.get("not_assessed", [])]
    grouped: dict[str, list[str]] = {}
    for limitation in map(str, finding.get("limitations", [])):
        label = next((x for x in labels if limitation.startswith(f"{x}: ")), None)
        if label is not None:
            grouped.setdefault(short_reason(limitation[len(label) + 2 :]), []).append(label)
    return [f"{', '.join(dict.fromkeys(names))}: {reason}" for reason, names in grouped.items()]


def knee_line(finding: dict, context: ReportContext) -> KneeLine:
    """One knee from its saved finding: sentence, strength and the reasons measures were not judged."""
    side, pattern = str(finding.get("side", "")), str(finding.get("pattern", "insufficient data"))
    confidence = float(finding.get("confidence") or 0.0)
    called = pattern != "insufficient data"
    strength = STRENGTH[confidence_word(confidence, context.config)] if called else ""
    reasons = [far_leg_reason(side, context)] if not called else []
    reasons += [r[:1].upper() + r[1:] for r in judged_reasons(finding)]
    title = knee_title(side, context.session.get("side_of_pain", ""))
    return KneeLine(side, title, pattern, SENTENCES.get(pattern, pattern), strength, confidence,
                    tuple(r for r in dict.fromkeys(reasons) if r))  # fmt: skip


def knee_lines(context: ReportContext) -> tuple[KneeLine, ...]:
    """Both knees in left, right order (the findings' sides)."""
    sides = context.metrics.get("findings", {}).get("sides", [])
    return tuple(sorted((knee_line(f, context) for f in sides), key=lambda k: k.side))


def item_span_s(item: dict) -> tuple[float, float] | None:
    """When an item happened: its moment (``t_s``, ``bottom_s``) or its span (``start_s`` to ``end_s``)."""
    moment = next((item[k] for k in ("t_s", "bottom_s") if isinstance(item.get(k), int | float)), None)
    if moment is not None:
        return float(moment), float(moment)
    start, end = item.get("start_s"), item.get("end_s")
    if isinstance(start, int | float) and isinstance(end, int | float):
        return float(start), float(end)
    return None


def item_values(context: ReportContext, metric: str) -> list[tuple[str, tuple[float, float], float]]:
    """(side, when, value) of every saved item of ``metric``."""
    found = []
    for family in context.metrics.get("families", {}).values():
        for table in family.get("items", {}).values():
            for item in table if isinstance(table, list) else []:
                value, span = item.get(metric), item_span_s(item)
                if isinstance(value, int | float) and math.isfinite(value) and span is not None:
                    found.append((str(item.get("side")), span, float(value)))
    return found


def frame_at(
    frames: list[KeyFrame], span_s: tuple[float, float], tolerance_s: float = 0.06
) -> KeyFrame | None:
    """The key frame taken within ``span_s`` (give or take a frame or two), nearest its middle."""
    start, end = span_s[0] - tolerance_s, span_s[1] + tolerance_s
    inside = [f for f in frames if f.t_s is not None and start <= f.t_s <= end]
    middle = (span_s[0] + span_s[1]) / 2
    return min(inside, key=lambda f: abs(f.t_s - middle)) if inside else None


def worst_frames(context: ReportContext, bars: tuple[MetricBar, ...]) -> tuple[WorstFrame, ...]:
    """The key frames of the worst items of the first drawn measure that has them (one per side, or one
    for both when the worst items are the same moment), a measure beyond or at its limit first."""
    flagged = [bar for bar in bars if any(v.status in FLAGGED for v in bar.values)]
    for bar in [*flagged, *(bar for bar in bars if bar not in flagged)]:
        frames = bar_frames(context, bar)
        if frames:
            return frames
    return ()


def bar_frames(context: ReportContext, bar: MetricBar) -> tuple[WorstFrame, ...]:
    """Per side, the key frame of the item furthest towards ``bar``'s limit."""
    pick = min if bar.kind == "lower" else max
    chosen: dict[str, tuple[KeyFrame, float]] = {}
    for side in ("left", "right", "both"):
        values = [(t, v) for s, t, v in item_values(context, bar.metric) if s == side]
        frame = frame_at(context.keyframes, pick(values, key=lambda tv: tv[1])[0]) if values else None
        if frame is not None:
            chosen[side] = (frame, pick(v for _, v in values))
    texts: dict[str, list[str]] = {}
    for side, (frame, value) in chosen.items():
        texts.setdefault(frame.data_uri, []).append(f"{side} {bar.format(value)}")
    frames = {frame.data_uri: frame for frame, _ in chosen.values()}
    return tuple(
        WorstFrame(frames[uri], f"Worst {bar.item_word}, {bar.label}: " + ", ".join(found) + ".")
        for uri, found in texts.items()
    )


def task_of(context: ReportContext) -> str:
    return str(context.movement.get("task", {}).get("task", context.summary.get("task", "")))


def item_counts(context: ReportContext) -> dict[str, int]:
    """Reps, stances or strides per side (both legs count for a two-leg squat)."""
    movement, task = context.movement, task_of(context)
    if task == "walk":
        return count_by(movement.get("strides") or [], "foot")
    if task == "single_leg_stand":
        return count_by(movement.get("stances") or [], "leg")
    reps = movement.get("reps") or []
    if task == "single_leg_squat":
        return count_by(reps, "stance_leg")
    return {"left": len(reps), "right": len(reps)}


def count_by(items: list[dict], key: str) -> dict[str, int]:
    counts = {"left": 0, "right": 0}
    for item in items:
        if str(item.get(key)) in counts:
            counts[str(item[key])] += 1
    return counts


def count_text(n: int, word: str) -> str:
    """ "1 rep", "3 reps"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def full_confidence_items(config: dict, kind: str) -> int:
    """How many reps / stances / strides per side give a mean full confidence (``data.full_confidence_items``
    of the saved thresholds)."""
    entry = config.get("thresholds", {}).get("data", {}).get("full_confidence_items", {})
    return int(entry.get(kind, DEFAULT_FULL_ITEMS[kind]))


def clip_steps(context: ReportContext) -> list[str]:
    """Next steps specific to this clip: too few items, a leg not tested, the far leg of a side view."""
    task = task_of(context)
    steps = []
    if task in ITEM_ADVICE:
        word, kind, advice = ITEM_ADVICE[task]
        full = full_confidence_items(context.config, kind)
        counts = item_counts(context)
        tested = [side for side, n in counts.items() if n]
        if task != "squat" and len(tested) == 1:
            steps.append(f"Only the {tested[0]} leg was tested: film the {OTHER[tested[0]]} leg too.")
        few = {side: n for side, n in counts.items() if 0 < n < full}
        if few:
            found = " and ".join(f"{count_text(n, word)} on the {side}" for side, n in few.items())
            found = count_text(next(iter(few.values())), word) if task == "squat" else found
            steps.append(f"{found} found: {advice.format(n=full)} for a mean with full confidence.")
    _, near = view_of(context)
    if near is not None and task != "walk":
        steps.append(f"The camera sees the {near} side: film from the {OTHER[near]} side for the "
                     f"{OTHER[near]} knee.")  # fmt: skip
    return steps


def next_steps(context: ReportContext) -> tuple[str, ...]:
    """This clip's own steps first, then the findings' (what to examine or film for the call)."""
    overall = context.metrics.get("findings", {}).get("overall", {})
    saved = [str(step) for step in overall.get("next_steps", [])]
    return tuple(dict.fromkeys([*clip_steps(context), *saved]))


def build_page_one(context: ReportContext) -> PageOne:
    """Everything page 1 shows (a usable analysis; an unusable one shows its problems instead)."""
    bars = build_bars(context) if context.usable else ()
    return PageOne(knee_lines(context), bars, worst_frames(context, bars), next_steps(context),
                   camera_sees_text(context))  # fmt: skip
