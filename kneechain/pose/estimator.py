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
from pathlib import Path

import cv2
import mediapipe as mp

from kneechain import __version__
from kneechain.candidates import PoseCandidates
from kneechain.pose.landmarker import FrameBuffers, PoseConfig, landmark_frames
from kneechain.pose.model_bundle import MODEL_NAME, load_model_bundle
from kneechain.pose.two_cores import run_on_two_cores, wants_two_cores
from kneechain.video import VideoInfo, check_frames_read, probe_video

log = logging.getLogger(__name__)
__all__ = ["PoseConfig", "estimate_poses", "pose_provenance"]
SILHOUETTE_METHOD = "segmentation mask, lowest body pixel under heel and forefoot, v1"  # changes: new poses
ProgressCallback = Callable[[int, int], None]  # (frames done, frames expected)


def _run_in_order(video_path: Path, info: VideoInfo, config: PoseConfig, progress) -> FrameBuffers:
    buffers = FrameBuffers(config.max_people, info.frame_count)
    for index, t_s, entry in landmark_frames(video_path, config):
        buffers.append(t_s, entry)
        if progress is not None:
            progress(index + 1, info.frame_count)
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

    Frames are streamed: memory grows with the video by its landmarks alone, about 2 KB a frame
    (``FrameBuffers``). Raises ``VideoInputError`` for unreadable or truncated videos. A video in which
    nobody is detected still gives candidates (none present): deciding what that means is the caller's
    job. ``info``: the video's facts when the caller has already probed it (the end need not be checked:
    this pass finds a truncated file).
    """
    config = config or PoseConfig()
    video_path = Path(video_path)
    info = info or probe_video(video_path, check_end=False)
    run = run_on_two_cores if wants_two_cores(config, info) else _run_in_order
    buffers = run(video_path, info, config, progress)
    check_frames_read(video_path, info, buffers.count)  # a truncated file (not looked for by the probe)
    t_s, present, image_xyz_px, visibility, world_xyz_m = buffers.stacked()
    log.info("pose: %d frames, %d with a person", len(present), int(present.any(axis=1).sum()))
    return PoseCandidates(
        t_s=t_s,
        present=present,
        image_xyz_px=image_xyz_px,
        visibility=visibility,
        world_xyz_m=world_xyz_m,
        video=info,
        provenance={**pose_provenance(config), **(extra_provenance or {})},
    )
