"""The Python API: everything the CLI does, callable from code.

    from kneechain.api import analyze_video
    result = analyze_video("squat.mp4", "out/")
    result.track          # LandmarkTrack
    result.summary        # the dict written to out/summary.json

Outputs in the analysis folder (each written atomically):
- ``track.parquet``: the landmark track (see ``kneechain.track``); reused by the next analysis of the same,
  unchanged video with the same pose settings, so pose estimation runs once per video.
- ``summary.json``: video facts, detection and visibility figures, person size, warnings (schema in the
  README).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kneechain import __version__
from kneechain.errors import NoPersonError, TrackFormatError
from kneechain.io_atomic import prepare_output_dir, write_json_atomically
from kneechain.metrics.quality import list_quality_warnings, summarize_track_quality
from kneechain.pose import PoseConfig, estimate_pose, pose_provenance
from kneechain.pose.estimator import ProgressCallback
from kneechain.track import LandmarkTrack, load_track
from kneechain.video import hash_file_sha256, probe_video

log = logging.getLogger(__name__)

SUMMARY_SCHEMA_VERSION = 1
TRACK_FILE = "track.parquet"
SUMMARY_FILE = "summary.json"


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse one video."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    reuse_track: bool = True  # reuse OUTDIR/track.parquet when the video and pose settings are unchanged


@dataclass(frozen=True)
class AnalysisResult:
    output_dir: Path
    track: LandmarkTrack
    summary: dict
    track_reused: bool

    @property
    def track_path(self) -> Path:
        return self.output_dir / TRACK_FILE

    @property
    def summary_path(self) -> Path:
        return self.output_dir / SUMMARY_FILE


def default_output_dir(video_path: str | os.PathLike) -> Path:
    """``./kneechain_out/<video file name without extension>``."""
    return Path("kneechain_out") / Path(video_path).stem


def _load_reusable_track(path: Path, video_sha256: str, expected: dict) -> LandmarkTrack | None:
    """The saved track if it was made from this exact video with the same model and settings."""
    if not path.is_file():
        return None
    try:
        track = load_track(path)
    except TrackFormatError as error:
        log.warning("ignoring the saved track: %s", error.message)
        return None
    saved = track.provenance
    if saved.get("video_sha256") != video_sha256:
        return None
    if any(saved.get(key) != value for key, value in expected.items() if key != "kneechain_version"):
        return None
    return track


def _estimate_or_reuse(video_path: Path, output_dir: Path, options: AnalysisOptions, progress):
    video_sha256 = hash_file_sha256(video_path)
    track_path = output_dir / TRACK_FILE
    if options.reuse_track:
        track = _load_reusable_track(track_path, video_sha256, pose_provenance(options.pose))
        if track is not None:
            log.info("reusing the landmark track in %s (video and settings unchanged)", track_path)
            return track, True
    track = estimate_pose(video_path, options.pose, progress, extra_provenance={"video_sha256": video_sha256})
    return track, False


def build_summary(track: LandmarkTrack, track_reused: bool) -> dict:
    """The JSON summary of one analysis (schema version ``SUMMARY_SCHEMA_VERSION``)."""
    quality = summarize_track_quality(track)
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "kneechain_version": __version__,
        "analysed_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "video": {**track.video.to_dict(), "sha256": track.provenance.get("video_sha256")},
        "pose": dict(track.provenance),
        "track_file": TRACK_FILE,
        "track_reused": track_reused,
        "quality": quality,
        "warnings": list_quality_warnings(quality),
    }


def _raise_if_nobody(track: LandmarkTrack, video_path: Path) -> None:
    if not track.detected.any():
        raise NoPersonError(
            f"no person was detected in any of the {track.n_frames} frames of '{video_path.name}'.",
            "Film the patient's whole body, head to feet, in good light, with the camera still.",
        )


def analyze_video(
    video_path: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
) -> AnalysisResult:
    """Analyse one video and write the results into ``output_dir`` (created if needed).

    Raises ``VideoInputError`` (bad video), ``NoPersonError`` (nobody detected) or ``OutputWriteError``
    (folder not writable) before writing anything; a folder this call created is removed again on failure.
    """
    video_path = Path(video_path)
    options = options or AnalysisOptions()
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(video_path)
    probe_video(video_path)  # fail on a bad video before creating anything
    created = not output_dir.exists()
    prepare_output_dir(output_dir)
    try:
        track, reused = _estimate_or_reuse(video_path, output_dir, options, progress)
        _raise_if_nobody(track, video_path)
        if not reused:
            track.save(output_dir / TRACK_FILE)
        summary = build_summary(track, reused)
        write_json_atomically(output_dir / SUMMARY_FILE, summary)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                output_dir.rmdir()  # only succeeds when nothing was written
        raise
    return AnalysisResult(output_dir=output_dir, track=track, summary=summary, track_reused=reused)
