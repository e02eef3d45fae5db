"""The batch overview: ``index.html``, ``summary.csv`` (one row per video) and ``metrics_long.csv`` (every
summary statistic of every analysed video: video, family, metric, side, n, mean, sd, min, max).

Everything is read from the manifest and each results folder's ``summary.json`` / ``metrics.json``; all
three files are written atomically. The HTML page is self-contained (inline CSS and a small inline sorting
script, no external resources) and every value is autoescaped; links are relative to OUTDIR and percent-
encoded (a file named ``javascript:...`` or ``visit #2.mp4`` stays a plain relative link), and the page's
Content-Security-Policy lets only its own sorting script run (by hash). Failure reasons name videos by
their path relative to the input folder, never by absolute paths. The CSV files are written with
``defusedcsv``, which neutralises cells a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, ``|`` or ``%``, numbers excepted); cells starting with a tab or carriage return are
neutralised the same way here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from defusedcsv import csv
from jinja2 import Environment, PackageLoader, StrictUndefined

from kneechain import __version__
from kneechain.analysis_files import REPORT_FILE, read_json_or_empty
from kneechain.batch.deidentify import MAP_COLUMNS, MAP_FILE, deidentify, pseudonym_key
from kneechain.io_atomic import write_text_atomically

INDEX_FILE, SUMMARY_CSV, METRICS_LONG_CSV = "index.html", "summary.csv", "metrics_long.csv"
SORT_SCRIPT = "templates/sort_table.js"  # the page's one script, allowed by its hash
# (column label, family, metric, sides)
HEADLINES = (
    ("FPPA (deg)", "knee_valgus", "fppa_deg", ("left", "right")),
    ("pelvic drop (deg)", "pelvic_drop", "peak_drop_deg", ("left", "right")),
    ("pelvic drop, stickers (deg)", "pelvic_drop", "sticker_peak_drop_deg", ("left", "right")),
    ("knee travel (foot lengths)", "knee_forward_travel", "knee_travel_foot", ("left", "right")),
    ("step length SI (%)", "gait", "step_length_leg", ("symmetry_index_pct",)),
)
SUMMARY_COLUMNS = [
    "video",
    "status",
    "patient_id",
    "date",
    "task",
    "view",
    "usable",
    "overall_call",
    "call_confidence",
    "detection_rate",
    "n_frames",
]
for _label, _family, _metric, _sides in HEADLINES:
    SUMMARY_COLUMNS += [f"{_metric}_{side}{suffix}" for side in _sides for suffix in ("", "_status")]
SUMMARY_COLUMNS += ["duration_s", "finished_utc", "report", "error"]
LONG_COLUMNS = ["video", "family", "metric", "side", "n", "mean", "sd", "min", "max", "status"]
# The saved statuses (``kneechain.findings.status``) in the overview's words; in summary.csv they stay as
# saved. A value that is not reliable or at its limit is marked so, never shown as a plain number.
STATUS_WORDS = {"within": "within range", "above": "above range", "below": "below range",
                "borderline": "at the limit", "not_reliable": "not reliable"}  # fmt: skip


def _number(value) -> float | None:
    return (
        value
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        else None
    )


def _headline(families: dict, family: str, metric: str, side: str) -> tuple[float | None, str | None]:
    """A headline value and its saved status (None, None when the video has no such value)."""
    for row in (families.get(family) or {}).get("summary") or []:
        if row.get("metric") == metric and row.get("side") == side:
            return _number(row.get("mean")), row.get("status")
    return None, None


def call_strength(folder: Path, confidence: float | None) -> str | None:
    """The overall call's confidence in the report's words ("low", "moderate", "high"), by the thresholds
    the video was analysed with (its ``config.json``)."""
    if confidence is None:
        return None
    limits = (read_json_or_empty(folder / "config.json").get("thresholds") or {}).get("confidence") or {}
    low = _number((limits.get("min_metric_confidence") or {}).get("value")) or 0.3
    strong = _number((limits.get("strong_call") or {}).get("value")) or 0.6
    return "high" if confidence >= strong else "moderate" if confidence >= low else "low"


def collect(output_root: Path, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Summary records (one per manifest row) and long-format metric rows."""
    records, long_rows = [], []
    for row in rows:
        meta = json.loads(row.get("metadata") or "{}")
        folder = output_root / (row.get("output_dir") or "")
        record = dict.fromkeys([*SUMMARY_COLUMNS, "call_strength"])
        record.update(
            video=row["rel"],
            status=row["status"],
            patient_id=meta.get("patient_id"),
            date=meta.get("date"),
            task=meta.get("task"),
            duration_s=row.get("duration_s"),
            finished_utc=row.get("finished_utc"),
            error=without_absolute_paths(row.get("error"), row, output_root),
        )
        if row["status"] == "done" and folder.is_dir():
            summary = read_json_or_empty(folder / "summary.json")
            metrics = read_json_or_empty(folder / "metrics.json")
            families = metrics.get("families") or {}
            overall = (metrics.get("findings") or {}).get("overall") or {}
            quality = summary.get("quality") or {}
            record.update(
                task=summary.get("task") or record["task"],
                view=summary.get("view"),
                usable=summary.get("usable"),
                overall_call=summary.get("overall_call"),
                call_confidence=_number(overall.get("confidence")),
                detection_rate=quality.get("detection_rate"),
                n_frames=quality.get("n_frames"),
            )
            record["call_strength"] = call_strength(folder, record["call_confidence"])
            if (folder / REPORT_FILE).is_file():
                record["report"] = str(PurePosixPath(row["output_dir"]) / REPORT_FILE)
            for _label, family, metric, sides in HEADLINES:
                for side in sides:
                    value, status = _headline(families, family, metric, side)
                    record.update({f"{metric}_{side}": value, f"{metric}_{side}_status": status})
            for family, content in families.items():
                for stat in (content or {}).get("summary") or []:
                    long_rows.append(
                        {"video": row["rel"], "family": family, **{k: stat.get(k) for k in LONG_COLUMNS[2:]}}
                    )
        records.append(record)
    return records, long_rows


