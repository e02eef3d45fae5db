"""Key frames for the report: the moments a metric was measured at, with the skeleton and the measured angle
drawn on them.

Which frames (at most ``MAX_KEY_FRAMES``, spread evenly over the clip when there are more items):
- squat: each rep's bottom (``movement.reps.bottom_s``);
- single-leg stand: each stance's deepest point (the time of its knee valgus item, i.e. the least
  stance-leg extension), or the middle of the stance where valgus was not measured;
- walk: one representative mid-stance per foot: the middle of the stance phase (heel strike to toe-off)
  of the stride whose stance time is closest to that foot's median (``movement.strides``).

What is drawn: the skeleton, and the lines each metric is measured between, with its saved value (from the
metric item tables, never recomputed): thigh and shank lines with the FPPA per side (knee valgus, front and
back views); the pelvis line with the stance's peak pelvic drop (single-leg stances and gait stance phases
in front views); the knee-to-toe horizontal line with the knee-forward travel (side-view squats). In a side
view the far leg (hidden behind the near one, ``movement.view``) is drawn grey and thin and its angles are not
drawn (an oblique view draws them grey); labels never cover the feet. Faces are
blurred (``kneechain.report.face_blur``) unless ``blur=False``. Each frame is cropped to the subject
(with margins for the labels: ``subject_box``), resized so that its long side is at most ``LONG_SIDE_PX``
(small subjects are enlarged to ``MIN_LONG_SIDE_PX``) and saved as ``keyframe_<n>.jpg`` (JPEG quality
``JPEG_QUALITY``), listed in ``keyframes.json`` ({"file", "t_s", "caption", "kind"} per frame).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from kneechain.io_atomic import atomic_output_path, write_json_atomically
from kneechain.metrics.summary import MetricSet
from kneechain.metrics.valgus import OUT_OF_RANGE
from kneechain.movement.pipeline import MovementAnalysis
from kneechain.pose.faces import FaceFinder
from kneechain.report.annotate import (
    Measure,
    Pen,
    draw_banner,
    draw_measures,
    draw_skeleton,
    far_side_of,
    feet_box,
    format_deg,
    nearest_rows,
)
from kneechain.report.face_blur import blur_faces, faces_to_hide
from kneechain.track import LandmarkTrack
from kneechain.video import iter_frames

MAX_KEY_FRAMES = 6
LONG_SIDE_PX = 960
MIN_LONG_SIDE_PX = 640  # a small subject is enlarged to this (before drawing, so lines and text stay sharp)
CROP_MARGIN_X = 0.3  # margins around the subject's keypoints, as a fraction of their extent
CROP_MARGIN_Y = 0.08
HEAD_ABOVE_EYES = 0.08  # the top of the head lies about this far above the eyes (fraction of the height)
JPEG_QUALITY = 85
KEYFRAMES_FILE = "keyframes.json"
LOW_CONFIDENCE = 0.5
SEEK_MARGIN_FRAMES = 2  # a key frame is read from this many frames before it (a seek may land one late)


@dataclass(frozen=True)
class KeyMoment:
    """A frame to show: its time, ``kind`` ("rep_bottom", "stance_deepest", "stance_mid", "mid_stance"), a
    short title, caption sentences, what to draw and the leg to emphasise (the stance leg)."""

    t_s: float
    kind: str
    title: str
    sentences: tuple[str, ...]
    measures: tuple[Measure, ...]
    emphasis_side: str | None = None
    far_side: str | None = None

    @property
    def caption(self) -> str:
        return " ".join((f"{self.title} ({self.t_s:.2f} s).", *self.sentences))


# ---------------------------------------------------------------------------------- values from metrics
def _measured(metrics: Mapping[str, MetricSet], family: str, quality_key: str) -> MetricSet | None:
    """The family's results when ``quality_key`` was measured, else None."""
    metric_set = metrics.get(family)
    quality = metric_set.quality.get(quality_key) if metric_set is not None else None
    return metric_set if quality is not None and quality.measured else None


