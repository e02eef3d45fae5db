"""Data-quality measures of a landmark track: how much of the person MediaPipe saw, and how well.

Pure functions on ``LandmarkTrack`` arrays. Visibility is MediaPipe's 0-1 per-keypoint likelihood of being
visible; person height is the vertical extent of the detected keypoints (nose/eyes to heels/toes), which
under-reads standing height by the crown of the head (about 6-8% of stature).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kneechain.track import KEYPOINT_INDEX, LandmarkTrack

# The joints the knee metrics need, grouped as a PT thinks of them.
LEG_GROUPS: Mapping[str, tuple[str, ...]] = {
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "ankles": ("left_ankle", "right_ankle"),
    "feet": ("left_heel", "right_heel", "left_foot_index", "right_foot_index"),
}


def _nan_to_none(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def compute_mean_visibility(track: LandmarkTrack) -> dict[str, float | None]:
    """Mean visibility (0-1) over detected frames, per group of ``LEG_GROUPS``; None if never detected."""
    detected = track.visibility[track.detected]
    result: dict[str, float | None] = {}
    for group, names in LEG_GROUPS.items():
        columns = [KEYPOINT_INDEX[name] for name in names]
        result[group] = (
            _nan_to_none(round(float(np.nanmean(detected[:, columns])), 3)) if len(detected) else None
        )
    return result


def compute_person_height_px(track: LandmarkTrack) -> np.ndarray:
    """Per-frame vertical extent of all keypoints in pixels (NaN where undetected)."""
    y_px = track.image_xyz_px[:, :, 1]
    height = np.full(track.n_frames, np.nan)
    rows = track.detected
    height[rows] = np.nanmax(y_px[rows], axis=1) - np.nanmin(y_px[rows], axis=1)
    return height


def compute_frame_timing(t_s: np.ndarray) -> dict[str, float | None]:
    """Median frame interval, effective frame rate and the largest gap between frames, in seconds."""
    if len(t_s) < 2:
        return {"median_interval_s": None, "effective_fps": None, "max_gap_s": None}
    intervals = np.diff(t_s)
    median = float(np.median(intervals))
    return {
        "median_interval_s": median,
        "effective_fps": 1.0 / median if median > 0 else None,
        "max_gap_s": float(intervals.max()),
    }


def summarize_track_quality(track: LandmarkTrack) -> dict:
    """Detection rate, visibility of the leg joints, person size and frame timing, as plain numbers."""
    height_px = compute_person_height_px(track)
    median_height_px = _nan_to_none(np.nanmedian(height_px)) if track.detected.any() else None
    frame_height = track.video.height_px
    return {
        "n_frames": track.n_frames,
        "n_detected": int(track.detected.sum()),
        "detection_rate": track.detection_rate,
        "mean_visibility": compute_mean_visibility(track),
        "person_height_px": median_height_px,
        "person_height_fraction": (
            median_height_px / frame_height if median_height_px is not None and frame_height else None
        ),
        "timing": compute_frame_timing(track.t_s),
    }


MIN_DETECTION_RATE = 0.9
MIN_PERSON_HEIGHT_FRACTION = 1 / 3
MIN_VISIBILITY = 0.5
MIN_FPS = 24.0


def list_quality_warnings(quality: dict) -> list[str]:
    """Plain-language warnings for data-quality problems that still allow an analysis."""
    warnings: list[str] = []
    if quality["detection_rate"] < MIN_DETECTION_RATE:
        warnings.append(
            f"A person was detected in only {quality['detection_rate']:.0%} of frames; results use those "
            "frames only. Keep the whole body in view for the whole clip."
        )
    fraction = quality["person_height_fraction"]
    if fraction is not None and fraction < MIN_PERSON_HEIGHT_FRACTION:
        warnings.append(
            f"The person fills only {fraction:.0%} of the frame height (under a third): landmarks are less "
            "precise. Film closer, with the whole body in view."
        )
    for group, value in quality["mean_visibility"].items():
        if value is not None and value < MIN_VISIBILITY:
            warnings.append(
                f"The {group} are poorly visible (mean visibility {value:.2f} of 1): check that they are in "
                "frame and not hidden by clothing or objects."
            )
    fps = quality["timing"]["effective_fps"]
    if fps is not None and fps < MIN_FPS:
        warnings.append(
            f"The video runs at {fps:.0f} frames/s: event times are uncertain by about "
            f"±{500 / fps:.0f} ms. Film at 30 or 60 frames/s."
        )
    return warnings
