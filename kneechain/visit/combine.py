"""The visit's call per knee from several clips' saved findings, and the screening tests done and missing.

Pure functions, no I/O: they take ``SavedClip`` records (``kneechain.visit.saved``) and never recompute a
metric: each clip's own finding for the knee (pattern, confidence, evidence, limitations) is its
contribution.

**The combination rule** (also in the README, "A visit and the progress between visits"):

1. Each clip contributes its saved finding for the knee: *hip* (hip-driven), *foot* (foot-driven), *mixed*
   (both kinds of sign in one clip), *none* (measured, no sign), *knee* (valgus, origin unclear), *not
   measured* (with the clip's reasons), or nothing for a single-leg test done on the other leg.
2. **A metric is counted once.** Clips are taken from the highest confidence down; a clip all of whose
   readings (same task and metric, e.g. the FPPA of two front squats) were already counted from a
   stronger clip is shown as a repeat ("counted once, from squat_2.mp4") and adds nothing.
3. **Agreeing tests raise the confidence**: the tests pointing one way combine as
   ``1 - prod(1 - c_i)`` (each test could have missed the sign independently), capped at the strongest
   single test + ``AGREEMENT_CAP`` (0.2) and at ``CEILING`` (0.95). The cap is there because clips of one
   visit share the camera set-up, the pose model's biases and the patient's day, so they are not
   independent; +0.2 is less than the width of the "moderate" band (0.3-0.6), so tests that are each weak
   (below 0.3) never add up to a high-confidence call, while two moderate tests agreeing can.
4. **Disagreement is shown, never averaged away**: when one test points to the hip and another to the
   foot (or one clip shows both), the call is "mixed", with the confidence of the weaker side and a
   sentence naming each ("mixed: the single-leg stand suggests hip-driven, the side-view squat
   foot-driven").
5. Without hip or foot signs, tests that measured the knee and found no sign give "no clear pattern"
   (their confidences combined as in 3); otherwise "not enough data".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from kneechain.findings.model import DISCLAIMER, Evidence
from kneechain.findings.overall import SCREEN_TASKS
from kneechain.findings.text import describe_evidence, strength_word
from kneechain.visit.model import Contribution, KneeCall, SavedClip, TestStatus

AGREEMENT_CAP = 0.2
CEILING = 0.95
SINGLE_LEG = ("single_leg_stand", "single_leg_squat")
KIND_OF = {"hip-driven": "hip", "foot-driven": "foot", "mixed": "mixed", "none": "none"}
TASK_WORDS = {"squat": "squat", "single_leg_squat": "single-leg squat",
              "single_leg_stand": "single-leg stand", "walk": "walk"}  # fmt: skip
# The screening set (``SCREEN_TASKS``): key, label, task, views counted (None: any), per leg.
SCREEN = (
    ("front_squat", "front-view squat", "squat", ("front", "back"), False),
    ("single_leg_stand", "single-leg stand", "single_leg_stand", ("front", "back"), True),
    ("single_leg_squat", "single-leg squat", "single_leg_squat", ("front", "back"), True),
    ("side_squat", "side-view squat", "squat", ("side",), False),
    ("walk", "walk", "walk", None, False),
)
assert [(s[2], s[3][0] if s[3] else None) for s in SCREEN] == [key for key, _ in SCREEN_TASKS]


def name_of_test(task: str | None, view: str | None) -> str:
    """A test in words: "front-view squat", "single-leg stand (back view)", "walk (side view)"."""
    words = TASK_WORDS.get(task or "", "unrecognised movement")
    if task == "squat" and view:
        return f"{view}-view squat"
    return f"{words} ({view} view)" if view and task in TASK_WORDS else words


def key_of_test(task: str | None, view: str | None) -> str:
    """The test as a table value: task and view ("squat_front", "walk_side")."""
    return f"{task or 'unknown'}_{view or 'unknown'}"


def _evidence(saved: dict) -> Evidence | None:
    try:
        return Evidence(**saved)
    except TypeError:
        return None


def readings_text(finding: dict, norms: str) -> tuple[str, ...]:
    """The finding's evidence in words (left-right differences are clip notes, not a knee's readings)."""
    items = [_evidence(e) for e in finding.get("evidence", ()) if e.get("supports") != "asymmetry"]
    return tuple(describe_evidence(e, norms) for e in items if e is not None)


def _kind(finding: dict) -> str:
    kind = KIND_OF.get(finding.get("pattern", ""))
    if kind:
        return kind
    knee = any(e.get("supports") == "knee" for e in finding.get("evidence", ()))
    return "knee" if knee else "not measured"


def clip_contribution(clip: SavedClip, side: str) -> Contribution | None:
    """What ``clip`` says about the ``side`` knee; None for a single-leg test on the other leg."""
    test = name_of_test(clip.task, clip.view)
    if clip.failed or not clip.usable:
        return Contribution(clip.name, test, "not measured", 0.0, reasons=(clip.failed,) if clip.failed
                            else clip.problems)  # fmt: skip
    if clip.task in SINGLE_LEG and side not in clip.stance_legs:
        return None
    finding = clip.sides.get(side)
    if not finding:
        return Contribution(clip.name, test, "not measured", 0.0, reasons=("no finding for this knee",))
    kind = _kind(finding)
    reasons = tuple(finding.get("limitations", ()))[:3] if kind in ("not measured", "knee", "none") else ()
    return Contribution(clip.name, test, kind, float(finding.get("confidence", 0.0)),
                        readings_text(finding, clip.norms), reasons)  # fmt: skip


def metric_keys(clip: SavedClip, side: str) -> frozenset[tuple[str, str]]:
    """(task, metric) of every reading the clip's finding for ``side`` rests on."""
    finding = clip.sides.get(side) or {}
    return frozenset((clip.task or "", e.get("metric", "")) for e in finding.get("evidence", ())
                     if e.get("supports") != "asymmetry")  # fmt: skip


