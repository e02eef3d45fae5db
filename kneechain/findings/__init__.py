"""Findings: the rule set that turns metrics into hip-driven / foot-driven knee-pattern findings.

Screening support from 2D video, not a diagnosis. Entry point: ``kneechain.findings.derive.derive_findings``
(not imported here: it loads SciPy, which the words in ``text`` and the types in ``model`` do without).
"""

from kneechain.findings.model import OVERALL_CALLS, PATTERNS, Evidence, Finding, Findings, Overall

__all__ = ["OVERALL_CALLS", "PATTERNS", "Evidence", "Finding", "Findings", "Overall"]
