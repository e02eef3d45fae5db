"""Regenerate the bundled sample videos and their ground truth, byte for byte.

    python scripts/make_sample_videos.py                 # all five clips into sample_videos/
    python scripts/make_sample_videos.py --only walk_side --out /tmp/clips
    python scripts/make_sample_videos.py --only squat_side   # just the side-view squat
    python scripts/make_sample_videos.py --only single_leg_squat_front   # just the single-leg squat

Each clip gives <name>.mp4, <name>_truth.csv and <name>_truth.json. Rendering is deterministic (no random
numbers); the MP4 bytes depend only on the pixels and the ffmpeg binary inside imageio-ffmpeg. Takes a few
minutes on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import cv2

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kneechain.synth.clips import CLIP_NAMES, build_clip, write_clip  # noqa: E402


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "sample_videos", help="output folder")
    parser.add_argument("--only", choices=CLIP_NAMES, action="append", help="clip to make (repeatable)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    for name in args.only or CLIP_NAMES:
        clip = build_clip(name)
        stats = write_clip(clip, args.out)
        print(
            f"{name}: {stats['n_frames']} frames in {stats['total_s']:.1f} s "
            f"({stats['render_encode_s'] / stats['n_frames']:.3f} s/frame)"
        )
        for suffix in (".mp4", "_truth.csv", "_truth.json"):
            path = args.out / f"{name}{suffix}"
            print(f"  {sha256_of(path)}  {path.name}  {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
