"""The HTML report (kneechain.report.render): parsed with the standard library's html.parser.

Analysis folders are made once per test run from the bundled samples (squat_front, walk_side) and from the
first second of the squat clip (unusable: too short, no task), reusing the poses kept in pytest's cache.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from kneechain.api import analyze_video
from kneechain.report.metric_text import decimals_for, format_number
from kneechain.report.render import render_report
from kneechain.synth.clips import CLIP_NAMES
from tests.conftest import PROJECT_ROOT, SAMPLE_DIR, cached_poses

MAX_REPORT_BYTES = 5 * 1024 * 1024
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
FORBIDDEN_TAGS = {"script", "link", "iframe", "object", "embed", "base", "frame"}
STATUS_LABELS = ("within range", "above range", "below range", "no cut-off", "not reliable", "at the limit")


class ReportParser(HTMLParser):
    """Collects ids, tags, attribute values, text, and the text inside each element with ``data-value``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.values: list[dict] = []  # attrs of every element with data-value, plus its "text"
        self.not_measured: list[dict] = []
        self.text: list[str] = []
        self._open: list[tuple[dict, str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attributes.items()]
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if attributes.get("data-measured") == "false":
            self.not_measured.append(attributes)
        for record, name, depth in self._open:
            if name == tag and tag not in VOID_TAGS:
                self._open[self._open.index((record, name, depth))] = (record, name, depth + 1)
        if "data-value" in attributes and tag not in VOID_TAGS:
            record = {**attributes, "text": ""}
            self.values.append(record)
            self._open.append((record, tag, 1))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            record, name, depth = self._open[index]
            if name == tag:
                if depth == 1:
                    self._open.pop(index)
                else:
                    self._open[index] = (record, name, depth - 1)
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for record, _, _ in self._open:
            record["text"] += data


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser


def analyse(video: Path, folder: Path, request) -> Path:
    """Analyse ``video`` into ``folder`` (poses from pytest's cache) and render its report."""
    folder.mkdir(parents=True)
    cached_poses(video, request).save(folder / "poses.parquet")
    analyze_video(video, folder)
    return render_report(folder)


@pytest.fixture(scope="session")
def report_dirs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="session")
def squat_report(report_dirs, sample_squat, request) -> Path:
    return analyse(sample_squat, report_dirs / "squat_front", request)


@pytest.fixture(scope="session")
def walk_report(report_dirs, request) -> Path:
    return analyse(SAMPLE_DIR / "walk_side.mp4", report_dirs / "walk_side", request)


@pytest.fixture(scope="session")
def unusable_report(report_dirs, short_person_clip, request) -> Path:
    return analyse(short_person_clip, report_dirs / "short", request)


@pytest.fixture(params=["squat_report", "walk_report", "unusable_report"])
def any_report(request) -> Path:
    return request.getfixturevalue(request.param)


def measured_rows(metrics: dict) -> list[tuple[str, str, str]]:
    """(metric, side, expected text) for every summary row the report must show as a number."""
    from kneechain.report.cards import quality_for

    rows = []
    for family in metrics["families"].values():
        for row in family["summary"]:
            _, quality = quality_for(family["quality"], row["metric"])
            if not quality.get("measured", True) or row["mean"] is None or not math.isfinite(row["mean"]):
                continue
            metric = "symmetry_index_pct" if row["side"] == "symmetry_index_pct" else row["metric"]
            rows.append((row["metric"], row["side"], format_number(row["mean"], decimals_for(metric))))
    return rows


def shown_values(parser: ReportParser) -> dict[tuple[str, str], dict]:
    return {(record["data-metric"], record["data-side"]): record for record in parser.values}


def test_required_sections_are_present(squat_report, walk_report):
    for report, extra in ((squat_report, {"fig-knee_valgus-1"}), (walk_report, {"fig-gait-events"})):
        parser = parse(report.read_text(encoding="utf-8"))
        required = {"header", "session", "video", "summary", "overall", "metrics", "figures", "quality",
                    "quality-facts", "keypoints", "warnings", "definitions", "fig-left-right"}  # fmt: skip
        assert required | extra <= parser.ids, sorted((required | extra) - parser.ids)
        assert parser.tags.count("svg") >= 2


