"""Two rendered "visits" with programmed truth for the visit and progress tests: a front squat with knee
valgus 16° on both knees, then 4°; a single-leg stand on the left leg with ASIS stickers and a pelvic drop
of 6°, then 1° (markerless pelvic drop is not reliable: the sticker protocol measures it); the stance
knee's FPPA stays the same (unchanged).

The clips are rendered at ``SCALE`` of their size (as ``tests/test_battery.py`` does) and analysed once;
videos and analysis folders are kept in pytest's cache folder and reused while the video is unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kneechain.api import analyze_video
from kneechain.synth.battery import BatteryEntry, CameraSpec, build_entry_clip, front_squat
from kneechain.synth.clips import write_clip
from kneechain.synth.single_leg import SingleLegSpec
from kneechain.video import hash_file_sha256
from kneechain.visit.saved import is_analysis_folder, video_sha256

SCALE = 0.5
FRONT = CameraSpec("front", 1.15, 3.6)
STAND_CAMERA = CameraSpec("front", 1.0, 3.4)


def _squat(name: str, valgus_deg: float) -> BatteryEntry:
    return BatteryEntry(name, front_squat(valgus_deg), FRONT, "default", "default", "dim",
                        f"front squat, valgus {valgus_deg:g} deg on both knees")  # fmt: skip


def _stand(name: str, drop_deg: float) -> BatteryEntry:
    spec = SingleLegSpec(peak_drop_deg=drop_deg, trunk_lean_deg=2.0)
    return BatteryEntry(name, spec, STAND_CAMERA, "default", "dark_skin_light_shorts", "key_right",
                        f"single-leg stand on the left leg, pelvic drop {drop_deg:g} deg; ASIS stickers",
                        {"pelvic_drop_deg": drop_deg}, "asis")  # fmt: skip


VISITS = {
    "2026-11-01": (_squat("squat_valgus_16", 16.0), _stand("stand_drop_6", 6.0)),
    "2026-12-06": (_squat("squat_valgus_4", 4.0), _stand("stand_drop_1", 1.0)),
}


def rendered_video(entry: BatteryEntry, cache: Path) -> Path:
    """The entry's clip at ``SCALE``, rendered once into the cache."""
    folder = cache / f"{entry.name}-{SCALE:g}"
    video = folder / f"{entry.name}.mp4"
    if not video.is_file():
        write_clip(build_entry_clip(entry, scale=SCALE), folder)
    return video


def analysed_folder(entry: BatteryEntry, cache: Path) -> tuple[Path, Path]:
    """(video, its analysis folder), analysed once with ``kneechain.api.analyze_video``."""
    video = rendered_video(entry, cache)
    folder = video.parent / "analysis"
    if not (is_analysis_folder(folder) and video_sha256(folder) == hash_file_sha256(video)):
        analyze_video(video, folder)
    return video, folder


def visit_analyses(request) -> dict[str, list[tuple[Path, Path]]]:
    """Per visit date, (video, analysis folder) of each clip."""
    cache = request.config.cache.mkdir("kneechain-visits")
    return {date: [analysed_folder(entry, cache) for entry in entries] for date, entries in VISITS.items()}


def seed_clip_folder(folder: Path, visit_dir: Path, video: Path) -> None:
    """Put a finished analysis where ``kneechain visit`` looks for the video's (OUTDIR/clips/<name>/)."""
    shutil.copytree(folder, visit_dir / "clips" / video.stem)
