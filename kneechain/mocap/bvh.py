"""Reading BVH skeleton animations (e.g. the CMU motion-capture database), seen with a virtual camera.

A BVH file has a ``HIERARCHY`` (joints with an ``OFFSET`` from their parent in the parent's frame, their
``CHANNELS`` and ``End Site`` leaves) and a ``MOTION`` block (frame count, frame time, one row of channel
values per frame). Forward kinematics: each joint's local rotation is the product of its rotation channels
in the order the file lists them (``Zrotation Yrotation Xrotation`` means R = Rz @ Ry @ Rx, angles in
degrees); its global rotation is the parent's global rotation times the local one; its position is the
parent's position plus the parent's global rotation applied to the offset (plus the position channels, for
the root). Positions come out in the file's units; the CMU files use 1/0.45 inch per unit (0.0564 m), so a
standing hip height of about 18.7 units is about 1 m.

The CMU skeleton's rest pose has Y up, the subject's left along +X and the face along +Z. Joint centres map
to MediaPipe keypoints (``mediapipe_points_m``): hips = the upper-leg joints (hip joint centres), knees =
the lower-leg joints, ankles = the foot joints, ``foot_index`` = the toe end sites, shoulders = the upper
arm joints, elbows and wrists likewise; the nose, eyes and ears are placed at fixed offsets in the head's
frame (a head about 0.2 m across), so they point where the head points. The BVH has no heel; none is made up.
The first frame of the CMU files is a reference pose, not part of the motion: leave it out of analyses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kneechain.synth.camera import Camera, depth_m, look_at_camera, project_points
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo

CMU_METRES_PER_UNIT = 0.0254 / 0.45
_JOINT_KEYPOINTS = {
    "hip": "UpLeg", "knee": "Leg", "ankle": "Foot", "foot_index": "ToeBase_End", "shoulder": "Arm",
    "elbow": "ForeArm", "wrist": "Hand",
}  # fmt: skip
# Face keypoints in the head joint's frame (BVH units: x = subject's left, y = up, z = forward).
_HEAD_OFFSETS = {
    "nose": (0.0, 0.9, 1.8), "left_eye": (0.6, 1.2, 1.5), "right_eye": (-0.6, 1.2, 1.5),
    "left_ear": (1.4, 0.9, 0.0), "right_ear": (-1.4, 0.9, 0.0),
}  # fmt: skip


@dataclass(frozen=True)
class BvhJoint:
    """One joint: ``parent`` index (-1 for the root), ``offset`` from the parent (file units), ``channels`` in
    file order, ``end_offset`` of its End Site if it has one."""

    name: str
    parent: int
    offset: tuple[float, float, float]
    channels: tuple[str, ...]
    end_offset: tuple[float, float, float] | None = None


@dataclass(frozen=True, eq=False)
class BvhMotion:
    """A parsed BVH file: ``joints`` in file order, ``frame_time_s``, ``values`` (n_frames, n_channels)."""

    joints: tuple[BvhJoint, ...]
    frame_time_s: float
    values: np.ndarray
    source: str = ""

    @property
    def n_frames(self) -> int:
        return len(self.values)

    @property
    def t_s(self) -> np.ndarray:
        """Time of each frame, s, from 0."""
        return np.arange(self.n_frames) * self.frame_time_s


def read_bvh(path: str | os.PathLike) -> BvhMotion:
    """Parse a BVH file (hierarchy and motion)."""
    path = Path(path)
    header, motion = path.read_text().split("MOTION", 1)
    joints = _parse_hierarchy(header.split())
    lines = [line for line in motion.strip().splitlines() if line.strip()]
    n_frames = int(lines[0].split(":")[1])
    frame_time_s = float(lines[1].split(":")[1])
    values = np.array([[float(v) for v in line.split()] for line in lines[2 : 2 + n_frames]])
    n_channels = sum(len(joint.channels) for joint in joints)
    if values.shape != (n_frames, n_channels):
        raise ValueError(f"{path.name}: motion block is {values.shape}, expected ({n_frames}, {n_channels})")
    return BvhMotion(joints=tuple(joints), frame_time_s=frame_time_s, values=values, source=path.name)


def _parse_hierarchy(tokens: list[str]) -> list[BvhJoint]:
    joints: list[dict] = []
    stack: list[int] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("ROOT", "JOINT"):
            joints.append({"name": tokens[i + 1], "parent": stack[-1] if stack else -1, "channels": ()})
            i += 2
        elif token == "End":
            joints[stack[-1]]["end_offset"] = tuple(float(v) for v in tokens[i + 4 : i + 7])
            i += 8  # End Site { OFFSET x y z }
        elif token == "{":
            stack.append(len(joints) - 1)
            i += 1
        elif token == "}":
            stack.pop()
            i += 1
        elif token == "OFFSET":
            joints[-1]["offset"] = tuple(float(v) for v in tokens[i + 1 : i + 4])
            i += 4
        elif token == "CHANNELS":
            count = int(tokens[i + 1])
            joints[-1]["channels"] = tuple(tokens[i + 2 : i + 2 + count])
            i += 2 + count
        else:
            i += 1
    return [BvhJoint(**joint) for joint in joints]


def _axis_rotations(axis: str, angles_deg: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) about one coordinate axis."""
    a = np.radians(angles_deg)
    c, s = np.cos(a), np.sin(a)
    one, zero = np.ones_like(a), np.zeros_like(a)
    rows = {
        "X": ((one, zero, zero), (zero, c, -s), (zero, s, c)),
        "Y": ((c, zero, s), (zero, one, zero), (-s, zero, c)),
        "Z": ((c, -s, zero), (s, c, zero), (zero, zero, one)),
    }[axis]
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def _local_transform(joint: BvhJoint, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local rotation (n, 3, 3) and translation (n, 3) of one joint from its channel values (n, k)."""
    n = len(values)
    rotation = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    translation = np.broadcast_to(np.asarray(joint.offset, float), (n, 3)).copy()
    for k, channel in enumerate(joint.channels):
        if channel.endswith("rotation"):
            rotation = rotation @ _axis_rotations(channel[0].upper(), values[:, k])
        else:
            translation[:, "XYZ".index(channel[0].upper())] += values[:, k]
    return rotation, translation


def joint_positions(motion: BvhMotion) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Forward kinematics: global positions (n, 3) in file units of every joint (and of each End Site as
    ``<joint>_End``), and global rotations (n, 3, 3) of every joint."""
    positions: dict[str, np.ndarray] = {}
    rotations: dict[str, np.ndarray] = {}
    column = 0
    for joint in motion.joints:
        local_rotation, local_translation = _local_transform(
            joint, motion.values[:, column : column + len(joint.channels)]
        )
        column += len(joint.channels)
        if joint.parent < 0:
            positions[joint.name], rotations[joint.name] = local_translation, local_rotation
        else:
            parent = motion.joints[joint.parent].name
            parent_rotation = rotations[parent]
            positions[joint.name] = positions[parent] + np.einsum(
                "nij,nj->ni", parent_rotation, local_translation
            )
            rotations[joint.name] = parent_rotation @ local_rotation
        if joint.end_offset is not None:
            end = np.einsum("nij,j->ni", rotations[joint.name], np.asarray(joint.end_offset, float))
            positions[f"{joint.name}_End"] = positions[joint.name] + end
    return positions, rotations


def mediapipe_points_m(
    motion: BvhMotion, metres_per_unit: float = CMU_METRES_PER_UNIT
) -> dict[str, np.ndarray]:
    """MediaPipe-named keypoints (n, 3) in metres, world frame of the file (Y up); see the module docstring
    for the joint mapping. Assumes CMU joint names (LeftUpLeg, RightLeg, Head, ...)."""
    positions, rotations = joint_positions(motion)
    points = {}
    for keypoint, suffix in _JOINT_KEYPOINTS.items():
        for side in ("left", "right"):
            points[f"{side}_{keypoint}"] = positions[side.capitalize() + suffix] * metres_per_unit
    for keypoint, offset in _HEAD_OFFSETS.items():
        face = positions["Head"] + np.einsum("nij,j->ni", rotations["Head"], np.asarray(offset, float))
        points[keypoint] = face * metres_per_unit
    return points


def facing_direction(points_m: Mapping[str, np.ndarray]) -> np.ndarray:
    """The subject's mean horizontal facing direction (unit (3,) vector, world frame with Y up): the
    horizontal perpendicular to the right-to-left hip axis, averaged over frames."""
    left_axis = np.nanmean(points_m["left_hip"] - points_m["right_hip"], axis=0)
    forward = np.cross(left_axis, np.array([0.0, 1.0, 0.0]))
    forward[1] = 0.0
    return forward / np.linalg.norm(forward)


def front_camera(points_m: Mapping[str, np.ndarray], distance_m: float = 3.5, height_m: float = 1.0,
                 width_px: int = 1080, height_px: int = 1920, focal_px: float = 1500.0,
                 azimuth_deg: float = 0.0) -> Camera:  # fmt: skip
    """A level camera ``distance_m`` in front of the subject's mean hip position at ``height_m`` above the
    floor (the lowest foot point over the clip), looking at the hips. ``azimuth_deg`` turns the camera about
    the vertical towards the subject's left (90 = a view of the left side). Default: portrait phone."""
    hip = np.nanmean((points_m["left_hip"] + points_m["right_hip"]) / 2.0, axis=0)
    floor_m = np.nanmin(np.stack([points_m[f"{s}_foot_index"][:, 1] for s in ("left", "right")]))
    forward = facing_direction(points_m)
    left = np.cross(np.array([0.0, 1.0, 0.0]), forward)
    angle = np.radians(azimuth_deg)
    direction = np.cos(angle) * forward + np.sin(angle) * left
    position = hip + distance_m * direction
    position[1] = floor_m + height_m
    target = hip.copy()
    target[1] = floor_m + height_m
    return look_at_camera(tuple(position), tuple(target), width_px, height_px, focal_px)


def project_to_track(points_m: Mapping[str, np.ndarray], t_s: np.ndarray, camera: Camera,
                     name: str = "bvh") -> LandmarkTrack:  # fmt: skip
    """The keypoints as ``camera`` sees them, as a ``LandmarkTrack`` that keeps the given time base (so a
    clip cut from the middle of a file keeps the file's times); z like MediaPipe's (depth relative to the hip
    mid-point, negative = nearer the camera, in the pixel scale of x)."""
    hip_depth_m = depth_m(camera, (points_m["left_hip"] + points_m["right_hip"]) / 2.0)
    points = {}
    for keypoint, xyz in points_m.items():
        z_px = (depth_m(camera, xyz) - hip_depth_m) * camera.focal_px / hip_depth_m
        points[keypoint] = np.column_stack([project_points(camera, xyz), z_px])
    t_s = np.asarray(t_s, float)
    fps = 1.0 / float(np.median(np.diff(t_s)))
    video = VideoInfo(file_name=name, size_bytes=0, width_px=camera.width_px, height_px=camera.height_px,
                      fps=fps, frame_count=len(t_s), duration_s=float(t_s[-1] - t_s[0]), codec="synthetic",
                      rotation_deg=0)  # fmt: skip
    provenance = {"source": "BVH projected by kneechain.mocap.bvh", "camera": camera.to_dict()}
    return LandmarkTrack.from_named_points(t_s, points, video, provenance=provenance)
