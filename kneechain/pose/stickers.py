"""The clinic's two pelvis stickers, found in the video: the validated 2D way to measure pelvic drop.

Protocol (Dingenen et al. 2018: 2D contralateral pelvic drop from two skin markers agrees with 3D, intra- and
inter-tester ICC 0.90-0.99): a round, brightly coloured sticker on each ASIS (anterior superior iliac spine,
filmed from the front) or on each PSIS dimple (filmed from behind). MediaPipe's hip landmarks follow the
thighs, not the pelvis (``kneechain.metrics.pelvis``); the sticker line follows the pelvis.

Finding them, per frame (OpenCV, no model): pixels of the sticker colour (hue ``hue_range`` on OpenCV's
0-180 scale, saturation and value above their minimums: fluorescent green by default, which skin, clothing
and rooms rarely have) inside a window around the subject's hip centre (``search_leg`` leg lengths each
way); connected blobs whose area is that of a sticker of 1-6 cm diameter at the subject's scale and that
are disc-like (``max_aspect``, ``min_fill``); the two largest, if they lie side by side (at most
``max_tilt_deg`` from level and 0.05-0.6 leg lengths apart). Over the clip, a frame's pair must keep the
usual spacing and place relative to the hips (``steady_*``): stickers stay put on the pelvis, green things
around the subject do not. A frame without such a pair has no sticker line (the hips are used there, with
a warning). The
stickers' centroids are sub-pixel; left and right follow from the view (front: the subject's left is on the
image right; back: on the image left).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from kneechain.movement.body import hip_centre_px, leg_length_px
from kneechain.track import LandmarkTrack
from kneechain.video import iter_frames

STICKER_COLUMNS = ("t_s", "left_x_px", "left_y_px", "right_x_px", "right_y_px")
# Sticker spacing over hip-landmark spacing (image x): ASIS about 0.23-0.26 m apart and PSIS about 0.08-0.10 m
# against hip joint centres about 0.17-0.20 m (rendered: ASIS 1.1-1.2, PSIS 0.5). Above ``ASIS_RATIO`` the
# stickers are on the ASIS (filmed from the front), below ``PSIS_RATIO`` on the PSIS (from behind).
ASIS_RATIO, PSIS_RATIO = 0.9, 0.7


@dataclass(frozen=True)
class StickerConfig:
    """Colour (OpenCV HSV: hue 0-180, saturation and value 0-255) and geometry of the stickers to find."""

    hue_range: tuple[int, int] = (40, 85)
    min_saturation: int = 120
    min_value: int = 90
    search_leg: float = 0.45
    diameter_range_leg: tuple[float, float] = (0.012, 0.07)  # 1-6 cm on an 85 cm leg
    spacing_range_leg: tuple[float, float] = (0.05, 0.6)
    max_tilt_deg: float = 30.0
    max_aspect: float = 2.5  # a disc seen obliquely is an ellipse
    min_fill: float = 0.55
    steady_spacing: float = 0.25  # a frame's pair spacing within this fraction of the clip's median
    steady_offset_leg: float = 0.1  # the pair's midpoint within this of its median offset from the hips


def _window(shape: tuple[int, ...], centre: np.ndarray, half_px: float) -> tuple[slice, slice] | None:
    height, width = shape[:2]
    x0, x1 = int(max(centre[0] - half_px, 0)), int(min(centre[0] + half_px, width))
    y0, y1 = int(max(centre[1] - half_px, 0)), int(min(centre[1] + half_px, height))
    return (slice(y0, y1), slice(x0, x1)) if x1 > x0 and y1 > y0 else None


def _round(stat: np.ndarray, config: StickerConfig) -> bool:
    """Whether a blob (a row of ``connectedComponentsWithStats``) is disc-like: its bounding box at most
    ``max_aspect`` long for its width and filled to at least ``min_fill`` (a disc fills pi/4 = 0.79; the
    ragged green of grass or a leaf pattern does not)."""
    width, height = stat[cv2.CC_STAT_WIDTH], stat[cv2.CC_STAT_HEIGHT]
    aspect = max(width, height) / max(min(width, height), 1)
    return aspect <= config.max_aspect and stat[cv2.CC_STAT_AREA] / (width * height) >= config.min_fill


def find_sticker_pair(image_bgr: np.ndarray, hip_centre: np.ndarray, leg_px: float,
                      config: StickerConfig = StickerConfig()) -> np.ndarray | None:  # fmt: skip
    """The two stickers' centroids in one frame as a (2, 2) array ordered by image x (image-left first),
    or None when there are not two sticker-like blobs side by side near the hips."""
    window = _window(image_bgr.shape, hip_centre, config.search_leg * leg_px)
    if window is None:
        return None
    hsv = cv2.cvtColor(image_bgr[window], cv2.COLOR_BGR2HSV)
    low = (config.hue_range[0], config.min_saturation, config.min_value)
    mask = cv2.inRange(hsv, low, (config.hue_range[1], 255, 255))
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    smallest, largest = (np.pi / 4 * (d * leg_px) ** 2 for d in config.diameter_range_leg)
    blobs = [k for k in range(1, count) if smallest * 0.5 <= stats[k, cv2.CC_STAT_AREA] <= largest
             and _round(stats[k], config)]  # fmt: skip
    if len(blobs) < 2:
        return None
    two = sorted(blobs, key=lambda k: -stats[k, cv2.CC_STAT_AREA])[:2]
    pair = centroids[two] + [window[1].start, window[0].start]
    pair = pair[np.argsort(pair[:, 0])]
    dx, dy = pair[1] - pair[0]
    spacing, tilt = np.hypot(dx, dy) / leg_px, np.degrees(np.arctan2(abs(dy), dx))
    low_spacing, high_spacing = config.spacing_range_leg
    return pair if low_spacing <= spacing <= high_spacing and tilt <= config.max_tilt_deg else None


def track_stickers(video_path: str | os.PathLike, track: LandmarkTrack, view: str,
                   config: StickerConfig = StickerConfig()) -> pd.DataFrame:  # fmt: skip
    """The two stickers in every frame of the track (``STICKER_COLUMNS``, the subject's own left and right;
    NaN where they were not found). ``view``: "front" or "back"."""
    hips, leg_px = hip_centre_px(track), leg_length_px(track)
    found = np.full((track.n_frames, 4), np.nan)
    for frame in iter_frames(video_path):
        k = int(np.argmin(np.abs(track.t_s - frame.t_s)))
        if abs(track.t_s[k] - frame.t_s) > 1e-3 or not np.isfinite(hips[k]).all() or not np.isfinite(leg_px):
            continue
        pair = find_sticker_pair(frame.image_bgr, hips[k], leg_px, config)
        if pair is not None:
            left, right = (pair[1], pair[0]) if view == "front" else (pair[0], pair[1])
            found[k] = [*left, *right]
    found[~_steady(found, hips, leg_px, config)] = np.nan
    return pd.DataFrame({"t_s": track.t_s, **dict(zip(STICKER_COLUMNS[1:], found.T, strict=True))})


def _steady(found: np.ndarray, hips: np.ndarray, leg_px: float, config: StickerConfig) -> np.ndarray:
    """Frames whose pair keeps the clip's usual spacing and place relative to the hip centre (stickers stay
    put on the pelvis; green things around the subject do not)."""
    spacing = np.hypot(found[:, 2] - found[:, 0], found[:, 3] - found[:, 1])
    offset = (found[:, :2] + found[:, 2:]) / 2.0 - hips
    seen = np.isfinite(spacing)
    if not seen.any():
        return seen
    usual_spacing, usual_offset = np.median(spacing[seen]), np.median(offset[seen], axis=0)
    with np.errstate(invalid="ignore"):
        same_spacing = np.abs(spacing / usual_spacing - 1.0) <= config.steady_spacing
        same_place = np.linalg.norm(offset - usual_offset, axis=1) <= config.steady_offset_leg * leg_px
    return seen & same_spacing & same_place


def sticker_placement(stickers: pd.DataFrame, track: LandmarkTrack) -> str | None:
    """ "asis" or "psis" from the stickers' spacing relative to the hip landmarks' (median over the frames
    with both), None when it is in between: which side of the pelvis was filmed, independently of
    MediaPipe's front/back guess."""
    spacing = np.abs(stickers["right_x_px"].to_numpy(float) - stickers["left_x_px"].to_numpy(float))
    hips = np.abs(track.xy_px("left_hip")[:, 0] - track.xy_px("right_hip")[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = spacing / hips
    ratio = ratio[np.isfinite(ratio)]
    if not len(ratio):
        return None
    middle = float(np.median(ratio))
    return "asis" if middle >= ASIS_RATIO else "psis" if middle <= PSIS_RATIO else None


def sticker_obliquity_at(stickers: pd.DataFrame | None, t_s: np.ndarray) -> np.ndarray | None:
    """``sticker_obliquity_deg`` at the times ``t_s`` (a track's), NaN outside the stickers' frames; None
    without stickers."""
    if stickers is None:
        return None
    obliquity = sticker_obliquity_deg(stickers)
    return np.interp(t_s, stickers["t_s"].to_numpy(float), obliquity, left=np.nan, right=np.nan)


def sticker_obliquity_deg(stickers: pd.DataFrame) -> np.ndarray:
    """Per-frame obliquity of the sticker line, + = the RIGHT sticker lower (as the hip line's in
    ``kneechain.metrics.pelvis``); NaN where the stickers were not found."""
    dy = stickers["right_y_px"].to_numpy(float) - stickers["left_y_px"].to_numpy(float)
    dx = np.abs(stickers["right_x_px"].to_numpy(float) - stickers["left_x_px"].to_numpy(float))
    return np.degrees(np.arctan2(dy, dx))