def without_absolute_paths(text: str | None, row: dict, output_root: Path) -> str | None:
    """``text`` with the video's absolute path replaced by its relative one and the input and output
    folders' absolute paths left out."""
    if not text:
        return text
    path, rel = str(row.get("path") or ""), str(row["rel"])
    input_folder = path[: -len(rel)] if rel and path.endswith(rel) else ""
    for absolute, shown in ((path, rel), (f"{Path(output_root).resolve()}/", ""), (input_folder, "")):
        text = text.replace(absolute, shown) if absolute else text
    return text


def _spreadsheet_safe(value):
    """A tab or carriage return before a formula is skipped by spreadsheets: quote it like ``defusedcsv``
    quotes a leading ``=``."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("\t", "\r") else value


def _csv_text(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else _spreadsheet_safe(row.get(k)) for k in columns})
    return buffer.getvalue()


def _href(relative: str) -> str:
    """A link to a file under OUTDIR: always relative (``./``), every path segment percent-encoded."""
    return "./" + quote(relative, safe="/")


def _fmt(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render_index(records: list[dict], patient_reports: list[dict] | None = None) -> str:
    env = Environment(
        loader=PackageLoader("kneechain.batch", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["href"] = _href
    script = resources.files("kneechain.batch").joinpath(SORT_SCRIPT).read_text(encoding="utf-8")
    env.filters["status_words"] = lambda status: STATUS_WORDS.get(status or "", "")
    headlines = [
        (label, [f"{metric}_{side}" for side in sides], sides) for label, _f, metric, sides in HEADLINES
    ]
    return env.get_template("index.html.j2").render(
        records=records,
        patient_reports=patient_reports or [],
        headlines=headlines,
        failures=[r for r in records if r["status"] != "done" or r["usable"] is False],
        counts={
            s: sum(r["status"] == s for r in records) for s in ("done", "failed", "interrupted", "pending")
        },
        unusable=sum(r["status"] == "done" and r["usable"] is False for r in records),
        no_call=sum(
            r["status"] == "done" and bool(r["usable"]) and r["overall_call"] == "not enough data"
            for r in records
        ),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        script=script,
        script_sha256=base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii"),
    )


def write_summary(output_root: Path, rows: list[dict], deidentify_names: bool = False,
                  patient_reports: list[dict] | None = None) -> None:  # fmt: skip
    """Write the three overview files; with ``deidentify_names`` without file, folder or patient names
    (``kneechain.batch.deidentify``), plus the clinic's key back to them. ``patient_reports``: the visit
    and progress reports to link (patient, date, link relative to OUTDIR), never linked when deidentified."""
    output_root = Path(output_root)
    records, long_rows = collect(output_root, rows)
    if deidentify_names:
        records, long_rows, mapping = deidentify(records, long_rows, pseudonym_key(output_root))
        write_text_atomically(output_root / MAP_FILE, _csv_text(MAP_COLUMNS, mapping))
    write_text_atomically(output_root / SUMMARY_CSV, _csv_text(SUMMARY_COLUMNS, records))
    write_text_atomically(output_root / METRICS_LONG_CSV, _csv_text(LONG_COLUMNS, long_rows))
    shown = None if deidentify_names else patient_reports
    write_text_atomically(output_root / INDEX_FILE, render_index(records, shown))