def _fppa(metrics: Mapping[str, MetricSet], kind: str, item: int, sides) -> tuple[list[Measure], list[str]]:
    """FPPA measures and caption parts of one rep / stance, from the knee valgus item table. A value the
    metric does not stand behind (FPPA not measured, or the item flagged out of range) is drawn as "n/a"
    with the reason in the caption, never as a number."""
    metric_set = metrics.get("knee_valgus")
    if metric_set is None or "valgus" not in metric_set.items:
        return [], []
    measured = _measured(metrics, "knee_valgus", "fppa") is not None
    table = metric_set.items["valgus"]
    measures, parts = [], []
    for side in sides:
        rows = table[(table["kind"] == kind) & (table["item"] == item) & (table["side"] == side)]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if measured and row["quality"] == "good" and np.isfinite(row["fppa_deg"]):
            value = format_deg(row["fppa_deg"])
            parts.append(f"{side} {value}")
        else:
            value = "n/a"
            reason = "thigh not frontal" if row["quality"] == OUT_OF_RANGE else "not measured"
            parts.append(f"{side} not valid ({reason})")
        measures.append(Measure("fppa", side, f"{side.capitalize()} FPPA {value}"))
    return measures, ([f"Knee valgus (FPPA): {', '.join(parts)}."] if parts else [])


def _pelvis(metrics: Mapping[str, MetricSet], row_filter) -> tuple[list[Measure], list[str]]:
    """The pelvic drop measure of the pelvis item row selected by ``row_filter`` (table -> bool mask): the
    stickers' when they were seen (the landmarks' drop is not reliable), else the landmarks'."""
    metric_set = _measured(metrics, "pelvic_drop", "pelvic_drop")
    if metric_set is None:
        return [], []
    table = metric_set.items["pelvis"]
    rows = table[row_filter(table)] if len(table) else table
    stickers = rows.iloc[0].get("sticker_peak_drop_deg", np.nan) if not rows.empty else np.nan
    if np.isfinite(stickers):
        value = format_deg(stickers)
        return [Measure("pelvis", None, f"pelvic drop {value} (peak, stickers)")], [
            f"Peak pelvic drop over this stance {value} (stickers)."
        ]
    if rows.empty or not np.isfinite(rows.iloc[0]["peak_drop_deg"]):
        return [], []
    value = format_deg(rows.iloc[0]["peak_drop_deg"])
    sentence = f"Peak pelvic drop over this stance {value}"
    if metric_set.quality["pelvic_drop"].confidence < LOW_CONFIDENCE:
        sentence += " (low confidence: check the pelvis by eye)"
    return [Measure("pelvis", None, f"pelvic drop {value} (peak)")], [sentence + "."]


def _knee_travel(metrics: Mapping[str, MetricSet], rep: int) -> tuple[list[Measure], list[str]]:
    """Knee-forward travel measures of one rep, from the knee-forward-travel item table."""
    metric_set = _measured(metrics, "knee_forward_travel", "knee_travel_foot")
    if metric_set is None:
        return [], []
    table = metric_set.items["reps"]
    measures, parts = [], []
    for row in table[table["rep"] == rep].itertuples():
        if not np.isfinite(row.knee_travel_foot):
            continue
        if getattr(row, "quality", "good") != "good":  # outside what the body can do: no number drawn
            measures.append(Measure("knee_travel", row.side, f"{row.side.capitalize()} knee n/a"))
            parts.append(f"{row.side} knee not measured ({row.quality})")
            continue
        where = "ahead of" if row.knee_travel_foot >= 0 else "behind"
        amount = (
            f"{abs(row.knee_travel_cm):.1f} cm"
            if np.isfinite(row.knee_travel_cm)
            else f"{abs(row.knee_travel_foot):.2f} foot lengths"
        )
        label = f"{row.side.capitalize()} knee {amount} {where} toes"
        measures.append(Measure("knee_travel", row.side, label))
        parts.append(f"{row.side} knee {amount} {where} the toes (shank {format_deg(row.shank_angle_deg)})")
    return measures, ([f"Knee-forward travel: {'; '.join(parts)}."] if parts else [])


