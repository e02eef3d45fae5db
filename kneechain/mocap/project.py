"""Motion capture seen by a virtual camera: 3D markers -> MediaPipe-named 2D keypoints -> ``LandmarkTrack``.

Lab frame: OpenSim's, Y up (metres). The walking direction is found from the data (``walking_axis_m``).

Keypoints from markers (``keypoint_positions_m``): each MediaPipe keypoint is the mean of one or more markers
(knee = midpoint of the lateral and medial knee markers where both exist, else the lateral one; ankle likewise
with the malleoli; heel = heel marker; foot_index = toe-tip marker; shoulders = acromion markers). Hips are
the hip joint centres of Harrington et al. 2007 (J Biomech 40:595), the regression that predicted the
functional hip centre best from pelvic markers: in a pelvis frame with its origin at the mid-point of the
ASIS, x anterior, y superior and z to the right, HJC = (-0.24 PD - 9.9 mm, -0.30 PW - 10.9 mm,
±(0.33 PW + 7.3 mm)), with PW the inter-ASIS distance and PD the pelvic depth (ASIS mid-point to PSIS
mid-point or the sacral marker). MediaPipe's hip keypoints sit near the joint centres, not on the ASIS.

Cameras are ``kneechain.synth.camera`` pinhole cameras (no distortion). The projected track keeps the mocap
time base (``t_s`` = the TRC's time, so events compare directly with the force plates) and sets z like
MediaPipe: depth relative to the hip mid-point, negative = nearer the camera, in the same pixel scale as x.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kneechain.mocap.trc import MarkerData, reconstruct_from_static
from kneechain.synth.camera import Camera, depth_m, look_at_camera, project_points
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo

KeypointMap = Mapping[str, Sequence[str]]
_UP = np.array([0.0, 1.0, 0.0])
_BOTH = (("left", "L."), ("right", "R."))


def _sided(parts: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {
        f"{side}_{k}": tuple(prefix + m for m in names)
        for side, prefix in _BOTH
        for k, names in parts.items()
    }


# OpenSim gait2392 example (subject01): the walking trial has thigh/shank clusters only; knee and ankle
# markers come from the static trial via ``add_gait2392_joint_markers``.
GAIT2392_KEYPOINTS: KeypointMap = {
    **_sided({"shoulder": ("Acromium",), "elbow": ("Elbow",), "wrist": ("Wrist.Med", "Wrist.Lat"),
              "hip": ("HJC",), "knee": ("Knee.Lat", "Knee.Med"), "ankle": ("Ankle.Lat", "Ankle.Med"),
              "heel": ("Heel",), "foot_index": ("Toe.Tip",), "ear": ("Temple",)}),
}  # fmt: skip
RAJAGOPAL_KEYPOINTS: KeypointMap = {
    **_sided({"shoulder": ("Shoulder",), "elbow": ("Elbow",), "wrist": ("Wrist",), "hip": ("HJC",),
              "knee": ("Knee",), "ankle": ("Ankle",), "heel": ("Heel",), "foot_index": ("Toe",)}),
}  # fmt: skip


def add_hip_joint_centres(markers: MarkerData, sacrum: Sequence[str] | None = None) -> MarkerData:
    """Add virtual markers ``L.HJC`` and ``R.HJC`` (Harrington et al. 2007, see the module docstring) from
    ``R.ASIS``/``L.ASIS`` and the PSIS mid-point (``R.PSIS``/``L.PSIS``) or a sacral marker."""
    if sacrum is None:
        candidates = (("R.PSIS", "L.PSIS"), ("V.Sacral",), ("S2",), ("SACR",))
        sacrum = next((c for c in candidates if all(name in markers.markers for name in c)), None)
        if sacrum is None:
            raise KeyError(f"no PSIS or sacral marker in {markers.source}: give `sacrum`")
    right_asis, left_asis = markers.marker("R.ASIS"), markers.marker("L.ASIS")
    origin = (right_asis + left_asis) / 2.0
    lateral = _unit(right_asis - left_asis)
    backward = markers.mean_of(sacrum) - origin
    anterior = _unit(-(backward - np.sum(backward * lateral, axis=1, keepdims=True) * lateral))
    superior = np.cross(lateral, anterior)
    width_mm = 1000.0 * np.linalg.norm(right_asis - left_asis, axis=1, keepdims=True)
    depth_mm = 1000.0 * np.sum(-backward * anterior, axis=1, keepdims=True)
    forward_m = (-0.24 * depth_mm - 9.9) / 1000.0
    up_m = (-0.30 * width_mm - 10.9) / 1000.0
    out_m = (0.33 * width_mm + 7.3) / 1000.0
    centre = origin + forward_m * anterior + up_m * superior
    return markers.with_markers({"R.HJC": centre + out_m * lateral, "L.HJC": centre - out_m * lateral})


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def add_gait2392_joint_markers(walk: MarkerData, static: MarkerData) -> MarkerData:
    """gait2392 walking trial with knee (thigh cluster) and ankle (shank cluster) markers rebuilt from the
    static trial, plus the hip joint centres."""
    extra: dict[str, np.ndarray] = {}
    for prefix in ("R.", "L."):
        thigh = [prefix + f"Thigh.{p}" for p in ("Upper", "Front", "Rear")]
        shank = [prefix + f"Shank.{p}" for p in ("Upper", "Front", "Rear")]
        extra |= reconstruct_from_static(walk, static, thigh, [prefix + "Knee.Lat", prefix + "Knee.Med"])
        extra |= reconstruct_from_static(walk, static, shank, [prefix + "Ankle.Lat", prefix + "Ankle.Med"])
    return add_hip_joint_centres(walk.with_markers(extra))


def keypoint_positions_m(markers: MarkerData, keypoint_map: KeypointMap) -> dict[str, np.ndarray]:
    """Lab positions (n, 3) in metres of each mapped MediaPipe keypoint (mean of its markers)."""
    return {keypoint: markers.mean_of(names) for keypoint, names in keypoint_map.items()}


def pelvis_path_m(markers: MarkerData) -> np.ndarray:
    """Per-frame hip-joint-centre mid-point (n, 3), m (needs ``add_hip_joint_centres``)."""
    return markers.mean_of(("L.HJC", "R.HJC"))


def walking_axis_m(markers: MarkerData) -> np.ndarray:
    """Horizontal unit vector of the walking direction: the pelvis's net displacement, or on a treadmill
    (pelvis moves less than 0.5 m) the mean heel-to-toe direction of both feet."""
    path = pelvis_path_m(markers)
    axis = path[-1] - path[0]
    if np.linalg.norm(axis - axis @ _UP * _UP) < 0.5:
        heel = markers.mean_of(("L.Heel", "R.Heel"))
        toe_names = [n for n in ("L.Toe.Tip", "R.Toe.Tip", "L.Toe", "R.Toe") if n in markers.markers]
        axis = np.nanmean(markers.mean_of(toe_names) - heel, axis=0)
    axis = axis - axis @ _UP * _UP
    return axis / np.linalg.norm(axis)


def estimate_treadmill_speed_m_s(markers: MarkerData) -> float:
    """Speed (m/s) at which the stance foot moves backwards along the walking axis: 0 overground. The
    median heel velocity over frames where the heel is within 2 cm of its lowest height."""
    axis = walking_axis_m(markers)
    velocities = []
    for name in ("L.Heel", "R.Heel"):
        heel = markers.marker(name)
        grounded = heel[:, 1] < np.nanmin(heel[:, 1]) + 0.02
        velocities.append(np.gradient(heel @ axis, markers.t_s)[grounded])
    return float(-np.median(np.concatenate(velocities)))


def to_overground(markers: MarkerData, speed_m_s: float) -> MarkerData:
    """Markers of a treadmill (or pelvis-fixed) trial moved forward at ``speed_m_s`` along the walking axis,
    as if walked overground (a Galilean change of frame: positions relative to the pelvis, hence Zeni's
    events, are unchanged)."""
    shift = np.outer(markers.t_s - markers.t_s[0], speed_m_s * walking_axis_m(markers))
    return markers.with_markers({name: xyz + shift for name, xyz in markers.markers.items()})


def _camera(position_m: np.ndarray, target_m: np.ndarray, width_px: int, height_px: int,
            horizontal_fov_deg: float) -> Camera:  # fmt: skip
    focal_px = width_px / 2.0 / np.tan(np.radians(horizontal_fov_deg) / 2.0)
    return look_at_camera(tuple(position_m), tuple(target_m), width_px, height_px, focal_px)


def virtual_side_camera(markers: MarkerData, side: str = "right", distance_m: float = 4.0,
                        height_m: float = 1.0, width_px: int = 1920, height_px: int = 1080,
                        horizontal_fov_deg: float = 65.0) -> Camera:  # fmt: skip
    """A level camera ``distance_m`` from the middle of the walking path, on the subject's ``side``
    ("right"/"left"), ``height_m`` above the floor, looking perpendicular to the walking direction. From the
    right the subject walks towards the image's right (x increasing). Default: landscape phone, 65°
    horizontal field of view."""
    path = pelvis_path_m(markers)
    axis = walking_axis_m(markers)
    to_right = np.cross(axis, _UP)
    middle = np.nanmean(path, axis=0)
    middle[1] = height_m
    position = middle + (distance_m if side == "right" else -distance_m) * to_right
    return _camera(position, middle, width_px, height_px, horizontal_fov_deg)


def virtual_front_camera(markers: MarkerData, distance_m: float = 3.0, height_m: float = 1.0,
                         width_px: int = 1080, height_px: int = 1920,
                         horizontal_fov_deg: float = 45.0) -> Camera:  # fmt: skip
    """A level camera ahead of the walker, ``distance_m`` beyond the pelvis's last position along the walking
    direction, ``height_m`` above the floor, looking back along the path (the subject walks towards it).
    Default: portrait phone, 45° horizontal field of view."""
    path = pelvis_path_m(markers)
    axis = walking_axis_m(markers)
    end = path[-1].copy()
    end[1] = height_m
    position = end + distance_m * axis
    return _camera(position, position - axis, width_px, height_px, horizontal_fov_deg)


def virtual_back_camera(markers: MarkerData, distance_m: float = 2.0, height_m: float = 1.0,
                        lateral_m: float = 0.0, width_px: int = 1080, height_px: int = 1920,
                        horizontal_fov_deg: float = 45.0) -> Camera:  # fmt: skip
    """A level camera behind the walker, ``distance_m`` before the pelvis's first position along the walking
    direction and ``lateral_m`` to the subject's right of the path, ``height_m`` above the floor, looking
    along the path (the subject walks away from it). Default: portrait phone, 45° horizontal field of view."""
    path = pelvis_path_m(markers)
    axis = walking_axis_m(markers)
    start = path[0].copy()
    start[1] = height_m
    position = start - distance_m * axis + lateral_m * np.cross(axis, _UP)
    return _camera(position, position + axis, width_px, height_px, horizontal_fov_deg)


def resample_markers(markers: MarkerData, rate_hz: float) -> MarkerData:
    """Markers linearly interpolated onto a uniform grid at ``rate_hz`` (from the first sample)."""
    t_s = np.arange(markers.t_s[0], markers.t_s[-1] + 1e-9, 1.0 / rate_hz)
    resampled = {
        name: np.stack([np.interp(t_s, markers.t_s, xyz[:, axis]) for axis in range(3)], axis=1)
        for name, xyz in markers.markers.items()
    }
    return MarkerData(t_s=t_s, rate_hz=rate_hz, markers=resampled, units_in_file=markers.units_in_file,
                      source=markers.source, header=markers.header)  # fmt: skip


def project_markers_to_track(markers: MarkerData, camera: Camera, keypoint_map: KeypointMap,
                             fps: float | None = None, keep_outside_image: bool = False,
                             name: str = "mocap") -> LandmarkTrack:  # fmt: skip
    """The keypoints as ``camera`` sees them, as a ``LandmarkTrack`` (see the module docstring for the time
    base and z). ``fps`` resamples first (a phone's 30 or 60 Hz); keypoints behind the camera, and unless
    ``keep_outside_image`` those outside the image, are NaN (undetected)."""
    if fps is not None:
        markers = resample_markers(markers, fps)
    positions = keypoint_positions_m(markers, keypoint_map)
    hip_depth_m = depth_m(camera, markers.mean_of(("L.HJC", "R.HJC")))
    points: dict[str, np.ndarray] = {}
    for keypoint, xyz in positions.items():
        uv = project_points(camera, xyz)
        depth = depth_m(camera, xyz)
        z_px = (depth - hip_depth_m) * camera.focal_px / hip_depth_m
        inside = (
            (uv[:, 0] >= 0) & (uv[:, 0] < camera.width_px) & (uv[:, 1] >= 0) & (uv[:, 1] < camera.height_px)
        )
        hidden = (depth <= 0) | (~inside & (not keep_outside_image))
        points[keypoint] = np.where(hidden[:, None], np.nan, np.column_stack([uv, z_px]))
    rate = fps or markers.rate_hz
    video = VideoInfo(
        file_name=f"{markers.source or name} ({name})",
        size_bytes=0,
        width_px=camera.width_px,
        height_px=camera.height_px,
        fps=float(rate),
        frame_count=markers.n_frames,
        duration_s=float(markers.t_s[-1] - markers.t_s[0]),
        codec="synthetic",
        rotation_deg=0,
    )
    provenance = {"source": "motion capture projected by kneechain.mocap.project", "camera": camera.to_dict()}
    return LandmarkTrack.from_named_points(markers.t_s, points, video, provenance=provenance)
