"""The HTML report of a saved analysis folder: ``render_report(folder)`` writes ``report.html``.

One self-contained page a physical therapist can read, print and attach to a chart: header, the overall
call as screening support, metric cards, figures (inline SVG), key frames (embedded JPEGs), the quality
panel and a print stylesheet. It reads only the folder's saved files (``kneechain.report.context``), never
the video, and recomputes nothing. Every string goes through Jinja2's autoescaping; the page references
nothing outside itself and shows file names, never paths.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path, PurePath

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from kneechain.analysis_files import REPORT_FILE
from kneechain.errors import OutputWriteError
from kneechain.findings.model import DISCLAIMER
from kneechain.findings.status import SYMMETRY_KEY
from kneechain.io_atomic import write_text_atomically
from kneechain.movement.view import FACING_WORDS
from kneechain.report.cards import FamilyCards, metric_threshold, quality_for, threshold_of
from kneechain.report.context import ReportContext, load_context, read_csv
from kneechain.report.figures import (
    GAIT_PLOTTED,
    ReportFigure,
    SeriesPlot,
    Span,
    comparison_figure,
    gait_timeline_figure,
    time_series_figures,
)
from kneechain.report.metric_text import unit_text

WRITE_HINT = "Choose another output file, or fix the folder's permissions."
TEMPLATE = "report.html.j2"
CALL_TEXT = {
    "hip-driven": "Signs point to a hip-driven knee pattern",
    "foot-driven": "Signs point to a foot-driven knee pattern",
    "mixed": "Mixed: both hip-driven and foot-driven signs",
    "no clear pattern": "No clear hip-driven or foot-driven pattern",
    "not enough data": "Not enough usable data for a call",
}
COMPARISONS = {"<=": "≤", ">=": "≥", "|left-right| >": "|left − right| >"}
ITEM_WORDS = {"reps": "rep", "stances": "stance", "strides": "stride", "steps": "step"}
FAMILY_SPAN_NAMES = {
    "squat": "reps",
    "single_leg_squat": "reps",
    "single_leg_stand": "stances",
    "walk": "stance phases",
}
ITEM_WORDS_BY_TASK = {
    "squat": "rep",
    "single_leg_squat": "rep",
    "single_leg_stand": "stance",
    "walk": "stance",
}
SESSION_LABELS = {"patient_id": "Patient ID", "date": "Session date", "clinician": "Clinician",
                  "side_of_pain": "Side of pain", "notes": "Notes"}  # fmt: skip


def render_report(analysis_dir: Path, session: dict | None = None, output: Path | None = None) -> Path:
    """Write the HTML report of the analysis saved in ``analysis_dir`` and return its path.

    ``session``: patient/session fields (``patient_id``, ``date``, ``clinician``, ``notes``,
    ``side_of_pain``; all optional strings); None reads ``session.json`` from the folder when present.
    ``output``: where to write (default ``analysis_dir/report.html``); written atomically.
    Raises ``TrackFormatError`` for a folder without readable results and ``OutputWriteError`` when the
    report cannot be written.
    """
    analysis_dir = Path(analysis_dir)
    context = load_context(analysis_dir, session)
    if context.usable:
        context.figures = build_figures(analysis_dir, context)
    html = render_html(context)
    path = Path(output) if output is not None else analysis_dir / REPORT_FILE
    try:
        write_text_atomically(path, html)
    except OSError as error:
        raise OutputWriteError(f"cannot write the report '{path}' ({error}).", WRITE_HINT) from error
    return path


def template_environment() -> Environment:
    """Jinja2 with autoescaping on for every template and undefined names as errors."""
    return Environment(
        loader=PackageLoader("kneechain.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(context: ReportContext) -> str:
    """The page's HTML for a loaded context (figures already attached)."""
    overall = context.metrics.get("findings", {}).get("overall", {})
    si = threshold_of(context.config, SYMMETRY_KEY, "band")
    data = {
        "ctx": context,
        "session_rows": [(SESSION_LABELS[k], v) for k, v in context.session.items() if k != "notes"],
        "session_notes": context.session.get("notes", ""),
        "header": header_facts(context),
        "call_text": CALL_TEXT.get(str(overall.get("call")), str(overall.get("call", "no call"))),
        "overall": overall,
        "overall_statement": short_statement(str(overall.get("statement", ""))),
        "confidence_word": confidence_word(float(overall.get("confidence") or 0.0), context.config),
        "evidence": [evidence_text(e) for e in overall.get("evidence", [])],
        "asymmetries": [evidence_text(e) for e in context.metrics.get("findings", {}).get("asymmetries", [])],
        "sides": [
            {**side, "statement": short_statement(side.get("statement", ""))}
            for side in context.metrics.get("findings", {}).get("sides", [])
        ],
        "problems": context.movement.get("verdict", {}).get("problems", context.summary.get("problems", [])),
        "quality": quality_facts(context),
        "visibility": visibility_rows(context),
        "warnings": all_warnings(context),
        "unit_text": unit_text,
        "si_limit": f"{si.value:g}" if si else "10",
        **definition_notes(context),
    }
    return template_environment().get_template(TEMPLATE).render(**data)


