"""Throughput and memory of ``kneechain analyze`` against the bare minimum it must do, side by side.

Each mode runs in its own process (so peak RSS and CPU time are that mode's alone), over the same video:
  decode:  a bare OpenCV read loop;
  bare1:   decode + colour conversion + MediaPipe PoseLandmarker written in the simplest way, one pose per
           frame (what a single-person tool such as Sports2D runs);
  bare2:   the same with the number of poses kneechain asks for (``PoseConfig.max_people``, 2: bystanders);
  cli:     ``kneechain analyze VIDEO -o TMP --no-cache`` as a user runs it: a cold process, the whole
           analysis, report and key frames.
The modes are interleaved ``--repeats`` times and the medians printed (wall time, CPU time, frames/s,
peak RSS), with the ratios cli/bare1 and cli/bare2 and the machine's load average before and after.

    PYTHONPATH=. python benchmarks/throughput.py                          # 3 s, 1 min from the sample
    PYTHONPATH=. python benchmarks/throughput.py VIDEO --seconds 3 60 600 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / "sample_videos" / "squat_front.mp4"


def run_decode(video: str) -> int:
    import cv2

    capture = cv2.VideoCapture(video)
    frames = 0
    while capture.read()[0]:
        frames += 1
    return frames


def run_bare(video: str, poses: int) -> int:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from kneechain.pose.model_bundle import load_model_bundle

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=load_model_bundle().content),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=poses,
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


def run_bare1(video: str) -> int:
    return run_bare(video, 1)


def run_bare2(video: str) -> int:
    from kneechain.pose import PoseConfig

    return run_bare(video, PoseConfig().max_people)


def frame_count(video: Path) -> int:
    import cv2

    return int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT))


CHILD_MODES = {"decode": run_decode, "bare1": run_bare1, "bare2": run_bare2}
MODES = (*CHILD_MODES, "cli")


def command_of(mode: str, video: Path, out: Path) -> list[str]:
    if mode == "cli":
        return [sys.executable, "-m", "kneechain", "analyze", str(video), "-o", str(out), "--no-cache"]
    return [sys.executable, __file__, "--child", mode, str(video)]


def measure(mode: str, video: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one mode in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        command = command_of(mode, video, Path(out) / "result")
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"mode {mode} failed on {video}")
    return wall_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def cut_video(source: Path, seconds: float, folder: Path) -> Path:
    """``source`` looped to ``seconds`` long (stream copy, no re-encoding)."""
    target = folder / f"{source.stem}_{seconds:g}s.mp4"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-stream_loop", "-1",
               "-i", str(source), "-t", f"{seconds:g}", "-c", "copy", "-an", str(target)]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def report(video: Path, repeats: int) -> None:
    runs: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in MODES}
    load_before = os.getloadavg()[0]
    for _ in range(repeats):  # interleaved, so a slow spell of the machine hits every mode alike
        for mode in MODES:
            runs[mode].append(measure(mode, video))
    frames = frame_count(video)
    medians = {mode: tuple(statistics.median(run[i] for run in found) for i in range(3))
               for mode, found in runs.items()}  # fmt: skip
    print(f"\n{video.name}: {frames} frames; {repeats} interleaved runs, medians; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")  # fmt: skip
    print(f"{'mode':8s} {'wall s':>8s} {'CPU s':>8s} {'frames/s':>9s} {'peak RSS MB':>12s}")
    for mode, (wall_s, cpu_s, rss_mb) in medians.items():
        print(f"{mode:8s} {wall_s:8.2f} {cpu_s:8.2f} {frames / wall_s:9.1f} {rss_mb:12.0f}")
    for bare in ("bare1", "bare2"):
        print(f"cli/{bare} wall-time ratio = {medians['cli'][0] / medians[bare][0]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seconds", nargs="+", type=float, default=[3.0, 60.0], help="clip lengths to test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VIDEO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, video = args.child
        print(CHILD_MODES[mode](video))
        return
    with tempfile.TemporaryDirectory() as folder:
        for seconds in args.seconds:
            report(cut_video(args.video, seconds, Path(folder)), args.repeats)


if __name__ == "__main__":
    main()