# ------------------------------------------------------------------------------------------- the moments
def spread_evenly(items: list, limit: int = MAX_KEY_FRAMES) -> list:
    """At most ``limit`` of ``items``, evenly spaced, first and last included."""
    if len(items) <= limit:
        return list(items)
    return [items[int(k)] for k in np.linspace(0, len(items) - 1, limit).round()]


def _rep_moments(movement: MovementAnalysis, metrics: Mapping[str, MetricSet]) -> list[KeyMoment]:
    moments = []
    for rep in spread_evenly(list(movement.reps.itertuples())):
        fppa, fppa_text = _fppa(metrics, "rep", int(rep.rep), ("left", "right"))
        travel, travel_text = _knee_travel(metrics, int(rep.rep))
        measured_leg = travel[0].side if len(travel) == 1 else None  # side view: the measured leg on top
        moments.append(KeyMoment(float(rep.bottom_s), "rep_bottom", f"Rep {int(rep.rep)}, bottom",
                                 (*fppa_text, *travel_text), (*fppa, *travel), measured_leg))  # fmt: skip
    return moments


def _stance_moments(movement: MovementAnalysis, metrics: Mapping[str, MetricSet]) -> list[KeyMoment]:
    moments = []
    valgus = metrics["knee_valgus"].items["valgus"] if "knee_valgus" in metrics else pd.DataFrame()
    for stance in spread_evenly(list(movement.single_leg.stances.itertuples())):
        number, leg = int(stance.stance), str(stance.leg)
        rows = valgus[(valgus["kind"] == "stance") & (valgus["item"] == number)] if len(valgus) else valgus
        t_s, kind, when = (stance.start_s + stance.end_s) / 2, "stance_mid", "middle"
        if len(rows) and np.isfinite(rows.iloc[0]["t_s"]):
            t_s, kind, when = float(rows.iloc[0]["t_s"]), "stance_deepest", "deepest point"
        fppa, fppa_text = _fppa(metrics, "stance", number, (leg,))
        pelvis, pelvis_text = _pelvis(
            metrics, lambda table, n=number: (table["kind"] == "stance") & (table["item"] == n)
        )
        title = f"Stance {number} on the {leg} leg, {when}"
        moments.append(KeyMoment(float(t_s), kind, title, (*fppa_text, *pelvis_text), (*fppa, *pelvis), leg))
    return moments


def representative_mid_stance_s(strides: pd.DataFrame, foot: str) -> tuple[float, float] | None:
    """(mid-stance time, stance time) of the ``foot`` stride whose stance time is closest to that foot's
    median (good strides preferred); None without such a stride."""
    strikes = strides.get("heel_strike_s", strides["start_s"]).astype(float)  # older analyses: start_s
    stance_s = strides["toe_off_s"].astype(float) - strikes
    rows = strides[(strides["foot"] == foot) & np.isfinite(stance_s)]
    good = rows[rows["quality"] == "good"]
    rows = good if len(good) else rows
    if rows.empty:
        return None
    chosen = (stance_s[rows.index] - stance_s[rows.index].median()).abs().idxmin()
    start_s, toe_off_s = float(strikes[chosen]), float(strides.loc[chosen, "toe_off_s"])
    return (start_s + toe_off_s) / 2, toe_off_s - start_s


def _walk_moments(movement: MovementAnalysis, metrics: Mapping[str, MetricSet]) -> list[KeyMoment]:
    moments = []
    for foot in ("left", "right"):
        found = representative_mid_stance_s(movement.strides, foot)
        if found is None:
            continue
        t_s, stance_s = found
        pelvis, pelvis_text = _pelvis(
            metrics,
            lambda table, f=foot, t=t_s: (table["kind"] == "gait_stance") & (table["side"] == f)
            & (table["start_s"] <= t) & (table["end_s"] >= t),
        )  # fmt: skip
        sentences = (f"A representative stride of the {foot} foot (stance {stance_s:.2f} s).", *pelvis_text)
        moments.append(KeyMoment(t_s, "mid_stance", f"{foot.capitalize()} foot, mid-stance", sentences,
                                 tuple(pelvis), foot))  # fmt: skip
    return moments


