"""A validation battery of rendered clips with programmed truth, for measuring kneechain's accuracy.

The clips vary body size, skin and clothing colours, camera height, distance and side, and the direction of
the key light. Each entry records the clinical signs it programs (``signs``; empty = no sign, where
kneechain should make no "hip-driven"/"foot-driven" call): knee valgus (front squat), heel rise (side
squat), contralateral pelvic drop (single-leg stand) or a step-length asymmetry (side walk). Clips without a
sign stay inside the normal limits of ``kneechain/config/default.toml`` on every measure (valgus 0, heel
rise 0, trunk pitch under 45 deg, pelvic drop 0, trunk lean under 5 deg, equal steps, single-leg squat FPPA
under 7 deg). Heel rises of 1, 2 and 4 cm sit below, at and above kneechain's limit (2 cm, 0.08 foot
lengths) to probe its detection limit; a step-length asymmetry calls for a gait-asymmetry note, not a
hip/foot call. Three single-leg stands carry the two pelvis stickers of the clinic's protocol
(``kneechain.synth.stickers``: ASIS from the front, PSIS from a camera behind the subject). Render them with
``scripts/render_battery.py``.

Lights are given relative to the camera: (image right, up, towards the camera). In side views the camera
stands on the subject's ``left`` (world +X; the subject faces / walks towards the image left) or ``right``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from kneechain.synth.camera import Camera, look_at_camera
from kneechain.synth.clips import Clip, _scaled
from kneechain.synth.figure import Palette
from kneechain.synth.motions import Motion
from kneechain.synth.render import Lighting, Room, unit
from kneechain.synth.single_leg import SingleLegMotion, SingleLegSpec
from kneechain.synth.single_leg_squat import SingleLegSquatSpec
from kneechain.synth.single_leg_squat import solve_knee_rotations as solve_single_leg_knee_rotations
from kneechain.synth.skeleton import BodyDims, Pose, PoseParams
from kneechain.synth.squat import SquatSpec, solve_knee_rotations
from kneechain.synth.squat_side import SideSquatRep, SideSquatSpec, solve_shank_tilts
from kneechain.synth.walk import WalkMotion, WalkSpec

MotionSpec = SquatSpec | SideSquatSpec | SingleLegSpec | WalkSpec | SingleLegSquatSpec

BODIES: dict[str, BodyDims] = {
    "short": BodyDims.for_height(1.60),
    "default": BodyDims(),
    "tall_wide_hips": replace(BodyDims.for_height(1.90), hip_width_m=0.22),
}
PALETTES: dict[str, Palette] = {
    "default": Palette(),
    "dark_skin_light_shorts": Palette(skin=(118, 78, 56), hair=(22, 18, 16), lips=(92, 50, 46),
                                      shirt=(34, 34, 38), shorts=(200, 190, 164)),
    "light_skin_red_shirt": Palette(skin=(242, 204, 180), hair=(150, 108, 60), lips=(190, 110, 104),
                                    shirt=(196, 62, 56), shorts=(26, 26, 30)),
    "black_leggings": Palette(skin=(176, 128, 94), hair=(40, 30, 24), shirt=(206, 206, 200),
                              shorts=(24, 24, 28), socks=(30, 30, 34), shoes=(40, 40, 46),
                              soles=(72, 72, 76)),
}  # fmt: skip


@dataclass(frozen=True)
class LightSpec:
    """Key and fill directions relative to the camera (image right, up, towards the camera) and strengths."""

    key: tuple[float, float, float]
    fill: tuple[float, float, float]
    key_gain: float = 0.80
    fill_gain: float = 0.22
    ambient: float = 0.26
    sky: float = 0.08


LIGHTS: dict[str, LightSpec] = {
    "key_left": LightSpec((-0.55, 0.85, 0.45), (0.6, 0.3, 0.8)),  # key from the image left
    "key_right": LightSpec((0.55, 0.85, 0.45), (-0.6, 0.3, 0.8)),
    "front_top": LightSpec((0.0, 0.9, 0.6), (0.5, 0.3, 0.8)),
    "dim": LightSpec((0.3, 0.9, 0.4), (-0.5, 0.3, 0.8), 0.6, 0.15, 0.16, 0.05),  # dimmer key and ambient
}


@dataclass(frozen=True)
class CameraSpec:
    """Where the phone stands: ``view`` "front" (portrait 720x1280) or the subject's side ("left"/"right",
    landscape 1280x720); lens height and horizontal distance to the subject (m). The frame covers
    2 x ``half_view_m`` of height at the subject (None: 0.69 x body height front, 0.63 x side) around an aim
    point ``aim_m`` above the floor (None: half the body height)."""

    view: str
    height_m: float
    distance_m: float
    half_view_m: float | None = None
    aim_m: float | None = None


@dataclass(frozen=True)
class BatteryEntry:
    """One battery clip: what it shows, the programmed signs, the motion's spec and the look."""

    name: str
    spec: MotionSpec
    camera: CameraSpec
    body: str  # keys of BODIES, PALETTES and LIGHTS
    palette: str
    light: str
    description: str
    signs: dict = field(default_factory=dict)  # programmed clinical signs; empty = none
    stickers: str | None = None  # "asis" / "psis": the two-sticker pelvis protocol (synth.stickers)

    @property
    def view(self) -> str:
        return self.camera.view if self.camera.view in ("front", "back") else "side"

    def to_dict(self) -> dict:
        """JSON-ready summary (no motion spec)."""
        return {"name": self.name, "description": self.description, "view": self.view, "signs": self.signs,
                "body": self.body, "palette": self.palette, "light": self.light, "stickers": self.stickers,
                "camera": {"side": self.camera.view, "height_m": self.camera.height_m,
                           "distance_m": self.camera.distance_m}}  # fmt: skip


