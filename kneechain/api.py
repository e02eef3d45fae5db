"""The Python API: everything the CLI does, callable from code.

    from kneechain.api import analyze_video
    result = analyze_video("squat.mp4", "out/")
    result.movement.task.task      # "squat"
    result.findings.overall.call   # e.g. "no clear pattern"

``analyze_video`` runs the whole chain and writes the analysis folder (``kneechain.analysis_files``);
``reanalyze_folder`` redoes everything after pose estimation from a folder's saved poses (e.g. with a
clinic's new thresholds), without the video. The stages after the pose pass are in ``kneechain.analysis``
(also ``measure_poses``: the analysis in memory), imported only once the pass is over: importing this
module, and the pose pass, do without SciPy and pandas (about 100 MB), so that they never add to the
memory the two pose models hold.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kneechain.analysis_files import (
    BATCH_RECORD_FILE,
    POSES_FILE,
    SESSION_FILE,
    SUMMARY_FILE,
    TRACK_FILE,
    read_json,
    read_saved_choices,
)
from kneechain.candidates import PoseCandidates, load_candidates
from kneechain.config import load_config
from kneechain.errors import TrackFormatError
from kneechain.io_atomic import (
    check_annotated_output,
    prepare_output_parent,
    staged_folder,
    write_json_atomically,
)
from kneechain.io_lock import locked_output_folder
from kneechain.options import STAGES, AnalysisOptions, ReportOptions, StageCallback, report_stage
from kneechain.pose import estimate_poses, pose_provenance
from kneechain.pose.estimator import ProgressCallback
from kneechain.pose.faces import count_untracked_faces
from kneechain.report.face_blur import bystander_faces_px
from kneechain.track import LandmarkTrack
from kneechain.video import hash_file_sha256, probe_video

if TYPE_CHECKING:
    from kneechain.analysis import AnalysisResult

__all__ = ["STAGES", "AnalysisOptions", "ReportOptions", "analyze_video", "build_progress", "build_visit",
           "estimate_or_reuse_poses", "reanalyze_folder", "track_video"]  # fmt: skip

log = logging.getLogger(__name__)


def default_output_dir(video_path: str | os.PathLike) -> Path:
    """``./kneechain_out/<video file name without extension>``."""
    return Path("kneechain_out") / Path(video_path).stem


def _load_reusable_poses(path: Path, video_sha256: str, expected: dict) -> PoseCandidates | None:
    """The saved poses if they were made from this exact video with the same model and settings."""
    if not path.is_file():
        return None
    try:
        candidates = load_candidates(path)
    except TrackFormatError as error:
        log.warning("ignoring the saved poses: %s", error.message)
        return None
    saved = candidates.provenance
    if saved.get("video_sha256") != video_sha256:
        return None
    if any(saved.get(key) != value for key, value in expected.items() if key != "kneechain_version"):
        return None
    return candidates


def estimate_or_reuse_poses(
    video_path: Path, output_dir: Path | None, options: AnalysisOptions, progress=None, info=None
) -> tuple[PoseCandidates, bool]:
    """Pose candidates of a video, from ``output_dir/poses.parquet`` when still valid, else computed."""
    video_sha256 = hash_file_sha256(video_path)
    if options.reuse_poses and output_dir is not None:
        saved = _load_reusable_poses(output_dir / POSES_FILE, video_sha256, pose_provenance(options.pose))
        if saved is not None:
            log.info("reusing the poses in %s (video and settings unchanged)", output_dir / POSES_FILE)
            return saved, True
    provenance = {"video_sha256": video_sha256}
    return estimate_poses(video_path, options.pose, progress, extra_provenance=provenance, info=info), False


def track_video(video_path: str | os.PathLike, options: AnalysisOptions | None = None) -> LandmarkTrack:
    """The patient's landmark track of a video (pose estimation and subject selection, nothing saved)."""
    from kneechain.movement.subject import select_subject

    poses, _ = estimate_or_reuse_poses(Path(video_path), None, options or AnalysisOptions())
    return select_subject(poses).track


