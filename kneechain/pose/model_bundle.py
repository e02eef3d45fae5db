"""The BlazePose "full" model as a MediaPipe Tasks bundle, built offline from the files inside the wheel.

mediapipe 0.10.21 ships ``pose_detection.tflite`` and ``pose_landmark_full.tflite`` but no ``.task`` bundle,
and newer releases ship no models at all (they download them, which an offline clinic cannot do). The Tasks
``PoseLandmarker`` refuses the bare tflite files because they lack image-normalisation metadata, so this
module writes that metadata with the metadata writer that ships inside mediapipe and zips the two models
into a bundle. Building takes about a second; the result is cached on disk (keyed by the models' hash) and
rebuilt in memory when no cache folder is writable. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mediapipe as mp

log = logging.getLogger(__name__)

_DETECTOR_FILE = ("modules", "pose_detection", "pose_detection.tflite")
_LANDMARKER_FILE = ("modules", "pose_landmark", "pose_landmark_full.tflite")
# Input normalisation the two networks were trained with: (pixel - mean) / std.
_DETECTOR_NORM = (127.5, 127.5)  # to [-1, 1]
_LANDMARKER_NORM = (0.0, 255.0)  # to [0, 1]
MODEL_NAME = "BlazePose GHUM 3D full (pose_landmark_full.tflite)"


@dataclass(frozen=True)
class ModelBundle:
    """The bundle's bytes and a short hash that identifies the exact model files."""

    content: bytes
    model_sha256: str


def _wheel_model_path(parts: tuple[str, ...]) -> Path:
    path = Path(mp.__file__).parent.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(
            f"mediapipe {mp.__version__} has no bundled {parts[-1]}; install mediapipe==0.10.21 "
            "(the last release that ships the pose models inside the wheel)"
        )
    return path


def _add_normalisation_metadata(model: bytes, mean: float, std: float, name: str) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    content, _ = writer.populate()
    return bytes(content)


def _build_bundle(detector: bytes, landmarker: bytes) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    models = {
        "pose_detector.tflite": _add_normalisation_metadata(detector, *_DETECTOR_NORM, "pose_detector"),
        "pose_landmarks_detector.tflite": _add_normalisation_metadata(
            landmarker, *_LANDMARKER_NORM, "pose_landmarks_detector"
        ),
    }
    with tempfile.TemporaryDirectory(prefix="kneechain-") as folder:
        path = os.path.join(folder, "pose_landmarker_full.task")
        model_asset_bundle_utils.create_model_asset_bundle(models, path)
        return Path(path).read_bytes()


def default_cache_dir() -> Path:
    """``$KNEECHAIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/kneechain``, else ``~/.cache/kneechain``."""
    if env := os.environ.get("KNEECHAIN_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kneechain"


def _write_cache_atomically(path: Path, content: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as stream:
            stream.write(content)
        os.replace(stream.name, path)
    except OSError as error:  # a read-only home is no reason to fail: build again next time
        log.debug("could not cache the model bundle at %s: %s", path, error)


def load_model_bundle(cache_dir: Path | None = None) -> ModelBundle:
    """Return the BlazePose full bundle, from the cache or freshly built from the wheel's files."""
    detector = _wheel_model_path(_DETECTOR_FILE).read_bytes()
    landmarker = _wheel_model_path(_LANDMARKER_FILE).read_bytes()
    model_sha256 = hashlib.sha256(detector + landmarker).hexdigest()[:16]
    cache_path = (cache_dir or default_cache_dir()) / f"pose_landmarker_full-{model_sha256}.task"
    try:
        return ModelBundle(cache_path.read_bytes(), model_sha256)
    except FileNotFoundError:
        pass
    except OSError as error:  # an unreadable cache (or its folder) is no reason to fail: build it again
        log.debug("could not read the cached model bundle at %s: %s", cache_path, error)
    content = _build_bundle(detector, landmarker)
    _write_cache_atomically(cache_path, content)
    return ModelBundle(content, model_sha256)
