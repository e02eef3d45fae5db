"""The visit: the combination rule on synthetic saved findings (fast), and a visit of rendered clips with
programmed signs (``tests/visit_clips.py``), read from saved analyses and through the command line."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

from kneechain.cli import app
from kneechain.visit.build import VisitOptions, build_visit
from kneechain.visit.combine import (
    AGREEMENT_CAP,
    combine_knee,
    combined_confidence,
    count_once,
    knee_call,
    screening_tests,
)
from kneechain.visit.model import SavedClip
from kneechain.visit.saved import LONG_COLUMNS
from tests.visit_clips import VISITS, seed_clip_folder, visit_analyses

# What a PT must never read on the page (the idea of tests/test_report_html.py's INTERNAL_TEXT).
INTERNAL_TEXT = {
    "a column or variable name": r"\b[a-z]+(?:_[a-z0-9]+)+\b",
    "a Python dict or set": r"[{}]",
    "a file path": r"\.(?:md|py|csv|json|parquet|toml)\b",
    "a missing value": r"\b(?:None|nan|NaN)\b",
    "an absolute path": r"(?:^|\s)/(?:tmp|home|work|Users)\b",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script", "svg")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script", "svg")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees: the page's text without styles, scripts and drawings."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def internal_text(html: str, names: list[str]) -> dict[str, list[str]]:
    text = visible_text(html)
    for name in names:
        text = text.replace(name, "the clip")
    found = {what: sorted(set(re.findall(pattern, text))) for what, pattern in INTERNAL_TEXT.items()}
    return {what: hits for what, hits in found.items() if hits}


def evidence(metric: str, supports: str, side: str = "left", value: float = 10.0) -> dict:
    return {"metric": metric, "label": metric.replace("_", " "), "value": value, "unit": "deg",
            "threshold": 5.0, "comparison": ">", "side": side, "n_items": 3, "item_kind": "reps",
            "supports": supports, "confidence": 0.6, "source": "test",
            "threshold_key": "x.y_deg"}  # fmt: skip


def clip(name, task, view, pattern, confidence, metrics=(), supports="hip", legs=(), side="left"):
    finding = {"side": side, "pattern": pattern, "confidence": confidence,
               "evidence": [evidence(m, supports, side) for m in metrics],
               "limitations": ["pelvic drop: needs a front view"]}  # fmt: skip
    return SavedClip(name, task, view, True, stance_legs=legs, sides={side: finding})


def test_agreeing_tests_raise_the_confidence_within_the_cap():
    assert combined_confidence([0.4, 0.4]) == pytest.approx(0.6)  # 1 - 0.6 * 0.6 = 0.64, capped at 0.4 + 0.2
    assert combined_confidence([0.5, 0.2]) == pytest.approx(0.6)  # 1 - 0.5 * 0.8 = 0.6
    assert combined_confidence([0.25] * 5) == pytest.approx(0.25 + AGREEMENT_CAP)  # weak tests stay weak
    assert combined_confidence([0.9, 0.9]) == pytest.approx(0.95)
    assert combined_confidence([0.3]) == pytest.approx(0.3) and combined_confidence([]) == 0.0


def test_two_tests_pointing_to_the_hip_make_a_more_confident_call():
    squat = clip("squat.mp4", "squat", "front", "hip-driven", 0.4, ["fppa_deg", "thigh_share"])
    stand = clip("stand.mp4", "single_leg_stand", "front", "hip-driven", 0.4, ["sticker_peak_drop_deg"],
                 legs=("left",))  # fmt: skip
    call, confidence = knee_call(count_once([squat, stand], "left"))
    assert call == "hip-driven" and confidence > 0.4
    assert knee_call(count_once([squat], "left")) == ("hip-driven", 0.4)


def test_disagreement_is_shown_and_never_averaged():
    stand = clip("stand.mp4", "single_leg_stand", "front", "hip-driven", 0.5, ["sticker_peak_drop_deg"],
                 legs=("left",))  # fmt: skip
    side_squat = clip("side.mp4", "squat", "side", "foot-driven", 0.3, ["heel_rise_foot"], "foot")
    knee = combine_knee([stand, side_squat], "left", 0.3, 0.6)
    assert knee.call == "mixed" and knee.confidence == pytest.approx(0.3)
    expected = "mixed: the single-leg stand (front view) suggests hip-driven, the side-view squat foot-driven"
    assert expected in knee.statement


def test_the_same_metric_in_two_clips_counts_once_from_the_stronger_clip():
    first = clip("squat_1.mp4", "squat", "front", "hip-driven", 0.3, ["fppa_deg"])
    second = clip("squat_2.mp4", "squat", "back", "hip-driven", 0.5, ["fppa_deg"])
    contributions = count_once([first, second], "left")
    assert [c.counted for c in contributions] == [False, True]
    assert contributions[0].counted_in == "squat_2.mp4"
    assert knee_call(contributions) == ("hip-driven", 0.5)  # not 1 - 0.7 * 0.5


def test_tests_done_and_missing_per_knee():
    stand = clip("stand.mp4", "single_leg_stand", "front", "none", 0.4, ["fppa_deg"], "normal", ("left",))
    walk = clip("walk.mp4", "walk", "side", "insufficient data", 0.0)
    left = {t.test: t for t in screening_tests([stand, walk], "left")}
    right = {t.test: t for t in screening_tests([stand, walk], "right")}
    assert left["single-leg stand"].done and not right["single-leg stand"].done
    assert right["single-leg stand"].text == "no single-leg stand on the right yet"
    assert left["walk"].text == "filmed, but it gave no usable reading for this knee"
    assert left["front-view squat"].text == "no front-view squat yet"
    knee = combine_knee([stand, walk], "right", 0.3, 0.6)
    assert knee.call == "not enough data" and "no single-leg stand on the right yet" in knee.missing


def test_an_unusable_clip_says_why():
    bad = SavedClip("dark.mp4", "squat", "front", False, problems=("the person is too small",))
    knee = combine_knee([bad], "left", 0.3, 0.6)
    assert knee.contributions[0].kind == "not measured" and knee.contributions[0].reasons == bad.problems


# --- rendered visits ---


@pytest.fixture(scope="module")
def analyses(request):
    return visit_analyses(request)


@pytest.fixture(scope="module")
def first_visit(analyses, tmp_path_factory):
    out = tmp_path_factory.mktemp("visit") / "2026-11-01"
    clips = analyses["2026-11-01"]
    for video, folder in clips:
        seed_clip_folder(folder, out, video)
    started = []
    options = VisitOptions(session={"patient_id": "P-1", "date": "2026-11-01"})
    result = build_visit([video for video, _ in clips], out, options, on_clip=started.append)
    return result, started


def test_a_visit_reuses_finished_analyses_of_the_same_videos(first_visit):
    result, started = first_visit
    assert started == []  # nothing analysed again
    assert [c.name for c in result.clips] == [f"{e.name}.mp4" for e in VISITS["2026-11-01"]]


def test_a_visit_of_rendered_clips_finds_the_programmed_hip_sign(first_visit):
    result, _ = first_visit
    left = next(k for k in result.knees if k.side == "left")
    stand = next(c for c in left.contributions if c.clip == "stand_drop_6.mp4")
    assert stand.kind == "hip", stand
    assert any("pelvic drop (stickers) 6°" in line for line in stand.readings), stand.readings
    assert left.call in ("hip-driven", "mixed"), left.statement


def test_a_visit_says_which_tests_are_missing(first_visit):
    result, _ = first_visit
    right = next(k for k in result.knees if k.side == "right")
    assert "no single-leg stand on the right yet" in right.missing
    assert {"no walk yet", "no side-view squat yet"} <= set(right.missing)
    assert all(c.clip != "stand_drop_6.mp4" for c in right.contributions)  # stood on the left leg


def test_the_visit_page_reads_in_plain_language_with_relative_links(first_visit):
    result, _ = first_visit
    html = (result.output_dir / "visit.html").read_text(encoding="utf-8")
    assert internal_text(html, [c.name for c in result.clips]) == {}
    assert "no single-leg stand on the right yet" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("./clips/") for link in links), links
    assert not re.search(r"(?:src|href)=\"(?:https?:|//)", html)


def test_the_visit_long_table_is_tidy(first_visit):
    result, _ = first_visit
    table = pd.read_csv(result.output_dir / "visit_long.csv")
    assert list(table.columns)[:10] == list(LONG_COLUMNS)[:10]
    assert set(table["patient"]) == {"P-1"} and set(table["date"]) == {"2026-11-01"}
    fppa = table[(table.test == "squat_front") & (table.metric == "fppa_deg")]
    assert set(fppa.side) == {"left", "right"} and (fppa.value > 10).all(), fppa
    assert pd.read_parquet(result.output_dir / "visit_long.parquet").shape == table.shape
    saved = json.loads((result.output_dir / "visit.json").read_text())
    assert [k["side"] for k in saved["knees"]] == ["left", "right"] and len(saved["rows"]) == len(table)


def test_the_visit_command_analyses_a_new_video_and_reads_folders(analyses, short_person_clip, tmp_path):
    folders = [str(folder) for _, folder in analyses["2026-12-06"]]
    result = CliRunner().invoke(app, ["visit", *folders, str(short_person_clip), "-o", str(tmp_path / "v"),
                                      "--patient-id", "P-1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v" / "clips" / "person_1s" / "summary.json").is_file()
    html = (tmp_path / "v" / "visit.html").read_text(encoding="utf-8")
    assert "person_1s.mp4" in html and "left knee" in result.output
    assert str(tmp_path) not in visible_text(html)


def test_the_visit_command_refuses_a_folder_that_is_not_an_analysis(tmp_path):
    result = CliRunner().invoke(app, ["visit", str(tmp_path), "-o", str(tmp_path / "v")])
    assert result.exit_code == 6 and "not a kneechain analysis" in result.output
    missing = CliRunner().invoke(app, ["visit", str(tmp_path / "nothing.mp4"), "-o", str(tmp_path / "v")])
    assert missing.exit_code == 3 and "does not exist" in missing.output
