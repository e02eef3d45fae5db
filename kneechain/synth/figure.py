"""Dressing the skeleton: about 45 ellipsoids and rounded cones that make the mannequin look enough like a
person for a pose detector (head with a simple face, ears and hair; T-shirt, shorts, skin, socks, shoes).

All offsets are metres in the frame of the segment they belong to: columns (left, up, forward), see
:mod:`kneechain.synth.skeleton`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kneechain.synth.raycast import Ellipsoid, Primitive, RoundCone
from kneechain.synth.render import srgb_to_linear
from kneechain.synth.skeleton import SIDE_SIGN, SIDES, BodyDims, Pose, normalize
from kneechain.synth.stickers import dress_stickers

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """8-bit sRGB colours of the mannequin's materials."""

    skin: RGB = (222, 174, 142)
    hair: RGB = (56, 38, 28)
    shirt: RGB = (36, 102, 168)
    shorts: RGB = (48, 50, 62)
    socks: RGB = (236, 236, 232)
    shoes: RGB = (64, 70, 88)
    soles: RGB = (230, 228, 222)
    lips: RGB = (172, 92, 86)
    sclera: RGB = (236, 232, 226)
    iris: RGB = (46, 32, 24)


def segment_axes(direction: np.ndarray, forward_hint: np.ndarray) -> np.ndarray:
    """Axes (columns left, up, forward) of a limb whose long axis runs along ``direction`` (proximal to
    distal); 'up' points back to the proximal end, 'forward' is the hint made perpendicular."""
    up = -normalize(direction)
    forward = forward_hint - np.dot(forward_hint, up) * up
    if np.linalg.norm(forward) < 1e-6:
        forward = np.cross(up, np.array([1.0, 0.0, 0.0]))
    forward = normalize(forward)
    return np.stack([np.cross(up, forward), up, forward], axis=1)


def _ell(centre: np.ndarray, axes: np.ndarray, radii: tuple[float, float, float], rgb: RGB) -> Ellipsoid:
    return Ellipsoid(
        centre=np.asarray(centre, float),
        axes=np.asarray(axes, float),
        radii=np.asarray(radii, float),
        albedo=srgb_to_linear(rgb),
    )


def _cone(start: np.ndarray, end: np.ndarray, r_start: float, r_end: float, rgb: RGB) -> RoundCone:
    return RoundCone(
        start=np.asarray(start, float),
        end=np.asarray(end, float),
        r_start=r_start,
        r_end=r_end,
        albedo=srgb_to_linear(rgb),
    )


def dress_head(pose: Pose, palette: Palette) -> list[Primitive]:
    """Skull, jaw, hair, eyes (sclera and iris), brows, nose, lips, ears and neck."""
    rot, centre = pose.frames["head"], pose.points["head_centre"]

    def at(x: float, y: float, z: float) -> np.ndarray:
        return centre + rot @ np.array([x, y, z])

    prims: list[Primitive] = [
        _ell(at(0.0, 0.008, 0.0), rot, (0.077, 0.104, 0.093), palette.skin),
        _ell(at(0.0, -0.05, 0.02), rot, (0.063, 0.062, 0.074), palette.skin),
        _ell(at(0.0, 0.03, -0.008), rot, (0.083, 0.092, 0.097), palette.hair),
        _ell(at(0.0, -0.012, 0.099), rot, (0.011, 0.024, 0.019), palette.skin),
        _ell(at(0.0, -0.052, 0.089), rot, (0.021, 0.0065, 0.009), palette.lips),
        _cone(pose.points["neck"], at(0.0, -0.06, -0.012), 0.058, 0.052, palette.skin),
    ]
    for side in SIDES:
        s = SIDE_SIGN[side]
        prims += [
            _ell(at(s * 0.032, 0.008, 0.078), rot, (0.0125, 0.0085, 0.009), palette.sclera),
            _ell(at(s * 0.032, 0.008, 0.0865), rot, (0.0065, 0.0065, 0.003), palette.iris),
            _ell(at(s * 0.033, 0.031, 0.085), rot, (0.019, 0.0045, 0.007), palette.hair),
            _ell(at(s * 0.078, -0.005, -0.005), rot, (0.012, 0.028, 0.018), palette.skin),
        ]
    return prims


