"""Plain-language wording of evidence and findings, with numbers no more precise than they are known
(angles to the degree, ratios and fractions to two decimals)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kneechain.config import Config
from kneechain.findings.model import DISCLAIMER, Evidence

NORM_NAMES = {"female": "for women", "male": "for men", "combined": "for women and men combined"}
PATTERN_WORDS = {
    "hip-driven": "a hip-driven pattern (hip control)",
    "foot-driven": "a foot-driven pattern (ankle/foot mobility or control)",
    "mixed": "a mixed pattern (both hip and foot contribute)",
}


# How a comparison is written for a reader.
COMPARISON_WORDS = {"<=": "≤", ">=": "≥", "|left-right| >": "|left − right| >"}


def comparison_text(comparison: str) -> str:
    """A saved comparison ("<=", ">=") with the symbols a person reads (≤, ≥)."""
    return COMPARISON_WORDS.get(comparison, comparison)


def format_value(value: float, unit: str, limit: float | None = None) -> str:
    """``value`` with its unit at a sensible precision; one decimal more when it would round onto
    ``limit`` without equalling it (13.3° against 13° reads "13.3°", not "13°"); never "-0"."""
    text = _format_value(value, unit, limit)
    number = re.match(r"-(\d+(?:\.\d+)?)", text)
    return text[1:] if number and float(number.group(1)) == 0 else text


def _format_value(value: float, unit: str, limit: float | None = None) -> str:
    if limit is not None and value != limit and _format_value(value, unit) == _format_value(limit, unit):
        if unit in ("deg", "%"):
            return f"{value:.1f}{'°' if unit == 'deg' else '%'}"
        if unit == "cm":
            return f"{value:.1f} cm"
        return f"{value:.3f}{' s' if unit == 's' else ' foot lengths' if unit == 'foot lengths' else ''}"
    if unit == "deg":
        return f"{value:.0f}°"
    if unit in ("%", "cm"):
        return f"{value:.0f}{'%' if unit == '%' else ' cm'}"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "foot lengths":
        return f"{value:.2f} foot lengths"
    return f"{value:.2f}"


def _items(evidence: Evidence) -> str:
    kind = evidence.item_kind if evidence.n_items != 1 else evidence.item_kind.rstrip("s")
    return f"{evidence.n_items} {kind}"


def format_limit(limit: float, unit: str) -> str:
    """A threshold in words: like ``format_value``, but a limit set to a fraction of a degree or percent
    keeps its decimal (13.5° reads "13.5°", not "14°")."""
    if unit in ("deg", "%") and not float(limit).is_integer():
        return f"{limit:.1f}{'°' if unit == 'deg' else '%'}"
    return format_value(limit, unit)


def describe_evidence(evidence: Evidence, norms: str = "combined") -> str:
    """One evidence item in words, e.g. "knee valgus (FPPA) 18° (> 13° upper normal for women; 5 reps)"."""
    if evidence.supports == "asymmetry" and evidence.threshold_key.startswith("gait."):
        return (
            f"{evidence.label} {format_value(evidence.value, evidence.unit, evidence.threshold)}, "
            f"{evidence.detail} (a magnitude "
            f"above {format_limit(evidence.threshold, evidence.unit)} is commonly called asymmetric; "
            f"{_items(evidence)} per side)"
        )
    if evidence.supports == "asymmetry":
        return (
            f"{evidence.label} {format_value(evidence.value, evidence.unit, evidence.threshold)}, more on "
            f"the {evidence.side} "
            f"({evidence.detail}; smallest detectable difference "
            f"{format_limit(evidence.threshold, evidence.unit)}; {_items(evidence)})"
        )
    if evidence.metric in ("thigh_share", "shank_share"):
        return f"{evidence.label} ({evidence.detail}; {_items(evidence)})"
    norm = (
        f" upper normal {NORM_NAMES.get(norms, '')}"
        if evidence.threshold_key == "valgus.fppa_upper_deg"
        else ""
    )
    detail = f"; {evidence.detail}" if evidence.detail else ""
    return (
        f"{evidence.label} {format_value(evidence.value, evidence.unit, evidence.threshold)} "
        f"({comparison_text(evidence.comparison)} "
        f"{format_limit(evidence.threshold, evidence.unit)}{norm}{detail}; {_items(evidence)})"
    )


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def side_statement(side: str, pattern: str, confidence: float, supporting: Sequence[Evidence],
                   normal: Sequence[Evidence], reasons: Sequence[str], strong: float, norms: str,
                   painful: bool) -> str:  # fmt: skip
    """The statement of one side's finding (see ``kneechain.findings.rules`` for the patterns)."""
    who = f"{side.capitalize()} knee{' (the painful side)' if painful else ''}"
    if pattern in PATTERN_WORDS:
        lead = "signs consistent with" if confidence >= strong else "weak signs (low confidence) of"
        shown = _join(describe_evidence(e, norms) for e in supporting)
        text = f"{who}: {lead} {PATTERN_WORDS[pattern]}: {shown}."
        if not any(e.supports == "knee" for e in supporting):
            text += " The knee itself did not move inward beyond normal in the measures available."
    elif pattern == "none":
        shown = _join(describe_evidence(e, norms) for e in normal[:4])
        text = f"{who}: no hip- or foot-driven signs in the measures this clip allows ({shown})."
        if reasons:
            labels = dict.fromkeys(reason.split(":", 1)[0] for reason in reasons)
            text += f" Not assessed (see limitations): {', '.join(labels)}."
    else:
        valgus = [e for e in supporting if e.supports == "knee"]
        if valgus:
            text = (
                f"{who}: {describe_evidence(valgus[0], norms)}, but the data do not show whether it comes "
                "from the hip or the foot."
            )
        else:
            text = f"{who}: not enough usable data for a hip- or foot-driven call."
        if reasons:
            text += f" Not usable: {_join(reasons[:3])}."
    if pattern not in PATTERN_WORDS and pattern != "none" and confidence == 0:
        return f"{text} {DISCLAIMER} Not enough data for a call."
    return f"{text} {DISCLAIMER} Confidence {confidence:.2f}."


def strength_word(confidence: float, low: float, strong: float) -> str:
    """A confidence in words: "high" from the strong-call confidence ``strong``, "moderate" from the evidence
    floor ``low``, "low" below it (the report's and the command line's words)."""
    return "high" if confidence >= strong else "moderate" if confidence >= low else "low"


def confidence_bands(config: Config) -> tuple[float, float]:
    """The evidence floor and the strong-call confidence of ``config``: where "moderate" and "high" begin
    (``strength_word``)."""
    keys = ("confidence.min_metric_confidence", "confidence.strong_call")
    return float(config.value(keys[0])), float(config.value(keys[1]))
