"""Finding a batch's videos and their metadata.

Videos are taken by extension (``kneechain.video.VIDEO_EXTENSIONS``, any letter case), recursively;
hidden files and folders (name starting with ``.``) and the output folder are skipped; an entry with a
video's name that is not a readable regular file (a named pipe, a link loop or a broken link, an
unreadable file) becomes a job with a ``problem``, which fails on its own with that reason while the
others run; ``include`` /
``exclude`` are glob patterns matched against the path relative to the input folder (``fnmatch``; a
pattern without ``/`` also matches the file name alone).

Metadata per video, later sources overriding earlier ones:

1. the command's defaults (``--task``, ``--height-cm``, ``--age``, ``--date``, ...);
2. the folder structure: a video exactly two folders deep, ``PATIENT/DATE/file.mp4``, gets
   ``patient_id=PATIENT`` and, when DATE is a calendar date written YYYY-MM-DD, ``date=DATE``;
3. the visits CSV (``--manifest visits.csv``): columns ``file`` (path relative to the input folder, or
   just the file name when that is unique), ``patient_id``, ``date`` (YYYY-MM-DD), ``task``,
   ``side_of_pain``, ``height_cm``, ``sex``, ``age`` (whole years, 1-120); empty cells are ignored. A bad
   value is an error naming its line.
"""

from __future__ import annotations

import csv
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kneechain.errors import EXIT_USAGE, KneechainError
from kneechain.validate import age_years, is_iso_date, iso_date
from kneechain.video import VIDEO_EXTENSIONS, file_problem

VISIT_COLUMNS = ("file", "patient_id", "date", "task", "side_of_pain", "height_cm", "sex", "age")
TASKS = ("squat", "single_leg_squat", "single_leg_stand", "walk")
SIDES = ("left", "right", "both")
SEXES = ("female", "male")


class BatchInputError(KneechainError):
    """The batch's input folder or visits CSV cannot be used."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class BatchJob:
    """One video of a batch: where it is, where its results go and how to analyse it."""

    path: str  # absolute path of the video
    rel: str  # path relative to the input folder (POSIX separators): the video's key in the manifest
    out_rel: str  # results folder relative to OUTDIR (rel without the extension)
    session: dict = field(default_factory=dict)  # patient_id, date
    task: str | None = None
    side_of_pain: str | None = None
    height_cm: float | None = None
    sex: str | None = None
    age_years: int | None = None
    problem: str | None = None  # why the entry cannot be analysed (not a readable file): failed, not run

    def options_dict(self) -> dict:
        return {
            "session": dict(sorted(self.session.items())),
            "task": self.task,
            "side_of_pain": self.side_of_pain,
            "height_cm": self.height_cm,
            "sex": self.sex,
            **({"age_years": self.age_years} if self.age_years is not None else {}),
        }


def _is_hidden(parts) -> bool:
    return any(part.startswith(".") for part in parts)


def _matches(rel: str, patterns: list[str]) -> bool:
    name = PurePosixPath(rel).name
    return any(fnmatch.fnmatch(rel, p) or ("/" not in p and fnmatch.fnmatch(name, p)) for p in patterns)


def entry_problem(path: Path) -> str | None:
    """Why a directory entry with a video's name cannot be analysed, in one line, or None when it is a
    readable regular file (``kneechain.video.file_problem``). Nothing is opened: a named pipe never blocks."""
    problem = file_problem(path)
    if problem is None:
        return None
    what, to_do = problem
    return f"{what}: {to_do[0].lower()}{to_do[1:].rstrip('.')}"


def find_videos(folder: Path, output_dir: Path | None = None, include=(), exclude=()) -> list[Path]:
    """The batch's video files under ``folder``, sorted by relative path."""
    folder = Path(folder).resolve()
    out = Path(output_dir).resolve() if output_dir is not None else None
    found = []
    for root, dirs, files in os.walk(folder):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (root_path / d).resolve() != out)
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            path = root_path / name
            rel = path.relative_to(folder).as_posix()
            if include and not _matches(rel, list(include)):
                continue
            if exclude and _matches(rel, list(exclude)):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def read_visits_csv(path: Path) -> dict[str, dict]:
    """``file`` -> metadata from a visits CSV; raises ``BatchInputError`` for an unreadable file."""
    hint = f"Give a CSV with the columns {', '.join(VISIT_COLUMNS)} (only 'file' is required)."
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "file" not in [f.strip() for f in reader.fieldnames]:
                raise BatchInputError(f"the visits CSV '{path}' has no 'file' column.", hint)
            rows = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    except OSError as error:
        raise BatchInputError(f"cannot read the visits CSV '{path}' ({error.strerror}).", hint) from error
    visits = {}
    for number, row in enumerate(rows, start=2):
        key = _clean(row.get("file"))
        if key is None:
            continue
        visits[key.replace("\\", "/")] = _visit_entry(row, f"line {number} of '{path}'", hint)
    return visits


