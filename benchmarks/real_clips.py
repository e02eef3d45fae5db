"""Movement understanding on the labelled real clips: one row per clip of ``../shared/videos/labels.json``
with what the label says and what kneechain finds (task, view, reps, stance leg, walking directions,
complete regular strides), and whether they agree. ``tests/test_labels.py`` asserts the same in CI.

    python benchmarks/real_clips.py                       # the table (poses cached between runs)
    python benchmarks/real_clips.py --markdown table.md   # also as a Markdown table
    python benchmarks/real_clips.py --videos DIR --cache DIR

Pose estimation runs once per clip (minutes on 2 cores the first time); the poses are kept in ``--cache``
and reused while the video and the pose settings are unchanged, as ``kneechain analyze`` does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kneechain.api import AnalysisOptions, estimate_or_reuse_poses  # noqa: E402
from kneechain.movement.pipeline import MovementAnalysis, understand_movement  # noqa: E402
from kneechain.movement.subject import select_subject  # noqa: E402
from tests.labels_check import (  # noqa: E402
    check_against_labels,
    count_reps,
    count_usable_strides,
    expected_directions,
    found_directions,
    read_labels,
)

COLUMNS = ("clip", "label", "found", "strides", "agrees")


def analyse_clip(video: Path, cache: Path) -> MovementAnalysis:
    """The movement analysis of one clip from cached (or freshly estimated) poses."""
    folder = cache / f"{video.parent.name}-{video.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    poses, reused = estimate_or_reuse_poses(video, folder, AnalysisOptions())
    if not reused:
        poses.save(folder / "poses.parquet")
    return understand_movement(select_subject(poses).track)


def describe_label(label: dict) -> str:
    parts = [label["task"], label["view"]]
    parts += [f"{label['reps']} reps"] if "reps" in label else []
    parts += [f"on {label['stance_leg']}"] if "stance_leg" in label else []
    parts += ["/".join(expected_directions(label))] if "direction" in label else []
    return ", ".join(parts)


def describe_analysis(analysis: MovementAnalysis) -> str:
    parts = [analysis.task.task, analysis.view.view]
    parts += [f"{count_reps(analysis)} reps"] if analysis.reps is not None else []
    parts += [f"on {analysis.task.stance_leg}"] if analysis.task.stance_leg else []
    parts += ["/".join(found_directions(analysis))] if found_directions(analysis) else []
    return ", ".join(parts)


def table_rows(videos: Path, cache: Path) -> list[dict]:
    rows = []
    for name, label in read_labels(videos).items():
        analysis = analyse_clip(videos / name, cache)
        mismatches = check_against_labels(analysis, label)
        strides = "" if analysis.strides is None else str(count_usable_strides(analysis))
        agrees = "yes" if not mismatches else "; ".join(mismatches)
        rows.append({"clip": name, "label": describe_label(label), "found": describe_analysis(analysis),
                     "strides": strides, "agrees": agrees})  # fmt: skip
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row[c].replace("|", "/") for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=PROJECT_ROOT.parent / "shared" / "videos")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kneechain" / "real_clips")
    parser.add_argument("--markdown", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = table_rows(args.videos, args.cache)
    for row in rows:
        print(f"{row['clip'][:42]:42s} | {row['label'][:44]:44s} | {row['found'][:44]:44s} | "
              f"{row['strides']:>3s} | {row['agrees']}")  # fmt: skip
    agreeing = sum(row["agrees"] == "yes" for row in rows)
    print(f"{agreeing} of {len(rows)} clips agree with their labels ({time.perf_counter() - started:.0f} s)")
    if args.markdown:
        args.markdown.write_text(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