@pytest.mark.parametrize("name", ["squat_report", "walk_report"])
def test_every_metric_value_matches_metrics_json(name, request):
    report = request.getfixturevalue(name)
    metrics = json.loads((report.parent / "metrics.json").read_text(encoding="utf-8"))
    shown = shown_values(parse(report.read_text(encoding="utf-8")))
    expected = measured_rows(metrics)
    assert expected, "the sample should have measured metrics"
    for metric, side, text in expected:
        record = shown.get((metric, side))
        assert record is not None, f"{metric} {side} is not on the page"
        assert record["data-value"] == text, (metric, side, record["data-value"], text)
        assert text in record["text"], (metric, side, record["text"])
    assert len(shown) == len(expected), "the page shows a number that metrics.json does not hold"


def test_rounding_follows_the_units(squat_report, walk_report):
    squat = shown_values(parse(squat_report.read_text(encoding="utf-8")))
    walk = shown_values(parse(walk_report.read_text(encoding="utf-8")))
    assert re.fullmatch(r"-?\d+", squat[("fppa_deg", "left")]["data-value"])  # angles to 1°
    assert re.fullmatch(r"-?\d+\.\d\d", walk[("step_time_s", "left")]["data-value"])  # times to 0.01 s
    assert re.fullmatch(r"-?\d+\.\d\d", squat[("knee_ankle_separation_ratio", "both")]["data-value"])


def test_status_reads_without_colour(squat_report):
    parser = parse(squat_report.read_text(encoding="utf-8"))
    rows = [record for record in parser.values if "data-status" in record]
    assert rows
    for record in rows:
        assert any(label in record["text"] for label in STATUS_LABELS), record["text"]


def test_not_measured_metrics_show_no_number(squat_report):
    metrics = json.loads((squat_report.parent / "metrics.json").read_text(encoding="utf-8"))
    parser = parse(squat_report.read_text(encoding="utf-8"))
    travel = metrics["families"]["knee_forward_travel"]["quality"]  # front view: none of it measured
    assert travel and not any(q["measured"] for q in travel.values())
    hidden = {record["data-metric"] for record in parser.not_measured}
    assert set(travel) <= hidden
    assert not {record["data-metric"] for record in parser.values} & set(travel)
    assert "needs a side view" in "".join(parser.text)


def test_no_external_references(any_report):
    html = any_report.read_text(encoding="utf-8")
    parser = parse(html)
    assert not re.search(r"https?:|ftp:|file:", html, flags=re.I)
    assert not FORBIDDEN_TAGS & set(parser.tags)
    assert "@import" not in html
    for tag, name, value in parser.attributes:
        if name in ("src", "href", "xlink:href", "action", "poster", "srcset"):
            assert value.startswith("#") or value.startswith("data:image/"), (tag, name, value[:60])
    for target in re.findall(r"url\(\s*([^)]*)\)", html):
        assert target.strip("'\" ").startswith("#"), target


def test_no_absolute_paths(any_report, sample_squat):
    html = any_report.read_text(encoding="utf-8")
    for path in (any_report.parent, any_report.parent.parent, sample_squat.parent, PROJECT_ROOT, Path.home()):
        assert str(path) not in html, path
    assert any_report.parent.name != "" and "poses.parquet" not in html


def test_report_is_small(any_report):
    assert any_report.stat().st_size < MAX_REPORT_BYTES


def test_print_stylesheet(squat_report):
    html = squat_report.read_text(encoding="utf-8")
    assert "@media print" in html and "@page" in html
    assert "break-inside: avoid" in html and "page-break-inside: avoid" in html


def test_user_strings_are_escaped(squat_report, tmp_path):
    session = {"patient_id": "<script>alert(1)</script>", "notes": '" onmouseover="alert(2)', "date": "x & y"}
    report = render_report(squat_report.parent, session=session, output=tmp_path / "escaped.html")
    html = report.read_text(encoding="utf-8")
    parser = parse(html)
    assert "script" not in parser.tags
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = "".join(parser.text)
    assert "<script>alert(1)</script>" in text and '" onmouseover="alert(2)' in text and "x & y" in text
    assert not any(name.startswith("on") for _, name, _ in parser.attributes)


