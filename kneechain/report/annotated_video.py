"""The annotated video (``--annotated-video out.mp4``): the original clip with the skeleton, live angle
readouts and rep / stance / step markers drawn on, faces blurred by default.

Every decoded frame is kept and re-encoded at the source's average frame rate, so the frame count, the
frame rate and the duration match the original (a variable-frame-rate phone clip comes out at its average
rate). Frames are upright (the rotation flag is applied) and keep their size; an odd width or height is
padded by one pixel because H.264 in yuv420p needs even sizes. Encoding: H.264 (libx264, yuv420p, CRF
``CRF``, ``+faststart`` so browsers start playing before the download ends; accurate colour conversion,
so untouched parts of the picture stay within about one grey level of the original) by the ffmpeg binary
bundled with imageio-ffmpeg, fed raw frames on its stdin one at a time (nothing holds the whole video in
memory). No audio and no metadata are copied (a phone's metadata can hold the place it was filmed). The
file is written beside ``output_path`` under a temporary name and renamed into place when ffmpeg
succeeded.

Readouts come from the saved per-frame metric series (``metric_series``: family -> DataFrame with ``t_s``,
as ``MetricSet.series`` or ``metrics_<family>_series.csv``), never recomputed: the knee FPPA per side
(knee valgus), knee-forward travel and shank angle per leg (side-view squats), and the pelvis tilt
relative to standing (pelvic drop), in plain words ("Left knee ahead of toes: 0.23 foot lengths"). Without
``metric_series`` only the skeleton and the markers are drawn. Markers: "Rep k of n" while inside a rep and
rings around the knees at its bottom; "Stance k: on the <leg> leg" (the stance leg drawn thicker); a fading
ring at each gait event with "Left heel strike" / "Right toe off". In a side or oblique view the far leg
(hidden behind the near one, ``movement.view``) is drawn grey and thin and its readouts say "far leg,
hidden: not reliable". All text sits in a band at the top of the frame, moved off the feet when they reach
it (``kneechain.report.label_place``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pandas as pd

from kneechain.io_atomic import atomic_output_path, check_annotated_output
from kneechain.movement.pipeline import MovementAnalysis
from kneechain.pose.faces import FaceFinder
from kneechain.report.annotate import (
    FAR_WORDS,
    TEXT_COLOR,
    Color,
    Ink,
    Measure,
    Pen,
    draw_banner,
    draw_event_marker,
    draw_measures,
    draw_skeleton,
    far_side_of,
    feet_box,
    format_deg,
    nearest_rows,
)
from kneechain.report.face_blur import blur_faces, faces_to_hide
from kneechain.track import KEYPOINT_INDEX, LandmarkTrack
from kneechain.video import iter_frames, probe_video

CRF = 23
PRESET = "veryfast"
EVENT_FLASH_S = 0.3  # how long a heel-strike / toe-off marker stays on screen
BOTTOM_FLASH_S = 0.15  # a rep bottom is marked this long before and after
FACE_HOLD_S = 1.0  # a face missing from a frame is blurred where it was seen up to this long before/after
SIDES = ("left", "right")


def h264_command(path: Path, width_px: int, height_px: int, fps: Fraction) -> list[str]:
    """ffmpeg reading raw BGR frames of the given size from stdin and writing H.264 MP4 to ``path``."""
    return [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostats", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width_px}x{height_px}",
        "-r", f"{fps.numerator}/{fps.denominator}", "-i", "-",
        "-an", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-sws_flags", "accurate_rnd+full_chroma_int",
        "-c:v", "libx264", "-preset", PRESET,
        "-crf", str(CRF), "-pix_fmt", "yuv420p", "-map_metadata", "-1", "-movflags", "+faststart",
        "-f", "mp4", str(path),
    ]  # fmt: skip


def encode_h264(frames: Iterator[np.ndarray], path: Path, fps: Fraction) -> int:
    """Pipe BGR frames (all the size of the first) into ffmpeg writing ``path``; returns the frame count.
    Raises ``RuntimeError`` with ffmpeg's message when it fails."""
    process: subprocess.Popen | None = None
    count = 0
    try:
        for frame in frames:
            if process is None:
                height_px, width_px = frame.shape[:2]
                command = h264_command(path, width_px, height_px, fps)
                process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            except BrokenPipeError:
                break  # ffmpeg stopped: its message is read below
            count += 1
        if process is None:
            raise ValueError("the video has no frames to encode")
        _, stderr = process.communicate()
        if process.returncode != 0:
            message = stderr.decode(errors="replace").strip()
            raise RuntimeError(f"ffmpeg failed ({process.returncode}): {message}")
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
    return count