def count_once(clips: Sequence[SavedClip], side: str) -> tuple[Contribution, ...]:
    """Each clip's contribution for ``side``, in the clips' order, a repeat of a stronger clip's readings
    marked as not counted (rule 2 of the module docstring)."""
    pairs = [(clip, clip_contribution(clip, side)) for clip in clips]
    pairs = [(clip, c) for clip, c in pairs if c is not None]
    seen: dict[tuple[str, str], str] = {}
    marked: dict[int, Contribution] = {}
    for index in sorted(range(len(pairs)), key=lambda i: -pairs[i][1].confidence):
        clip, contribution = pairs[index]
        keys = metric_keys(clip, side) if contribution.kind != "not measured" else frozenset()
        if keys and keys <= seen.keys():
            contribution = replace(contribution, counted=False, counted_in=seen[min(keys)])
        for key in keys:
            seen.setdefault(key, clip.name)
        marked[index] = contribution
    return tuple(marked[i] for i in range(len(pairs)))


def combined_confidence(confidences: Sequence[float]) -> float:
    """Agreeing tests' confidences combined (rule 3): ``1 - prod(1 - c)``, capped at the strongest + 0.2
    and at 0.95; 0 for none."""
    if not confidences:
        return 0.0
    either = 1.0 - math.prod(1.0 - c for c in confidences)
    return round(min(either, max(confidences) + AGREEMENT_CAP, CEILING), 3)


def knee_call(contributions: Sequence[Contribution]) -> tuple[str, float]:
    """The knee's call and confidence from its counted contributions (rules 3-5)."""
    counted = [c for c in contributions if c.counted]
    hip = [c.confidence for c in counted if c.kind in ("hip", "mixed")]
    foot = [c.confidence for c in counted if c.kind in ("foot", "mixed")]
    if hip and foot:
        return "mixed", min(combined_confidence(hip), combined_confidence(foot))
    if hip or foot:
        return ("hip-driven", combined_confidence(hip)) if hip else ("foot-driven", combined_confidence(foot))
    normal = [c.confidence for c in counted if c.kind == "none"]
    return ("no clear pattern", combined_confidence(normal)) if normal else ("not enough data", 0.0)


