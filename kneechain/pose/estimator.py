"""Pose estimation: a video file in, a ``LandmarkTrack`` out (MediaPipe BlazePose full, CPU, offline).

Uses the MediaPipe Tasks ``PoseLandmarker`` in VIDEO mode, fed with the model bundle built from the wheel's
own files (``model_bundle``). Why Tasks rather than the legacy ``solutions.pose`` API (measured, see
``benchmarks/pose_api.py``): it takes the real frame timestamps (the legacy tracker assumes 30 fps whatever
the video's rate), it is the API that newer MediaPipe releases keep, it can return several people (which
subject selection needs), and it was as fast or faster with the same landmarks. Tasks does no temporal
smoothing; kneechain filters the track afterwards with a cut-off in Hz.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from kneechain import __version__
from kneechain.pose.model_bundle import MODEL_NAME, load_model_bundle
from kneechain.pose.quiet import silenced_native_stderr
from kneechain.track import N_KEYPOINTS, LandmarkTrack
from kneechain.video import VideoInfo, iter_frames, probe_video

log = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]  # (frames done, frames expected)


@dataclass(frozen=True)
class PoseConfig:
    """Settings of the pose model. Changing any of them invalidates cached tracks."""

    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
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

    t_s: list[float]
    detected: list[bool]
    image_xyz_px: list[np.ndarray]
    visibility: list[np.ndarray]
    world_xyz_m: list[np.ndarray]

    @classmethod
    def empty(cls) -> _FrameBuffers:
        return cls([], [], [], [], [])


def _create_landmarker(config: PoseConfig) -> vision.PoseLandmarker:
    bundle = load_model_bundle()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=bundle.content, delegate=BaseOptions.Delegate.CPU),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
        min_pose_detection_confidence=config.min_detection_confidence,
        min_pose_presence_confidence=config.min_presence_confidence,
        min_tracking_confidence=config.min_tracking_confidence,
        output_segmentation_masks=False,
    )
    return vision.PoseLandmarker.create_from_options(options)


def _append_result(buffers: _FrameBuffers, result, width_px: int, height_px: int) -> None:
    if not result.pose_landmarks:
        buffers.detected.append(False)
        buffers.image_xyz_px.append(np.full((N_KEYPOINTS, 3), np.nan, np.float32))
        buffers.visibility.append(np.full(N_KEYPOINTS, np.nan, np.float32))
        buffers.world_xyz_m.append(np.full((N_KEYPOINTS, 3), np.nan, np.float32))
        return
    image = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks[0]], np.float32)
    world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], np.float32)
    # Normalised x, y are fractions of width and height; z is on the same scale as x.
    buffers.detected.append(True)
    buffers.image_xyz_px.append(image[:, :3] * np.array([width_px, height_px, width_px], np.float32))
    buffers.visibility.append(image[:, 3])
    buffers.world_xyz_m.append(world)


def _run_landmarker(video_path: Path, info: VideoInfo, config: PoseConfig, progress) -> _FrameBuffers:
    """Stream the video through the landmarker. MediaPipe's native log lines come at model creation and
    whenever its tracker first runs a graph branch (any frame), so fd 2 stays silenced for the whole run;
    a progress display must write to its own duplicate of stderr (the CLI does)."""
    buffers = _FrameBuffers.empty()
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
                buffers.t_s.append(frame.t_s)
                _append_result(buffers, result, rgb.shape[1], rgb.shape[0])
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
        "mediapipe_version": mp.__version__,
        "opencv_version": cv2.__version__,
        "kneechain_version": __version__,
    }


def estimate_pose(
    video_path: str | os.PathLike,
    config: PoseConfig | None = None,
    progress: ProgressCallback | None = None,
    extra_provenance: dict | None = None,
) -> LandmarkTrack:
    """Run BlazePose on every frame of ``video_path`` and return the landmark track.

    Frames are streamed (memory does not grow with video length beyond ~1 KB of landmarks per frame).
    Raises ``VideoInputError`` for unreadable videos. A video in which nobody is detected still gives a
    track (all ``detected`` False): deciding what that means is the caller's job.
    """
    config = config or PoseConfig()
    video_path = Path(video_path)
    info = probe_video(video_path)
    buffers = _run_landmarker(video_path, info, config, progress)
    n = len(buffers.t_s)
    log.info("pose: %d frames, %d with a person", n, sum(buffers.detected))
    return LandmarkTrack(
        t_s=np.asarray(buffers.t_s, np.float64),
        frame_index=np.arange(n, dtype=np.int64),
        detected=np.asarray(buffers.detected, bool),
        image_xyz_px=np.asarray(buffers.image_xyz_px, np.float32).reshape(n, N_KEYPOINTS, 3),
        visibility=np.asarray(buffers.visibility, np.float32).reshape(n, N_KEYPOINTS),
        world_xyz_m=np.asarray(buffers.world_xyz_m, np.float32).reshape(n, N_KEYPOINTS, 3),
        video=info,
        provenance={**pose_provenance(config), **(extra_provenance or {})},
    )
