"""Pose estimation. The only package that imports MediaPipe."""

from kneechain.pose.estimator import PoseConfig, estimate_pose, pose_provenance

__all__ = ["PoseConfig", "estimate_pose", "pose_provenance"]
