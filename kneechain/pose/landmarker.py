"""The landmarker itself: MediaPipe's PoseLandmarker (BlazePose full, VIDEO mode, CPU) streamed over a
video's frames, each frame's result as small arrays. ``estimator`` turns a whole pass into
``PoseCandidates``; ``two_cores`` runs two passes at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from kneechain.options import PoseConfig
from kneechain.pose.heap import TRIM_EVERY_FRAMES, release_free_memory
from kneechain.pose.model_bundle import load_model_bundle
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.pose.silhouette import silhouette_points_px
from kneechain.track import N_KEYPOINTS, N_MEDIAPIPE
from kneechain.video import iter_frames

FrameEntry = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # present, image xyz px, visibility, world


def frame_entry(result, width_px: int, height_px: int, max_people: int) -> FrameEntry:
    """One frame's landmarker result as small arrays with a slot axis of length ``max_people``."""
    p = max_people
    present = np.zeros(p, bool)
    image = np.full((p, N_KEYPOINTS, 4), np.nan, np.float32)
    world = np.full((p, N_KEYPOINTS, 3), np.nan, np.float32)
    for slot, (landmarks, world_landmarks) in enumerate(
        zip(result.pose_landmarks[:p], result.pose_world_landmarks[:p], strict=True)
    ):
        present[slot] = True
        image[slot, :N_MEDIAPIPE] = [(q.x, q.y, q.z, q.visibility) for q in landmarks]
        world[slot, :N_MEDIAPIPE] = [(q.x, q.y, q.z) for q in world_landmarks]
    # Normalised x, y are fractions of width and height; z is on the same scale as x.
    image[..., :3] *= np.array([width_px, height_px, width_px], np.float32)
    for slot, mask in enumerate((result.segmentation_masks or [])[: int(present.sum())]):
        points = silhouette_points_px(mask.numpy_view(), image[slot, :N_MEDIAPIPE, :2])
        image[slot, N_MEDIAPIPE:, :2] = points
        image[slot, N_MEDIAPIPE:, 3] = np.isfinite(points).all(axis=1)  # 1 seen, 0 not
    return present, image[..., :3], image[..., 3], world


def same_entry(a: FrameEntry, b: FrameEntry) -> bool:
    """Whether two results for one frame are bit for bit the same (NaN equal to NaN)."""
    return all(np.array_equal(x, y, equal_nan=x.dtype.kind == "f") for x, y in zip(a, b, strict=True))


