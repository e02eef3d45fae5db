"""Silhouette points under the feet (kneechain.pose.silhouette) on drawn masks. That they follow their legs
when swapped left/right labels are repaired is tested in ``test_swaps.py``."""

from __future__ import annotations

import numpy as np
import pytest

from kneechain.pose.silhouette import lowest_body_pixel, silhouette_points_px
from kneechain.track import KEYPOINT_INDEX, N_MEDIAPIPE, SILHOUETTE_NAMES

FLOOR_Y = 400


def _foot_mask(heel_lift_px: int, facing: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A side-view foot 100 px long (heel at x 200, toe at x 200 + 100 * facing) on the floor row
    ``FLOOR_Y``, its heel end ``heel_lift_px`` higher (the sole a straight line), and the keypoints."""
    mask = np.zeros((480, 640), np.float32)
    heel_x, toe_x = 300 - 50 * facing, 300 + 50 * facing
    for x in range(min(heel_x, toe_x), max(heel_x, toe_x) + 1):
        along = (x - heel_x) / (toe_x - heel_x)  # 0 at the heel, 1 at the toe
        bottom = FLOOR_Y - round(heel_lift_px * max(0.0, 1.0 - along / 0.8))
        mask[bottom - 30 : bottom + 1, x] = 0.9
    xy = np.full((N_MEDIAPIPE, 2), np.nan, np.float32)
    for side in ("left", "right"):
        xy[KEYPOINT_INDEX[f"{side}_heel"]] = (heel_x, FLOOR_Y - 10 - heel_lift_px)
        xy[KEYPOINT_INDEX[f"{side}_foot_index"]] = (toe_x, FLOOR_Y - 8)
        xy[KEYPOINT_INDEX[f"{side}_ankle"]] = (heel_x + 25 * facing, FLOOR_Y - 25 - heel_lift_px)
    return mask, xy


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("lift_px", [0, 6, 20])
def test_the_heel_bottom_rises_with_the_heel_and_the_forefoot_stays_on_the_floor(lift_px, facing):
    points = silhouette_points_px(*_foot_mask(lift_px, facing))
    heel = points[SILHOUETTE_NAMES.index("left_heel_bottom")]
    toe = points[SILHOUETTE_NAMES.index("left_toe_bottom")]
    assert toe[1] == FLOOR_Y + 0.5  # the forefoot column lies beyond the bend: on the floor
    assert heel[0] == pytest.approx(300 - 40 * facing)  # 10 % of the foot in from the heel
    assert FLOOR_Y + 0.5 - heel[1] == pytest.approx(lift_px * (1 - 0.1 / 0.8), abs=1.0)


def test_no_point_for_a_foot_seen_end_on_or_cut_off():
    mask, xy = _foot_mask(0)
    end_on = xy.copy()
    end_on[KEYPOINT_INDEX["left_foot_index"], 0] = end_on[KEYPOINT_INDEX["left_heel"], 0] + 5.0
    assert np.isnan(silhouette_points_px(mask, end_on)[SILHOUETTE_NAMES.index("left_heel_bottom")]).all()
    cut = mask[: FLOOR_Y + 1]  # the image ends at the floor: the sole touches the bottom edge
    assert np.isnan(lowest_body_pixel(cut, 260.0, 2.0, (300.0, 500.0)))
    assert np.isnan(lowest_body_pixel(np.zeros_like(mask), 260.0, 2.0, (300.0, 500.0)))
