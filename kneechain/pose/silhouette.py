"""Silhouette points under the feet, from the pose model's own segmentation mask.

Why
---
MediaPipe's heel keypoint rides up the back of the shoe as the ankle bends: 0.12-0.21 foot lengths of
"heel rise" on flat heels in rendered and real squats, the size of a real rise. The body's outline does not
move that way: while the heel is on the floor the lowest pixel of the person's mask under the heel stays on
the floor line, and it rises with the heel.

What
----
Per person and frame, for each foot (MediaPipe's labels): two narrow columns of the mask (``HALF_WIDTH`` of
the heel-to-toe image distance either side), one ``HEEL_IN`` of that distance in from the heel keypoint
towards the toe, one ``TOE_IN`` in from the toe keypoint; in each, the lowest pixel whose mask value
exceeds ``THRESHOLD``, searched from half a foot above the ankle keypoint to a foot below it, is the bottom
of the outline there (x: the column's centre, y: that pixel's centre). NaN when heel and toe are less than
``MIN_FOOT_PX`` apart in the image (a foot pointing at the camera), the column leaves the image, no body
pixel lies in the window, or the lowest one touches the window's or the image's bottom edge (cut off).
Where both feet cover a column (a side view: the far foot behind the near one) the point is the lower of
the two. ``kneechain.metrics.knee_travel`` reads heel rise from these points; their measured error is in
``docs/accuracy.md``.
"""

from __future__ import annotations

import numpy as np

from kneechain.track import KEYPOINT_INDEX, SILHOUETTE_NAMES

HEEL_IN = 0.10
TOE_IN = 0.15
HALF_WIDTH = 0.03
MIN_FOOT_PX = 12.0
THRESHOLD = 0.5
_FEET = {
    side: tuple(KEYPOINT_INDEX[f"{side}_{point}"] for point in ("heel", "foot_index", "ankle"))
    for side in ("left", "right")
}


def silhouette_points_px(mask: np.ndarray, xy_px: np.ndarray) -> np.ndarray:
    """(4, 2) image x, y of ``SILHOUETTE_NAMES`` (NaN where not found) from one person's segmentation mask
    (H, W), values 0-1, and the image x, y of MediaPipe's 33 keypoints (33, 2)."""
    points = np.full((len(SILHOUETTE_NAMES), 2), np.nan, np.float32)
    for side, (heel, toe, ankle) in _FEET.items():
        heel_xy, toe_xy, ankle_xy = xy_px[heel], xy_px[toe], xy_px[ankle]
        foot_px = abs(float(toe_xy[0] - heel_xy[0]))
        if not np.isfinite([*heel_xy, *toe_xy, *ankle_xy]).all() or foot_px < MIN_FOOT_PX:
            continue
        towards_toe = np.sign(toe_xy[0] - heel_xy[0])
        columns = {"heel": heel_xy[0] + towards_toe * HEEL_IN * foot_px,
                   "toe": toe_xy[0] - towards_toe * TOE_IN * foot_px}  # fmt: skip
        rows = (ankle_xy[1] - 0.5 * foot_px, ankle_xy[1] + foot_px)
        for point, x in columns.items():
            y = lowest_body_pixel(mask, x, max(1.0, HALF_WIDTH * foot_px), rows)
            points[SILHOUETTE_NAMES.index(f"{side}_{point}_bottom")] = (x, y)
    return points


def lowest_body_pixel(mask: np.ndarray, x: float, half_width: float, rows: tuple[float, float]) -> float:
    """Centre y of the lowest pixel above ``THRESHOLD`` in the columns within ``half_width`` of ``x`` and
    the rows ``rows`` (first, last), NaN when none or when it touches the window's or the image's bottom."""
    height, width = mask.shape
    left, right = int(np.floor(x - half_width)), int(np.ceil(x + half_width)) + 1
    top, bottom = max(0, int(np.floor(rows[0]))), min(height, int(np.ceil(rows[1])) + 1)
    if left < 0 or right > width or top >= bottom:
        return float("nan")
    body = np.flatnonzero((mask[top:bottom, left:right] > THRESHOLD).any(axis=1))
    if not len(body) or top + body[-1] >= bottom - 1:
        return float("nan")
    return float(top + body[-1] + 0.5)