def battery_camera(spec: CameraSpec, dims: BodyDims, scale: float = 1.0) -> Camera:
    """The camera of ``spec`` for a subject of ``dims``; ``scale`` < 1: a smaller image of the same view."""
    front = spec.view in ("front", "back")
    size = _scaled((720, 1280) if front else (1280, 720), scale)
    half_view = spec.half_view_m or (0.69 if front else 0.63) * dims.height_m
    aim = spec.aim_m or 0.5 * dims.height_m
    sign = {"front": 0.0, "back": 0.0, "left": 1.0, "right": -1.0}[spec.view]
    depth = {"front": spec.distance_m, "back": -spec.distance_m}.get(spec.view, 0.0)
    position = (sign * spec.distance_m, spec.height_m, depth)
    focal = (size[1] / 2.0) / (half_view / spec.distance_m)
    return look_at_camera(position, (0.0, aim, 0.0), size[0], size[1], focal)


def battery_lighting(spec: LightSpec, camera: Camera) -> Lighting:
    """World-frame lighting from camera-relative directions (horizontal image right, world up, back to the
    camera)."""
    right, _, forward = camera.rotation_matrix
    right_h = np.array([right[0], 0.0, right[2]]) / np.hypot(right[0], right[2])
    back_h = -np.array([forward[0], 0.0, forward[2]]) / np.hypot(forward[0], forward[2])
    up = np.array([0.0, 1.0, 0.0])

    def world(v: tuple[float, float, float]) -> tuple[float, float, float]:
        return unit(tuple(v[0] * right_h + v[1] * up + v[2] * back_h))  # type: ignore[arg-type]

    return Lighting(world(spec.key), world(spec.fill), spec.key_gain, spec.fill_gain, spec.ambient, spec.sky)


def battery_room(spec: CameraSpec, walk: bool) -> Room:
    """Floor and a back wall behind the subject, with a shadow area wide enough for side-lit scenes."""
    if spec.view == "front":
        return Room((0.0, 0.0, -1.6), (0.0, 0.0, 1.0), (-2.2, 2.2, -1.6, 1.4))
    if spec.view == "back":
        return Room((0.0, 0.0, 1.6), (0.0, 0.0, -1.0), (-2.2, 2.2, -1.4, 1.6))
    sign = 1.0 if spec.view == "left" else -1.0
    x_range = sorted((-sign * 2.1, sign * 1.2))
    half_z = 4.3 if walk else 2.4
    return Room((-sign * 2.1, 0.0, 0.0), (sign, 0.0, 0.0), (x_range[0], x_range[1], -half_z, half_z))


def side_facing_truth(camera: Camera, task_truth: dict) -> dict:
    """Which side faces the camera and which way the subject faces / walks in THIS camera's image: the
    values of those keys that ``task_truth`` has (the motions assume the bundled clips' camera side)."""
    to_left = float(camera.rotation_matrix[0, 2]) < 0.0  # world +Z (facing, walking) towards image left
    values = {
        "side_facing_camera": "left" if camera.position_m[0] > 0.0 else "right",
        "facing_in_image": "image_left" if to_left else "image_right",
        "direction_in_image": "right_to_left" if to_left else "left_to_right",
    }
    return {key: value for key, value in values.items() if key in task_truth}


