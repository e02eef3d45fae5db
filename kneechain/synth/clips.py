"""The bundled sample clips: camera, room, lighting and motion of each, and writing video + truth.

``squat_front``: front view, portrait 720x1280, three squats with programmed valgus 0/0, 8/8, 15/10 deg
(left/right). ``single_leg_stand_front``: front view, portrait 720x1280, stance on the left leg with a 6 deg
contralateral pelvic drop. ``walk_side``: side view, landscape 1280x720, the subject's right side towards the
camera, walking left to right, left step 15 % longer than the right. ``squat_side``: side view, landscape
1280x720, three squats facing the image left with programmed knee travel -3, +5, +12 cm ahead of the toe tip
(heel rise 4 cm in rep 3), see :mod:`kneechain.synth.squat_side`. ``single_leg_squat_front``: front view,
portrait 720x1280, three single-leg squats on the left leg then three on the right with programmed
stance-knee FPPA 4/10/17 and 3/8/14 deg and pelvic drop 0/3/6 deg, see
:mod:`kneechain.synth.single_leg_squat`. ``single_leg_stand_stickers_front``: the single-leg stand again
(6 deg drop) with two green stickers on the ASIS (the clinic's two-sticker protocol,
:mod:`kneechain.synth.stickers`) and a dark shirt over light shorts. All 30 fps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kneechain.synth.camera import Camera, look_at_camera
from kneechain.synth.encode import encode_mp4
from kneechain.synth.figure import Palette, dress_figure
from kneechain.synth.motions import Motion, frame_times_s
from kneechain.synth.render import Lighting, Room, SceneCache, render_frame, unit
from kneechain.synth.single_leg import SingleLegMotion
from kneechain.synth.single_leg_squat import solve_knee_rotations as solve_single_leg_knee_rotations
from kneechain.synth.skeleton import BodyDims, Pose, compute_pose
from kneechain.synth.squat import SquatSpec, solve_knee_rotations
from kneechain.synth.squat_side import SQUAT_SIDE_LIGHT, SQUAT_SIDE_ROOM, solve_shank_tilts, squat_side_camera
from kneechain.synth.truth import write_truth
from kneechain.synth.walk import WalkMotion

CLIP_NAMES: tuple[str, ...] = (
    "squat_front",
    "single_leg_stand_front",
    "walk_side",
    "squat_side",
    "single_leg_squat_front",
    "single_leg_stand_stickers_front",
)
FPS = 30
DEFAULT_PALETTE = Palette()
# The sticker sample: light shorts, so the two green ASIS stickers stand out as they would on skin.
STICKER_PALETTE = Palette(shirt=(60, 62, 70), shorts=(206, 200, 188))


@dataclass(frozen=True, eq=False)
class Clip:
    """Everything needed to render one clip and its truth."""

    name: str
    camera: Camera
    room: Room
    lighting: Lighting
    motion: Motion
    dims: BodyDims
    fps: int = FPS
    crf: int = 23
    palette: Palette = DEFAULT_PALETTE  # skin, hair and clothing colours
    stickers: str | None = None  # "asis" / "psis": two pelvis stickers (kneechain.synth.stickers)

    @property
    def frame_times_s(self) -> np.ndarray:
        return frame_times_s(self.motion.duration_s, self.fps)

    def poses(self) -> list[Pose]:
        """The solved posture at every frame."""
        return [compute_pose(self.motion.params_at(float(t)), self.dims) for t in self.frame_times_s]


def front_camera(width_px: int = 720, height_px: int = 1280) -> Camera:
    """Phone on a tripod 3.6 m in front of the subject at chest height, tilted slightly down; the frame
    covers about 2.4 m of height at the subject."""
    focal = (height_px / 2.0) / (1.2 / 3.6)
    return look_at_camera((0.0, 1.15, 3.6), (0.0, 0.88, 0.0), width_px, height_px, focal)


def side_camera(width_px: int = 1280, height_px: int = 720) -> Camera:
    """Camera 4.5 m to the subject's RIGHT (world -X) at chest height (1.5 m), tilted down a little towards
    the walkway; world +Z (walking direction) runs left to right in the image. The frame covers about 2.9 m
    of height at the subject."""
    focal = (height_px / 2.0) / (1.45 / 4.5)
    return look_at_camera((-4.5, 1.5, 0.0), (0.0, 0.95, 0.0), width_px, height_px, focal)


FRONT_ROOM = Room(
    wall_point_m=(0.0, 0.0, -1.6), wall_normal=(0.0, 0.0, 1.0), shadow_xz_m=(-1.4, 1.4, -1.6, 1.0)
)
FRONT_LIGHT = Lighting(key_dir=unit((0.0, 0.9, 0.8)), fill_dir=unit((0.7, 0.3, 0.8)))
SIDE_ROOM = Room(
    wall_point_m=(2.2, 0.0, 0.0), wall_normal=(-1.0, 0.0, 0.0), shadow_xz_m=(-0.6, 2.2, -3.0, 3.0)
)
SIDE_LIGHT = Lighting(key_dir=unit((-0.6, 0.9, 0.25)), fill_dir=unit((-0.4, 0.3, -0.8)))


def build_clip(name: str, dims: BodyDims | None = None, scale: float = 1.0) -> Clip:
    """The clip called ``name``; ``scale`` < 1 renders a smaller image of the same scene (for tests)."""
    dims = dims or BodyDims()
    if name == "squat_front":
        camera = front_camera(*_scaled((720, 1280), scale))
        motion: Motion = solve_knee_rotations(dims, SquatSpec(), camera)
        return Clip(name, camera, FRONT_ROOM, FRONT_LIGHT, motion, dims)
    if name == "single_leg_stand_front":
        camera = front_camera(*_scaled((720, 1280), scale))
        return Clip(name, camera, FRONT_ROOM, FRONT_LIGHT, SingleLegMotion(dims), dims)
    if name == "walk_side":
        camera = side_camera(*_scaled((1280, 720), scale))
        return Clip(name, camera, SIDE_ROOM, SIDE_LIGHT, WalkMotion(dims), dims)
    if name == "squat_side":
        camera = squat_side_camera(*_scaled((1280, 720), scale))
        return Clip(name, camera, SQUAT_SIDE_ROOM, SQUAT_SIDE_LIGHT, solve_shank_tilts(dims), dims)
    if name == "single_leg_stand_stickers_front":
        camera = front_camera(*_scaled((720, 1280), scale))
        motion = SingleLegMotion(dims)
        return Clip(
            name, camera, FRONT_ROOM, FRONT_LIGHT, motion, dims, palette=STICKER_PALETTE, stickers="asis"
        )
    if name == "single_leg_squat_front":
        camera = front_camera(*_scaled((720, 1280), scale))
        motion = solve_single_leg_knee_rotations(dims, camera)
        return Clip(name, camera, FRONT_ROOM, FRONT_LIGHT, motion, dims)
    raise ValueError(f"unknown clip {name!r}; known: {', '.join(CLIP_NAMES)}")


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """Width and height times ``scale``, rounded to even numbers (yuv420p needs even sizes)."""
    return tuple(2 * round(v * scale / 2.0) for v in size)  # type: ignore[return-value]


def render_frames(clip: Clip, poses: list[Pose]):
    """Yield the rendered RGB uint8 frames of a clip, one per pose."""
    cache = SceneCache(clip.camera, clip.room, clip.lighting)
    for pose in poses:
        yield render_frame(cache, dress_figure(pose, clip.dims, clip.palette, clip.stickers))


def write_clip(clip: Clip, out_dir: Path) -> dict[str, float]:
    """Render and encode ``<name>.mp4`` and write ``<name>_truth.csv`` / ``<name>_truth.json`` into
    ``out_dir``. Returns timings (s) and the frame count."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    poses = clip.poses()
    write_truth(clip, poses, out_dir)
    truth_s = time.perf_counter() - started
    n_frames = encode_mp4(render_frames(clip, poses), out_dir / f"{clip.name}.mp4", clip.fps, clip.crf)
    total_s = time.perf_counter() - started
    return {
        "n_frames": n_frames,
        "truth_s": truth_s,
        "render_encode_s": total_s - truth_s,
        "total_s": total_s,
    }
