"""Faces: where a person's face is from their pose landmarks, and every face in a frame from MediaPipe's
face detector, so that a face the pose model never followed (a bystander it did not detect, a face in a
mirror) is blurred too, and counted.

From the landmarks (``face_ellipse``): an upright ellipse around the head, derived from the 11 face
keypoints (``FACE_KEYPOINTS``: nose, eyes, ears, mouth corners = keypoint indices 0-10 of
``kneechain.track.KEYPOINT_NAMES``), padded so that it covers the whole head, hair and chin included:

- centre: the midpoint of the ears (x) at the mean height of the ears and eyes (y); where no ear is seen,
  the mean of the face points. The ears sit near the head's centre in front, back and side views alike.
- size: the larger of the face points' spread (ear to ear in a front view, nose to ear from the side) and
  the eye-to-mouth distance (about a quarter of the head's height in every view):
  horizontal semi-axis ``a = 1.1 * max(0.9 * spread, 1.9 * eye_mouth)``,
  vertical semi-axis ``b = max(1.3 * a, 2.6 * eye_mouth)``, at least ``MIN_SEMI_AXIS_PX``.

From the face detector (``FaceFinder``): BlazeFace full range, the model file that ships in the pinned
MediaPipe wheel (``mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite``), run through
MediaPipe's ``solutions.face_detection`` (``model_selection=1``); offline, nothing is downloaded. The Tasks
``FaceDetector`` takes only the short-range model (faces within about 2 m of the camera), which on
full-body clips found a face in 0-10 % of the frames where the full-range model found one in all of them
(measured: three real front-on clips and the rendered front squat; about 6-11 ms per frame). A detected
face box (brows to chin, cheek to cheek) becomes an ellipse ``FACE_BOX_PADDING`` times wider and taller,
moved up by ``FACE_BOX_RAISE`` of its height, so the hair and ears are covered as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kneechain.pose.heap import release_free_memory
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.track import KEYPOINT_INDEX, KEYPOINT_NAMES
from kneechain.video import iter_frames

MIN_FACE_CONFIDENCE = 0.5
FACE_BOX_PADDING = (1.5, 1.7)  # ellipse diameters over the detector box's width and height
FACE_BOX_RAISE = 0.15  # the ellipse's centre above the box's, as a share of the box height

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


def box_ellipse(x_px: float, y_px: float, width_px: float, height_px: float) -> FaceEllipse:
    """The blurred region for a face detector box (top-left corner, size), padded to the whole head."""
    centre = (x_px + width_px / 2.0, y_px + height_px / 2.0 - FACE_BOX_RAISE * height_px)
    semi_axes = (
        max(FACE_BOX_PADDING[0] * width_px / 2.0, MIN_SEMI_AXIS_PX),
        max(FACE_BOX_PADDING[1] * height_px / 2.0, MIN_SEMI_AXIS_PX),
    )
    return FaceEllipse(centre, semi_axes)


class FaceFinder:
    """Every face in a frame (module docstring). Use as a context manager; ``find`` per frame."""

    def __init__(self, min_confidence: float = MIN_FACE_CONFIDENCE) -> None:
        import mediapipe as mp

        with silenced_native_stderr():  # the graph starts in its own thread: one frame waits for it
            self._detector = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=min_confidence
            )
            self._detector.process(np.zeros((192, 192, 3), np.uint8))

    def __enter__(self) -> FaceFinder:
        return self

    def __exit__(self, *exc) -> None:
        self._detector.close()

    def find(self, image_bgr: np.ndarray) -> list[FaceEllipse]:
        """The faces in one frame, as regions to blur (pixels of ``image_bgr``)."""
        height, width = image_bgr.shape[:2]
        with silenced_native_stderr():
            found = self._detector.process(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)).detections or []
        boxes = [detection.location_data.relative_bounding_box for detection in found]
        return [
            box_ellipse(b.xmin * width, b.ymin * height, b.width * width, b.height * height) for b in boxes
        ]


def is_inside(point_px: tuple[float, float], ellipse: FaceEllipse | None) -> bool:
    """Whether ``point_px`` lies inside ``ellipse``."""
    if ellipse is None:
        return False
    (x, y), (cx, cy), (a, b) = point_px, ellipse.centre_px, ellipse.semi_axes_px
    return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0


def untracked_faces(found: list[FaceEllipse], pose_faces_px: np.ndarray) -> list[FaceEllipse]:
    """The detected faces that belong to none of the poses (``pose_faces_px``: (m, 11, 2), NaN where a
    pose has no face points): their centre lies inside no pose's face region."""
    regions = [face_ellipse(points) for points in pose_faces_px]
    return [face for face in found if not any(is_inside(face.centre_px, region) for region in regions)]


FACE_CHECK_EVERY_S = 0.5  # the bystander count looks at one frame this often


def count_untracked_faces(video_path, pose_faces_px: np.ndarray, every_s: float = FACE_CHECK_EVERY_S) -> dict:
    """How often the face detector sees a face that belongs to no pose (a bystander the pose model did not
    detect, a face in a mirror): ``{"frames": n, "checked": m}`` over one frame every ``every_s``.
    ``pose_faces_px``: (n_frames, p, 11, 2) face points of every pose (``face_blur.bystander_faces_px``)."""
    checked = untracked = 0
    due_s = 0.0

    def is_due(index: int, t_s: float) -> bool:  # the other frames are decoded but not converted
        nonlocal due_s
        if t_s < due_s or index >= len(pose_faces_px):
            return False
        due_s = t_s + every_s
        return True

    with FaceFinder() as finder:
        for frame in iter_frames(video_path, wanted=is_due):
            if frame.image_bgr is not None:
                checked += 1
                found = finder.find(frame.image_bgr)
                untracked += bool(untracked_faces(found, pose_faces_px[frame.index]))
    release_free_memory()  # what the decoder and detector freed (45-86 MB after a 10-minute clip)
    return {"frames": untracked, "checked": checked}
