"""What to do with one video, decided before it is read: the user's choices and the filter settings.

Kept free of SciPy and pandas (as are ``kneechain.api`` and the pose pass): a run imports those only after
the pose pass, when the two pose models have been let go, so that they never add to its peak memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kneechain.movement.view import VIEWS

ANALYSED_TASKS = ("squat", "single_leg_squat", "single_leg_stand", "walk")
STAGES = ("pose", "movement", "metrics", "key frames", "report", "PDF", "video")
StageCallback = Callable[[str], None]  # called with a stage's name as it starts (``STAGES``)


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
    # Cores for the pose pass: 1 in order, 2 the second half in a second thread (``two_cores``: the same
    # landmarks), 0 two when two cores are free and the clip is long enough.
    cores: int = 0

    def cache_key(self) -> dict:
        """The settings that change the landmarks (thread and core counts do not)."""
        settings = asdict(self)
        settings.pop("decode_threads")
        settings.pop("cores")
        return settings


def report_stage(on_stage: StageCallback | None, name: str) -> None:
    if on_stage is not None:
        on_stage(name)


@dataclass(frozen=True)
class FilterConfig:
    """Settings of ``kneechain.signal.filtering.filter_track``; every duration in seconds, every frequency
    in Hz."""

    min_visibility: float = 0.5
    hampel_window_s: float = 0.25  # whole window (centred on the sample)
    hampel_n_sigma: float = 3.0
    hampel_min_deviation: float = 0.03  # floor of the Hampel threshold, as a fraction of leg length
    max_gap_s: float = 0.12
    cutoff_hz: float = 6.0  # -3 dB point of the combined forward-backward response
    butter_order: int = 2  # per pass; the zero-lag result has twice this order
    max_cutoff_nyquist_ratio: float = 0.9


@dataclass(frozen=True)
class MovementOptions:
    """``task``/``view`` given by the user (None = detect)."""

    task: str | None = None
    view: str | None = None
    filter: FilterConfig = field(default_factory=FilterConfig)

    def __post_init__(self) -> None:
        if self.task is not None and self.task not in ANALYSED_TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {', '.join(ANALYSED_TASKS)}")
        if self.view is not None and self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r}; choose one of {', '.join(VIEWS)}")


@dataclass(frozen=True)
class SubjectInfo:
    """What the clinician tells kneechain about the patient (all optional)."""

    height_cm: float | None = None
    sex: str | None = None  # "female" / "male": selects sex-specific normal ranges
    age_years: float | None = None  # selects the age band of the walking norms


@dataclass(frozen=True)
class ReportOptions:
    """What to write for people: the HTML report (always), a PDF, key frames, an annotated video."""

    session: Mapping[str, str] = field(default_factory=dict)  # patient_id, date, clinician, notes
    blur_faces: bool = True
    pdf: bool = False
    paper: str = "A4"
    full: bool = False  # print everything (cards, figures, data quality, definitions), not just the summary
    annotated_video: Path | None = None


@dataclass(frozen=True)
class AnalysisOptions:
    """How to analyse one video."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    movement: MovementOptions = field(default_factory=MovementOptions)
    subject: SubjectInfo = field(default_factory=SubjectInfo)
    side_of_pain: str | None = None  # "left" / "right" / "both": the painful side leads the findings
    config_path: Path | None = None  # a clinic's threshold overrides (TOML), merged over the defaults
    report: ReportOptions = field(default_factory=ReportOptions)
    reuse_poses: bool = True  # reuse OUTDIR/poses.parquet when the video and pose settings are unchanged
