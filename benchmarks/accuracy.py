"""kneechain's accuracy table: every metric against programmed truth on rendered clips, per view.

    python scripts/render_battery.py --out ~/.cache/kneechain/battery    # once (tens of minutes)
    python benchmarks/accuracy.py --battery ~/.cache/kneechain/battery --write

Analyses the bundled samples (``sample_videos/``) and the validation battery (``kneechain.synth.battery``:
bodies, clothing colours, camera heights and distances, lighting and sides vary) exactly as ``kneechain
analyze`` does, pairs every reading with its truth (``tests/truth_check.py``) and prints, per metric and
view: bias (mean of measured - true), SD, the 95th percentile of the absolute error (the error margin that
statuses and findings use), the share within kneechain's goal, items and clips; then each clip's overall
call against its programmed signs. ``--write`` saves the table as ``kneechain/config/accuracy.json`` (what
the code reads) and ``docs/accuracy.md`` (the same table for people). Poses are cached in ``--cache``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from kneechain.analysis import measure_poses  # noqa: E402
from kneechain.api import AnalysisOptions, estimate_or_reuse_poses  # noqa: E402
from kneechain.config import load_config  # noqa: E402
from kneechain.config.accuracy import load_accuracy  # noqa: E402
from kneechain.findings.status import THRESHOLD_KEYS  # noqa: E402
from kneechain.options import SubjectInfo  # noqa: E402
from tests.test_gait import measure_mocap_errors  # noqa: E402
from tests.truth_check import GOALS, Pair, mocap_event_pairs, read_truth, table_row, truth_pairs  # noqa: E402

ACCURACY_JSON = PROJECT_ROOT / "kneechain" / "config" / "accuracy.json"
ACCURACY_MD = PROJECT_ROOT / "docs" / "accuracy.md"
SAMPLES = PROJECT_ROOT / "sample_videos"
# What the bundled samples program (kneechain.synth.clips), in the battery's terms.
SAMPLE_SIGNS = {
    "squat_front": {"valgus_deg": "0/8/15 left, 0/8/10 right"},
    "squat_side": {"heel_rise_cm": [0, 0, 4], "knee_travel_cm": [-3, 5, 12]},
    "single_leg_stand_front": {"pelvic_drop_deg": 6},
    "single_leg_stand_stickers_front": {"pelvic_drop_deg": 6, "stickers": "asis"},
    "single_leg_squat_front": {"fppa_deg": "4/10/17 left, 3/8/14 right", "pelvic_drop_deg": [0, 3, 6]},
    "walk_side": {"step_length_asymmetry_pct": 14},
}


def analyse(video: Path, cache: Path):
    """(metrics, findings, movement, truth) of one rendered clip, analysed as ``kneechain analyze`` does
    (pelvis stickers included) with the subject's true height given."""
    truth = read_truth(video)
    folder = cache / f"{video.parent.name}-{video.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    options = AnalysisOptions(subject=SubjectInfo(height_cm=100.0 * truth["subject"]["height_m"]))
    poses, reused = estimate_or_reuse_poses(video, folder, options)
    if not reused:
        poses.save(folder / "poses.parquet")
    _, movement, metrics, findings, _, _ = measure_poses(poses, options, load_config(), video.name, video)
    return metrics, findings, movement, truth


def near_limit_p95(metric: str, group: list[Pair], min_items: int = 5) -> dict:
    """``p95_near_limit``: the 95th percentile of the absolute error over the items whose truth lies within
    one limit of the metric's upper limit (0 to twice it), when the metric has a positive upper limit and
    at least ``min_items`` such items. That is the error that decides whether a reading is clear of the
    limit; a large sign (an 8 cm heel rise under-read by 2 cm) is clear of it anyway, and its scale error
    would otherwise widen the band around the limit for every reading. Empty otherwise."""
    key, kind = THRESHOLD_KEYS.get(metric, (None, None))
    values = load_config()[key].values if key else {}
    limit = float(values.get("value", values.get("combined", float("nan"))))  # sex-specific: the combined
    if kind != "upper" or not limit > 0:
        return {}
    near = [abs(p.error) for p in group if abs(p.truth - limit) <= limit]
    return {"p95_near_limit": round(float(np.percentile(near, 95)), 3)} if len(near) >= min_items else {}


def summarise(pairs: list[Pair]) -> dict:
    """{metric: {view: entry}} over all pairs (module docstring)."""
    grouped = defaultdict(list)
    for pair in pairs:
        grouped[(pair.metric, pair.view)].append(pair)
    table: dict = defaultdict(dict)
    for (metric, view), group in sorted(grouped.items()):
        errors = np.array([p.error for p in group])
        goal = GOALS[metric]
        table[metric][view] = {
            "bias": round(float(errors.mean()), 3),
            "sd": round(float(errors.std(ddof=1)) if len(errors) > 1 else 0.0, 3),
            "p95_abs": round(float(np.percentile(np.abs(errors), 95)), 3),
            **near_limit_p95(metric, group),
            "within_goal": round(float(np.mean(np.abs(errors) <= goal)), 3),
            "goal": goal,
            "n_items": len(group),
            "n_clips": len({p.clip for p in group}),
        }
    return dict(table)