def video_fps(video_path: str | os.PathLike, track: LandmarkTrack) -> Fraction:
    """The source's average frame rate as a fraction (29.97 -> 30000/1001); from the track's timestamps
    when the container does not say."""
    fps = float(probe_video(video_path, check_end=False).fps or 0.0)
    if not np.isfinite(fps) or fps <= 0:
        span_s = float(track.t_s[-1] - track.t_s[0]) if track.n_frames > 1 else 0.0
        fps = (track.n_frames - 1) / span_s if span_s > 0 else 30.0
    return Fraction(fps).limit_denominator(1001)


# --------------------------------------------------------------------------------------- what to show
def series_row(series: pd.DataFrame, t_s: float, tolerance_s: float) -> pd.Series | None:
    """The row of a per-frame series nearest to ``t_s``, or None when none lies within ``tolerance_s``."""
    if series is None or series.empty or "t_s" not in series:
        return None
    times = series["t_s"].to_numpy(dtype=float)
    row = int(nearest_rows(times, [t_s])[0])
    return series.iloc[row] if abs(times[row] - t_s) <= tolerance_s else None


def _value(row: pd.Series | None, column: str) -> float:
    if row is None or column not in row.index:
        return float("nan")
    value = pd.to_numeric(row[column], errors="coerce")
    return float(value) if value is not None else float("nan")


def knee_travel_text(side: str, travel_foot: float, shank_deg: float) -> str:
    """E.g. "Left knee ahead of toes: 0.23 foot lengths, shin tilt 31°"."""
    where = "ahead of" if travel_foot >= 0 else "behind"
    amount = f"{abs(travel_foot):.2f} foot lengths"
    return f"{side.capitalize()} knee {where} toes: {amount}, shin tilt {format_deg(shank_deg)}"


def pelvis_text(tilt_deg: float) -> str:
    """E.g. "Pelvis 4° lower on the right than when standing"."""
    if abs(tilt_deg) < 0.5:
        return "Pelvis level, as when standing"
    lower = "right" if tilt_deg > 0 else "left"
    return f"Pelvis {format_deg(abs(tilt_deg))} lower on the {lower} than when standing"


def readout_measures(metric_series: Mapping[str, pd.DataFrame], t_s: float, tolerance_s: float,
                     far_side: str | None = None) -> list[Measure]:  # fmt: skip
    """The ``Measure``s to draw at ``t_s`` from the metric series (module docstring); the ``far_side``
    leg's labels say it is hidden and not reliable."""
    measures = []
    valgus = series_row(metric_series.get("knee_valgus"), t_s, tolerance_s)
    travel = series_row(metric_series.get("knee_forward_travel"), t_s, tolerance_s)
    for side in SIDES:
        far = f" ({FAR_WORDS})" if side == far_side else ""
        fppa = _value(valgus, f"{side}_fppa_deg")
        if np.isfinite(fppa):
            measures.append(
                Measure("fppa", side, f"{side.capitalize()} knee angle (FPPA): {format_deg(fppa)}{far}")
            )
        foot, shank = _value(travel, f"{side}_knee_travel_foot"), _value(travel, f"{side}_shank_angle_deg")
        if np.isfinite(foot):
            measures.append(Measure("knee_travel", side, knee_travel_text(side, foot, shank) + far))
    pelvis = series_row(metric_series.get("pelvic_drop"), t_s, tolerance_s)
    tilt = _value(pelvis, "pelvic_obliquity_change_deg")
    if np.isfinite(tilt):
        measures.append(Measure("pelvis", None, pelvis_text(tilt)))
    return measures


def phase_text(movement: MovementAnalysis, t_s: float) -> tuple[str, str | None]:
    """What the subject is doing at ``t_s`` (e.g. "Rep 2 of 3 - bottom") and the stance leg if any."""
    if movement.reps is not None:
        for rep in movement.reps.itertuples():
            if rep.start_s <= t_s <= rep.end_s:
                bottom = " - bottom" if abs(t_s - rep.bottom_s) <= BOTTOM_FLASH_S else ""
                leg = getattr(rep, "stance_leg", None)  # single-leg squat
                on = f": on the {leg} leg" if leg else ""
                return f"Rep {int(rep.rep)} of {len(movement.reps)}{on}{bottom}", leg
    if movement.single_leg is not None:
        for stance in movement.single_leg.stances.itertuples():
            if stance.start_s <= t_s <= stance.end_s:
                return f"Stance {int(stance.stance)}: on the {stance.leg} leg", str(stance.leg)
    return "", None


def recent_events(movement: MovementAnalysis, t_s: float) -> list[tuple[str, str, float]]:
    """Gait events within the last ``EVENT_FLASH_S``: (foot, event, strength 1 -> 0 as it ages)."""
    events = movement.gait_events
    if events is None or events.empty:
        return []
    age = t_s - events["t_s"].to_numpy(dtype=float)
    recent = events[(age >= 0) & (age <= EVENT_FLASH_S)]
    return [
        (str(e.foot), str(e.event), 1.0 - (t_s - float(e.t_s)) / EVENT_FLASH_S) for e in recent.itertuples()
    ]