def definition_notes(context: ReportContext) -> dict:
    """The numbered definitions of the metrics on the cards (footnotes) and each metric's number."""
    definitions, numbers = [], {}
    for family in context.families:
        for card in family.cards:
            if card.metric not in numbers and card.definition:
                definitions.append((card.metric, card.label, card.definition))
                numbers[card.metric] = len(definitions)
    return {"definitions": definitions, "footnote_of": numbers}


def confidence_word(confidence: float, config: dict) -> str:
    """ "low" / "moderate" / "high" by the config's evidence minimum and strong-call confidence."""
    thresholds = config.get("thresholds", {}).get("confidence", {})
    low = thresholds.get("min_metric_confidence", {}).get("value", 0.3)
    strong = thresholds.get("strong_call", {}).get("value", 0.6)
    return "high" if confidence >= strong else "moderate" if confidence >= low else "low"


def short_statement(statement: str) -> str:
    """A side's statement for the summary table: without the list of unusable metrics (the data-quality
    section lists each reason once), the disclaimer and the confidence (shown beside it)."""
    start = statement.find(" Not usable: ")
    end = statement.find(" " + DISCLAIMER)
    if start >= 0 and end > start:
        statement = statement[:start] + " Why: see Data quality." + statement[end:]
    end = statement.find(" " + DISCLAIMER)
    return statement[:end] if end >= 0 else statement


def evidence_text(evidence: dict) -> str:
    """One piece of evidence in words: side, label, value against the threshold, items, confidence."""
    unit = str(evidence.get("unit", ""))
    decimals = 0 if unit in ("deg", "%") else 2
    value = evidence.get("value")
    threshold = evidence.get("threshold")
    if isinstance(value, int | float) and isinstance(threshold, int | float) and value != threshold:
        decimals += f"{value:.{decimals}f}" == f"{threshold:.{decimals}f}"  # rounds onto the limit
    value_text = f"{value:.{decimals}f}{unit_text(unit)}" if isinstance(value, int | float) else "?"
    comparison = COMPARISONS.get(str(evidence.get("comparison")), str(evidence.get("comparison", "")))
    limit = f"{comparison} {threshold:g}{unit_text(unit)}" if isinstance(threshold, int | float) else ""
    n, kind = evidence.get("n_items", 0), str(evidence.get("item_kind", ""))
    items = f"{n} {ITEM_WORDS.get(kind, kind.rstrip('s'))}{'s' if n != 1 else ''}"
    detail = f", {evidence['detail']}" if evidence.get("detail") else ""
    label = evidence.get("label", evidence.get("metric", ""))
    confidence = float(evidence.get("confidence") or 0)
    reading = f"{value_text} ({limit}; {items}{detail})"
    return f"{evidence.get('side', '')} {label}: {reading}; confidence {confidence:.2f}"


def task_spans(folder: Path, task: str) -> list[Span]:
    """The spans to shade on the time plots: reps, single-leg stances, or the stance phases of strides."""
    if task in ("squat", "single_leg_squat"):
        reps = read_csv(folder, "reps.csv")
        return [Span(r.start_s, r.end_s, f"rep {r.rep}", getattr(r, "stance_leg", "both"))
                for r in reps.itertuples()]  # fmt: skip
    if task == "single_leg_stand":
        stances = read_csv(folder, "stances.csv")
        return [Span(s.start_s, s.end_s, f"{s.leg} stance", s.leg) for s in stances.itertuples()]
    strides = read_csv(folder, "strides.csv")
    if strides.empty or "toe_off_s" not in strides.columns:
        return []
    strikes = strides.get("heel_strike_s", strides["start_s"])  # analyses saved before toe-off strides
    rows = zip(strikes, strides.itertuples(), strict=True)
    return [Span(a, s.toe_off_s, "", s.foot) for a, s in rows if np.isfinite([a, s.toe_off_s]).all()]