def dress_torso(pose: Pose, palette: Palette) -> list[Primitive]:
    """T-shirt: chest and abdomen; shorts: pelvis."""
    trunk, pelvis = pose.frames["trunk"], pose.frames["pelvis"]
    pts = pose.points
    chest = pts["shoulder_mid"] + trunk @ np.array([0.0, -0.12, 0.0])
    belly_top = pts["shoulder_mid"] + trunk @ np.array([0.0, -0.24, 0.0])
    belly_axes = segment_axes(pts["lumbar"] - belly_top, trunk[:, 2])
    return [
        _ell(chest, trunk, (0.172, 0.165, 0.105), palette.shirt),
        _ell(
            pts["shoulder_mid"] + trunk @ np.array([0.0, -0.025, -0.01]),
            trunk,
            (0.2, 0.06, 0.085),
            palette.shirt,
        ),
        _ell((belly_top + pts["lumbar"]) / 2.0, belly_axes, (0.152, 0.17, 0.097), palette.shirt),
        _ell(
            pts["pelvis_origin"] + pelvis @ np.array([0.0, 0.05, -0.012]),
            pelvis,
            (0.172, 0.13, 0.112),
            palette.shorts,
        ),
    ]


def dress_arm(pose: Pose, side: str, palette: Palette) -> list[Primitive]:
    """Shoulder cap and short sleeve (shirt), upper arm, forearm and hand (skin)."""
    pts, trunk = pose.points, pose.frames["trunk"]
    shoulder, elbow, wrist = pts[f"{side}_shoulder"], pts[f"{side}_elbow"], pts[f"{side}_wrist"]
    upper_dir = normalize(elbow - shoulder)
    fore_dir = normalize(wrist - elbow)
    hand_axes = segment_axes(fore_dir, trunk[:, 2])
    return [
        _ell(shoulder, trunk, (0.052, 0.05, 0.054), palette.shirt),
        _cone(shoulder, shoulder + 0.13 * upper_dir, 0.053, 0.049, palette.shirt),
        _cone(shoulder, elbow, 0.045, 0.037, palette.skin),
        _cone(elbow, wrist, 0.037, 0.027, palette.skin),
        _ell(wrist + 0.07 * fore_dir, hand_axes, (0.022, 0.08, 0.043), palette.skin),
    ]


def dress_leg(pose: Pose, side: str, dims: BodyDims, palette: Palette) -> list[Primitive]:
    """Shorts leg, thigh, knee, shank, calf, sock and a two-part shoe with a sole."""
    pts, foot = pose.points, pose.frames[f"{side}_foot"]
    hip, knee, ankle = pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"]
    shank_axes = segment_axes(ankle - knee, foot[:, 2])
    shank_up = shank_axes[:, 1]
    sole_y = -dims.ankle_height_m

    def on_foot(x: float, y: float, z: float) -> np.ndarray:
        return ankle + foot @ np.array([x, y, z])

    mid_foot = (dims.toe_front_m - dims.heel_back_m) / 2.0
    return [
        _cone(hip, hip + 0.42 * (knee - hip), 0.088, 0.077, palette.shorts),
        _cone(hip, knee, 0.078, 0.05, palette.skin),
        _ell(knee, shank_axes, (0.051, 0.052, 0.05), palette.skin),
        _cone(knee, ankle, 0.049, 0.033, palette.skin),
        _ell(
            knee + 0.32 * (ankle - knee) - 0.012 * shank_axes[:, 2],
            shank_axes,
            (0.05, 0.11, 0.052),
            palette.skin,
        ),
        _cone(ankle, ankle + 0.07 * shank_up, 0.035, 0.033, palette.socks),
        _ell(
            ankle,
            np.stack([foot[:, 0], shank_up, np.cross(foot[:, 0], shank_up)], axis=1),
            (0.038, 0.028, 0.032),
            palette.socks,
        ),
        _ell(on_foot(0.0, sole_y + 0.036, -0.005), foot, (0.045, 0.036, 0.075), palette.shoes),
        _ell(on_foot(0.0, sole_y + 0.031, 0.11), foot, (0.046, 0.029, 0.095), palette.shoes),
        _ell(on_foot(0.0, sole_y + 0.011, mid_foot), foot, (0.05, 0.011, 0.142), palette.soles),
    ]


def dress_figure(pose: Pose, dims: BodyDims, palette: Palette = Palette(), stickers: str | None = None
                 ) -> list[Primitive]:  # fmt: skip
    """All primitives of the mannequin in one pose, back-to-front order irrelevant (depth buffered);
    ``stickers``: "asis" or "psis" adds the two pelvis stickers (``kneechain.synth.stickers``)."""
    prims = dress_head(pose, palette) + dress_torso(pose, palette)
    for side in SIDES:
        prims += dress_arm(pose, side, palette) + dress_leg(pose, side, dims, palette)
    return prims + (dress_stickers(pose, stickers) if stickers else [])
