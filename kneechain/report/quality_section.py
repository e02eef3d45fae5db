"""The report's data-quality section: detection, frame rate and timing, person size, view fit, people in
view, and every warning once (the summary's, the signal's and each metric's quality reasons with the
metrics they apply to). From the saved files only."""

from __future__ import annotations

from kneechain.movement.view import FACING_WORDS
from kneechain.report.context import ReportContext


def _percent(value: object, decimals: int = 0) -> str:
    return f"{float(value) * 100:.{decimals}f}%" if isinstance(value, int | float) else "unknown"


def quality_facts(context: ReportContext) -> dict[str, str]:
    """The quality panel's lines: detection, frame rate and timing uncertainty, size, view fit, people."""
    quality = context.summary.get("quality", {})
    timing = quality.get("timing", {})
    people = context.summary.get("people", {})
    view = context.movement.get("view", {})
    interval = timing.get("median_interval_s")
    half_frame_ms = f"± {interval * 500:.0f} ms" if isinstance(interval, int | float) else "unknown"
    swaps = context.movement.get("signal", {}).get("left_right_swaps_repaired_frames", 0)
    height = quality.get("person_height_px")
    return {
        "detection": f"{quality.get('n_detected', 0)} of {quality.get('n_frames', 0)} frames "
        f"({_percent(quality.get('detection_rate'))})",
        "frame rate": f"{timing.get('effective_fps', 0):.1f} frames/s (from the timestamps); "
        f"longest gap {timing.get('max_gap_s', 0):.3f} s",
        "timing uncertainty": f"{half_frame_ms} per event (half a frame interval)",
        "person size": f"{_percent(quality.get('person_height_fraction'))} of the frame height"
        + (f" ({height:.0f} px)" if isinstance(height, int | float) else ""),
        "view fit": f"{view.get('view', 'unknown')}, confidence {view.get('confidence', 0):.2f}, "
        f"facing {FACING_WORDS.get(str(view.get('facing')), 'unknown')}",
        "left/right swaps repaired": f"{swaps} frames",
        "bystanders": bystanders_text(people),
    }


def bystanders_text(people: dict) -> str:
    """Frames with somebody else in view, the most people in one frame when more than one, and how often
    the face detector saw a face nobody's pose belongs to."""
    frames, most = people.get("frames_with_bystanders", 0), people.get("max_in_one_frame", 1)
    text = f"{frames} frame{'s' if frames != 1 else ''} with somebody else in view"
    text += f" (at most {most} people in one frame)" if isinstance(most, int) and most > 1 else ""
    faces = people.get("faces_without_pose") or {}
    if faces.get("frames"):
        text += (f"; another face (a person not followed, or a mirror) in {faces['frames']} of "
                 f"{faces['checked']} frames checked, blurred in the pictures")  # fmt: skip
    return text


def family_note_text(note: str) -> str:
    """A family note in words ("reference: standing" says what the angles are relative to)."""
    if note.startswith("reference: "):
        reference = note.removeprefix("reference: ")
        if reference == "standing":
            return "angles are relative to the patient's own two-leg standing"
        return f"angles are relative to the {reference} (no two-leg standing was found to compare with)"
    return note


def visibility_rows(context: ReportContext) -> list[tuple[str, str]]:
    """Mean visibility of the hips, knees, ankles and feet as percentages."""
    visibility = context.summary.get("quality", {}).get("mean_visibility", {})
    return [(group, _percent(value)) for group, value in visibility.items()]


def all_warnings(context: ReportContext) -> list[str]:
    """Every warning: the summary's, the signal and family notes, and each metric's quality reasons once
    (with the metrics it applies to)."""
    by_reason: dict[str, list[str]] = {}
    for family in context.families:
        for card in family.cards:
            for reason in card.reasons:
                by_reason.setdefault(reason, []).append(card.label)
    warnings = [*context.summary.get("warnings", []), *context.movement.get("signal", {}).get("notes", [])]
    for side in context.metrics.get("findings", {}).get("sides", []) if context.usable else []:
        warnings += [f"Not used for the findings: {text}" for text in side.get("limitations", [])
                     if not listed_with_cards(str(text), by_reason)]  # fmt: skip
    for family in context.families:
        notes = [note for note in family.notes if str(note) not in by_reason]
        warnings += [f"{family.title}: {family_note_text(str(note))}" for note in notes]
    warnings += [f"{', '.join(dict.fromkeys(labels))}: {reason}" for reason, labels in by_reason.items()]
    return list(dict.fromkeys(str(w) for w in warnings))


def listed_with_cards(limitation: str, by_reason: dict[str, list[str]]) -> bool:
    """Whether a finding's limitation ("label: reason" or the reason alone) repeats a card reason."""
    return limitation in by_reason or limitation.partition(": ")[2] in by_reason