def family_figures(
    folder: Path, family: FamilyCards, task: str, context: ReportContext
) -> list[ReportFigure]:
    """The time plots of one family: per-frame series, or per-item values for gait. A series whose metric
    shows as not measured on the cards is left out."""
    if not family.measured:
        return []
    norms = str(context.metrics.get("findings", {}).get("norms") or "combined")
    shown = {card.metric: card.measured for card in family.cards}
    quality = context.metrics.get("families", {}).get(family.family, {}).get("quality", {})

    def covering(column: str) -> str:  # the quality entry (and group card) a series column belongs to
        return quality_for(quality, strip_side(column))[0]

    tables = sorted(folder.glob(f"metrics_{family.family}_*.csv"))
    items = [read_csv(folder, p.name) for p in tables if not p.name.endswith("_series.csv")]
    series = read_csv(folder, f"metrics_{family.family}_series.csv")
    metrics = [m for m in GAIT_PLOTTED if shown.get(m)] if family.family == "gait" else None
    if metrics is None and "t_s" in series.columns:
        hidden = [c for c in series.columns if not shown.get(strip_side(c), shown.get(covering(c), True))]
        series = series.drop(columns=hidden)
    plot = SeriesPlot(
        family.family,
        f"{family.title} over time",
        series,
        items,
        task_spans(folder, task) if family.family != "gait" else [],
        FAMILY_SPAN_NAMES.get(task, "reps"),
        "step or stride" if family.family == "gait" else ITEM_WORDS_BY_TASK.get(task, "rep"),
        lambda m: metric_threshold(context.config, m, norms),
    )
    return time_series_figures(plot, metrics)


def strip_side(column: str) -> str:
    """A series column's metric name without its ``left_``/``right_`` prefix."""
    return column.removeprefix("left_").removeprefix("right_")


def build_figures(folder: Path, context: ReportContext) -> list[ReportFigure]:
    """All figures of a usable analysis: one time plot per family, left vs right, the gait timeline."""
    task = str(context.movement.get("task", {}).get("task", context.summary.get("task", "")))
    figures = [
        figure for family in context.families for figure in family_figures(folder, family, task, context)
    ]
    cards = [card for family in context.families for card in family.measured]
    figures.append(comparison_figure(cards))
    if task == "walk":
        series = read_csv(folder, "metrics_gait_series.csv")
        figures.append(gait_timeline_figure(read_csv(folder, "gait_events.csv"), series))
    return [figure for figure in figures if figure is not None]


def _percent(value: object, decimals: int = 0) -> str:
    return f"{float(value) * 100:.{decimals}f}%" if isinstance(value, int | float) else "unknown"


def header_facts(context: ReportContext) -> dict[str, str]:
    """The video, task, view and provenance lines of the header (file name only, never a path)."""
    video = context.summary.get("video", {})
    view = context.movement.get("view", {})
    task = context.movement.get("task", {})
    clinic = len(context.config.get("files", [])) > 1  # the defaults, then a clinic's file
    thresholds = "kneechain defaults with the clinic's own" if clinic else "kneechain defaults"
    facts = {
        "video": PurePath(str(video.get("file_name", "unknown"))).name,
        "length": f"{video.get('duration_s', 0):.1f} s, {video.get('frame_count', '?')} frames",
        "frame": f"{video.get('width_px', '?')} × {video.get('height_px', '?')} px, "
        f"{video.get('fps', 0):.1f} frames/s, {video.get('codec', '?')}",
        "task": f"{str(task.get('task', context.summary.get('task', 'unknown'))).replace('_', ' ')} "
        f"({task.get('source', 'detected')}, confidence {task.get('confidence', 0):.2f})",
        "view": f"{view.get('view', context.summary.get('view', 'unknown'))} "
        f"({view.get('source', 'detected')}, confidence {view.get('confidence', 0):.2f})",
        "kneechain": str(context.summary.get("kneechain_version", "unknown")),
        "config": f"{context.metrics.get('config_hash') or context.config.get('hash', '?')} ({thresholds})",
        "analysed": analysis_time_text(context.summary.get("analysed_at_utc")),
    }
    if context.config.get("overridden"):
        facts["config"] += "; clinic changes: " + ", ".join(map(str, context.config["overridden"]))
    return facts


def analysis_time_text(stamp: object) -> str:
    """An ISO time stamp as "2026-11-21 11:34 UTC" (the text itself if it does not parse)."""
    try:
        moment = datetime.fromisoformat(str(stamp)).astimezone(timezone.utc)
    except ValueError:
        return str(stamp or "unknown")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


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
