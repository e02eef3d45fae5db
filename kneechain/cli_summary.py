"""The short table ``kneechain analyze`` prints on stdout at the end: the call per knee with its strength in
words, task, view, what was counted, and the files written, one ``label  value`` row each (no box, so a
script can read a row by its label)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kneechain.config import load_config
from kneechain.findings.text import confidence_bands, strength_word

NO_CALL = {"insufficient data": "no call", "none": "no clear pattern"}


def knee_rows(findings, config_path: Path | None) -> list[tuple[str, str]]:
    """(``left knee``, ``hip-driven (moderate confidence, 0.52)``) per side; "no call" without enough data."""
    low, strong = confidence_bands(load_config(config_path))
    rows = []
    for finding in sorted(findings.sides, key=lambda f: f.side):
        if finding.pattern == "insufficient data":
            text = "no call (not enough usable data)"
        else:
            word = strength_word(finding.confidence, low, strong)
            pattern = NO_CALL.get(finding.pattern, finding.pattern)
            text = f"{pattern} ({word} confidence, {finding.confidence:.2f})"
        rows.append((f"{finding.side} knee", text))
    return rows


def analysis_rows(video: Path, result, config_path: Path | None, annotated: Path | None) -> list[tuple]:
    """The summary table's rows for one analysis (``kneechain.analysis.AnalysisResult``)."""
    movement, quality = result.movement, result.summary["quality"]
    source = {True: "given", False: "detected"}
    reused = ", reused saved poses" if result.poses_reused else ""
    rows = [
        ("video", video.name),
        ("person", f"in {quality['n_detected']}/{quality['n_frames']} frames{reused}"),
    ]
    task, view = movement.task, movement.view
    rows += [
        ("task", f"{task.task} ({source[movement.task_given]}, confidence {task.confidence:.2f})"),
        ("view", f"{view.view} ({source[movement.view_given]}, confidence {view.confidence:.2f})"),
    ]
    rows += [(name.replace("_", " "), str(len(table))) for name, table in movement.tables().items()
             if name != "keypoint_quality"]  # fmt: skip
    if movement.verdict.usable:
        rows += [*knee_rows(result.findings, config_path), ("overall", result.findings.overall.call)]
    else:
        rows.append(("overall", "not analysable (see below)"))
    return rows + output_rows(result.output_dir, annotated)


def output_rows(folder: Path, annotated: Path | None = None) -> list[tuple[str, str]]:
    """The files written: report, PDF and annotated video when made, and the folder."""
    rows = [("report", str(folder / "report.html"))]
    if (folder / "report.pdf").is_file():
        rows.append(("PDF", str(folder / "report.pdf")))
    if annotated is not None and Path(annotated).is_file():
        rows.append(("annotated video", str(annotated)))
    return [*rows, ("folder", str(folder))]


def print_rows(rows: list[tuple[str, str]]) -> None:
    """The rows as a two-column table on stdout; never wrapped when stdout is not a terminal (scripts)."""
    table = Table(show_header=False, box=None, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(Text(label), Text(value))  # as plain text: a path may hold "[...]"
    needed = max(len(label) for label, _ in rows) + max(len(value) for _, value in rows) + 4
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else max(80, needed)
    Console(file=sys.stdout, width=width, highlight=False).print(table)
