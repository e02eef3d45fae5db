"""Markerless pelvic drop on the rendered pelvic-drop battery (issue 11): which estimator follows the pelvis?

    python scripts/render_battery.py --set pelvis --out /tmp/pelvis      # about 10 min on one core
    python benchmarks/pelvis.py /tmp/pelvis

Every clip stands on the left leg; its mirror image (made here, ``hflip``) is the same stand on the right
leg, so each of the 12 clips gives both stance legs. Pose estimation runs once per video (cached in
``~/.cache/kneechain/pelvis``). Per stance, the drop is averaged over the window where the programmed drop
is held (2.6-3.4 s) and compared with the programmed (3D) drop; "lift alone" is the 0° clips' reading.

Estimators, each referred to the clip's own two-leg standing (0-0.7 s):
- ``hips``: the image line through MediaPipe's two hip landmarks (what kneechain reports today);
- ``world``: the same line from MediaPipe's 3D world landmarks;
- ``hips corrected``: ``hips`` with the lifted thigh's pull removed and the gain undone, by a linear model
  ``hips = gain * drop + pull * knee_rise + offset`` (``knee_rise``: the lifted knee above the stance knee,
  in leg lengths) fitted per frame on one half of the clips (both views, every drop and flexion) and judged
  on the other half.

Printed: per estimator and held-out half, slope of measured against programmed drop, bias, the lift-alone
reading, per view and stance leg; the goal (issue 11) is slope 0.8-1.2, bias within ±1.5°, lift alone
within ±1.0°.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kneechain.api import AnalysisOptions, estimate_or_reuse_poses  # noqa: E402
from kneechain.movement.body import leg_length_px  # noqa: E402
from kneechain.movement.subject import select_subject  # noqa: E402
from kneechain.track import KEYPOINT_INDEX  # noqa: E402

CACHE = Path.home() / ".cache" / "kneechain" / "pelvis"
REFERENCE_S, HELD_S = (0.0, 0.7), (2.6, 3.4)
TRAIN = {"front": {(0, 25), (4, 70), (8, 25)}, "back": {(0, 70), (4, 25), (8, 70)}}


def mirrored_video(video: Path) -> Path:
    import subprocess

    import imageio_ffmpeg

    out = CACHE / f"{video.stem}_mirror.mp4"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(video)]
        subprocess.run([*command, "-vf", "hflip", "-c:v", "libx264", "-crf", "12", str(out)], check=True)
    return out


def track_of(video: Path):
    folder = CACHE / video.stem
    folder.mkdir(parents=True, exist_ok=True)
    poses, reused = estimate_or_reuse_poses(video, folder, AnalysisOptions())
    if not reused:
        poses.save(folder / "poses.parquet")
    return select_subject(poses).track


def obliquity_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """+ = the right point lower (y pointing down, in the image and in MediaPipe's world landmarks)."""
    across = (right - left)[:, [0, 2]] if left.shape[1] == 3 else (right - left)[:, :1]
    return np.degrees(np.arctan2(right[:, 1] - left[:, 1], np.linalg.norm(across, axis=1)))


def frame_table(clip: dict, folder: Path, mirror: bool) -> pd.DataFrame:
    """Per frame: time, programmed drop, the estimators' drops (referred to standing) and the knee rise."""
    truth = json.loads((folder / clip["files"]["truth_json"]).read_text())
    video = folder / clip["files"]["video"]
    track = track_of(mirrored_video(video) if mirror else video)
    stance, lifted = ("right", "left") if mirror else ("left", "right")
    towards_swing = -1.0 if mirror else 1.0  # + obliquity = right lower = the swing side on a left stance
    drop_true = np.asarray(truth["per_frame"]["pelvic_obliquity_deg"], float)  # the same value mirrored
    t_s = track.t_s
    world = track.world_xyz_m
    hips_img = obliquity_deg(track.xy_px("left_hip"), track.xy_px("right_hip"))
    hips_world = obliquity_deg(world[:, KEYPOINT_INDEX["left_hip"]], world[:, KEYPOINT_INDEX["right_hip"]])
    leg = leg_length_px(track)
    knee_rise = (track.xy_px(f"{stance}_knee")[:, 1] - track.xy_px(f"{lifted}_knee")[:, 1]) / leg
    reference = (t_s >= REFERENCE_S[0]) & (t_s <= REFERENCE_S[1])
    table = {"t_s": t_s, "drop_true": drop_true[: len(t_s)], "knee_rise": knee_rise}
    for name, values in (("hips", hips_img), ("world", hips_world)):
        table[name] = towards_swing * (values - np.nanmedian(values[reference]))
    drop = int(clip["signs"].get("pelvic_drop_deg", 0))
    flexion = int(truth["task"]["lifted_hip_flexion_deg"])
    view = clip["camera"]["side"]
    train = (drop, flexion) in TRAIN[view]
    return pd.DataFrame(table).assign(clip=clip["name"], view=view, stance=stance, drop=drop, flexion=flexion,
                                      train=train)  # fmt: skip


def fit_correction(frames: pd.DataFrame) -> np.ndarray:
    """gain, pull, offset of ``hips = gain * drop_true + pull * knee_rise + offset`` (single-leg frames)."""
    rows = frames.dropna(subset=["hips", "knee_rise"])
    design = np.column_stack([rows["drop_true"], rows["knee_rise"], np.ones(len(rows))])
    return np.linalg.lstsq(design, rows["hips"].to_numpy(), rcond=None)[0]


def held_means(frames: pd.DataFrame, estimators: list[str]) -> pd.DataFrame:
    held = frames[(frames["t_s"] >= HELD_S[0]) & (frames["t_s"] <= HELD_S[1])]
    keys = ["clip", "view", "stance", "drop", "flexion", "train"]
    return held.groupby(keys)[["drop_true", *estimators]].mean().reset_index()


def judge(items: pd.DataFrame, estimator: str) -> dict:
    slope = np.polyfit(items["drop_true"], items[estimator], 1)[0]
    error = items[estimator] - items["drop_true"]
    lift = items.loc[items["drop"] == 0, estimator]
    return {"slope": slope, "bias_deg": error.mean(), "p95_abs_deg": error.abs().quantile(0.95),
            "lift_alone_deg": lift.mean(), "lift_alone_max": lift.abs().max(), "n": len(items)}  # fmt: skip


def main(folder: Path) -> int:
    manifest = json.loads((folder / "battery.json").read_text())
    clips = manifest["clips"]
    frames = pd.concat([frame_table(clip, folder, mirror) for clip in clips for mirror in (False, True)])
    single = frames[(frames["t_s"] >= 1.7) & (frames["t_s"] <= 4.1)]  # foot fully lifted
    gain, pull, offset = fit_correction(single[single["train"]])
    print(f"correction fitted on the training half: gain {gain:.2f}, pull {pull:.2f} deg per leg length, "
          f"offset {offset:.2f} deg")  # fmt: skip
    frames["hips corrected"] = (frames["hips"] - pull * frames["knee_rise"] - offset) / gain
    estimators = ["hips", "world", "hips corrected"]
    items = held_means(frames, estimators)
    rows = []
    for estimator in estimators:
        for half, part in (("held-out", items[~items["train"]]), ("all", items)):
            rows.append({"estimator": estimator, "clips": half, **judge(part, estimator)})
            for (view, stance), group in part.groupby(["view", "stance"]):
                if half == "held-out":
                    name = f"{half} {view} {stance}"
                    rows.append({"estimator": estimator, "clips": name, **judge(group, estimator)})
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).round(2).to_string(index=False))
    print(items.round(2).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/pelvis")))