class FrameBuffers:
    """Per-frame results written into arrays as they come. Only the poses found are kept (about 1 KB each:
    a frame with one person stores no empty second slot), beside 18 bytes a frame (its time, which slots
    hold a pose, where its poses start). ``capacity``: the frames expected; room is reserved for
    ``max_people`` poses in each, but memory is taken only as poses arrive (pages never written are not
    resident); the arrays grow by half when a clip has more frames."""

    def __init__(self, max_people: int, capacity: int) -> None:
        self.count = self.n_poses = 0
        frames = max(capacity, 1)
        self.t_s = np.empty(frames, np.float64)
        self.present = np.zeros((frames, max_people), bool)
        self.first_pose = np.empty(frames, np.int64)
        shapes = ((N_KEYPOINTS, 3), (N_KEYPOINTS,), (N_KEYPOINTS, 3))  # image xyz, visibility, world xyz
        self.poses = tuple(np.empty((frames * max_people, *shape), np.float32) for shape in shapes)

    def _grow(self, frames: int) -> None:
        def grown(array: np.ndarray, size: int, used: int) -> np.ndarray:
            bigger = np.empty((size, *array.shape[1:]), array.dtype)
            bigger[:used] = array[:used]
            return bigger

        per_frame = (self.t_s, self.present, self.first_pose)
        self.t_s, self.present, self.first_pose = (grown(array, frames, self.count) for array in per_frame)
        self.present[self.count :] = False
        size = frames * self.present.shape[1]
        self.poses = tuple(grown(store, size, self.n_poses) for store in self.poses)

    def append(self, t_s: float, entry: FrameEntry) -> None:
        """One frame: its time and ``frame_entry``'s arrays (slots without a pose are not kept)."""
        present, *values = entry
        if self.count == len(self.t_s):
            self._grow(self.count * 3 // 2 + 1)
        found = int(present.sum())
        self.t_s[self.count], self.present[self.count] = t_s, present
        self.first_pose[self.count] = self.n_poses
        for store, value in zip(self.poses, values, strict=True):
            store[self.n_poses : self.n_poses + found] = value[present]
        self.count += 1
        self.n_poses += found

    def extend(self, other: FrameBuffers, first_row: int) -> None:
        """Append ``other``'s frames from ``first_row`` on."""
        n = other.count - first_row
        if n <= 0:
            return
        first = int(other.first_pose[first_row])
        m = other.n_poses - first
        if self.count + n > len(self.t_s):
            self._grow(self.count + n)
        rows, theirs = slice(self.count, self.count + n), slice(first_row, other.count)
        self.t_s[rows], self.present[rows] = other.t_s[theirs], other.present[theirs]
        self.first_pose[rows] = other.first_pose[theirs] - first + self.n_poses
        for mine, their in zip(self.poses, other.poses, strict=True):
            mine[self.n_poses : self.n_poses + m] = their[first : first + m]
        self.count += n
        self.n_poses += m

    def entry(self, row: int) -> FrameEntry:
        """Frame ``row`` as ``frame_entry`` gave it (NaN in the slots without a pose)."""
        present = self.present[row]
        first = int(self.first_pose[row])
        poses = (store[first : first + int(present.sum())] for store in self.poses)
        return present, *(_in_slots(present, values) for values in poses)

    def stacked(self) -> tuple[np.ndarray, ...]:
        """t_s (n,), present (n, p), image xyz px (n, p, k, 3), visibility (n, p, k), world xyz m (n, p, k,
        3), NaN in the slots without a pose."""
        present = self.present[: self.count].copy()
        poses = (_in_slots(present, store[: self.n_poses]) for store in self.poses)
        return self.t_s[: self.count].copy(), present, *poses


def _in_slots(present: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """``poses`` (one per True of ``present``, in order) placed in ``present``'s slots; NaN elsewhere."""
    slots = np.full((*present.shape, *poses.shape[1:]), np.nan, poses.dtype)
    slots[present] = poses
    return slots


def create_landmarker(config: PoseConfig) -> vision.PoseLandmarker:
    bundle = load_model_bundle()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=bundle.content, delegate=BaseOptions.Delegate.CPU),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=config.max_people,
        min_pose_detection_confidence=config.min_detection_confidence,
        min_pose_presence_confidence=config.min_presence_confidence,
        min_tracking_confidence=config.min_tracking_confidence,
        output_segmentation_masks=True,  # for the silhouette points under the feet (``silhouette``)
    )
    return vision.PoseLandmarker.create_from_options(options)


def landmark_frames(
    video_path: Path, config: PoseConfig, start: int = 0
) -> Iterator[tuple[int, float, FrameEntry]]:
    """(index, t_s, entry) for every frame from ``start`` on (reached by a seek: see ``iter_frames``),
    streamed through the landmarker. MediaPipe's native log lines come at model creation and whenever its
    tracker first runs a graph branch (any frame), so fd 2 stays silenced for the whole run; a progress
    display must write to its own duplicate of stderr (the CLI does)."""
    last_ms = -1
    with silenced_native_stderr():
        landmarker = create_landmarker(config)
        try:
            for frame in iter_frames(video_path, threads=config.decode_threads, start=start):
                timestamp_ms = max(round(frame.t_s * 1000.0), last_ms + 1)  # Tasks needs increasing ms
                last_ms = timestamp_ms
                rgb = cv2.cvtColor(frame.image_bgr, cv2.COLOR_BGR2RGB)
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                result = landmarker.detect_for_video(image, timestamp_ms)
                entry = frame_entry(result, rgb.shape[1], rgb.shape[0], config.max_people)
                if frame.index % TRIM_EVERY_FRAMES == 0:
                    release_free_memory()
                yield frame.index, frame.t_s, entry
        finally:
            landmarker.close()
            release_free_memory()
