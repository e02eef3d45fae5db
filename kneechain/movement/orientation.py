"""Is the person upright in the image? A phone clip whose rotation flag was lost in an export or a
messaging app plays on its side or upside down, and nothing measured on it means what it says (left and
right, "up", the view and the reps all turn with the picture).

``body_axis_deg``: per frame, the direction from the ankles' midpoint to the shoulders' midpoint,
measured from image-up, positive clockwise (the shoulders towards image right). ``clip_rotation_deg``: the
clip's rotation, a multiple of 90° (0, 90, 180, 270), from the median axis over the detected frames; a
clip counts as rotated only when that median is more than ``ROTATED_BEYOND_DEG`` from upright.

Why this works (measured): MediaPipe finds a person filmed sideways or upside down and names their
keypoints right, so the axis turns with the picture: the bundled front squat reads 0.1° upright, 90.2°
turned a quarter, -179.7° turned upside down; the side walk upside down -175.5°. Upright tasks stay near
0°: over the 25 real clips in ``../shared/videos`` the clip medians lie within ±23° (squats and walks
within ±6°) except a subject leaning far over one leg at -36°; hence 60°, clear of both.
"""

from __future__ import annotations

import numpy as np

from kneechain.movement.body import midpoint_px
from kneechain.track import LandmarkTrack

ROTATED_BEYOND_DEG = 60.0
TURN_WORDS = {
    90: "on their side (head to the right)",
    180: "upside down",
    270: "on their side (head to the left)",
}


def body_axis_deg(track: LandmarkTrack) -> np.ndarray:
    """Ankles' midpoint to shoulders' midpoint, degrees from image-up, + clockwise; NaN where unseen."""
    shoulders = midpoint_px(track, "left_shoulder", "right_shoulder")
    axis = shoulders - midpoint_px(track, "left_ankle", "right_ankle")
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arctan2(axis[:, 0], -axis[:, 1]))


def clip_rotation_deg(track: LandmarkTrack) -> int:
    """How far the picture is turned clockwise from upright: 0, 90, 180 or 270 (0 when unknown)."""
    angles = body_axis_deg(track)
    angles = angles[np.isfinite(angles)]
    if not len(angles):
        return 0
    # the circular median's stand-in: the median after centring on the circular mean (no wrap at ±180°)
    mean = np.degrees(np.angle(np.mean(np.exp(1j * np.radians(angles)))))
    median = mean + float(np.median((angles - mean + 180.0) % 360.0 - 180.0))
    if abs((median + 180.0) % 360.0 - 180.0) <= ROTATED_BEYOND_DEG:
        return 0
    return round(median / 90.0) * 90 % 360


def rotation_problem(rotation_deg: int) -> str | None:
    """The verdict's sentence for a turned clip: what is wrong and how to fix it; None when upright."""
    if rotation_deg == 0:
        return None
    return (
        f"The video shows the person {TURN_WORDS[rotation_deg]}, so nothing can be measured: it has probably "
        "lost its rotation setting. Rotate it upright (for example in the phone's photo editor) and analyse "
        "it again."
    )
