"""Findings: the rule set that turns metrics into hip-driven / foot-driven knee-pattern findings.

Screening support from 2D video, not a diagnosis. Entry point: ``derive_findings``.
"""

from kneechain.findings.derive import derive_findings
from kneechain.findings.model import OVERALL_CALLS, PATTERNS, Evidence, Finding, Findings, Overall

__all__ = ["OVERALL_CALLS", "PATTERNS", "Evidence", "Finding", "Findings", "Overall", "derive_findings"]
