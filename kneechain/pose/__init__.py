"""Pose estimation. The only package that imports MediaPipe."""

from kneechain.pose.estimator import PoseConfig, estimate_poses, pose_provenance

__all__ = ["PoseConfig", "estimate_poses", "pose_provenance"]
