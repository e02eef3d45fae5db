"""Compare MediaPipe's two pose APIs on the same frames: legacy ``solutions.pose`` vs Tasks landmarker.

Both run BlazePose full from the mediapipe 0.10.21 wheel. Prints, per video: frames/s of inference (decode
excluded: frames are decoded once up front, so keep the clips short), detection rate, and the median
distance between the two APIs' hip/knee/ankle landmarks in % of the person's height in the image.

    python benchmarks/pose_api.py VIDEO [VIDEO ...]

This is the measurement behind kneechain's choice of the Tasks API (kneechain/pose/estimator.py).
"""

from __future__ import annotations

import argparse
import time

import cv2
import mediapipe as mp
import numpy as np

from kneechain.pose.landmarker import PoseConfig, create_landmarker
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.video import iter_frames

LEG_POINTS = [23, 24, 25, 26, 27, 28]  # hips, knees, ankles


def decode_rgb(path: str) -> tuple[list[np.ndarray], list[float]]:
    frames, times = [], []
    for frame in iter_frames(path):
        frames.append(cv2.cvtColor(frame.image_bgr, cv2.COLOR_BGR2RGB))
        times.append(frame.t_s)
    return frames, times


def run_legacy(frames: list[np.ndarray]) -> tuple[np.ndarray, float]:
    points = np.full((len(frames), 33, 2), np.nan)
    with silenced_native_stderr():
        pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1)
        start = time.perf_counter()
        for i, rgb in enumerate(frames):
            result = pose.process(rgb)
            if result.pose_landmarks:
                h, w = rgb.shape[:2]
                points[i] = [(p.x * w, p.y * h) for p in result.pose_landmarks.landmark]
        elapsed = time.perf_counter() - start
        pose.close()
    return points, elapsed


def run_tasks(frames: list[np.ndarray], times: list[float]) -> tuple[np.ndarray, float]:
    points = np.full((len(frames), 33, 2), np.nan)
    with silenced_native_stderr():
        landmarker = create_landmarker(PoseConfig())
        start = time.perf_counter()
        for i, (rgb, t_s) in enumerate(zip(frames, times, strict=True)):
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            result = landmarker.detect_for_video(image, round(t_s * 1000) + i)  # +i: strictly increasing
            if result.pose_landmarks:
                h, w = rgb.shape[:2]
                points[i] = [(p.x * w, p.y * h) for p in result.pose_landmarks[0]]
        elapsed = time.perf_counter() - start
        landmarker.close()
    return points, elapsed


def person_height_px(points: np.ndarray) -> float:
    seen = points[~np.isnan(points[:, 0, 0])]
    return float(np.median(seen[:, :, 1].max(axis=1) - seen[:, :, 1].min(axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+")
    args = parser.parse_args()
    print(
        f"{'video':42s} {'frames':>6s} {'legacy fps':>10s} {'tasks fps':>10s} "
        f"{'legacy det':>10s} {'tasks det':>10s} {'leg diff %h':>11s}"
    )
    for path in args.videos:
        frames, times = decode_rgb(path)
        legacy, legacy_s = run_legacy(frames)
        tasks, tasks_s = run_tasks(frames, times)
        both = ~np.isnan(legacy[:, 0, 0]) & ~np.isnan(tasks[:, 0, 0])
        diff = np.linalg.norm(legacy[both][:, LEG_POINTS] - tasks[both][:, LEG_POINTS], axis=2)
        diff_pct = 100 * float(np.median(diff)) / person_height_px(tasks) if both.any() else float("nan")
        n = len(frames)
        print(
            f"{path.split('/')[-1][:42]:42s} {n:6d} {n / legacy_s:10.1f} {n / tasks_s:10.1f} "
            f"{np.mean(~np.isnan(legacy[:, 0, 0])):10.1%} {np.mean(~np.isnan(tasks[:, 0, 0])):10.1%} "
            f"{diff_pct:11.2f}"
        )


if __name__ == "__main__":
    main()