def test_unusable_clip_shows_problems_and_no_numbers(unusable_report):
    movement = json.loads((unusable_report.parent / "movement.json").read_text(encoding="utf-8"))
    problems = movement["verdict"]["problems"]
    assert not movement["verdict"]["usable"] and problems
    parser = parse(unusable_report.read_text(encoding="utf-8"))
    text = "".join(parser.text)
    for problem in problems:
        assert problem in text
    assert not parser.values
    assert not {"metrics", "figures", "keyframes"} & parser.ids
    assert {"verdict", "summary", "quality"} <= parser.ids
    assert "svg" not in parser.tags


def copy_folder(folder: Path, destination: Path) -> Path:
    shutil.copytree(folder, destination)
    return destination


def test_rerender_from_the_folder_alone(squat_report, tmp_path, monkeypatch):
    folder = copy_folder(squat_report.parent, tmp_path / "moved")
    (folder / "poses.parquet").unlink()
    (folder / "track.parquet").unlink()
    (folder / "report.html").unlink()

    def no_video(*args, **kwargs):
        raise AssertionError("the report must not open a video")

    monkeypatch.setattr(cv2, "VideoCapture", no_video)
    report = render_report(folder)
    assert report == folder / "report.html" and report.is_file()
    again = {key: r["data-value"] for key, r in shown_values(parse(report.read_text("utf-8"))).items()}
    first = {key: r["data-value"] for key, r in shown_values(parse(squat_report.read_text("utf-8"))).items()}
    assert again == first and again


def test_session_json_is_read_when_no_session_is_given(squat_report, tmp_path):
    folder = copy_folder(squat_report.parent, tmp_path / "with_session")
    (folder / "session.json").write_text(json.dumps({"patient_id": "P-042", "clinician": "AB"}), "utf-8")
    text = "".join(parse(render_report(folder).read_text(encoding="utf-8")).text)
    assert "P-042" in text and "AB" in text
    given = render_report(folder, session={"patient_id": "Q-7"}, output=tmp_path / "given.html")
    assert given == tmp_path / "given.html"
    text = "".join(parse(given.read_text(encoding="utf-8")).text)
    assert "Q-7" in text and "P-042" not in text


def test_key_frames_are_embedded(squat_report, tmp_path):
    folder = copy_folder(squat_report.parent, tmp_path / "with_frames")
    assert "keyframes" in parse(squat_report.read_text(encoding="utf-8")).ids  # analyze wrote them
    for old in folder.glob("keyframe_*.jpg"):
        old.unlink()
    ok, encoded = cv2.imencode(".jpg", np.full((24, 32, 3), 128, dtype=np.uint8))
    assert ok
    (folder / "keyframe_1.jpg").write_bytes(encoded.tobytes())
    (tmp_path / "outside.jpg").write_bytes(encoded.tobytes())
    listed = [
        {"file": "keyframe_1.jpg", "t_s": 2.0, "caption": "Rep 1 bottom <b>", "kind": "rep_bottom"},
        {"file": "../outside.jpg", "t_s": 3.0, "caption": "OUTSIDE-FRAME-CAPTION", "kind": "rep_bottom"},
        {"file": "keyframe_9.jpg", "t_s": 4.0, "caption": "missing", "kind": "rep_bottom"},
    ]
    (folder / "keyframes.json").write_text(json.dumps(listed), encoding="utf-8")
    parser = parse(render_report(folder).read_text(encoding="utf-8"))
    assert "keyframes" in parser.ids
    images = sorted({value for tag, name, value in parser.attributes if tag == "img" and name == "src"})
    assert len(images) == 1  # page 1 may show the same frame again as the worst rep
    prefix = "data:image/jpeg;base64,"
    assert images[0].startswith(prefix) and base64.b64decode(images[0][len(prefix) :]) == encoded.tobytes()
    text = "".join(parser.text)
    assert "Rep 1 bottom <b>" in text and "OUTSIDE-FRAME-CAPTION" not in text


