"""Blurring the patient's face in frames shown in the report, from MediaPipe's face landmarks.

The face region is an upright ellipse around the head, derived from the 11 face keypoints
(``FACE_KEYPOINTS``: nose, eyes, ears, mouth corners = keypoint indices 0-10 of
``kneechain.track.KEYPOINT_NAMES``), padded so that it covers the whole head, hair and chin included:

- centre: the midpoint of the ears (x) at the mean height of the ears and eyes (y); where no ear is seen,
  the mean of the face points. The ears sit near the head's centre in front, back and side views alike.
- size: the larger of the face points' spread (ear to ear in a front view, nose to ear from the side) and
  the eye-to-mouth distance (about a quarter of the head's height in every view):
  horizontal semi-axis ``a = 1.1 * max(0.9 * spread, 1.9 * eye_mouth)``,
  vertical semi-axis ``b = max(1.3 * a, 2.6 * eye_mouth)``, at least ``MIN_SEMI_AXIS_PX``.

Inside the ellipse the image is pixelated (blocks of about a sixth of the head's width) and then smoothed:
features cannot be recognised. Pixels outside the ellipse are left exactly as they were. With fewer than
two finite face points (the face was not found) nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kneechain.track import KEYPOINT_INDEX, KEYPOINT_NAMES, LandmarkTrack

FACE_KEYPOINTS: tuple[str, ...] = KEYPOINT_NAMES[:11]
MIN_SEMI_AXIS_PX = 6.0
_EARS = [KEYPOINT_INDEX[name] for name in ("left_ear", "right_ear")]
_EYES = [KEYPOINT_INDEX[name] for name in FACE_KEYPOINTS if "eye" in name]
_MOUTH = [KEYPOINT_INDEX[name] for name in ("mouth_left", "mouth_right")]


@dataclass(frozen=True)
class FaceEllipse:
    """The blurred region: an upright ellipse, centre (x, y) and semi-axes (horizontal, vertical), pixels."""

    centre_px: tuple[float, float]
    semi_axes_px: tuple[float, float]

    def scaled(self, factor: float) -> FaceEllipse:
        """The same region in an image resized by ``factor``."""
        (x, y), (a, b) = self.centre_px, self.semi_axes_px
        return FaceEllipse((x * factor, y * factor), (a * factor, b * factor))


def _mean_of(points: np.ndarray, rows: list[int]) -> np.ndarray | None:
    chosen = points[rows]
    chosen = chosen[np.isfinite(chosen).all(axis=1)]
    return chosen.mean(axis=0) if len(chosen) else None


def face_ellipse(face_points_px: np.ndarray) -> FaceEllipse | None:
    """The face region (module docstring) of one person's face points, shape (11, 2) (or (11, 3): z is
    ignored); None when fewer than two of them are finite."""
    points = np.asarray(face_points_px, dtype=float)[: len(FACE_KEYPOINTS), :2]
    finite = points[np.isfinite(points).all(axis=1)]
    if len(finite) < 2:
        return None
    ears, eyes, mouth = _mean_of(points, _EARS), _mean_of(points, _EYES), _mean_of(points, _MOUTH)
    centre = finite.mean(axis=0)
    if ears is not None:
        levels = [p[1] for p in (ears, eyes) if p is not None]
        centre = np.array([ears[0], float(np.mean(levels))])
    spread = float(np.max(np.linalg.norm(finite[:, None, :] - finite[None, :, :], axis=2)))
    eye_mouth = float(np.linalg.norm(eyes - mouth)) if eyes is not None and mouth is not None else 0.0
    semi_x = max(1.1 * max(0.9 * spread, 1.9 * eye_mouth), MIN_SEMI_AXIS_PX)
    semi_y = max(1.3 * semi_x, 2.6 * eye_mouth)
    return FaceEllipse((float(centre[0]), float(centre[1])), (semi_x, semi_y))


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


def blur_faces(image_bgr: np.ndarray, face_points_px: np.ndarray) -> np.ndarray:
    """A copy of ``image_bgr`` with the face region (module docstring) blurred.

    ``face_points_px``: one person's 11 face keypoints in image pixels, shape (11, 2) or (11, 3), or
    several people's, shape (m, 11, 2|3). Pixels outside the face regions are unchanged; a face whose
    points are missing (NaN) is left as it is."""
    points = np.asarray(face_points_px, dtype=float)
    people = points[None] if points.ndim == 2 else points
    result = image_bgr.copy()
    for person in people:
        result = blur_ellipse(result, face_ellipse(person))
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