def _visit_entry(row: dict, where: str, hint: str) -> dict:
    """One visits-CSV row's metadata, checked (``where`` names the line in an error)."""
    entry = {k: _clean(row.get(k)) for k in VISIT_COLUMNS[1:]}
    for column, allowed in (("task", TASKS), ("side_of_pain", SIDES), ("sex", SEXES)):
        if entry[column] is not None and entry[column] not in allowed:
            raise BatchInputError(
                f"{where}: {column} '{entry[column]}' is not one of {', '.join(allowed)}.", hint
            )
    if entry["height_cm"] is not None:
        try:
            entry["height_cm"] = float(entry["height_cm"])
        except ValueError:
            raise BatchInputError(
                f"{where}: height_cm '{entry['height_cm']}' is not a number.", hint
            ) from None
    for column, check in (("date", iso_date), ("age", age_years)):
        if entry[column] is not None:
            try:
                entry[column] = check(entry[column])
            except ValueError as error:
                raise BatchInputError(f"{where}: {column} {error}") from None
    entry["age_years"] = entry.pop("age")
    return entry


def discover_jobs(
    folder: Path,
    output_dir: Path,
    *,
    include=(),
    exclude=(),
    visits_csv: Path | None = None,
    defaults: dict | None = None,
) -> list[BatchJob]:
    """The batch's jobs: one per video, with metadata (see the module docstring)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchInputError(f"the input '{folder}' is not a folder.", "Give the folder holding the videos.")
    videos = find_videos(folder, output_dir, include, exclude)
    visits = read_visits_csv(visits_csv) if visits_csv is not None else {}
    names = [v.name for v in videos]
    defaults = defaults or {}
    jobs, used = [], set()
    root = folder.resolve()
    for video in videos:
        rel = video.relative_to(root).as_posix()
        parts = PurePosixPath(rel).parts
        meta = {
            "task": defaults.get("task"),
            "side_of_pain": defaults.get("side_of_pain"),
            "height_cm": defaults.get("height_cm"),
            "sex": defaults.get("sex"),
            "age_years": defaults.get("age_years"),
        }
        session = {"date": defaults["date"]} if defaults.get("date") else {}
        if len(parts) == 3:
            session["patient_id"] = parts[0]
            if is_iso_date(parts[1]):
                session["date"] = parts[1]
        visit = visits.get(rel) or (visits.get(video.name) if names.count(video.name) == 1 else None)
        for key, value in (visit or {}).items():
            if value is None:
                continue
            if key in ("patient_id", "date"):
                session[key] = value
            else:
                meta[key] = value
        out_rel = str(PurePosixPath(rel).with_suffix(""))
        if out_rel.lower() in used:  # a.mp4 and a.MOV in one folder: keep both, by extension
            out_rel = f"{out_rel}_{video.suffix.lstrip('.').lower()}"
        used.add(out_rel.lower())
        problem = entry_problem(video)
        jobs.append(
            BatchJob(path=str(video), rel=rel, out_rel=out_rel, session=session, problem=problem, **meta)
        )
    return jobs
