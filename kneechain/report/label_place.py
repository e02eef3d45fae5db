"""Where text boxes go on a video frame or key frame, so that they never cover the feet: boxes stacked in a
band at the top of the frame, each as high as it fits, and a label beside a joint moved up when it would
land on the feet. Pure geometry in pixels; drawing is ``kneechain.report.annotate``'s."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kneechain.track import KEYPOINT_INDEX

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels
FOOT_POINTS = tuple(
    f"{side}_{part}" for side in ("left", "right") for part in ("ankle", "heel", "foot_index")
)


def overlaps(a: Box, b: Box | None) -> bool:
    """Whether two boxes share any area (False against no box)."""
    return b is not None and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def feet_box_px(points_px: np.ndarray, margin_px: float) -> Box | None:
    """The box around both ankles, heels and toes (keypoints ``points_px`` (33+, 2)) plus ``margin_px``;
    None when no foot point is known."""
    feet = points_px[[KEYPOINT_INDEX[name] for name in FOOT_POINTS], :2].astype(float)
    feet = feet[np.isfinite(feet).all(axis=1)]
    if not len(feet):
        return None
    (x0, y0), (x1, y1) = feet.min(axis=0) - margin_px, feet.max(axis=0) + margin_px
    return int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1))


def moved_up_from(box: Box, avoid: Box | None, gap_px: int) -> Box:
    """``box`` unchanged, or, when it overlaps ``avoid``, moved up to end ``gap_px`` above it (below it
    when there is no room above)."""
    if not overlaps(box, avoid):
        return box
    height = box[3] - box[1]
    y0 = avoid[1] - gap_px - height
    if y0 < 0:
        y0 = avoid[3] + gap_px
    return box[0], y0, box[2], y0 + height


def _first_free_px(x0: int, size_px: tuple[int, int], image_shape: tuple[int, ...], margin_px: int,
                   taken: Sequence[Box]) -> Box | None:  # fmt: skip
    """The highest box of ``size_px`` at ``x0`` inside the image that overlaps none of ``taken``."""
    width, height = size_px
    y0 = margin_px
    while y0 + height <= image_shape[0]:
        box = (x0, y0, x0 + width, y0 + height)
        blocking = [b for b in taken if overlaps(box, b)]
        if not blocking:
            return box
        y0 = max(b[3] for b in blocking) + 1  # jump below what blocks it
    return None


def stack_boxes(sizes_px: Sequence[tuple[int, int]], image_shape: tuple[int, ...], margin_px: int,
                gap_px: int, avoid: Box | None = None) -> list[Box]:  # fmt: skip
    """Boxes of the given (width, height) stacked top-down in the top-left corner, ``gap_px`` apart, none
    overlapping ``avoid`` (the feet). A box that the feet push down the left side goes to the top-right
    instead when it fits higher there."""
    placed: list[Box] = []
    for width, height in sizes_px:
        taken = [*(_grown(box, gap_px) for box in placed), *([avoid] if avoid else [])]
        left = _first_free_px(margin_px, (width, height), image_shape, margin_px, taken)
        right_x0 = max(margin_px, image_shape[1] - margin_px - width)
        right = _first_free_px(right_x0, (width, height), image_shape, margin_px, taken)
        pushed = left is None or (avoid is not None and left[1] >= avoid[3])
        choice = right if pushed and right is not None and (left is None or right[1] < left[1]) else left
        placed.append(choice or (margin_px, margin_px, margin_px + width, margin_px + height))
    return placed


def _grown(box: Box, by_px: int) -> Box:
    return box[0] - by_px, box[1] - by_px, box[2] + by_px, box[3] + by_px
