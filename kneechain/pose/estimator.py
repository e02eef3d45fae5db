"""Pose estimation: a video file in, everybody's landmarks per frame out (MediaPipe BlazePose full, CPU,
offline).

Returns ``PoseCandidates`` (everybody found in each frame); ``kneechain.movement.subject`` picks the
patient from them. Uses the MediaPipe Tasks ``PoseLandmarker`` in VIDEO mode, fed with the model bundle
built from the wheel's own files (``model_bundle``). Why Tasks rather than the legacy ``solutions.pose``
API (measured, see ``benchmarks/pose_api.py``): it takes the real frame timestamps (the legacy tracker
assumes 30 fps whatever the video's rate), it is the API that newer MediaPipe releases keep, it can return
several people (which subject selection needs), and it ran at the same speed with the same landmarks.
Tasks does no temporal smoothing; kneechain filters the track afterwards with a cut-off in Hz.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from kneechain import __version__
from kneechain.candidates import PoseCandidates
from kneechain.pose.model_bundle import MODEL_NAME, load_model_bundle
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.pose.silhouette import silhouette_points_px
from kneechain.track import N_KEYPOINTS, N_MEDIAPIPE
from kneechain.video import VideoInfo, iter_frames, probe_video

log = logging.getLogger(__name__)
SILHOUETTE_METHOD = "segmentation mask, lowest body pixel under heel and forefoot, v1"  # changes: new poses
ProgressCallback = Callable[[int, int], None]  # (frames done, frames expected)


@dataclass(frozen=True)
class PoseConfig:
    """Settings of the pose model. Changing any of them invalidates cached tracks."""

    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # Poses per frame. 2 lets kneechain tell the patient from a bystander (a PT, another patient) and
    # costs about 35% speed (the person detector then runs on every frame); 1 is for clips with one person.
    max_people: int = 2
    # Threads OpenCV may use for decoding and colour conversion (0 = OpenCV's default). MediaPipe's
    # inference itself runs on one core in these builds.
    decode_threads: int = 0

    def cache_key(self) -> dict:
        """The settings that change the landmarks (thread counts do not)."""
        settings = asdict(self)
        settings.pop("decode_threads")
        return settings


@dataclass
class _FrameBuffers:
    """Per-frame results collected while streaming (lists of small arrays, stacked once at the end)."""

    max_people: int
    t_s: list[float] = field(default_factory=list)
    present: list[np.ndarray] = field(default_factory=list)
    image_xyz_px: list[np.ndarray] = field(default_factory=list)
    visibility: list[np.ndarray] = field(default_factory=list)
    world_xyz_m: list[np.ndarray] = field(default_factory=list)

    def append(self, t_s: float, result, width_px: int, height_px: int) -> None:
        p = self.max_people
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
        self.t_s.append(t_s)
        self.present.append(present)
        self.image_xyz_px.append(image[..., :3])
        self.visibility.append(image[..., 3])
        self.world_xyz_m.append(world)


def _create_landmarker(config: PoseConfig) -> vision.PoseLandmarker:
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


def _run_landmarker(video_path: Path, info: VideoInfo, config: PoseConfig, progress) -> _FrameBuffers:
    """Stream the video through the landmarker. MediaPipe's native log lines come at model creation and
    whenever its tracker first runs a graph branch (any frame), so fd 2 stays silenced for the whole run;
    a progress display must write to its own duplicate of stderr (the CLI does)."""
    buffers = _FrameBuffers(config.max_people)
    last_ms = -1
    with silenced_native_stderr():
        landmarker = _create_landmarker(config)
        try:
            for frame in iter_frames(video_path, threads=config.decode_threads):
                rgb = cv2.cvtColor(frame.image_bgr, cv2.COLOR_BGR2RGB)
                timestamp_ms = max(round(frame.t_s * 1000.0), last_ms + 1)  # Tasks needs increasing ms
                last_ms = timestamp_ms
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                result = landmarker.detect_for_video(image, timestamp_ms)
                buffers.append(frame.t_s, result, rgb.shape[1], rgb.shape[0])
                if progress is not None:
                    progress(frame.index + 1, info.frame_count)
        finally:
            landmarker.close()
    return buffers


def pose_provenance(config: PoseConfig) -> dict:
    """What produced a track: model, library versions and settings (saved with every track)."""
    return {
        "pose_model": MODEL_NAME,
        "pose_model_sha256": load_model_bundle().model_sha256,
        "pose_api": "mediapipe.tasks.vision.PoseLandmarker (VIDEO mode, CPU)",
        "pose_config": config.cache_key(),
        "silhouette_points": SILHOUETTE_METHOD,
        "mediapipe_version": mp.__version__,
        "opencv_version": cv2.__version__,
        "kneechain_version": __version__,
    }


def estimate_poses(
    video_path: str | os.PathLike,
    config: PoseConfig | None = None,
    progress: ProgressCallback | None = None,
    extra_provenance: dict | None = None,
    info: VideoInfo | None = None,
) -> PoseCandidates:
    """Run BlazePose on every frame of ``video_path``: everybody found, per frame (up to ``max_people``).

    Frames are streamed (memory does not grow with video length beyond ~2 KB of landmarks per frame and
    person). Raises ``VideoInputError`` for unreadable videos. A video in which nobody is detected still
    gives candidates (none present): deciding what that means is the caller's job. ``info``: the
    video's facts when the caller has already probed it.
    """
    config = config or PoseConfig()
    video_path = Path(video_path)
    info = info or probe_video(video_path)
    buffers = _run_landmarker(video_path, info, config, progress)
    n, p = len(buffers.t_s), config.max_people
    log.info("pose: %d frames, %d with a person", n, int(np.any(buffers.present, axis=1).sum()) if n else 0)
    return PoseCandidates(
        t_s=np.asarray(buffers.t_s, np.float64),
        present=np.asarray(buffers.present, bool).reshape(n, p),
        image_xyz_px=np.asarray(buffers.image_xyz_px, np.float32).reshape(n, p, N_KEYPOINTS, 3),
        visibility=np.asarray(buffers.visibility, np.float32).reshape(n, p, N_KEYPOINTS),
        world_xyz_m=np.asarray(buffers.world_xyz_m, np.float32).reshape(n, p, N_KEYPOINTS, 3),
        video=info,
        provenance={**pose_provenance(config), **(extra_provenance or {})},
    )
