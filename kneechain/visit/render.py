"""The visit and progress pages: plain-language context for the Jinja templates in ``templates/``
(autoescaped; self-contained: inline CSS and SVG, no scripts, no external references; links relative and
percent-encoded)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from kneechain import __version__
from kneechain.findings.model import DISCLAIMER
from kneechain.findings.text import format_value, strength_word
from kneechain.visit.change import metric_label, test_words
from kneechain.visit.combine import AGREEMENT_CAP, name_of_test
from kneechain.visit.model import Change, KneeCall, SavedClip
from kneechain.visit.trend import trend_svg

KIND_WORDS = {
    "hip": "points to the hip",
    "foot": "points to the foot",
    "mixed": "shows both hip and foot signs",
    "none": "no hip or foot sign",
    "knee": "knee valgus, origin unclear",
    "not measured": "could not be measured",
}
SESSION_LABELS = (("patient_id", "Patient"), ("date", "Date"), ("clinician", "Clinician"), ("notes", "Notes"))


def href(relative: str) -> str:
    """A relative link, every path segment percent-encoded (never a scheme)."""
    return ("" if relative.startswith("../") else "./") + quote(relative, safe="/")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("kneechain.visit", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["href"] = href
    env.filters["first_upper"] = lambda text: text[:1].upper() + text[1:]
    return env


def _header(session: dict, side_of_pain: str | None) -> list[tuple[str, str]]:
    rows = [(label, session[key]) for key, label in SESSION_LABELS if session.get(key)]
    return rows + ([("Painful side", side_of_pain)] if side_of_pain else [])


def contribution_rows(knee: KneeCall, clips: Sequence[SavedClip]) -> list[dict]:
    """Each clip's contribution to the knee in words, with the link to its report."""
    links = {clip.name: clip.report for clip in clips}
    rows = []
    for c in knee.contributions:
        shown = KIND_WORDS[c.kind] + (
            "" if c.counted else f" (the same readings as {c.counted_in}: counted once)"
        )
        rows.append({"test": c.test, "clip": c.clip, "link": links.get(c.clip, ""), "shown": shown,
                     "kind": c.kind, "details": list(c.readings or c.reasons)})  # fmt: skip
    return rows


def knee_context(knee: KneeCall, clips: Sequence[SavedClip], side_of_pain: str | None, low: float,
                 strong: float) -> dict:  # fmt: skip
    painful = " (painful side)" if side_of_pain in (knee.side, "both") else ""
    strength = strength_word(knee.confidence, low, strong) if knee.confidence else ""
    return {"title": f"{knee.side.capitalize()} knee{painful}", "call": knee.call, "strength": strength,
            "confidence": f"{knee.confidence:.2f}", "statement": knee.statement,
            "contributions": contribution_rows(knee, clips), "tests": knee.tests,
            "missing": knee.missing}  # fmt: skip


def clip_context(clip: SavedClip) -> dict:
    if clip.failed:
        status = f"could not be analysed: {clip.failed}"
    elif not clip.usable:
        status = "cannot support measurements: " + "; ".join(clip.problems)
    else:
        status = "analysed"
    return {"name": clip.name, "test": name_of_test(clip.task, clip.view) if not clip.failed else "",
            "link": clip.report, "status": status, "notes": list(clip.notes)}  # fmt: skip


def _stamp() -> dict:
    return {"generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "version": __version__,
            "disclaimer": DISCLAIMER}  # fmt: skip


def render_visit(session: dict, side_of_pain: str | None, clips: Sequence[SavedClip],
                 knees: Sequence[KneeCall], low: float, strong: float) -> str:  # fmt: skip
    """The visit page."""
    return (
        _environment()
        .get_template("visit.html.j2")
        .render(
            header=_header(session, side_of_pain),
            knees=[knee_context(k, clips, side_of_pain, low, strong) for k in knees],
            clips=[clip_context(c) for c in clips],
            cap=f"{AGREEMENT_CAP:.1f}",
            **_stamp(),
        )
    )


def _value_text(value: float | None, spread: float | None, unit: str) -> str:
    if value is None:
        return "not filmed"
    shown = format_value(spread, unit) if spread else ""
    visible = bool(shown) and float(re.sub(r"[^\d.]", "", shown) or 0) > 0  # not "± 0°"
    return format_value(value, unit) + (f" ± {shown}" if visible else "")


def metric_groups(changes: Sequence[Change]) -> list[dict]:
    """The changes grouped by test and metric, each group with its trend plot and rows in words."""
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        groups.setdefault((change.test, change.metric), []).append(change)
    result = []
    for number, ((test, metric), group) in enumerate(groups.items(), start=1):
        title = f"{metric_label(metric, 'both')} in the {test_words(test)}"
        rows = [{"side": metric_label(c.metric, c.side), "values": [_value_text(v, u, c.unit)
                 for v, u in zip(c.values, c.uncertainties, strict=True)], "verdict": c.verdict,
                 "sentence": c.sentence} for c in group]  # fmt: skip
        result.append({"title": title, "svg": trend_svg(group, title, f"trend{number}"), "rows": rows})
    return result


def render_progress(result) -> str:
    """The progress page of a ``kneechain.visit.progress.ProgressResult``."""
    order = {"worse": 0, "improved": 1, "changed": 2, "unchanged": 3, "not judged": 4}
    headline = sorted(result.changes, key=lambda c: order[c.verdict])
    return (
        _environment()
        .get_template("progress.html.j2")
        .render(
            patient=result.patient,
            visits=[{"label": v.label, "link": v.link} for v in result.visits],
            dates=[v.label for v in result.visits],
            sentences=[(c.verdict, c.sentence) for c in headline],
            groups=metric_groups(result.changes),
            not_compared=list(result.not_compared),
            **_stamp(),
        )
    )
