"""Render the validation battery of :mod:`kneechain.synth.battery` (or the pelvic-drop battery of
:mod:`kneechain.synth.pelvis_battery`) with its ground truth.

    python scripts/render_battery.py --out /tmp/battery                  # every clip, one at a time
    python scripts/render_battery.py --out /tmp/battery --jobs 2         # two clips at once
    python scripts/render_battery.py --out /tmp/b --scale 0.5 --only squat_front_valgus_15
    python scripts/render_battery.py --set pelvis --out /tmp/pelvis      # the pelvic-drop battery

Each clip gives <name>.mp4, <name>_truth.csv and <name>_truth.json (see kneechain/synth/truth.py); the
truth JSON's task.battery holds the entry's description and programmed signs. DIR/battery.json lists every
battery clip whose video is in DIR: name, description, view, signs (empty = no clinical sign: kneechain
should make no hip-driven/foot-driven call), body, palette, light, camera and file names. Rendering is
deterministic; 0.1-0.3 s per frame at scale 1 on one core (about 13 minutes for the whole battery).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kneechain.synth.battery import BATTERY, build_entry_clip  # noqa: E402
from kneechain.synth.clips import write_clip  # noqa: E402
from kneechain.synth.pelvis_battery import PELVIS_BATTERY  # noqa: E402

SETS = {"accuracy": BATTERY, "pelvis": PELVIS_BATTERY}  # the validation battery; the pelvic-drop battery
ENTRIES = {entry.name: entry for entries in SETS.values() for entry in entries}


def render_one(name: str, out_dir: Path, scale: float) -> tuple[str, dict[str, float]]:
    """Build, render and encode one clip with its truth files; returns the name and write_clip's timings."""
    cv2.setNumThreads(1)
    started = time.perf_counter()
    clip = build_entry_clip(ENTRIES[name], scale=scale)
    build_s = time.perf_counter() - started
    stats = write_clip(clip, out_dir)
    return name, {**stats, "build_s": build_s}


def write_manifest(out_dir: Path, battery=BATTERY) -> Path:
    """``battery.json``: the battery entries whose video and truth exist in ``out_dir``, with the frame size,
    frame count and fps from the truth."""
    entries = []
    for entry in battery:
        files = {"video": f"{entry.name}.mp4", "truth_csv": f"{entry.name}_truth.csv",
                 "truth_json": f"{entry.name}_truth.json"}  # fmt: skip
        if not all((out_dir / file).exists() for file in files.values()):
            continue
        truth = json.loads((out_dir / files["truth_json"]).read_text(encoding="utf-8"))
        video = {key: truth[key] for key in ("width_px", "height_px", "n_frames", "fps")}
        entries.append({**entry.to_dict(), **video, "files": files})
    path = out_dir / "battery.json"
    document = {"generator": "scripts/render_battery.py (kneechain.synth.battery)", "n_clips": len(entries),
                "clips": entries}  # fmt: skip
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def report(name: str, stats: dict[str, float]) -> None:
    per_frame = stats["render_encode_s"] / max(stats["n_frames"], 1)
    print(f"{name}: {stats['n_frames']} frames in {stats['total_s'] + stats['build_s']:.1f} s "
          f"({per_frame:.3f} s/frame)", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--scale", type=float, default=1.0, help="image size factor (1 = 720x1280/1280x720)")
    parser.add_argument("--set", choices=sorted(SETS), default="accuracy", help="which battery to render")
    parser.add_argument("--only", nargs="+", choices=sorted(ENTRIES), help="clips to render (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="clips rendered at once (one process each)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or [entry.name for entry in SETS[args.set]]
    started = time.perf_counter()
    if args.jobs <= 1:
        for name in names:
            report(*render_one(name, args.out, args.scale))
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(render_one, name, args.out, args.scale) for name in names]
            for future in futures:
                report(*future.result())
    manifest = write_manifest(args.out, SETS[args.set])
    print(f"{len(names)} clips in {time.perf_counter() - started:.1f} s; manifest {manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
