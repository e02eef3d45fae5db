"""Throughput and memory of ``kneechain analyze`` against the bare minimum it must do, side by side.

Each mode runs in its own process (so peak RSS and CPU time are that mode's alone), over the same video:
  decode:  a bare OpenCV read loop;
  bare1:   decode + colour conversion + MediaPipe PoseLandmarker written in the simplest way, one pose per
           frame (what a single-person tool such as Sports2D runs);
  bare2:   the same with the number of poses kneechain asks for (``PoseConfig.max_people``, 2: bystanders);
  cli:     ``kneechain analyze VIDEO -o TMP --no-cache`` as a user runs it: a cold process, the whole
           analysis, report and key frames (the pose pass on two cores when the clip is long enough);
  cli1:    the same with ``--cores 1`` (the pose pass in one process).
The modes are interleaved ``--repeats`` times and the medians printed (wall time, CPU time of the process
and its children, frames/s, the largest single process's peak RSS, and the peak of the whole process
tree's RSS sampled every 50 ms: the memory the machine must have), with the ratios cli/bare1 and
cli/bare2 and the machine's load average before and after.

    PYTHONPATH=. python benchmarks/throughput.py                          # 3 s, 1 min from the sample
    PYTHONPATH=. python benchmarks/throughput.py VIDEO --seconds 3 60 600 --repeats 3
    PYTHONPATH=. python benchmarks/throughput.py --seconds 600 1800 --repeats 1 --modes cli   # long clips
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
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
MODES = (*CHILD_MODES, "cli", "cli1")
Measurement = tuple[float, float, float, float]  # wall s, CPU s, largest process's peak RSS MB, tree's MB


def command_of(mode: str, video: Path, out: Path) -> list[str]:
    if mode.startswith("cli"):
        cores = ["--cores", "1"] if mode == "cli1" else []
        return [sys.executable, "-m", "kneechain", "analyze", str(video), "-o", str(out), "--no-cache",
                *cores]  # fmt: skip
    return [sys.executable, __file__, "--child", mode, str(video)]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants now (Linux /proc), in MB."""
    total_kb, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kb += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
    return total_kb / 1024


def sample_tree_peak(pid: int, peak: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.05):
        peak[0] = max(peak[0], tree_rss_mb(pid))


def measure(mode: str, video: Path) -> Measurement:
    """Wall seconds, CPU seconds (with children), peak RSS of the largest process and of the whole tree."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        command = command_of(mode, video, Path(out) / "result")
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        errors = open(Path(out) / "stderr.txt", "w+")  # noqa: SIM115 - read back on failure
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=environment)
        peak, stop = [0.0], threading.Event()
        sampler = threading.Thread(target=sample_tree_peak, args=(process.pid, peak, stop), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - start
        stop.set()
        sampler.join()
        errors.seek(0)
        tail = errors.read()[-2000:]
        errors.close()
    if status != 0:
        raise SystemExit(f"mode {mode} failed on {video} (wait status {status}):\n{tail}")
    largest_mb = usage.ru_maxrss / 1024  # KiB on Linux; the largest of the process and its waited children
    return wall_s, usage.ru_utime + usage.ru_stime, largest_mb, max(peak[0], largest_mb)


def cut_video(source: Path, seconds: float, folder: Path) -> Path:
    """``source`` looped to ``seconds`` long (stream copy, no re-encoding)."""
    target = folder / f"{source.stem}_{seconds:g}s.mp4"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-stream_loop", "-1",
               "-i", str(source), "-t", f"{seconds:g}", "-c", "copy", "-an", str(target)]  # fmt: skip
    subprocess.run(command, check=True)
    return target


def report(video: Path, repeats: int, modes: list[str]) -> None:
    runs: dict[str, list[Measurement]] = {mode: [] for mode in modes}
    load_before = os.getloadavg()[0]
    for _ in range(repeats):  # interleaved, so a slow spell of the machine hits every mode alike
        for mode in modes:
            runs[mode].append(measure(mode, video))
    frames = frame_count(video)
    medians = {mode: tuple(statistics.median(run[i] for run in found) for i in range(4))
               for mode, found in runs.items()}  # fmt: skip
    print(f"\n{video.name}: {frames} frames; {repeats} interleaved runs, medians; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")  # fmt: skip
    print(f"{'mode':8s} {'wall s':>8s} {'CPU s':>8s} {'frames/s':>9s} {'largest MB':>11s} {'all MB':>7s}")
    for mode, (wall_s, cpu_s, largest_mb, tree_mb) in medians.items():
        rates = f"{wall_s:8.2f} {cpu_s:8.2f} {frames / wall_s:9.1f}"
        print(f"{mode:8s} {rates} {largest_mb:11.0f} {tree_mb:7.0f}")
    for cli in ("cli", "cli1"):
        for bare in ("bare1", "bare2"):
            if cli in medians and bare in medians:
                print(f"{cli}/{bare} wall-time ratio = {medians[cli][0] / medians[bare][0]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seconds", nargs="+", type=float, default=[3.0, 60.0], help="clip lengths to test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="what to run")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VIDEO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, video = args.child
        print(CHILD_MODES[mode](video))
        return
    with tempfile.TemporaryDirectory() as folder:
        for seconds in args.seconds:
            report(cut_video(args.video, seconds, Path(folder)), args.repeats, args.modes)


if __name__ == "__main__":
    main()
