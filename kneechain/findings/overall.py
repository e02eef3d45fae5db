"""The overall call for a clip from the per-side findings, its strongest evidence and what to examine next.

Call: the painful side's pattern when ``side_of_pain`` is given and that side has a hip/foot/mixed pattern;
otherwise "hip-driven" or "foot-driven" when every side with a pattern agrees, "mixed" when they differ or a
side is mixed, "no clear pattern" when usable measures show no sign, and "not enough data" otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from kneechain.findings.model import DISCLAIMER, Evidence, Finding, Overall
from kneechain.findings.text import describe_evidence

CALLED = ("hip-driven", "foot-driven", "mixed")
HIP_STEPS = (
    "Hip abductor and lateral rotator strength (e.g. side-lying hip abduction, hand-held dynamometry).",
    "Pelvic drop and trunk lean by eye in single-leg stance and a single-leg squat (Trendelenburg sign): "
    "video landmarks under-read pelvic drop.",
)
STICKER_STEP = (
    "For a measured pelvic drop, film the single-leg stance again with two round green stickers on the ASIS "
    "(from the front) or on the PSIS dimples (from behind)."
)
FOOT_STEPS = (
    "Ankle dorsiflexion range with the weight-bearing lunge test (under about 9-10 cm or 35° is usually "
    "called restricted; unverified cut-off).",
    "Big-toe (first MTP) extension: about 60-65° is needed for a normal push-off.",
    "Foot posture and pronation in stance (e.g. Foot Posture Index, navicular drop).",
    "Repeat the squat with the heels raised on a board: valgus that disappears points to ankle mobility.",
)
# (task, view) of each clip a full screen uses -> how the next steps name it (a walk: any view).
SCREEN_TASKS = (
    (("squat", "front"), "front-view squat"),
    (("single_leg_stand", "front"), "single-leg stands"),
    (("single_leg_squat", "front"), "single-leg squats"),
    (("squat", "side"), "side-view squat"),
    (("walk", None), "walk"),
)
# How the "not enough data" step asks for each screening clip, and what it measures.
FILMING = {
    "front-view squat": "a front-view squat (5 slow reps) for knee valgus and its thigh/shank split",
    "single-leg stands": "single-leg stands on each leg (front view) for pelvic drop",
    "single-leg squats": "single-leg squats on each leg (front view) for knee valgus under load",
    "side-view squat": "a side-view squat for heel rise and shank angle",
    "walk": "a walk for step and stance symmetry",
}


def tasks_not_filmed(task: str | None, view: str | None) -> list[str]:
    """The screening clips other than this one (``task`` filmed from ``view``)."""
    return [name for (t, v), name in SCREEN_TASKS if not (t == task and v in (None, view))]


def none_steps(task: str | None, view: str | None) -> tuple[str, ...]:
    """Next steps without a pattern: film the tasks not yet analysed (not this clip's), test clinically."""
    others = tasks_not_filmed(task, view)
    listed = ", ".join(others[:-1]) + (" and " if len(others) > 1 else "") + others[-1]
    return (
        f"If symptoms persist, film the tasks not yet analysed ({listed}) and test hip abductor strength and "
        "ankle dorsiflexion clinically.",
    )


def more_data_steps(task: str | None, view: str | None) -> tuple[str, ...]:
    """Next steps when no call is possible: the screening clips other than this one, and how to film."""
    wanted = [FILMING[name] for name in tasks_not_filmed(task, view)]
    listed = "; ".join(wanted[:-1]) + ("; and " if len(wanted) > 1 else "") + wanted[-1]
    return (f"Film {listed}; keep the whole body in view at 30 frames/s or more.",)


def _call(findings: Sequence[Finding], side_of_pain: str | None) -> tuple[str, float]:
    called = [f for f in findings if f.pattern in CALLED]
    painful = [f for f in called if f.side == side_of_pain]
    if painful:
        return painful[0].pattern, painful[0].confidence
    if called:
        patterns = {f.pattern for f in called}
        if len(patterns) == 1:
            return called[0].pattern, max(f.confidence for f in called)
        if "mixed" in patterns:
            return "mixed", max(f.confidence for f in called if f.pattern == "mixed")
        return "mixed", min(f.confidence for f in called)
    normal = [f for f in findings if f.pattern == "none"]
    if normal:
        return "no clear pattern", max(f.confidence for f in normal)
    return "not enough data", 0.0


def _next_steps(call: str, findings: Sequence[Finding], task: str | None = None,
                view: str | None = None) -> tuple[str, ...]:  # fmt: skip
    steps = {
        "hip-driven": HIP_STEPS,
        "foot-driven": FOOT_STEPS,
        "mixed": HIP_STEPS + FOOT_STEPS,
        "no clear pattern": none_steps(task, view),
    }.get(call) or more_data_steps(task, view)
    pelvis_unassessed = any("pelvic drop" in reason for f in findings for reason in f.limitations)
    if pelvis_unassessed and HIP_STEPS[1] not in steps:
        steps = (*steps, HIP_STEPS[1])
    stickers_used = any(e.metric.startswith("sticker_") for f in findings for e in f.evidence)
    return (*steps, STICKER_STEP) if HIP_STEPS[1] in steps and not stickers_used else steps


def against_call(call: str, findings: Sequence[Finding]) -> tuple[Evidence, ...]:
    """The evidence of the called sides that speaks against ``call``: signs of the other kind, and normal
    readings of the kind the call names."""
    other = {"hip-driven": ("foot",), "foot-driven": ("hip",)}.get(call, ())
    return tuple(e for f in findings if f.pattern == call for e in f.evidence
                 if e.supports in other or e.supports == "normal")  # fmt: skip


def _balance_text(call: str, findings: Sequence[Finding], norms: str) -> str:
    """Which readings speak against the call and which signs could not be assessed, in words ("" when
    there are none)."""
    text = ""
    against = against_call(call, findings) if call in CALLED else ()
    if against:
        text += ". Against it: " + "; ".join(f"{e.side} {describe_evidence(e, norms)}" for e in against[:3])
    first = findings[0].not_assessed if findings else ()
    unassessed = [label for label in first if all(label in f.not_assessed for f in findings)]  # on no side
    if unassessed:
        text += (
            ". Could not be judged (not measured, not reliable, or within measurement error of the limit): "
        )
        text += ", ".join(unassessed)
    return text


def _statement(call: str, confidence: float, evidence: Sequence[Evidence], norms: str,
               asymmetries: Sequence[Evidence], strong: float, balance: str = "") -> str:  # fmt: skip
    if call in CALLED:
        lead = "Overall: signs consistent with" if confidence >= strong else "Overall: weak signs of"
        text = f"{lead} a {call} knee pattern"
    elif call == "no clear pattern":
        text = "Overall: no clear hip- or foot-driven pattern in this clip"
    else:
        text = "Overall: not enough usable data for a hip- or foot-driven call"
    if evidence:
        text += ". Strongest evidence: " + "; ".join(
            f"{e.side} {describe_evidence(e, norms)}" for e in evidence
        )
    text += balance
    if asymmetries:
        text += ". Left-right differences beyond measurement error: " + "; ".join(
            describe_evidence(e, norms) for e in asymmetries
        )
    if call == "not enough data":
        return f"{text}. {DISCLAIMER} Not enough data for a call."
    return f"{text}. {DISCLAIMER} Confidence {confidence:.2f}."


def build_overall(findings: Sequence[Finding], strongest: Sequence[tuple[float, Evidence]],
                  asymmetries: Sequence[Evidence], side_of_pain: str | None, norms: str,
                  strong: float, task: str | None = None, view: str | None = None) -> Overall:  # fmt: skip
    """The overall call (module docstring). ``strongest``: (strength, evidence) of every side's supporting
    evidence (or normal readings when no side has a pattern); the top 3 of the call's sides are kept.
    ``task``/``view``: this clip's, left out of the clips the next steps suggest filming."""
    call, confidence = _call(findings, side_of_pain)
    if call in CALLED:
        sides = {f.side for f in findings if f.pattern in CALLED}
        if side_of_pain in sides and call == next(f.pattern for f in findings if f.side == side_of_pain):
            sides = {side_of_pain}
        pool = [(s, e) for s, e in strongest if e.side in sides and e.supports != "normal"]
    elif call == "no clear pattern":
        pool = [(s, e) for s, e in strongest if e.supports == "normal"]
    else:
        pool = []
    top = tuple(e for _, e in sorted(pool, key=lambda item: (-item[0], item[1].side, item[1].metric))[:3])
    return Overall(
        call=call,
        confidence=round(confidence, 2),
        evidence=top,
        next_steps=_next_steps(call, findings, task, view),
        statement=_statement(
            call, confidence, top, norms, asymmetries, strong, _balance_text(call, findings, norms)
        ),
    )
