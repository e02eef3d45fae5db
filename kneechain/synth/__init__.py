"""Synthetic ground-truth videos: a deterministic, pure-NumPy ray-cast mannequin with programmed joint
kinematics (squat with chosen knee valgus, single-leg stand with pelvic drop, walking with step asymmetry).

The bundled sample clips in ``sample_videos/`` are made with it by ``scripts/make_sample_videos.py``.
"""

from kneechain.synth.camera import Camera, look_at_camera, project_points
from kneechain.synth.clips import CLIP_NAMES, Clip, build_clip, render_frames, write_clip
from kneechain.synth.measures import fppa_deg, pelvic_obliquity_deg
from kneechain.synth.skeleton import LANDMARK_NAMES, BodyDims, Pose, compute_pose

__all__ = [
    "CLIP_NAMES",
    "LANDMARK_NAMES",
    "BodyDims",
    "Camera",
    "Clip",
    "Pose",
    "build_clip",
    "compute_pose",
    "fppa_deg",
    "look_at_camera",
    "pelvic_obliquity_deg",
    "project_points",
    "render_frames",
    "write_clip",
]
