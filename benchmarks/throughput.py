"""Throughput and memory of ``kneechain analyze`` against the bare minimum it must do.

Each mode runs in its own process (so peak RSS is that mode's alone), over the same video:
  a) decode: a bare OpenCV read loop;
  b) bare:   decode + colour conversion + MediaPipe PoseLandmarker written in the simplest way, with the
             same number of poses per frame as kneechain asks for (``PoseConfig.max_people``);
  c) analyze: ``kneechain analyze`` end to end (probe, hash, pose, track, summary), track reuse disabled.
Prints wall time, frames/s and peak RSS per mode, the ratio c/b (target <= 1.10) and, with --lengths,
how peak RSS changes with video length (it should not grow).

    python benchmarks/throughput.py                     # a 1080p clip looped from ../shared/videos
    python benchmarks/throughput.py VIDEO --lengths 1 4 # VIDEO looped 1x and 4x
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "videos" / "squat_front_02_overhead_good.mov"


def run_decode(video: str) -> int:
    import cv2

    capture = cv2.VideoCapture(video)
    frames = 0
    while capture.read()[0]:
        frames += 1
    return frames


def run_bare(video: str) -> int:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from kneechain.pose import PoseConfig
    from kneechain.pose.model_bundle import load_model_bundle

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=load_model_bundle().content),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=PoseConfig().max_people,
    )
    capture = cv2.VideoCapture(video)
    frames = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), frames * 33)
            frames += 1
    return frames


def run_analyze(video: str) -> int:
    from kneechain.api import AnalysisOptions, analyze_video

    with tempfile.TemporaryDirectory() as out:
        return analyze_video(video, out, AnalysisOptions(reuse_poses=False)).track.n_frames


MODES = {"decode": run_decode, "bare": run_bare, "analyze": run_analyze}


def measure(mode: str, video: Path) -> tuple[float, int, float]:
    """(wall seconds, frames, peak RSS in MB) of one mode in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, str(video)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - start
    output = process.stdout.read().decode().strip()
    if status != 0 or not output:
        raise SystemExit(f"mode {mode} failed on {video}")
    return wall_s, int(output), usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def loop_video(source: Path, times: int, folder: Path) -> Path:
    """``source`` repeated ``times`` times (stream copy, no re-encoding)."""
    target = folder / f"{source.stem}_x{times}.mp4"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-stream_loop", str(times - 1),
               "-i", str(source), "-c", "copy", "-an", str(target)]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def report(video: Path) -> None:
    results = {mode: measure(mode, video) for mode in MODES}
    print(f"\n{video.name}")
    print(f"{'mode':8s} {'wall s':>8s} {'frames':>7s} {'frames/s':>9s} {'peak RSS MB':>12s}")
    for mode, (wall_s, frames, rss_mb) in results.items():
        print(f"{mode:8s} {wall_s:8.2f} {frames:7d} {frames / wall_s:9.1f} {rss_mb:12.0f}")
    ratio = results["analyze"][0] / results["bare"][0]
    print(f"analyze/bare wall-time ratio c/b = {ratio:.3f} (target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--lengths", nargs="+", type=int, default=[4, 16], help="loop the video N times")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VIDEO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, video = args.child
        print(MODES[mode](video))
        return
    with tempfile.TemporaryDirectory() as folder:
        for times in args.lengths:
            report(loop_video(args.video, times, Path(folder)))


if __name__ == "__main__":
    main()
