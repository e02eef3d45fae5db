"""The shapes of a visit and of the progress between visits: frozen dataclasses, JSON-ready via
``dataclasses.asdict``. Sides are the subject's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SavedClip:
    """What one saved analysis folder says, as read (nothing recomputed).

    ``task``/``view``: the analysis's; ``stance_legs``: the legs stood on (single-leg tasks); ``sides``: the
    saved finding per side (``pattern``, ``confidence``, ``evidence``, ``limitations``, ...); ``rows``: the
    summary rows of every metric family (metric, side, n, mean, sd, status, error_margin, confidence,
    unit); ``report``: the clip's report relative to the visit folder ("" when it cannot be linked)."""

    name: str
    task: str | None
    view: str | None
    usable: bool
    problems: tuple[str, ...] = ()
    stance_legs: tuple[str, ...] = ()
    sides: dict[str, dict[str, Any]] = field(default_factory=dict)
    norms: str = "combined"
    rows: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    report: str = ""
    failed: str = ""  # why the clip could not be analysed at all (it then has no results)


@dataclass(frozen=True)
class Contribution:
    """What one clip says about one knee: ``kind`` is "hip", "foot", "mixed", "none" (no sign), "knee"
    (valgus, origin unclear), "not measured" or "other leg" (a single-leg test on the other leg);
    ``counted`` False when everything it measured was already counted from ``counted_in`` (the same test
    filmed twice: the clip with the higher confidence is kept)."""

    clip: str
    test: str
    kind: str
    confidence: float
    readings: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    counted: bool = True
    counted_in: str = ""


@dataclass(frozen=True)
class TestStatus:
    """One screening test for one knee: done (by which clips) or still missing, in words."""

    test: str
    done: bool
    clips: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class KneeCall:
    """The visit's call for one knee: one of ``kneechain.findings.model.OVERALL_CALLS``, its combined
    confidence, a plain-language statement and each clip's contribution."""

    side: str
    call: str
    confidence: float
    statement: str
    contributions: tuple[Contribution, ...]
    tests: tuple[TestStatus, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One metric on one side of one test across visits: the values (None where a visit lacks it), their
    uncertainties, the change first to last, the smallest difference it is judged against and the verdict
    ("improved", "worse", "changed", "unchanged", "not judged") with its sentence."""

    test: str
    metric: str
    side: str
    unit: str
    dates: tuple[str, ...]
    values: tuple[float | None, ...]
    uncertainties: tuple[float | None, ...]
    change: float | None
    sdd: float | None
    verdict: str
    sentence: str