def _names(contributions: Sequence[Contribution]) -> str:
    names = list(dict.fromkeys(f"the {c.test}" for c in contributions))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verb(contributions: Sequence[Contribution], singular: str) -> str:
    return singular if len({c.test for c in contributions}) == 1 else singular[:-1]


def _lead(call: str, counted: Sequence[Contribution]) -> str:
    """The statement's main clause for ``call``."""
    by_kind = {kind: [c for c in counted if c.kind == kind] for kind in ("hip", "foot", "mixed", "none")}
    if call == "mixed":
        hip = by_kind["hip"]
        parts = [f"{_names(hip)} {_verb(hip, 'suggests')} hip-driven"] if hip else []
        parts += [f"{_names(by_kind['foot'])} foot-driven"] if by_kind["foot"] else []
        parts += [f"{_names(by_kind['mixed'])} shows both"] if by_kind["mixed"] else []
        return "mixed: " + ", ".join(parts)
    if call in ("hip-driven", "foot-driven"):
        pointing = by_kind["hip"] or by_kind["foot"]
        return f"{call}: {_names(pointing)} {_verb(pointing, 'points')} to the {call.split('-')[0]}"
    if call == "no clear pattern":
        return f"no clear pattern: no hip- or foot-driven sign in {_names(by_kind['none'])}"
    return "not enough usable data for a call"


def knee_statement(side: str, call: str, confidence: float, contributions: Sequence[Contribution],
                   low: float, strong: float) -> str:  # fmt: skip
    """The knee's call in a few plain sentences, with the tests that showed no sign or only valgus."""
    counted = [c for c in contributions if c.counted]
    text = f"{side.capitalize()} knee: {_lead(call, counted)}"
    if confidence > 0:
        text += f" ({strength_word(confidence, low, strong)} confidence)"
    text += "."
    calm = [c for c in counted if c.kind == "none"]
    if call in ("hip-driven", "foot-driven", "mixed") and calm:
        text += f" No sign in {_names(calm)}."
    valgus = [c for c in counted if c.kind == "knee"]
    if valgus:
        text += f" Knee valgus without a clear origin in {_names(valgus)}."
    return f"{text} {DISCLAIMER}"


def _matches(clip: SavedClip, task: str, views: tuple[str, ...] | None, per_leg: bool, side: str) -> bool:
    if clip.failed or clip.task != task or (views is not None and clip.view not in views):
        return False
    return not per_leg or side in clip.stance_legs


def _measured(clip: SavedClip, side: str) -> bool:
    return clip.usable and _kind(clip.sides.get(side) or {}) != "not measured"


def _missing_text(label: str, per_leg: bool, side: str) -> str:
    return f"no {label} on the {side} yet" if per_leg else f"no {label} yet"


def screening_tests(clips: Sequence[SavedClip], side: str) -> tuple[TestStatus, ...]:
    """Each test of the screening set for the ``side`` knee: done (and whether it could be measured) or
    missing ("no single-leg stand on the left yet")."""
    statuses = []
    for _key, label, task, views, per_leg in SCREEN:
        done = [c for c in clips if _matches(c, task, views, per_leg, side)]
        measured = [c for c in done if _measured(c, side)]
        if not done:
            text = _missing_text(label, per_leg, side)
        elif measured:
            text = "done"
        else:
            text = "filmed, but it gave no usable reading for this knee"
        statuses.append(TestStatus(label, bool(done), tuple(c.name for c in done), text))
    return tuple(statuses)


def combine_knee(clips: Sequence[SavedClip], side: str, low: float, strong: float) -> KneeCall:
    """The visit's call for the ``side`` knee (module docstring), with each clip's contribution and the
    screening tests done and missing."""
    contributions = count_once(clips, side)
    call, confidence = knee_call(contributions)
    tests = screening_tests(clips, side)
    missing = tuple(t.text for t in tests if not t.done)
    statement = knee_statement(side, call, confidence, contributions, low, strong)
    return KneeCall(side, call, confidence, statement, contributions, tests, missing)
