"""Reference measurements on truth points, with the sign conventions the truth files use.

These are deliberately simple, exact geometric definitions (no filtering) used to program the clips and to
test them; they take either 2D image points (pixels, x right, y down) or 2D frontal-plane points (world X, Y).
"""

from __future__ import annotations

import numpy as np


def _cross2(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def fppa_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, other_hip: np.ndarray) -> float:
    """Frontal plane projection angle of one leg in degrees from 2D points.

    The angle between the thigh line (hip -> knee) and the shank line (knee -> ankle): 0 = aligned;
    positive = valgus (the knee lies on the medial side of the hip-ankle line, i.e. the side where the other
    hip is); negative = varus. Works for image points and for frontal-plane (X, Y) points alike.
    """
    hip, knee, ankle, other_hip = (np.asarray(p, float)[:2] for p in (hip, knee, ankle, other_hip))
    thigh, shank = knee - hip, ankle - knee
    angle = np.degrees(np.arctan2(abs(_cross2(thigh, shank)), float(np.dot(thigh, shank))))
    knee_side = _cross2(ankle - hip, knee - hip)
    medial_side = _cross2(ankle - hip, other_hip - hip)
    return float(angle if knee_side * medial_side > 0.0 else -angle)


def pelvic_obliquity_deg(left_hip_m: np.ndarray, right_hip_m: np.ndarray) -> float:
    """Angle of the hip-joint-centre line to the horizontal in the frontal (X-Y) plane, world points (m).

    Positive = the RIGHT side is lower (a contralateral pelvic drop when standing on the left leg).
    """
    dx = float(left_hip_m[0] - right_hip_m[0])
    dy = float(left_hip_m[1] - right_hip_m[1])
    return float(np.degrees(np.arctan2(dy, dx)))


def image_obliquity_deg(left_hip_px: np.ndarray, right_hip_px: np.ndarray) -> float:
    """The same angle measured in a FRONT-view image (subject's left on the image right, y down):
    positive = the right hip is lower in the image."""
    dx = float(left_hip_px[0] - right_hip_px[0])
    dy = float(right_hip_px[1] - left_hip_px[1])
    return float(np.degrees(np.arctan2(dy, dx)))


def trunk_lean_deg(shoulder_mid_m: np.ndarray, pelvis_m: np.ndarray) -> float:
    """Sideways lean of the pelvis->mid-shoulder line from vertical in the frontal plane (degrees);
    positive = towards the subject's left."""
    d = np.asarray(shoulder_mid_m, float) - np.asarray(pelvis_m, float)
    return float(np.degrees(np.arctan2(d[0], d[1])))
