"""Round skin stickers on the pelvis, for the clinic's two-sticker pelvic drop protocol (Dingenen et al.
2018): one on each ASIS (anterior superior iliac spine, filmed from the front) or on each PSIS dimple
(posterior superior iliac spine, filmed from behind). The line between the two stickers tilts with the
pelvis, whatever the hip landmarks do.

On the mannequin the stickers sit on the surface of the shorts' pelvis ellipsoid (``figure.dress_torso``),
at the pelvis's anatomical proportions: ASIS about 0.23 m apart, 0.07 m above the hip joint centres and in
front of them; PSIS about 0.09 m apart, 0.09 m above them, at the back. A sticker is a flat disc of radius
``STICKER_RADIUS_M`` in fluorescent green, which clothing, skin and the rooms do not contain.
"""

from __future__ import annotations

import numpy as np

from kneechain.synth.raycast import Ellipsoid
from kneechain.synth.render import srgb_to_linear
from kneechain.synth.skeleton import Pose, normalize

PLACEMENTS = ("asis", "psis")
STICKER_RGB = (60, 235, 60)
STICKER_RADIUS_M = 0.018
# The shorts' pelvis ellipsoid of ``figure.dress_torso`` (pelvis frame: x = subject's left, y = up,
# z = forward): centre offset from the pelvis origin and radii, metres.
_PELVIS_CENTRE = np.array([0.0, 0.05, -0.012])
_PELVIS_RADII = np.array([0.172, 0.13, 0.112])
# (half distance apart, height above the pelvis origin, front +1 / back -1) of each placement, metres.
_LAYOUT = {"asis": (0.115, 0.07, 1.0), "psis": (0.045, 0.09, -1.0)}


def sticker_points_m(pose: Pose, placement: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """World position and outward unit normal of each sticker's centre, by the subject's side."""
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown sticker placement {placement!r}; known: {', '.join(PLACEMENTS)}")
    half_apart, height, face = _LAYOUT[placement]
    rotation, origin = pose.frames["pelvis"], pose.points["pelvis_origin"]
    points = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        x, y = sign * half_apart, height - _PELVIS_CENTRE[1]
        inside = 1.0 - (x / _PELVIS_RADII[0]) ** 2 - (y / _PELVIS_RADII[1]) ** 2
        local = np.array([x, y, face * _PELVIS_RADII[2] * np.sqrt(max(inside, 0.0))])
        normal = normalize(local / _PELVIS_RADII**2)
        points[side] = (origin + rotation @ (_PELVIS_CENTRE + local), rotation @ normal)
    return points


def dress_stickers(pose: Pose, placement: str) -> list[Ellipsoid]:
    """The two stickers as flat discs lying on the pelvis surface (raised 2 mm so they show)."""
    discs = []
    for centre, normal in sticker_points_m(pose, placement).values():
        helper = np.array([0.0, 1.0, 0.0]) if abs(normal[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
        first = normalize(np.cross(helper, normal))
        axes = np.stack([first, np.cross(normal, first), normal], axis=1)
        discs.append(Ellipsoid(centre=centre + 0.002 * normal, axes=axes,
                               radii=np.array([STICKER_RADIUS_M, STICKER_RADIUS_M, 0.003]),
                               albedo=srgb_to_linear(STICKER_RGB)))  # fmt: skip
    return discs
