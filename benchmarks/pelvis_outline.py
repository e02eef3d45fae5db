"""Markerless pelvic drop from the body's outline (issue 11, estimator b), on the pelvic-drop battery.

    python scripts/render_battery.py --set pelvis --out /tmp/pelvis
    python benchmarks/pelvis_outline.py /tmp/pelvis          # about 5 min on one core

MediaPipe's segmentation mask (the pose model's own output) gives the body's outline. Around the hips
(from 45 % of the trunk above the hip landmarks to 25 % below), each row's outermost body pixel on each
side of the hip centre (the region that holds the hip centre, so a separate arm is not counted) is the
outline. Two lines through it are tried as the pelvis:
- ``bump``: the widest point on each side (the greater trochanters: the hips' lateral bulge);
- ``waist``: the narrowest point on each side above the hips (just above the iliac crests).
Each is referred to the clip's two-leg standing (0-0.7 s) and averaged over the held drop (2.6-3.4 s), for
the clip and its mirror image (the other stance leg), and compared with the programmed drop.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

from pelvis import HELD_S, REFERENCE_S, mirrored_video  # noqa: E402

from kneechain.pose.landmarker import PoseConfig, create_landmarker  # noqa: E402
from kneechain.pose.quiet import silenced_native_stderr  # noqa: E402
from kneechain.video import iter_frames  # noqa: E402

HIP, SHOULDER = (23, 24), (11, 12)  # MediaPipe landmark indices, left then right


def row_edges(mask: np.ndarray, centre_x: float, rows: range, reach_px: float) -> np.ndarray:
    """(y, left edge x, right edge x) per row of the body region holding column ``centre_x``."""
    height, width = mask.shape
    x0 = min(max(int(centre_x), 0), width - 1)
    found = []
    for y in rows:
        if not 0 <= y < height or mask[y, x0] <= 0.5:
            continue
        body = mask[y] > 0.5
        left = right = x0
        while left > 0 and body[left - 1] and x0 - left < reach_px:
            left -= 1
        while right < width - 1 and body[right + 1] and right - x0 < reach_px:
            right += 1
        found.append((y, left, right))
    return np.array(found, float).reshape(-1, 3)


def line_deg(left: np.ndarray, right: np.ndarray) -> float:
    """Obliquity of the line from the image-left point (y, x) to the image-right one (+ = right lower)."""
    return float(np.degrees(np.arctan2(right[0] - left[0], right[1] - left[1])))


def outline_lines(mask: np.ndarray, points: np.ndarray) -> tuple[float, float, bool]:
    """(bump, waist, subject's left hip on the image right) for one frame; points: landmarks (33, 2) px."""
    hips, shoulders = points[list(HIP)].mean(axis=0), points[list(SHOULDER)].mean(axis=0)
    trunk = hips[1] - shoulders[1]
    rows = range(int(hips[1] - 0.45 * trunk), int(hips[1] + 0.25 * trunk))
    edges = row_edges(mask, hips[0], rows, 0.8 * trunk)
    left_on_right = bool(points[HIP[0], 0] > points[HIP[1], 0])
    if len(edges) < 3:
        return np.nan, np.nan, left_on_right
    bump = line_deg(edges[np.argmin(edges[:, 1]), :2], edges[np.argmax(edges[:, 2])][[0, 2]])
    upper = edges[edges[:, 0] < hips[1] - 0.05 * trunk]
    if len(upper) < 3:
        return bump, np.nan, left_on_right
    waist = line_deg(upper[np.argmax(upper[:, 1]), :2], upper[np.argmin(upper[:, 2])][[0, 2]])
    return bump, waist, left_on_right


def outline_series(video: Path) -> pd.DataFrame:
    """Per frame: t_s and the two lines as + = the subject's RIGHT side lower."""
    rows, last_ms = [], -1
    with silenced_native_stderr():
        landmarker = create_landmarker(PoseConfig(max_people=1))
        for frame in iter_frames(video):
            rgb = cv2.cvtColor(frame.image_bgr, cv2.COLOR_BGR2RGB)
            last_ms = max(round(frame.t_s * 1000), last_ms + 1)
            result = landmarker.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), last_ms
            )
            if not result.pose_landmarks or not result.segmentation_masks:
                rows.append((frame.t_s, np.nan, np.nan))
                continue
            size = np.array([rgb.shape[1], rgb.shape[0]])
            points = np.array([(q.x, q.y) for q in result.pose_landmarks[0]]) * size
            bump, waist, left_on_right = outline_lines(result.segmentation_masks[0].numpy_view(), points)
            sign = -1.0 if left_on_right else 1.0  # image right lower -> the subject's right side lower
            rows.append((frame.t_s, sign * bump, sign * waist))
        landmarker.close()
    return pd.DataFrame(rows, columns=["t_s", "bump", "waist"])


def clip_items(clip: dict, folder: Path) -> list[dict]:
    truth = json.loads((folder / clip["files"]["truth_json"]).read_text())
    programmed = np.asarray(truth["per_frame"]["pelvic_obliquity_deg"], float)
    items = []
    for mirror in (False, True):
        video = folder / clip["files"]["video"]
        series = outline_series(mirrored_video(video) if mirror else video)
        t_s = series["t_s"].to_numpy()
        reference = (t_s >= REFERENCE_S[0]) & (t_s <= REFERENCE_S[1])
        held = (t_s >= HELD_S[0]) & (t_s <= HELD_S[1])
        true = float(programmed[: len(t_s)][held].mean())
        item = {"clip": clip["name"], "view": clip["camera"]["side"], "stance": "right" if mirror else "left",
                "drop": clip["signs"].get("pelvic_drop_deg", 0.0), "true": true}  # fmt: skip
        for name in ("bump", "waist"):
            values = series[name].to_numpy() * (-1.0 if mirror else 1.0)  # towards the swing side
            item[name] = float(np.nanmean(values[held]) - np.nanmedian(values[reference]))
        items.append(item)
    return items


def main(folder: Path) -> int:
    manifest = json.loads((folder / "battery.json").read_text())
    items = pd.DataFrame([item for clip in manifest["clips"] for item in clip_items(clip, folder)])
    rows = []
    for name in ("bump", "waist"):
        for group_name, group in [("all", items), *items.groupby(["view", "stance"])]:
            error = group[name] - group["true"]
            lift = group.loc[group["drop"] == 0, name]
            label = " ".join(group_name) if isinstance(group_name, tuple) else group_name
            slope = np.polyfit(group["true"], group[name], 1)[0]
            rows.append({"estimator": name, "clips": label, "slope": slope, "bias_deg": error.mean(),
                         "p95_abs_deg": error.abs().quantile(0.95), "lift_alone_deg": lift.mean(),
                         "n": len(group)})  # fmt: skip
    print(pd.DataFrame(rows).round(2).to_string(index=False))
    print(items.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/pelvis")))