def with_far_leg(moment: KeyMoment, far_side: str | None, side_view: bool) -> KeyMoment:
    """``moment`` for a view with a far leg: the leg marked to be drawn grey, a caption sentence saying so,
    and, in a side view, the far leg's measures left out (the angle drawn on the near leg only)."""
    if far_side is None:
        return moment
    near = "left" if far_side == "right" else "right"
    measures = tuple(m for m in moment.measures if not (side_view and m.side == far_side))
    note = f"The {far_side} leg (grey) is the far leg, hidden behind the {near} one: not reliable."
    return replace(moment, measures=measures, far_side=far_side, sentences=(*moment.sentences, note))


def select_key_moments(movement: MovementAnalysis, metrics: Mapping[str, MetricSet]) -> list[KeyMoment]:
    """The moments to show for this clip's task (module docstring), in time order."""
    if movement.reps is not None and len(movement.reps):
        moments = _rep_moments(movement, metrics)
    elif movement.single_leg is not None and len(movement.single_leg.stances):
        moments = _stance_moments(movement, metrics)
    elif movement.strides is not None and len(movement.strides):
        moments = _walk_moments(movement, metrics)
    else:
        moments = []
    side_view = getattr(getattr(movement, "view", None), "view", None) == "side"
    moments = [with_far_leg(moment, far_side_of(movement), side_view) for moment in moments]
    return sorted(moments, key=lambda moment: moment.t_s)


# --------------------------------------------------------------------------------------- frames, drawing
def read_frames_at(video_path: str | os.PathLike, times_s: list[float], frame_times_s: np.ndarray
                   ) -> dict[float, np.ndarray]:  # fmt: skip
    """The decoded frame nearest to each time (by its timestamp; ties to the later frame).
    ``frame_times_s``: every frame's time (the track's), to seek to a few frames before each time instead
    of decoding the whole video up to it. A seek can land a frame late on some containers (iPhone .mov
    clips that start at -30 ms); the frames' own timestamps show it, and where the seek passed the time the
    video is read from the start instead, so the frame is always the one a full pass gives."""
    found: dict[float, np.ndarray] = {}
    frame_times_s = np.asarray(frame_times_s)
    for target in sorted(set(times_s)):
        nearest = int(np.argmin(np.abs(frame_times_s - target))) if len(frame_times_s) else 0
        image = _frame_nearest(video_path, target, start=max(nearest - SEEK_MARGIN_FRAMES, 0))
        if image is None:
            image = _frame_nearest(video_path, target, start=0)
        if image is not None:
            found[target] = image
    return found


def _frame_nearest(video_path: str | os.PathLike, target_s: float, start: int) -> np.ndarray | None:
    """The frame nearest ``target_s``, reading from frame ``start`` on; None when the first frame read is
    already past it (after a seek: an earlier frame may be nearer)."""
    previous = None
    for frame in iter_frames(video_path, start=start):
        if frame.t_s >= target_s:
            if previous is None:
                return frame.image_bgr if start == 0 or frame.t_s == target_s else None
            closer = abs(previous.t_s - target_s) < abs(frame.t_s - target_s)
            return (previous if closer else frame).image_bgr
        previous = frame
    return previous.image_bgr if previous is not None else None  # a time after the last frame


