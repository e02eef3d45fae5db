"""Ground-truth files written beside each clip, with deterministic bytes (no timestamps, fixed formats).

``<clip>_truth.csv``: long format, one row per frame per landmark,
``frame,t_s,joint,x_px,y_px,X_m,Y_m,Z_m``. Pixels: x right, y down, origin at the top-left CORNER of the
top-left pixel (pixel centres at +0.5). World: metres, X = subject's left, Y = up (floor Y = 0), Z = the
direction the subject faces (front clips) or walks (walk clip).

``<clip>_truth.json``: clip parameters (fps, frame count, size, camera, subject), task truth and per-frame
scalar truth, ``json.dumps(sort_keys=True, indent=2)``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kneechain.synth.camera import project_points
from kneechain.synth.skeleton import LANDMARK_NAMES, Pose
from kneechain.synth.stickers import sticker_points_m

if TYPE_CHECKING:
    from kneechain.synth.clips import Clip

CSV_HEADER = "frame,t_s,joint,x_px,y_px,X_m,Y_m,Z_m"
CONVENTIONS = {
    "world_frame": (
        "metres, right-handed: X = subject's left (when facing/walking forward), Y = up (floor at "
        "Y = 0), Z = the direction the subject faces (front clips) or walks (walk clip)"
    ),
    "pixel_coordinates": (
        "x right, y down, origin at the top-left corner of the top-left pixel; the centre of "
        "pixel (column i, row j) is (i + 0.5, j + 0.5)"
    ),
    "left_right": "the subject's own left/right (in a front view the subject's left is on the image right)",
    "joints": (
        "MediaPipe landmark names; truth points are anatomical: hip = hip joint centre (MediaPipe's hip "
        "landmark sits a few cm higher), knee = knee joint centre, ankle = ankle joint centre, heel = "
        "back of the heel 3 cm above the sole, foot_index = shoe toe tip 2 cm above the sole, eyes = "
        "eyeball centres, ears = ear centres, nose = nose tip, shoulder/elbow/wrist = joint centres"
    ),
    "time": "t_s = frame / fps; frame 0 at t = 0",
}


def _round(value: float) -> float:
    return round(float(value), 6)


def truth_csv_text(poses: list[Pose], times_s: np.ndarray, camera, stickers: str | None = None) -> str:
    """The CSV file's text for all frames; with ``stickers``, two more joints per frame: ``left_sticker`` and
    ``right_sticker`` (the stickers' centres)."""
    buffer = io.StringIO()
    buffer.write(CSV_HEADER + "\n")
    names = LANDMARK_NAMES + (("left_sticker", "right_sticker") if stickers else ())
    for frame, (pose, t) in enumerate(zip(poses, times_s, strict=True)):
        world = pose.landmarks_m()
        if stickers:
            centres = sticker_points_m(pose, stickers)
            world = np.vstack([world, centres["left"][0], centres["right"][0]])
        pixels = project_points(camera, world)
        for name, (x, y), (wx, wy, wz) in zip(names, pixels, world, strict=True):
            buffer.write(f"{frame},{t:.4f},{name},{x:.3f},{y:.3f},{wx:.4f},{wy:.4f},{wz:.4f}\n")
    return buffer.getvalue()


def per_frame_series(clip: Clip, poses: list[Pose]) -> dict[str, list[float]]:
    """Scalar truth per frame from the motion (e.g. FPPA, pelvic obliquity, stance flags), plus t_s."""
    series: dict[str, list[float]] = {"t_s": [_round(t) for t in clip.frame_times_s]}
    for t, pose in zip(clip.frame_times_s, poses, strict=True):
        for key, value in clip.motion.frame_measures(float(t), pose, clip.camera).items():
            series.setdefault(key, []).append(_round(value))
    return series


def truth_document(clip: Clip, poses: list[Pose]) -> dict:
    """Everything the JSON truth file holds."""
    times = clip.frame_times_s
    dims = clip.dims
    return {
        "clip": clip.name,
        "video_file": f"{clip.name}.mp4",
        "csv_file": f"{clip.name}_truth.csv",
        "generator": "kneechain.synth via scripts/make_sample_videos.py (rendered, no real person)",
        "fps": clip.fps,
        "n_frames": len(times),
        "duration_s": _round(len(times) / clip.fps),
        "width_px": clip.camera.width_px,
        "height_px": clip.camera.height_px,
        "camera": clip.camera.to_dict(),
        "subject": {
            "height_m": dims.height_m,
            "leg_length_m": _round(dims.leg_length_m()),
            "segments_m": dims.to_dict(),
        },
        "landmarks": list(LANDMARK_NAMES),
        "conventions": CONVENTIONS,
        "task": clip.motion.truth(),
        "per_frame": per_frame_series(clip, poses),
    }


def write_truth(clip: Clip, poses: list[Pose], out_dir: Path) -> None:
    """Write ``<name>_truth.csv`` and ``<name>_truth.json`` (LF line endings, UTF-8)."""
    out_dir = Path(out_dir)
    csv_text = truth_csv_text(poses, clip.frame_times_s, clip.camera, clip.stickers)
    (out_dir / f"{clip.name}_truth.csv").write_bytes(csv_text.encode("utf-8"))
    document = json.dumps(truth_document(clip, poses), sort_keys=True, indent=2) + "\n"
    (out_dir / f"{clip.name}_truth.json").write_bytes(document.encode("utf-8"))
