"""Blurring faces in frames shown in the report: every person's face from MediaPipe's face landmarks
(``kneechain.pose.faces.face_ellipse``), and every face the face detector finds in the frame
(``kneechain.pose.faces.FaceFinder``: a bystander the pose model never saw, a face in a mirror).

Inside each ellipse the image is pixelated (blocks of about a sixth of the head's width) and then smoothed:
features cannot be recognised. Pixels outside the ellipse are left exactly as they were. With fewer than
two finite face points (the face was not found) nothing is changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from kneechain.pose.faces import FACE_KEYPOINTS, FaceEllipse, face_ellipse
from kneechain.track import LandmarkTrack

__all__ = ["FACE_KEYPOINTS", "FaceEllipse", "blur_faces", "face_ellipse", "face_mask", "faces_to_hide"]


def face_mask(shape: tuple[int, ...], ellipse: FaceEllipse | None) -> np.ndarray:
    """Boolean (height, width) mask of the pixels ``blur_faces`` changes for ``ellipse``."""
    mask = np.zeros(shape[:2], np.uint8)
    if ellipse is not None:
        centre = tuple(round(v) for v in ellipse.centre_px)
        axes = tuple(max(1, round(v)) for v in ellipse.semi_axes_px)
        cv2.ellipse(mask, centre, axes, 0.0, 0.0, 360.0, 255, thickness=-1)
    return mask.astype(bool)


def _obscure(patch: np.ndarray, block_px: int) -> np.ndarray:
    """Pixelate ``patch`` into blocks of ``block_px`` and smooth the block edges."""
    height, width = patch.shape[:2]
    small = cv2.resize(
        patch,
        (max(1, width // block_px), max(1, height // block_px)),
        interpolation=cv2.INTER_AREA,
    )
    blocky = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    sigma = max(1.0, block_px / 2.0)
    return cv2.GaussianBlur(blocky, (0, 0), sigmaX=sigma, sigmaY=sigma)


def blur_ellipse(image_bgr: np.ndarray, ellipse: FaceEllipse | None) -> np.ndarray:
    """A copy of ``image_bgr`` with the pixels inside ``ellipse`` obscured (unchanged copy for None)."""
    result = image_bgr.copy()
    mask = face_mask(image_bgr.shape, ellipse)
    rows, columns = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(rows) == 0:
        return result
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    block_px = max(3, round(2.0 * ellipse.semi_axes_px[0] / 6.0))
    obscured = _obscure(image_bgr[top:bottom, left:right], block_px)
    inside = mask[top:bottom, left:right]
    result[top:bottom, left:right][inside] = obscured[inside]
    return result


def blur_faces(image_bgr: np.ndarray, face_points_px: np.ndarray,
               found: Sequence[FaceEllipse] = ()) -> np.ndarray:  # fmt: skip
    """A copy of ``image_bgr`` with each face region blurred: those of ``face_points_px`` (one person's 11
    face keypoints in image pixels, shape (11, 2) or (11, 3), or several people's, (m, 11, 2|3); a face
    whose points are missing (NaN) adds nothing) and the ``found`` ones (the face detector's). Pixels
    outside the face regions are unchanged."""
    points = np.asarray(face_points_px, dtype=float)
    people = points[None] if points.ndim == 2 else points
    result = image_bgr.copy()
    for ellipse in [*(face_ellipse(person) for person in people), *found]:
        result = blur_ellipse(result, ellipse)
    return result


def face_points_near(track: LandmarkTrack, row: int, max_gap_s: float = 1.0) -> np.ndarray:
    """The face points (11, 2) of track row ``row``; where that frame has fewer than two, those of the
    nearest frame within ``max_gap_s`` that has them (a face must stay hidden through a brief loss of
    the landmarks); all NaN when there is none."""
    faces = track.image_xyz_px[:, : len(FACE_KEYPOINTS), :2]
    if np.isfinite(faces[row]).all(axis=1).sum() >= 2:
        return faces[row]
    near = np.flatnonzero(np.abs(track.t_s - track.t_s[row]) <= max_gap_s)
    usable = near[np.isfinite(faces[near]).all(axis=2).sum(axis=1) >= 2]
    if len(usable) == 0:
        return np.full((len(FACE_KEYPOINTS), 2), np.nan)
    nearest = usable[np.argmin(np.abs(track.t_s[usable] - track.t_s[row]))]
    return faces[nearest]


def faces_to_hide(track: LandmarkTrack, row: int, others_px: np.ndarray | None, max_gap_s: float = 1.0):
    """Face points (m, 11, 2) of the subject (``face_points_near``) and of everybody else the pose model
    found in that frame (``others_px``: (n, p, 11, 2) aligned with the track's rows, NaN where nobody)."""
    subject = face_points_near(track, row, max_gap_s)[None]
    if others_px is None:
        return subject
    return np.concatenate([subject, others_px[row]], axis=0)


def bystander_faces_px(candidates) -> np.ndarray:
    """The face points (n, p, 11, 2) of every pose in ``PoseCandidates`` (the subject among them)."""
    return candidates.image_xyz_px[:, :, : len(FACE_KEYPOINTS), :2]