def subject_box(points_px: np.ndarray, image_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The part of the frame (x0, y0, x1, y1) a key frame shows: the subject's keypoints with a margin of
    ``CROP_MARGIN_X`` / ``CROP_MARGIN_Y`` of their height (more sideways, for the labels) and the top of
    the head; the whole frame when no keypoint is known."""
    height_px, width_px = image_shape[:2]
    points = points_px[np.isfinite(points_px).all(axis=1)]
    if len(points) < 2:
        return 0, 0, width_px, height_px
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    tall = max(y1 - y0, x1 - x0, 1.0)
    box = (x0 - CROP_MARGIN_X * tall, y0 - (CROP_MARGIN_Y + HEAD_ABOVE_EYES) * tall,
           x1 + CROP_MARGIN_X * tall, y1 + CROP_MARGIN_Y * tall)  # fmt: skip
    x0, y0 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
    return x0, y0, int(min(width_px, np.ceil(box[2]))), int(min(height_px, np.ceil(box[3])))


def crop_for_report(image: np.ndarray, points_px: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The frame cut to ``subject_box`` and scaled so that its long side is at most ``LONG_SIDE_PX`` and at
    least ``MIN_LONG_SIDE_PX``: (image, box origin (x0, y0), scale factor). A frame point p lands at
    (p - origin) * factor."""
    x0, y0, x1, y1 = subject_box(points_px, image.shape)
    long_side = max(x1 - x0, y1 - y0, 1)
    factor = min(LONG_SIDE_PX, max(MIN_LONG_SIDE_PX, long_side)) / long_side
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image[y0:y1, x0:x1], None, fx=factor, fy=factor, interpolation=interpolation)
    return resized, np.array([x0, y0], float), factor


def render_key_frame(image_bgr: np.ndarray, track: LandmarkTrack, moment: KeyMoment, blur: bool,
                     others_px=None, finder: FaceFinder | None = None) -> np.ndarray:  # fmt: skip
    """The frame of ``moment``, faces blurred (when ``blur``: the poses' and those ``finder`` finds),
    cropped to the subject (``subject_box``), resized for the report and annotated."""
    row = int(nearest_rows(track.t_s, [moment.t_s])[0])
    found = finder.find(image_bgr) if blur and finder is not None else []
    image = blur_faces(image_bgr, faces_to_hide(track, row, others_px), found) if blur else image_bgr
    points = track.image_xyz_px[row, :, :2].astype(float)
    image, box, factor = crop_for_report(image, points)
    points = (points - box[:2]) * factor
    pen = Pen.for_image(image)
    draw_skeleton(image, points, pen, moment.emphasis_side, moment.far_side)
    draw_measures(image, points, moment.measures, pen, moment.far_side)
    draw_banner(image, [f"{moment.title} - {moment.t_s:.2f} s"], pen, avoid=feet_box(points, pen))
    return image


def _write_jpeg(path: Path, image: np.ndarray) -> None:
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError(f"could not encode {path.name} as JPEG")
    with atomic_output_path(path) as temporary:
        temporary.write_bytes(encoded.tobytes())


def write_key_frames(video_path: str | os.PathLike, analysis_dir: str | os.PathLike, track: LandmarkTrack,
                     movement: MovementAnalysis, metrics: Mapping[str, MetricSet],
                     blur: bool = True, others_px: np.ndarray | None = None,
                     finder: FaceFinder | None = None) -> list[dict]:  # fmt: skip
    """Write ``keyframe_<n>.jpg`` (n = 1, 2, ...) and ``keyframes.json`` into ``analysis_dir`` (module
    docstring) and return the list written to ``keyframes.json``. ``track`` is the filtered subject track
    (``movement.track``); ``metrics`` the metric families by name. Key frames of an earlier run that are
    no longer listed are removed. ``others_px`` (n, p, 11, 2): face points of everybody else detected, so
    bystanders' faces are blurred too (``face_blur.bystander_faces_px``); ``finder``: the face detector,
    for faces no pose belongs to."""
    analysis_dir = Path(analysis_dir)
    moments = select_key_moments(movement, metrics)
    frames = read_frames_at(video_path, [m.t_s for m in moments], track.t_s) if moments else {}
    entries = []
    for moment in moments:
        if moment.t_s not in frames:
            continue
        name = f"keyframe_{len(entries) + 1}.jpg"
        _write_jpeg(
            analysis_dir / name, render_key_frame(frames[moment.t_s], track, moment, blur, others_px, finder)
        )
        entries.append(
            {"file": name, "t_s": round(moment.t_s, 4), "caption": moment.caption, "kind": moment.kind}
        )
    for stale in set(p.name for p in analysis_dir.glob("keyframe_*.jpg")) - {e["file"] for e in entries}:
        (analysis_dir / stale).unlink(missing_ok=True)
    write_json_atomically(analysis_dir / KEYFRAMES_FILE, entries)
    return entries