def test_a_folder_without_results_is_a_clear_error(tmp_path):
    from kneechain.errors import TrackFormatError

    with pytest.raises(TrackFormatError, match="no kneechain analysis results"):
        render_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_missing_tables_leave_out_figures_not_numbers(squat_report, tmp_path):
    folder = copy_folder(squat_report.parent, tmp_path / "json_only")
    for table in folder.glob("*.csv"):
        table.unlink()
    parser = parse(render_report(folder).read_text(encoding="utf-8"))
    first = {key: r["data-value"] for key, r in shown_values(parse(squat_report.read_text("utf-8"))).items()}
    assert {key: r["data-value"] for key, r in shown_values(parser).items()} == first
    assert "fig-knee_valgus-1" not in parser.ids and "fig-left-right" in parser.ids


def test_cards_count_items_beyond_the_limit(squat_report):
    metrics = json.loads((squat_report.parent / "metrics.json").read_text(encoding="utf-8"))
    items = [i for i in metrics["families"]["knee_valgus"]["items"]["valgus"] if i["side"] == "left"]
    above = sum(i["fppa_deg"] > 13 for i in items)
    text = "".join(parse(squat_report.read_text(encoding="utf-8")).text)
    assert f"{above} of {len(items)} reps above 13°" in text
    assert "<=" not in text and "people in one frame" not in text


def test_values_below_the_evidence_floor_are_never_green_or_red(walk_report):
    """A card whose confidence is below the evidence floor shows its numbers with the neutral "not
    reliable: check by eye" status on every side, and only such cards do."""
    from kneechain.report.context import load_context

    context = load_context(walk_report.parent)
    cards = [card for family in context.families for card in family.measured]
    low = {card.metric for card in cards if card.low_confidence}
    assert low and low != {card.metric for card in cards}  # the sample walk has both kinds
    rows = [r for r in parse(walk_report.read_text(encoding="utf-8")).values if "data-status" in r]
    for row in rows:
        if row.get("data-side") == "symmetry_index_pct":
            continue
        assert (row["data-status"] == "not-reliable") == (row["data-metric"] in low), row


# --- plain language (issue 13): no internal names in anything a PT reads ----------------------------------

INTERNAL_TEXT = {
    "a column or variable name": r"\b[a-z]+(?:_[a-z0-9]+)+\b",
    "a Python dict or set": r"[{}]",
    "a file path": r"\.(?:md|py|csv|json|parquet|toml)\b",
    "a missing value": r"\b(?:None|nan|NaN)\b",
    "a count with the wrong plural": r"(?<![\d.])(?:(?:[02-9]|\d\d+) (?:rep|stance|stride|step)\b"
    r"|1 (?:rep|stance|stride|step)s)\b",
    "a wrong article": r"\ba (?:oblique|unknown)\b",
}


def visible_text(html: str) -> str:
    """What a reader sees: the page's text without scripts, styles and drawings."""
    return " ".join(parse(re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S | re.I)).text)


@pytest.fixture(scope="session")
def sample_reports(report_dirs, request) -> dict[str, Path]:
    return {clip: analyse(SAMPLE_DIR / f"{clip}.mp4", report_dirs / f"plain_{clip}", request)
            for clip in CLIP_NAMES}  # fmt: skip


def internal_text_in(report: Path, video_name: str) -> dict[str, list[str]]:
    text = visible_text(report.read_text(encoding="utf-8")).replace(video_name, "the video")
    found = {what: sorted(set(re.findall(pattern, text))) for what, pattern in INTERNAL_TEXT.items()}
    return {what: hits for what, hits in found.items() if hits}


@pytest.mark.parametrize("clip", CLIP_NAMES)
def test_a_report_reads_without_internal_names(sample_reports, clip):
    assert internal_text_in(sample_reports[clip], f"{clip}.mp4") == {}


# Real clips whose reports say most: one rep, a single-leg stand at a low view confidence, a walk both ways.
REAL_REPORT_CLIPS = ("squat_front_01_overhead_bad.mov", "single_leg_balance_front_cam02.mp4",
                     "walk_side_06_circumduction_abnormal.mp4")  # fmt: skip


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL_REPORT_CLIPS)
def test_a_real_clips_report_reads_without_internal_names(shared_videos, report_dirs, request, name):
    video = next(v for v in shared_videos if v.name == name)
    report = analyse(video, report_dirs / f"real_{video.stem}", request)
    assert internal_text_in(report, name) == {}
    assert 'id="summary"' in report.read_text(encoding="utf-8")


