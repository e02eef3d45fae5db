"""The findings' shapes: evidence, one finding per side, the overall call, and the whole set for a clip.

All are frozen dataclasses; ``Findings.to_dict()`` gives JSON-ready data. Sides are the subject's own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

PATTERNS = ("hip-driven", "foot-driven", "mixed", "none", "insufficient data")
OVERALL_CALLS = ("hip-driven", "foot-driven", "mixed", "no clear pattern", "not enough data")
# What a piece of evidence speaks for: a hip sign, a foot sign, both (a valgus shared by thigh and shank),
# the knee pattern itself (valgus above normal, origin open), a normal reading, or a left-right difference.
SUPPORTS = ("hip", "foot", "both", "knee", "normal", "asymmetry")
DISCLAIMER = "Screening support from 2D video, not a diagnosis."


@dataclass(frozen=True)
class Evidence:
    """One metric reading compared with one threshold.

    ``metric``: the metric's column name (e.g. ``fppa_deg``) or a value derived from measured columns
    (``thigh_share``); ``value`` in ``unit`` (mean over ``n_items`` ``item_kind`` on ``side``, or the
    left-right difference for asymmetries); ``comparison``: how ``value`` relates to ``threshold``
    (``">"``, ``"<="``, ``"<"``, ``">="``, or ``"|left-right| >"``); ``supports``: see ``SUPPORTS``;
    ``confidence`` 0-1: the metric's quality confidence, capped for few items; ``source``: the reference
    for the threshold (config entry ``threshold_key``); ``detail``: the reading in plain words."""

    metric: str
    label: str
    value: float
    unit: str
    threshold: float
    comparison: str
    side: str
    n_items: int
    item_kind: str
    supports: str
    confidence: float
    source: str
    threshold_key: str
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    """The knee pattern on one side: ``pattern`` (one of ``PATTERNS``), the evidence for and against it,
    a ``confidence`` 0-1 (0 for "insufficient data"), a plain-language ``statement`` and the
    ``limitations`` (why metrics could not be used, known weaknesses of those that were)."""

    side: str
    pattern: str
    confidence: float
    evidence: tuple[Evidence, ...]
    statement: str
    limitations: tuple[str, ...] = ()
    not_assessed: tuple[str, ...] = ()  # the signs that could not be used, in words (e.g. "heel rise")

    def supporting(self) -> tuple[Evidence, ...]:
        """The evidence that speaks for a hip, foot or knee pattern (not normal readings)."""
        return tuple(e for e in self.evidence if e.supports in ("hip", "foot", "both", "knee"))


@dataclass(frozen=True)
class Overall:
    """The call for the clip (one of ``OVERALL_CALLS``), its confidence, the 2-3 strongest pieces of
    evidence, what to examine next, and a plain-language statement."""

    call: str
    confidence: float
    evidence: tuple[Evidence, ...]
    next_steps: tuple[str, ...]
    statement: str


@dataclass(frozen=True)
class MetricStatus:
    """The status of one summary value (``family``, ``metric``, ``side``; one of
    ``kneechain.findings.status.STATUSES``) and the measured error margin it used."""

    family: str
    metric: str
    side: str
    status: str
    margin: float


@dataclass(frozen=True)
class Findings:
    """Everything the rules concluded for one clip: one ``Finding`` per side (the painful side first when
    known), left-right differences beyond measurement error, the overall call, and notes (e.g. gait
    asymmetry, which norms were used)."""

    sides: tuple[Finding, ...]
    asymmetries: tuple[Evidence, ...]
    overall: Overall
    norms: str
    config_hash: str
    notes: tuple[str, ...] = ()
    statuses: tuple[MetricStatus, ...] = ()
    # gait symmetry indices beyond their limit that did not hold in every walking direction filmed
    unconfirmed_asymmetries: tuple[Evidence, ...] = ()

    def by_side(self, side: str) -> Finding:
        """The finding for ``side`` ("left"/"right")."""
        for finding in self.sides:
            if finding.side == side:
                return finding
        raise KeyError(side)

    def to_dict(self) -> dict:
        """JSON-ready nested data (tuples become lists)."""
        return asdict(self)