def analyze_video(
    video_path: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
    batch_record: Mapping[str, object] | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    """Analyse one video and write the results into ``output_dir`` (created if needed).

    The whole result is written into a staged folder beside ``output_dir`` and swapped into place at the
    end (``kneechain.io_atomic.staged_folder``): an error, Ctrl-C or SIGTERM leaves ``output_dir`` exactly
    as it was (absent, or the previous results), never a mix. Raises ``VideoInputError`` (bad video),
    ``NoPersonError`` (nobody detected), ``OutputWriteError`` (folder not writable, disk full, or
    ``OutputBusyError``: another run writes there) or ``ConfigError`` (bad clinic thresholds).
    ``batch_record`` (a batch's own) is saved as ``batch_record.json`` in the folder it goes in with.
    ``on_stage`` is called with each stage's name (``STAGES``) as it starts; ``progress`` with the pose
    stage's frames done and expected.
    """
    video_path = Path(video_path)
    options = options or AnalysisOptions()
    config = load_config(options.config_path)  # a bad clinic config fails before any work
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(video_path)
    # fail on a bad video (or output) before creating anything; a truncated one fails in the pose pass
    info = probe_video(video_path, check_end=False)
    if options.report.annotated_video is not None:
        check_annotated_output(video_path, options.report.annotated_video)
    prepare_output_parent(output_dir, markers=(SUMMARY_FILE, POSES_FILE, TRACK_FILE))
    with locked_output_folder(output_dir, beside=True), staged_folder(output_dir) as work:
        if (output_dir / POSES_FILE).is_file():  # reused below only if the video and settings still match
            shutil.copy2(output_dir / POSES_FILE, work / POSES_FILE)
        report_stage(on_stage, "pose")
        poses, reused = estimate_or_reuse_poses(video_path, work, options, progress, info)
        if not reused:
            poses.save(work / POSES_FILE)
        from kneechain import analysis  # SciPy, pandas: loaded once the pose models are gone (``options``)

        faces = bystander_faces_px(poses)
        face_check = count_untracked_faces(video_path, faces)
        selection = analysis.select_patient(poses, video_path.name, on_stage)
        del poses  # everybody's landmarks (about 2 KB a frame): only the patient's are needed from here on
        result = analysis.analyse_patient(selection, work, options, config, video_path, face_check, on_stage)
        annotated = _staged_path(options.report.annotated_video, output_dir, work)
        analysis.write_for_people(video_path, result, options, faces, annotated, on_stage)
        if batch_record is not None:
            write_json_atomically(work / BATCH_RECORD_FILE, dict(batch_record))
    return replace(result, output_dir=output_dir, poses_reused=reused)


def _staged_path(path: Path | None, final: Path, work: Path) -> Path | None:
    """``path`` inside the staged folder when it points into the final one (it moves with it), else itself."""
    if path is None:
        return None
    try:
        return work / Path(path).resolve().relative_to(final.resolve())
    except ValueError:
        return Path(path)


def reanalyze_folder(
    folder: str | os.PathLike,
    config_path: Path | None = None,
    report: ReportOptions | None = None,
    on_stage: StageCallback | None = None,
) -> AnalysisResult:
    """Redo subject selection, movement, metrics, findings and the report from a folder's saved poses (no
    video, no pose estimation), with the choices saved there (task/view given, height, sex, painful side,
    session fields, which ``report.session`` may update) and the thresholds of ``config_path`` (None: the
    defaults). Key frames made by the analysis of the video are kept. ``on_stage``: as for ``analyze_video``
    (movement, metrics, report, PDF)."""
    folder = Path(folder)
    config = load_config(config_path)
    poses_path = folder / POSES_FILE
    if not poses_path.is_file():
        raise TrackFormatError(
            f"'{folder}' holds no saved poses ({POSES_FILE}).", "Run 'kneechain analyze' on the video first."
        )
    movement, subject, side_of_pain = read_saved_choices(folder)
    report = report or ReportOptions()
    session = {**read_json(folder, SESSION_FILE), **report.session}
    session.pop("side_of_pain", None)
    report = replace(report, session=session)
    options = AnalysisOptions(
        movement=movement, subject=subject, side_of_pain=side_of_pain, config_path=config_path, report=report
    )
    face_check = read_json(folder, SUMMARY_FILE).get("people", {}).get("faces_without_pose")
    from kneechain import analysis
    from kneechain.analysis_write import read_saved_stickers

    with locked_output_folder(folder):
        selection = analysis.select_patient(load_candidates(poses_path), poses_path.name, on_stage)
        result = analysis.analyse_patient(selection, folder, options, config, read_saved_stickers(folder),
                                          face_check, on_stage)  # fmt: skip
        analysis.write_reports(result, report, side_of_pain, on_stage)
    return result


def build_visit(clips, output_dir: str | os.PathLike, options=None):
    """One visit's report from several clips (videos, analysed into ``output_dir/clips/`` or reused, or
    analysis folders): ``kneechain.visit.build.build_visit`` with ``VisitOptions``; returns a
    ``VisitResult`` (the call per knee, each clip's contribution, the tests still missing)."""
    from kneechain.visit.build import build_visit as build

    return build([Path(clip) for clip in clips], Path(output_dir), options)


def build_progress(visit_dirs, output_dir: str | os.PathLike, config_path: Path | None = None):
    """The progress report between two or more visit folders of one patient
    (``kneechain.visit.progress.build_progress``); returns a ``ProgressResult``."""
    from kneechain.visit.progress import build_progress as build

    return build([Path(folder) for folder in visit_dirs], Path(output_dir), config_path)
