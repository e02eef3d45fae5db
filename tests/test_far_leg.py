"""The far leg (issue 13, item 6): in a side or oblique view the leg away from the camera, hidden behind
the near one, is drawn grey (figures, key frames, the annotated video); in a front view both legs keep
their colours; the annotated video's labels never cover the feet. Synthetic data only (no MediaPipe)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kneechain.movement.view import ViewEstimate
from kneechain.report.annotate import (
    FAR_COLOR,
    SIDE_COLORS,
    Measure,
    Pen,
    draw_banner,
    draw_label,
    far_side_of,
)
from kneechain.report.annotated_video import annotate_frame, readout_measures
from kneechain.report.figures import SeriesPlot, Span, comparison_figure, time_series_figures
from kneechain.report.figures.style import FAR_LINE, SIDE_STYLE
from kneechain.report.keyframes import KeyMoment, crop_for_report, render_key_frame, with_far_leg
from kneechain.report.label_place import feet_box_px, overlaps, stack_boxes
from kneechain.track import LandmarkTrack
from kneechain.video import VideoInfo

SIDE_VIEW = ViewEstimate("side", 1.0, "image_right")  # the patient's right side faces the camera
OBLIQUE_VIEW = ViewEstimate("oblique", 0.6, "image_right")
FRONT_VIEW = ViewEstimate("front", 1.0, "camera")
WIDTH_PX, HEIGHT_PX = 640, 480


# ------------------------------------------------------------------------------------------------ figures
def series_plot(near_side: str | None) -> SeriesPlot:
    t_s = np.linspace(0, 4, 41)
    series = pd.DataFrame(
        {"t_s": t_s, "left_knee_travel_foot": np.sin(t_s), "right_knee_travel_foot": np.cos(t_s)}
    )
    spans = [Span(1.0, 2.0, "rep 1")]
    return SeriesPlot("knee_forward_travel", "Knee-forward travel", series, [], spans, "reps", "rep",
                      lambda metric: None, near_side=near_side)  # fmt: skip


def strokes(svg: str) -> set[str]:
    return set(re.findall(r"stroke: (#[0-9a-f]{6})", svg))


def test_far_leg_series_is_grey_and_dotted_in_a_side_view():
    (figure,) = time_series_figures(series_plot(near_side="right"))
    colours = strokes(figure.svg)
    assert FAR_LINE["color"] in colours  # the left (far) leg's line and legend entry
    assert SIDE_STYLE["left"]["color"] not in colours  # nothing left drawn in the near leg's dark
    assert SIDE_STYLE["right"]["color"] in colours  # the near leg keeps its style
    assert "left leg, away from the camera" in figure.caption and "not reliable" in figure.caption


def test_front_view_series_keeps_both_legs_colours():
    (figure,) = time_series_figures(series_plot(near_side=None))
    colours = strokes(figure.svg)
    assert {SIDE_STYLE["left"]["color"], SIDE_STYLE["right"]["color"]} <= colours
    assert FAR_LINE["color"] not in colours
    assert "far" not in figure.caption


def card(label: str) -> SimpleNamespace:
    side = [
        SimpleNamespace(side=s, value=v, text=f"{v:g}", sd_text="1")
        for s, v in (("left", 8.0), ("right", 5.0))
    ]
    return SimpleNamespace(sides=side, threshold=None, label=label, unit="deg")


def test_comparison_greys_the_far_legs_bars():
    side = comparison_figure([card("shank angle")], near_side="right")
    front = comparison_figure([card("shank angle")])
    assert "fill: #e6e6e6" in side.svg and "fill: #4a4a4a" not in side.svg
    assert "fill: #4a4a4a" in front.svg and "fill: #e6e6e6" not in front.svg
    assert "not reliable" in side.caption and "not reliable" not in front.caption


# ------------------------------------------------------------------------------- key frames and the video
def standing_side_on() -> dict[str, np.ndarray]:
    """A person seen from the side in the middle of the frame, the two legs 80 px apart (so each shank
    can be checked on its own): {keypoint: (x, y)}."""
    points = {"nose": (330, 60), "left_eye": (325, 55), "right_eye": (325, 55), "left_ear": (315, 58),
              "right_ear": (315, 58), "left_shoulder": (320, 110), "right_shoulder": (320, 110),
              "left_elbow": (330, 170), "right_elbow": (330, 170), "left_wrist": (340, 220),
              "right_wrist": (340, 220)}  # fmt: skip
    for side, dx in (("left", -40), ("right", 40)):
        points |= {f"{side}_hip": (320 + dx, 230), f"{side}_knee": (330 + dx, 320),
                   f"{side}_ankle": (320 + dx, 410), f"{side}_heel": (305 + dx, 420),
                   f"{side}_foot_index": (355 + dx, 425)}  # fmt: skip
    return points


def track_of(points: dict[str, tuple[float, float]], n: int = 1) -> LandmarkTrack:
    video = VideoInfo("v.mp4", 0, WIDTH_PX, HEIGHT_PX, 30.0, n, n / 30.0, "h264", 0)
    named = {name: np.tile(np.asarray(xy, float), (n, 1)) for name, xy in points.items()}
    return LandmarkTrack.from_named_points(np.arange(n) / 30.0, named, video)


def shank_colour(
    image: np.ndarray, points: dict, side: str, origin=(0.0, 0.0), factor: float = 1.0
) -> np.ndarray:
    """The median colour (BGR) along the middle half of one shank (knee -> ankle)."""
    knee, ankle = (np.asarray(points[f"{side}_{j}"], float) for j in ("knee", "ankle"))
    samples = [
        ((knee + (ankle - knee) * f - origin) * factor).round().astype(int) for f in np.linspace(0.3, 0.7, 9)
    ]
    return np.median([image[y, x].astype(int) for x, y in samples], axis=0)


def is_grey(bgr: np.ndarray) -> bool:
    return np.ptp(bgr) < 20 and abs(float(bgr[1]) - FAR_COLOR[1]) < 30


def is_colour(bgr: np.ndarray, side: str) -> bool:
    return np.abs(bgr - np.array(SIDE_COLORS[side])).max() < 40


def squat_bottom(view: ViewEstimate) -> KeyMoment:
    measures = tuple(Measure("knee_travel", side, f"{side.capitalize()} knee 3 cm ahead of toes")
                     for side in ("left", "right"))  # fmt: skip
    moment = KeyMoment(0.0, "rep_bottom", "Rep 1, bottom", (), measures)
    return with_far_leg(moment, far_side_of(SimpleNamespace(view=view)), view.view == "side")


@pytest.mark.parametrize(
    ("view", "left_grey"),
    [(SIDE_VIEW, True), (OBLIQUE_VIEW, True), (FRONT_VIEW, False)],
    ids=["side", "oblique", "front"],
)
def test_key_frame_greys_the_far_leg_only_in_side_views(view, left_grey):
    points = standing_side_on()
    track = track_of(points)
    image = np.full((HEIGHT_PX, WIDTH_PX, 3), 90, np.uint8)
    moment = squat_bottom(view)
    drawn = render_key_frame(image, track, moment, blur=False)
    _, origin, factor = crop_for_report(image, track.image_xyz_px[0, :, :2].astype(float))
    left, right = (shank_colour(drawn, points, side, origin, factor) for side in ("left", "right"))
    assert is_grey(left) == left_grey and is_colour(left, "left") != left_grey
    assert is_colour(right, "right")  # the near leg (or, in a front view, either leg) keeps its colour
    measured = {m.side for m in moment.measures}
    assert measured == ({"right"} if view.view == "side" else {"left", "right"})  # side view: near leg only
    assert ("far leg" in moment.caption) == left_grey


def test_annotated_frame_greys_the_far_leg_and_says_so():
    points = standing_side_on()
    track = track_of(points)
    series = pd.DataFrame({"t_s": [0.0], "left_knee_travel_foot": [0.23], "right_knee_travel_foot": [-0.1],
                           "left_shank_angle_deg": [30.0], "right_shank_angle_deg": [20.0]})  # fmt: skip
    image = np.full((HEIGHT_PX, WIDTH_PX, 3), 90, np.uint8)
    for view, left_grey in ((SIDE_VIEW, True), (FRONT_VIEW, False)):
        movement = SimpleNamespace(reps=None, single_leg=None, gait_events=None, view=view)
        drawn = annotate_frame(image, 0.0, track, movement, {"knee_forward_travel": series}, False, 0.02)
        assert is_grey(shank_colour(drawn, points, "left")) == left_grey
        assert is_colour(shank_colour(drawn, points, "right"), "right")
    labels = [m.label for m in readout_measures({"knee_forward_travel": series}, 0.0, 0.02, "left")]
    assert labels[0].startswith("Left knee ahead of toes: 0.23 foot lengths")
    assert labels[0].endswith("(far leg, hidden: not reliable)")
    assert labels[1].startswith("Right knee behind toes: 0.10 foot lengths") and "far" not in labels[1]


# ---------------------------------------------------------------------------------- labels clear the feet
def test_label_stack_moves_off_feet_near_the_top_left():
    feet = (0, 20, 260, 140)  # feet where the first labels would go
    sizes = [(300, 30), (420, 30), (200, 30), (380, 30)]
    boxes = stack_boxes(sizes, (HEIGHT_PX, WIDTH_PX), 8, 3)
    assert any(overlaps(box, feet) for box in boxes)  # without the feet given, they would be covered
    boxes = stack_boxes(sizes, (HEIGHT_PX, WIDTH_PX), 8, 3, avoid=feet)
    for k, box in enumerate(boxes):
        assert not overlaps(box, feet)
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= WIDTH_PX and box[3] <= HEIGHT_PX
        assert (box[2] - box[0], box[3] - box[1]) == sizes[k]
        assert not any(overlaps(box, other) for other in boxes[:k])


def test_labels_sit_in_a_band_at_the_top_when_the_feet_are_low():
    boxes = stack_boxes([(300, 30), (420, 30)], (HEIGHT_PX, WIDTH_PX), 8, 3, avoid=(200, 380, 460, 470))
    assert boxes[0][:2] == (8, 8) and boxes[1][1] > boxes[0][3] and boxes[1][3] < HEIGHT_PX // 4


def test_drawn_banner_and_joint_labels_clear_real_feet():
    points = {name: (x, y - 330) for name, (x, y) in standing_side_on().items()}  # feet near the top
    points_px = track_of(points).image_xyz_px[0, :, :2].astype(float)
    image = np.zeros((HEIGHT_PX, WIDTH_PX, 3), np.uint8)
    pen = Pen.for_image(image)
    feet = feet_box_px(points_px, pen.px(10))
    lines = [
        "0.00 s",
        "Rep 1 of 3",
        "Left knee ahead of toes: 0.23 foot lengths (far leg, hidden: not reliable)",
    ]
    boxes = draw_banner(image, lines, pen, avoid=feet)
    assert len(boxes) >= len(lines) and not any(overlaps(box, feet) for box in boxes)
    toes = np.array(points["right_foot_index"])
    on_the_toes = draw_label(image, "Right knee 3 cm ahead of toes", toes, pen, avoid=feet)
    assert not overlaps(on_the_toes, feet)
    assert on_the_toes[3] <= feet[1]  # moved up, above the feet