@dataclass(frozen=True, eq=False)
class BatteryMotion:
    """The programmed motion of a battery clip; its truth also names the entry and its signs and, in side
    views, gives the facing seen by this clip's camera."""

    motion: Motion
    camera: Camera
    entry: BatteryEntry

    @property
    def dims(self) -> BodyDims:
        return self.motion.dims

    @property
    def duration_s(self) -> float:
        return self.motion.duration_s

    def params_at(self, t_s: float) -> PoseParams:
        return self.motion.params_at(t_s)

    def frame_measures(self, t_s: float, pose: Pose, camera: Camera) -> dict[str, float]:
        return self.motion.frame_measures(t_s, pose, camera)

    def truth(self) -> dict:
        doc = self.motion.truth()
        if doc.get("view") == "side":
            doc.update(side_facing_truth(self.camera, doc))
        if self.entry.camera.view == "back":  # the motions assume a camera in front
            doc["view"] = "back"
        entry = self.entry
        doc["battery"] = {"name": entry.name, "description": entry.description, "signs": entry.signs,
                          "stickers": entry.stickers}  # fmt: skip
        return doc


def build_motion(spec: MotionSpec, dims: BodyDims, camera: Camera) -> Motion:
    """The programmed motion for a spec (knee rotations and shank tilts solved for this body and camera)."""
    if isinstance(spec, SquatSpec):
        return solve_knee_rotations(dims, spec, camera)
    if isinstance(spec, SideSquatSpec):
        return solve_shank_tilts(dims, spec)
    if isinstance(spec, SingleLegSquatSpec):
        return solve_single_leg_knee_rotations(dims, camera, spec)
    if isinstance(spec, SingleLegSpec):
        return SingleLegMotion(dims, spec)
    return WalkMotion(dims, spec)


def front_squat(valgus_deg: float) -> SquatSpec:
    """The bundled front squat's timing with the same valgus on both knees in every rep."""
    return SquatSpec(reps=tuple(replace(rep, valgus_left_deg=valgus_deg, valgus_right_deg=valgus_deg)
                                for rep in SquatSpec().reps))  # fmt: skip


def side_squat(
    travel_cm: tuple[float, ...],
    heel_cm: tuple[float, ...],
    flexion_deg: tuple[float, ...] = (110.0,) * 3,
    trunk_deg: tuple[float, ...] = (35.0,) * 3,
) -> SideSquatSpec:
    """Three side-view squats (bundled timing) with, per rep, knee travel ahead of the toe tip and heel rise
    (cm), knee flexion and trunk flexion (deg) at the bottom."""
    times = ((1.0, 2.0, 3.0), (3.0, 4.0, 5.0), (5.0, 6.0, 7.0))
    reps = zip(times, travel_cm, heel_cm, flexion_deg, trunk_deg, strict=True)
    return SideSquatSpec(reps=tuple(SideSquatRep(*t, k / 100.0, h / 100.0, f, tr) for t, k, h, f, tr in reps))


def single_leg_squat(fppa_deg: tuple[float, ...]) -> SingleLegSquatSpec:
    """The bundled single-leg squat's timing with the given stance-knee FPPA per rep (left x3, right x3),
    no pelvic drop and a 2 deg thorax tilt."""
    base = SingleLegSquatSpec()
    reps = tuple(replace(rep, fppa_deg=fppa, pelvic_drop_deg=0.0, thorax_tilt_deg=2.0)
                 for rep, fppa in zip(base.reps, fppa_deg, strict=True))  # fmt: skip
    return replace(base, reps=reps)


def walk_signs(left_m: float, right_m: float) -> dict:
    """The step lengths and Robinson's symmetry index (R - L) / (0.5 (R + L)) x 100 % as kneechain reports it
    (positive = right step longer)."""
    index = 200.0 * (right_m - left_m) / (left_m + right_m)
    return {
        "step_length_m": {"left": left_m, "right": right_m},
        "step_length_symmetry_index_pct": round(index, 2),
    }


_CALM_SIDE = side_squat((-2.0, 4.0, 7.0), (0.0,) * 3, (95.0, 105.0, 115.0), (38.0, 34.0, 30.0))
_CALM_STAND = SingleLegSpec(peak_drop_deg=0.0, trunk_lean_deg=2.0)
_EVEN_WALK = WalkSpec(step_left_m=0.645, step_right_m=0.645)
_FRONT = CameraSpec("front", 1.15, 3.6)  # about the bundled front clips' camera