# --- page 1 is the answer; the per-rep table; the walking page (issue 13) --------------------------------


def attribute_values(parser: ReportParser, name: str) -> list[str]:
    return [value for _, attribute, value in parser.attributes if attribute == name]


def test_page_one_gives_each_knee_its_call_and_the_key_measures(squat_report):
    metrics = json.loads((squat_report.parent / "metrics.json").read_text(encoding="utf-8"))
    html = squat_report.read_text(encoding="utf-8")
    parser = parse(html)
    patterns = {side["side"]: side["pattern"] for side in metrics["findings"]["sides"]}
    page_one = html[html.index('id="summary"') : html.index('id="items"')]
    knees = re.findall(r'data-side="(\w+)" data-pattern="([^"]+)"', page_one)
    assert dict(knees) == patterns and len(knees) == 2
    assert "key-measures" in parser.ids and page_one.count('<svg class="bar"') >= 2
    assert re.search(r'data-metric="fppa_deg"', page_one)  # the valgus bar comes first among the drawn
    left = [i for i in metrics["families"]["knee_valgus"]["items"]["valgus"] if i["side"] == "left"]
    worst = max(left, key=lambda item: item["fppa_deg"])
    caption = re.search(r'data-kind="worst">.*?<figcaption>(.*?)</figcaption>', page_one, flags=re.S)
    assert caption and f"left {worst['fppa_deg']:.0f}°" in caption.group(1)
    assert "Strength of the evidence" in page_one and "confidence 0." in page_one  # words, number on hover
    assert not re.search(r">\s*Confidence \d", page_one)


def test_the_per_rep_table_outlines_the_worst_rep(squat_report):
    metrics = json.loads((squat_report.parent / "metrics.json").read_text(encoding="utf-8"))
    html = squat_report.read_text(encoding="utf-8")
    items = metrics["families"]["knee_valgus"]["items"]["valgus"]
    worst = max(items, key=lambda item: item["fppa_deg"])
    table = html[html.index('id="items"') : html.index("</table>", html.index('id="items"'))]
    rows = re.findall(r"<tr class=\"(worst)?\"[^>]*>\s*<td>(\d+)</td><td>(\w+)</td>", table)
    assert len(rows) == len(items)
    assert [(int(n), side) for mark, n, side in rows if mark] == [(worst["item"], worst["side"])]


def test_the_walk_has_its_own_page_with_the_step_difference_and_direction_check(walk_report):
    metrics = json.loads((walk_report.parent / "metrics.json").read_text(encoding="utf-8"))
    (step,) = [e for e in metrics["findings"]["unconfirmed_asymmetries"] if e["metric"] == "step_length_leg"]
    html = walk_report.read_text(encoding="utf-8")
    parser = parse(html)
    assert "gait" in parser.ids and "items" not in parser.ids
    text = visible_text(html)
    assert f"Walking: {step['side'].capitalize()} step" in text and "longer than the" in text
    assert "One walking direction only" in text and "not confirmed" in text  # the sample walks one way
    assert "Cadence" in text and "Each walking pass" in text


def test_sex_height_and_age_are_in_the_header_and_the_print_header_is_escaped(squat_report, tmp_path):
    folder = copy_folder(squat_report.parent, tmp_path / "with_subject")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    metrics["subject"].update({"sex": "female", "height_cm": 162.0, "age_years": 47})
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    hostile = 'P"; } body { display: none } </style><b>'
    html = render_report(folder, session={"patient_id": hostile}).read_text(encoding="utf-8")
    text = visible_text(html)
    assert "Sex female" in " ".join(text.split()) and "162 cm" in text and "47 years" in text
    assert "No patient or session details" not in text
    style = html[html.index("<style>") : html.index("</style>")]
    assert "display: none }" not in style and "<b>" not in style  # every character of the ID is escaped
    assert '"Patient P\\000022' in style