def call_rows(results: dict[str, tuple]) -> list[dict]:
    """Each clip's overall call and found task beside its programmed signs (``battery.json``, or
    ``SAMPLE_SIGNS`` for the bundled samples)."""
    return [{"clip": clip, "call": findings.overall.call, "task": movement.task.task, "signs": signs}
            for clip, (findings, movement, signs) in results.items()]  # fmt: skip


def markdown(table: dict, calls: list[dict], clips: list[str]) -> str:
    lines = [
        "# kneechain accuracy",
        "",
        f"Regenerated by `python benchmarks/accuracy.py --battery DIR --write` on {date.today().isoformat()} "
        f"from {len(clips)} rendered clips (the bundled samples and the validation battery of "
        "`kneechain/synth/battery.py`: bodies, clothing colours, lighting, camera heights and distances "
        "and sides vary). Error = kneechain's reading minus the programmed truth at the same moment (2D "
        "angles against the projected joint centres). **p95** is the error margin kneechain uses (**p95 near "
        "limit** instead where given: over the items whose truth lies within one limit of the metric's "
        "upper limit, the error that decides whether a reading is clear of it): a value "
        "closer to its limit than this is shown as *at the limit* and is never evidence for a call. Goals "
        "are kneechain's (3° for 2D angles, 2 cm for distances, 5 points for a symmetry index, one 60 Hz "
        "frame for gait events). Gait events (`heel_strike_s`, `toe_off_s`, seconds) come from the OpenSim "
        "walking trials of `../shared/mocap/` projected into virtual side, front and back cameras at 60 "
        "frames/s, against their force plates (clips named `mocap ...`): ideal keypoints, so this is the "
        "event method's own error, without MediaPipe's.",
        "",
        "| metric | view | bias | SD | p95 abs | p95 near limit | within goal | goal | items | clips |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        table_row(metric, view, entry) for metric, views in table.items() for view, entry in views.items()
    ]
    lines += ["", "## Overall call per clip", "", "| clip | task found | programmed signs | call |",
              "|---|---|---|---|"]  # fmt: skip
    for row in calls:
        signs = ", ".join(f"{k} {v}" for k, v in row["signs"].items()) if row["signs"] else "none"
        lines.append(f"| {row['clip']} | {row['task']} | {signs} | {row['call']} |")
    lines += ["", "Rendered clips are not patients: real video adds clothing folds, occlusion and motion "
              "blur. The real clips' movement checks are in `benchmarks/real_clips.py`.", ""]  # fmt: skip
    return "\n".join(lines)


def clip_list(battery: Path | None) -> list[tuple[Path, dict]]:
    """(video, programmed signs) of the samples and, when given, the battery."""
    clips = [(video, SAMPLE_SIGNS.get(video.stem, {})) for video in sorted(SAMPLES.glob("*.mp4"))]
    if battery is not None:
        listing = json.loads((battery / "battery.json").read_text())
        clips += [(battery / f"{c['name']}.mp4", c.get("signs", {})) for c in listing["clips"]]
    return clips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--battery", type=Path, help="folder rendered by scripts/render_battery.py")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kneechain" / "accuracy")
    parser.add_argument("--write", action="store_true", help="save accuracy.json and docs/accuracy.md")
    parser.add_argument("--no-mocap", action="store_true", help="leave out the projected mocap (../shared/)")
    args = parser.parse_args(argv)
    clips = clip_list(args.battery)
    pairs = []
    for video, _signs in clips:
        started = time.perf_counter()
        metrics, _, movement, _ = analyse(video, args.cache)
        pairs += truth_pairs(video, metrics)
        print(f"{video.stem}: {movement.task.task} ({time.perf_counter() - started:.0f} s)", flush=True)
    if not args.no_mocap:
        pairs += mocap_event_pairs(measure_mocap_errors())
    table = summarise(pairs)
    if args.write:  # the calls below then use the new margins
        document = {"generated_by": "benchmarks/accuracy.py", "date": date.today().isoformat(),
                    "clips": [video.stem for video, _ in clips], "metrics": table}  # fmt: skip
        ACCURACY_JSON.write_text(json.dumps(document, indent=1) + "\n")
        load_accuracy.cache_clear()
    results = {}
    for video, signs in clips:
        _, findings, movement, _ = analyse(video, args.cache)
        results[video.stem] = (findings, movement, signs)
    text = markdown(table, call_rows(results), list(results))
    print(text)
    if args.write:
        ACCURACY_MD.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
