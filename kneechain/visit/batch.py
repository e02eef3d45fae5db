"""A batch's visit and progress reports: one visit report per patient and date (``OUTDIR/visits/PATIENT/
DATE/``) from the batch's finished analysis folders, and one progress report per patient with two or more
visits (``OUTDIR/progress/PATIENT/``). A visit that cannot be built is reported and skipped; the batch
goes on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from kneechain.errors import KneechainError
from kneechain.visit.build import VISIT_HTML, VisitOptions, build_visit
from kneechain.visit.progress import PROGRESS_HTML, build_progress
from kneechain.visit.saved import is_analysis_folder


def safe_part(name: str) -> str:
    """A patient ID or date as one folder name (no separators, no leading dot)."""
    return re.sub(r"^[.]+", "_", re.sub(r"[\\/:\x00-\x1f]", "_", name)) or "_"


def group_visits(output_root: Path, rows: Sequence[dict]) -> dict[tuple[str, str], list[Path]]:
    """The finished analysis folders of the manifest ``rows`` by (patient ID, date); rows without both
    are left out."""
    visits: dict[tuple[str, str], list[Path]] = {}
    for row in rows:
        meta = json.loads(row.get("metadata") or "{}")
        folder = output_root / (row.get("output_dir") or "")
        named = meta.get("patient_id") and meta.get("date")
        if row.get("status") == "done" and named and is_analysis_folder(folder):
            visits.setdefault((str(meta["patient_id"]), str(meta["date"])), []).append(folder)
    return visits


def write_patient_reports(output_root: Path, rows: Sequence[dict], echo: Callable[[str], None] = print,
                          config_path: str | None = None) -> list[dict]:  # fmt: skip
    """Write every visit and progress report; return their links relative to ``output_root`` (patient,
    date, visit; patient, progress)."""
    links: list[dict] = []
    by_patient: dict[str, list[Path]] = {}
    for (patient, date), folders in sorted(group_visits(output_root, rows).items()):
        visit_dir = output_root / "visits" / safe_part(patient) / safe_part(date)
        try:
            config = Path(config_path) if config_path else None
            options = VisitOptions(session={"patient_id": patient, "date": date}, config_path=config)
            build_visit(sorted(folders), visit_dir, options)
        except KneechainError as error:
            echo(f"visit report of {patient} on {date} not written: {error.one_line()}")
            continue
        by_patient.setdefault(patient, []).append(visit_dir)
        link = _relative(visit_dir / VISIT_HTML, output_root)
        links.append({"patient": patient, "date": date, "link": link})
    for patient, visit_dirs in sorted(by_patient.items()):
        if len(visit_dirs) >= 2:
            progress_dir = output_root / "progress" / safe_part(patient)
            try:
                build_progress(visit_dirs, progress_dir, Path(config_path) if config_path else None)
            except KneechainError as error:
                echo(f"progress report of {patient} not written: {error.one_line()}")
                continue
            links.append({"patient": patient, "date": "", "link": _relative(progress_dir / PROGRESS_HTML,
                                                                            output_root)})  # fmt: skip
    return links


def _relative(path: Path, root: Path) -> str:
    return str(PurePosixPath(*path.relative_to(root).parts))
