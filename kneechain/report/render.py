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
from markupsafe import Markup

from kneechain.analysis_files import REPORT_FILE
from kneechain.errors import OutputWriteError
from kneechain.findings.status import SYMMETRY_KEY
from kneechain.io_atomic import write_text_atomically
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
from kneechain.report.gait_page import GaitPage, build_gait_page
from kneechain.report.items_table import SYMBOLS, build_items_table
from kneechain.report.metric_text import unit_text
from kneechain.report.page_one import STRENGTH, build_page_one, confidence_word, view_of
from kneechain.report.quality_section import all_warnings, quality_facts, visibility_rows

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


def render_report(analysis_dir: Path, session: dict | None = None, output: Path | None = None,
                  full: bool = False) -> Path:  # fmt: skip
    """Write the HTML report of the analysis saved in ``analysis_dir`` and return its path.

    ``session``: patient/session fields (``patient_id``, ``date``, ``clinician``, ``notes``,
    ``side_of_pain``; all optional strings); None reads ``session.json`` from the folder when present.
    ``output``: where to write (default ``analysis_dir/report.html``); written atomically. ``full``: print
    the appendix too (every card, figure and quality detail); the screen always shows it.
    Raises ``TrackFormatError`` for a folder without readable results and ``OutputWriteError`` when the
    report cannot be written.
    """
    analysis_dir = Path(analysis_dir)
    context = load_context(analysis_dir, session)
    if context.usable:
        context.figures = build_figures(analysis_dir, context)
    html = render_html(context, full)
    path = Path(output) if output is not None else analysis_dir / REPORT_FILE
    try:
        write_text_atomically(path, html)
    except OSError as error:
        raise OutputWriteError(f"cannot write the report '{path}' ({error}).", WRITE_HINT) from error
    return path


def template_environment() -> Environment:
    """Jinja2 with autoescaping on for every template and undefined names as errors."""
    environment = Environment(
        loader=PackageLoader("kneechain.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["css_string"] = css_string
    environment.filters["first_upper"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    return environment


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string for the print margins: every character but letters, digits and
    spaces written as a CSS hex escape, so nothing a user typed can end the string or the style sheet."""
    escaped = "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):06x}" for c in text)
    return Markup(f'"{escaped}"')


def render_html(context: ReportContext, full: bool = False) -> str:
    """The page's HTML for a loaded context (figures already attached); ``full`` prints the appendix."""
    overall = context.metrics.get("findings", {}).get("overall", {})
    si = threshold_of(context.config, SYMMETRY_KEY, "band")
    page = build_page_one(context)
    gait = build_gait_page(context)
    data = {
        "ctx": context,
        "full": full,
        "page": page,
        "items_table": build_items_table(context),
        "gait": gait,
        "session_rows": session_rows(context),
        "session_notes": context.session.get("notes", ""),
        "running_header": running_header(context),
        "header": header_facts(context),
        "call_text": CALL_TEXT.get(str(overall.get("call")), str(overall.get("call", "no call"))),
        "overall": overall,
        "strength_text": lambda c: STRENGTH[confidence_word(float(c), context.config)],
        "confidence_word": lambda c: confidence_word(float(c), context.config),
        "asymmetries": asymmetry_texts(context, gait),
        "problems": context.movement.get("verdict", {}).get("problems", context.summary.get("problems", [])),
        "quality": quality_facts(context),
        "visibility": visibility_rows(context),
        "warnings": all_warnings(context),
        "family_reasons": family_reasons,
        "item_symbols": SYMBOLS,
        "unit_text": unit_text,
        "si_limit": f"{si.value:g}" if si else "10",
        **definition_notes(context),
    }
    return template_environment().get_template(TEMPLATE).render(**data)


def session_rows(context: ReportContext) -> list[tuple[str, str]]:
    """The patient and session lines: what the clinician gave, with sex, height and age from the analysis."""
    rows = [(SESSION_LABELS[k], v) for k, v in context.session.items() if k != "notes"]
    subject = context.metrics.get("subject", {})
    if subject.get("sex"):
        rows.append(("Sex", str(subject["sex"])))
    if isinstance(subject.get("height_cm"), int | float):
        rows.append(("Height", f"{subject['height_cm']:g} cm"))
    if isinstance(subject.get("age_years"), int | float):
        rows.append(("Age", f"{subject['age_years']:g} years"))
    return rows


def running_header(context: ReportContext) -> str:
    """The line printed at the top of every page: patient ID and session date (or that none were given)."""
    patient = context.session.get("patient_id", "no patient ID given")
    date = context.session.get("date", "no date given")
    return f"Patient {patient} · {date}"


def family_reasons(family: FamilyCards) -> list[str]:
    """The limitations of a family's measured cards, each once (not repeated on every card)."""
    return list(dict.fromkeys(reason for card in family.measured for reason in card.reasons))


def asymmetry_texts(context: ReportContext, gait: GaitPage | None) -> list[str]:
    """Left-right differences beyond measurement error in words (gait ones are on the walking page)."""
    found = context.metrics.get("findings", {}).get("asymmetries", [])
    if gait is not None:
        found = [e for e in found if not str(e.get("threshold_key", "")).startswith("gait.")]
    return [evidence_text(e) for e in found]


def definition_notes(context: ReportContext) -> dict:
    """The numbered definitions of the metrics on the cards (footnotes) and each metric's number."""
    definitions, numbers = [], {}
    for family in context.families:
        for card in family.cards:
            if card.metric not in numbers and card.definition:
                definitions.append((card.metric, card.label, card.definition))
                numbers[card.metric] = len(definitions)
    return {"definitions": definitions, "footnote_of": numbers}


def evidence_text(evidence: dict) -> str:
    """One piece of evidence in words: side, label, value against the threshold, items."""
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
    return f"{str(evidence.get('side', '')).capitalize()} {label}: {value_text} ({limit}; {items}{detail})"


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
        near_side=view_of(context)[1] if task != "walk" else None,
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
    # a walk's far foot is timed as well as the near one: only the other tasks grey the far leg
    figures.append(comparison_figure(cards, near_side=view_of(context)[1] if task != "walk" else None))
    if task == "walk":
        series = read_csv(folder, "metrics_gait_series.csv")
        figures.append(gait_timeline_figure(read_csv(folder, "gait_events.csv"), series))
    return [figure for figure in figures if figure is not None]


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