VALGUS_15 = {"valgus_deg": {"left": [15.0] * 3, "right": [15.0] * 3}}
BATTERY: tuple[BatteryEntry, ...] = (
    # --- no sign: kneechain should make no hip-driven / foot-driven call ---
    BatteryEntry("squat_front_nosign_low_near", front_squat(0.0), CameraSpec("front", 0.6, 2.8),
                 "tall_wide_hips", "dark_skin_light_shorts", "key_left",
                 "front squat, valgus 0/0 on every rep; low close camera"),
    BatteryEntry("squat_front_nosign_high_far", front_squat(0.0), CameraSpec("front", 1.5, 5.0),
                 "short", "black_leggings", "dim", "front squat, valgus 0/0 on every rep; high far camera"),
    BatteryEntry("squat_side_nosign_left", _CALM_SIDE, CameraSpec("left", 1.2, 3.6),
                 "default", "light_skin_red_shirt", "key_right",
                 "side squat facing image left, knee travel -2/+4/+7 cm, no heel rise"),
    BatteryEntry("squat_side_nosign_right", _CALM_SIDE, CameraSpec("right", 0.9, 3.2),
                 "tall_wide_hips", "dark_skin_light_shorts", "key_left",
                 "side squat facing image RIGHT (camera on the subject's right), knee travel -2/+4/+7 cm, "
                 "no heel rise"),
    BatteryEntry("squat_side_nosign_low", _CALM_SIDE, CameraSpec("left", 0.55, 3.0),
                 "short", "black_leggings", "dim",
                 "side squat facing image left, knee travel -2/+4/+7 cm, no heel rise; low camera 0.55 m"),
    BatteryEntry("single_leg_stand_nosign", _CALM_STAND, _FRONT,
                 "default", "light_skin_red_shirt", "key_right",
                 "single-leg stand on the left leg, no pelvic drop, 2 deg thorax tilt"),
    BatteryEntry("single_leg_stand_nosign_low_far", _CALM_STAND, CameraSpec("front", 0.7, 4.5),
                 "tall_wide_hips", "dark_skin_light_shorts", "key_left",
                 "single-leg stand on the left leg, no pelvic drop, 2 deg thorax tilt; low far camera"),
    BatteryEntry("walk_side_equal_ltr", _EVEN_WALK, CameraSpec("right", 1.5, 4.5, 1.45, 0.95),
                 "default", "black_leggings", "front_top",
                 "side walk left to right (right side to the camera), equal steps 0.645 m"),
    BatteryEntry("walk_side_equal_rtl", _EVEN_WALK, CameraSpec("left", 1.0, 5.0, 1.45, 0.95),
                 "short", "dark_skin_light_shorts", "key_left",
                 "side walk RIGHT TO LEFT (left side to the camera), equal steps 0.645 m"),
    BatteryEntry("single_leg_squat_front_nosign", single_leg_squat((3.0, 5.0, 6.0, 2.0, 4.0, 5.0)), _FRONT,
                 "short", "light_skin_red_shirt", "front_top",
                 "single-leg squats, 3 left then 3 right, FPPA 3/5/6 and 2/4/5 deg, no pelvic drop"),
    # --- with a programmed sign ---
    BatteryEntry("squat_side_heel_rise_1_2_4", side_squat((5.0,) * 3, (1.0, 2.0, 4.0)),
                 CameraSpec("left", 0.9, 3.2), "default", "default", "key_right",
                 "side squat facing image left, heel rise 1/2/4 cm, knee travel +5 cm",
                 {"heel_rise_cm": [1.0, 2.0, 4.0]}),
    BatteryEntry("squat_side_heel_rise_0_2_4_high", side_squat((5.0,) * 3, (0.0, 2.0, 4.0)),
                 CameraSpec("left", 1.5, 4.2), "tall_wide_hips", "light_skin_red_shirt", "key_left",
                 "side squat facing image left, heel rise 0/2/4 cm, knee travel +5 cm; high camera 1.5 m",
                 {"heel_rise_cm": [0.0, 2.0, 4.0]}),
    BatteryEntry("squat_side_heel_rise_1_2_4_right", side_squat((5.0,) * 3, (1.0, 2.0, 4.0)),
                 CameraSpec("right", 1.1, 3.5), "short", "dark_skin_light_shorts", "front_top",
                 "side squat facing image RIGHT, heel rise 1/2/4 cm, knee travel +5 cm",
                 {"heel_rise_cm": [1.0, 2.0, 4.0]}),
    BatteryEntry("squat_side_heel_rise_8", side_squat((8.0,) * 3, (8.0,) * 3), CameraSpec("left", 1.0, 3.4),
                 "short", "black_leggings", "key_left",
                 "side squat facing image left, heel rise 8 cm on every rep (on the forefoot), knee travel "
                 "+8 cm", {"heel_rise_cm": [8.0, 8.0, 8.0]}),
    BatteryEntry("squat_side_heel_rise_8_right", side_squat((8.0,) * 3, (8.0,) * 3),
                 CameraSpec("right", 1.3, 3.8),
                 "tall_wide_hips", "default", "front_top",
                 "side squat facing image RIGHT, heel rise 8 cm on every rep, knee travel +8 cm",
                 {"heel_rise_cm": [8.0, 8.0, 8.0]}),
    BatteryEntry("squat_front_valgus_15", front_squat(15.0), _FRONT, "default", "default", "dim",
                 "front squat, valgus 15/15 deg on every rep", VALGUS_15),
    BatteryEntry("squat_front_valgus_15_low", front_squat(15.0), CameraSpec("front", 0.7, 3.0),
                 "tall_wide_hips", "black_leggings", "key_right",
                 "front squat, valgus 15/15 deg on every rep; low close camera", VALGUS_15),
    BatteryEntry("single_leg_stand_drop_8", SingleLegSpec(peak_drop_deg=8.0), CameraSpec("front", 1.0, 3.2),
                 "short", "black_leggings", "front_top",
                 "single-leg stand on the left leg, 8 deg contralateral pelvic drop",
                 {"pelvic_drop_deg": 8.0}),
    # --- the two-sticker pelvis protocol: ASIS stickers from the front, PSIS stickers from behind ---
    BatteryEntry("single_leg_stand_asis_nodrop", _CALM_STAND, _FRONT, "tall_wide_hips", "default", "key_left",
                 "single-leg stand on the left leg, no pelvic drop; ASIS stickers", {}, "asis"),
    BatteryEntry("single_leg_stand_asis_drop_8", SingleLegSpec(peak_drop_deg=8.0),
                 CameraSpec("front", 1.0, 3.4), "default", "dark_skin_light_shorts", "key_right",
                 "single-leg stand on the left leg, 8 deg contralateral pelvic drop; ASIS stickers",
                 {"pelvic_drop_deg": 8.0}, "asis"),
    BatteryEntry("single_leg_stand_psis_drop_6_back", SingleLegSpec(peak_drop_deg=6.0),
                 CameraSpec("back", 1.1, 3.6), "short", "light_skin_red_shirt", "front_top",
                 "single-leg stand on the left leg filmed from BEHIND, 6 deg contralateral pelvic drop; PSIS "
                 "stickers", {"pelvic_drop_deg": 6.0}, "psis"),
    BatteryEntry("walk_side_right_longer_ltr", WalkSpec(step_left_m=0.59, step_right_m=0.70),
                 CameraSpec("right", 1.3, 4.0, 1.45, 0.95), "tall_wide_hips", "light_skin_red_shirt",
                 "key_right", "side walk left to right, right step 0.70 m, left 0.59 m",
                 walk_signs(0.59, 0.70)),
    BatteryEntry("walk_side_left_longer_rtl", WalkSpec(step_left_m=0.70, step_right_m=0.60),
                 CameraSpec("left", 1.5, 4.5, 1.45, 0.95), "default", "default", "dim",
                 "side walk RIGHT TO LEFT, left step 0.70 m, right 0.60 m", walk_signs(0.70, 0.60)),
)  # fmt: skip
BATTERY_NAMES: tuple[str, ...] = tuple(entry.name for entry in BATTERY)


def battery_entry(name: str) -> BatteryEntry:
    """The entry called ``name``."""
    for entry in BATTERY:
        if entry.name == name:
            return entry
    raise ValueError(f"unknown battery clip {name!r}; known: {', '.join(BATTERY_NAMES)}")


def build_battery_clip(name: str, scale: float = 1.0) -> Clip:
    """The battery clip called ``name``; ``scale`` < 1 renders a smaller image of the same scene."""
    return build_entry_clip(battery_entry(name), scale)


def build_entry_clip(entry: BatteryEntry, scale: float = 1.0) -> Clip:
    """The clip of a battery entry (this battery's or another's, e.g. ``kneechain.synth.pelvis_battery``)."""
    name = entry.name
    dims = BODIES[entry.body]
    camera = battery_camera(entry.camera, dims, scale)
    motion = BatteryMotion(build_motion(entry.spec, dims, camera), camera, entry)
    room = battery_room(entry.camera, walk=isinstance(entry.spec, WalkSpec))
    lighting = battery_lighting(LIGHTS[entry.light], camera)
    return Clip(
        name, camera, room, lighting, motion, dims, palette=PALETTES[entry.palette], stickers=entry.stickers
    )