# --------------------------------------------------------------------------------------------- drawing
def draw_events(image: np.ndarray, points: np.ndarray, movement: MovementAnalysis, t_s: float, pen: Pen,
                far_side: str | None) -> list[tuple[str, Color]]:  # fmt: skip
    """Rings at the feet of the recent gait events; returns their labels with colours (for the top band)."""
    labels = []
    for foot, event, strength in recent_events(movement, t_s):
        joint = "heel" if event == "heel_strike" else "foot_index"
        point = points[KEYPOINT_INDEX[f"{foot}_{joint}"]]
        color = Ink.of(foot, far_side).mark if foot in SIDES else TEXT_COLOR
        draw_event_marker(image, point, pen, color, strength if event == "heel_strike" else 0.4 * strength)
        if np.isfinite(point).all():
            labels.append((f"{foot.capitalize()} {event.replace('_', ' ')}", color))
    return labels


def draw_rep_bottom(image: np.ndarray, points: np.ndarray, movement: MovementAnalysis, t_s: float, pen: Pen,
                    far_side: str | None) -> None:  # fmt: skip
    """Rings around the knees while a rep is at its bottom (the far knee's grey)."""
    if movement.reps is None or movement.reps.empty:
        return
    nearest = float(np.min(np.abs(movement.reps["bottom_s"].to_numpy(dtype=float) - t_s)))
    if nearest <= BOTTOM_FLASH_S:
        for side in SIDES:
            color = Ink.of(side, far_side).line
            draw_event_marker(image, points[KEYPOINT_INDEX[f"{side}_knee"]], pen, color, 1.0)


def annotate_frame(image_bgr: np.ndarray, t_s: float, track: LandmarkTrack, movement: MovementAnalysis,
                   metric_series: Mapping[str, pd.DataFrame], blur: bool,
                   tolerance_s: float, others_px: np.ndarray | None = None,
                   finder: FaceFinder | None = None) -> np.ndarray:  # fmt: skip
    """One output frame: faces blurred (the poses' and those ``finder`` finds), skeleton, readouts, markers
    and a time/phase banner."""
    row = int(nearest_rows(track.t_s, [t_s])[0]) if track.n_frames else -1
    distance_s = abs(track.t_s[row] - t_s) if row >= 0 else np.inf
    matched = distance_s <= tolerance_s
    image = image_bgr.copy()
    if blur:
        poses = (
            faces_to_hide(track, row, others_px, FACE_HOLD_S)
            if distance_s <= FACE_HOLD_S
            else np.empty((0, 11, 2))
        )
        image = blur_faces(image_bgr, poses, finder.find(image_bgr) if finder is not None else [])
    pen = Pen.for_image(image)
    phase, stance_leg = phase_text(movement, t_s)
    labels = [(f"{t_s:.2f} s", TEXT_COLOR), *([(phase, TEXT_COLOR)] if phase else [])]
    feet = None
    if matched:
        points = track.image_xyz_px[row, :, :2].astype(float)
        far_side = far_side_of(movement)
        measures = readout_measures(metric_series, t_s, tolerance_s, far_side)
        draw_skeleton(image, points, pen, stance_leg, far_side)
        draw_measures(image, points, measures, pen, far_side, labels=False)
        draw_rep_bottom(image, points, movement, t_s, pen, far_side)
        labels += [(m.label, Ink.of(m.side, far_side).mark) for m in measures]
        labels += draw_events(image, points, movement, t_s, pen, far_side)
        feet = feet_box(points, pen)
    draw_banner(image, [text for text, _ in labels], pen, [color for _, color in labels], avoid=feet)
    return image


def write_annotated_video(video_path: str | os.PathLike, track: LandmarkTrack, movement: MovementAnalysis,
                          output_path: str | os.PathLike, blur: bool = True,
                          metric_series: dict | None = None,
                          others_px: np.ndarray | None = None,
                          finder: FaceFinder | None = None) -> Path:  # fmt: skip
    """Write the annotated video (module docstring) to ``output_path`` and return its path.

    ``track``: the filtered subject track (``movement.track``); ``metric_series``: family -> per-frame
    DataFrame with ``t_s`` (e.g. ``{f: m.series for f, m in metrics.items()}``) for the angle readouts;
    ``others_px``: face points of everybody else detected (``face_blur.bystander_faces_px``), blurred too;
    ``finder``: the face detector, for faces no pose belongs to (a mirror, a bystander never detected)."""
    output_path = Path(output_path)
    check_annotated_output(video_path, output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    fps = video_fps(video_path, track)
    tolerance_s = 0.5 / float(fps)
    series = metric_series or {}
    frames = (
        annotate_frame(
            frame.image_bgr, frame.t_s, track, movement, series, blur, tolerance_s, others_px, finder
        )
        for frame in iter_frames(video_path)
    )
    with atomic_output_path(output_path) as temporary:
        encode_h264(frames, temporary, fps)
    return output_path
