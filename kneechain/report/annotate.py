"""Drawing on video frames with OpenCV: the skeleton, the lines a metric is measured between, and readouts.

Only drawing happens here: positions come from the landmark track, numbers from the saved metric tables
(the caller formats them into labels). Colours follow the Okabe-Ito palette, readable for colour-blind
viewers: the subject's LEFT side orange, RIGHT side sky blue, measured lines yellow, text white on a dark
box. In a side or oblique view the far leg (hidden behind the near one, its keypoints guessed) is drawn grey
and thin, under everything else. Labels never cover the feet (``kneechain.report.label_place``). Sizes
scale with the image (``Pen.for_image``), so a 4K frame and a 540-pixel key frame look alike.
Text uses OpenCV's built-in Hershey font (ASCII); a degree sign in a label is drawn as a small ring.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kneechain.movement.view import near_side
from kneechain.report.label_place import Box, feet_box_px, moved_up_from, stack_boxes
from kneechain.track import KEYPOINT_INDEX

Color = tuple[int, int, int]  # BGR
SIDE_COLORS: dict[str, Color] = {"left": (0, 159, 230), "right": (233, 180, 86)}
MEASURE_COLOR: Color = (66, 228, 240)
TEXT_COLOR: Color = (255, 255, 255)
BOX_COLOR: Color = (30, 30, 30)
NEUTRAL_COLOR: Color = (235, 235, 235)
FAR_COLOR: Color = (150, 150, 150)
FAR_WORDS = "far leg, hidden: not reliable"
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    *((f"{s}_shoulder", f"{s}_hip") for s in ("left", "right")),
    *((f"{s}_shoulder", f"{s}_elbow") for s in ("left", "right")),
    *((f"{s}_elbow", f"{s}_wrist") for s in ("left", "right")),
    *((f"{s}_hip", f"{s}_knee") for s in ("left", "right")),
    *((f"{s}_knee", f"{s}_ankle") for s in ("left", "right")),
    *((f"{s}_ankle", f"{s}_heel") for s in ("left", "right")),
    *((f"{s}_heel", f"{s}_foot_index") for s in ("left", "right")),
    *((f"{s}_ankle", f"{s}_foot_index") for s in ("left", "right")),
)  # fmt: skip
SKELETON_JOINTS = tuple(sorted({name for edge in SKELETON_EDGES for name in edge}, key=KEYPOINT_INDEX.get))
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_DEGREE = "°"


@dataclass(frozen=True)
class Pen:
    """Line widths and text size for one image size (``unit`` = 1 for a 960-pixel long side)."""

    unit: float

    @classmethod
    def for_image(cls, image: np.ndarray) -> Pen:
        return cls(unit=max(image.shape[:2]) / 960.0)

    def px(self, value: float) -> int:
        return max(1, round(value * self.unit))

    @property
    def font_scale(self) -> float:
        return 0.8 * self.unit


@dataclass(frozen=True)
class Measure:
    """One measured quantity to draw: ``kind`` "fppa", "pelvis" or "knee_travel", the side it belongs to
    and the label written beside it on the image."""

    kind: str
    side: str | None
    label: str


@dataclass(frozen=True)
class Ink:
    """How one measure is drawn: its line colour, its side's colour (joint dots, label text) and the line
    width in pen units; the far leg's all grey and thinner."""

    line: Color
    mark: Color
    width: float

    @classmethod
    def of(cls, side: str | None, far_side: str | None = None) -> Ink:
        if side is not None and side == far_side:
            return cls(FAR_COLOR, FAR_COLOR, 2.0)
        return cls(MEASURE_COLOR, SIDE_COLORS.get(side, TEXT_COLOR), 4.0)


def far_side_of(movement) -> str | None:
    """The leg away from the camera in a side or oblique view ("left"/"right"), from the movement's view
    estimate (``movement.view``: ``.view``, ``.facing``); None when the camera sees both legs or no view
    is known."""
    view = getattr(movement, "view", None)
    near = near_side(view.view, view.facing) if view is not None else None
    return {"left": "right", "right": "left"}.get(near or "")


def side_of(name: str) -> str | None:
    """ "left"/"right" for a keypoint name of one side, else None."""
    return next((side for side in SIDE_COLORS if name.startswith(f"{side}_")), None)


def _point(xy: np.ndarray) -> tuple[int, int]:
    return round(float(xy[0])), round(float(xy[1]))


def _finite(*points: np.ndarray) -> bool:
    return all(np.isfinite(np.asarray(p, dtype=float)).all() for p in points)


def nearest_rows(t_s: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """For each time in ``times_s``, the index of the nearest value in the increasing array ``t_s``."""
    times_s = np.atleast_1d(np.asarray(times_s, dtype=float))
    right = np.clip(np.searchsorted(t_s, times_s), 1, max(len(t_s) - 1, 1))
    left = right - 1
    if len(t_s) < 2:
        return np.zeros(len(times_s), int)
    return np.where(np.abs(t_s[left] - times_s) <= np.abs(t_s[right] - times_s), left, right)


def _edge_side(edge: tuple[str, str]) -> str | None:
    return side_of(edge[0]) if side_of(edge[0]) == side_of(edge[1]) else None


def _bone_look(side: str | None, emphasis_side: str | None, far_side: str | None) -> tuple[int, Color, float]:
    """(drawing order, colour, width in pen units) of a bone or joint of ``side``: the far leg grey, thin
    and first (under the rest); the emphasised leg thick and last (on top)."""
    if side is not None and side == far_side:
        return 0, FAR_COLOR, 2.0
    if side is not None and side == emphasis_side:
        return 2, SIDE_COLORS[side], 5.0
    return 1, SIDE_COLORS.get(side, NEUTRAL_COLOR), 3.0


def draw_skeleton(image: np.ndarray, points_px: np.ndarray, pen: Pen, emphasis_side: str | None = None,
                  far_side: str | None = None) -> None:  # fmt: skip
    """Draw the body's bones (no face) from keypoints ``points_px`` (33, 2+) in place; the
    ``emphasis_side`` leg (e.g. the stance leg) is drawn thicker, the ``far_side`` leg (hidden behind the
    near one in a side view) grey and thin. Missing points are skipped."""
    edges = sorted(SKELETON_EDGES, key=lambda edge: _bone_look(_edge_side(edge), emphasis_side, far_side)[0])
    for name_a, name_b in edges:
        a, b = points_px[KEYPOINT_INDEX[name_a], :2], points_px[KEYPOINT_INDEX[name_b], :2]
        if not _finite(a, b):
            continue
        _, color, width = _bone_look(_edge_side((name_a, name_b)), emphasis_side, far_side)
        cv2.line(image, _point(a), _point(b), BOX_COLOR, pen.px(width) + pen.px(2), cv2.LINE_AA)
        cv2.line(image, _point(a), _point(b), color, pen.px(width), cv2.LINE_AA)
    joints = sorted(SKELETON_JOINTS, key=lambda name: _bone_look(side_of(name), emphasis_side, far_side)[0])
    for name in joints:
        xy = points_px[KEYPOINT_INDEX[name], :2]
        if _finite(xy):
            _, color, width = _bone_look(side_of(name), emphasis_side, far_side)
            radius = pen.px(4 if width > 2 else 3)
            cv2.circle(image, _point(xy), radius, color, -1, cv2.LINE_AA)
            cv2.circle(image, _point(xy), radius, BOX_COLOR, pen.px(1), cv2.LINE_AA)


def draw_dashed_line(image: np.ndarray, a: np.ndarray, b: np.ndarray, color: Color, pen: Pen,
                     width: float = 2.0) -> None:  # fmt: skip
    """A dashed line from ``a`` to ``b`` (dashes about 10 units long)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.linalg.norm(b - a))
    dash = 10.0 * pen.unit
    n = max(1, int(length // dash))
    for k in range(0, n, 2):
        start, end = a + (b - a) * (k / n), a + (b - a) * (min(k + 1, n) / n)
        cv2.line(image, _point(start), _point(end), color, pen.px(width), cv2.LINE_AA)


def _text_width(text: str, pen: Pen, thickness: int) -> tuple[int, int]:
    """Width and height of ``text`` (degree signs drawn as rings) in pixels."""
    width = 0
    height = cv2.getTextSize("Ag", _FONT, pen.font_scale, thickness)[0][1]
    for k, part in enumerate(text.split(_DEGREE)):
        width += cv2.getTextSize(part, _FONT, pen.font_scale, thickness)[0][0] if part else 0
        width += pen.px(8) if k < text.count(_DEGREE) else 0
    return width, height


def label_size(text: str, pen: Pen) -> tuple[int, int]:
    """Width and height in pixels of the dark box ``draw_label`` draws for ``text``."""
    width, height = _text_width(text, pen, pen.px(2))
    return width + 2 * pen.px(5), height + 2 * pen.px(5)


def draw_label(image: np.ndarray, text: str, anchor_px: np.ndarray, pen: Pen, color: Color = TEXT_COLOR,
               align: str = "left", avoid: Box | None = None) -> Box:  # fmt: skip
    """Draw ``text`` on a dark box; ``anchor_px`` is the box's left-middle (``align="left"``), right-middle
    ("right") or centre ("centre") point. The box is kept inside the image and moved up off ``avoid`` (the
    feet) when it would cover it. Returns the box (x0, y0, x1, y1)."""
    thickness, pad = pen.px(2), pen.px(5)
    width, height = label_size(text, pen)
    x = float(anchor_px[0]) - {"left": 0.0, "right": width, "centre": width / 2}[align]
    y = float(anchor_px[1]) - height / 2
    box = _inside((int(x), int(y), int(x) + width, int(y) + height), image.shape)
    box = _inside(moved_up_from(box, avoid, pen.px(6)), image.shape)
    cv2.rectangle(image, box[:2], box[2:], BOX_COLOR, -1)
    cursor, baseline = box[0] + pad, box[3] - pad
    for k, part in enumerate(text.split(_DEGREE)):
        if part:
            cv2.putText(image, part, (cursor, baseline), _FONT, pen.font_scale, color, thickness, cv2.LINE_AA)
            cursor += cv2.getTextSize(part, _FONT, pen.font_scale, thickness)[0][0]
        if k < text.count(_DEGREE):
            centre = (cursor + pen.px(4), baseline - (height - 2 * pad) + pen.px(3))
            cv2.circle(image, centre, pen.px(2.5), color, max(1, thickness - 1), cv2.LINE_AA)
            cursor += pen.px(8)
    return box


def _inside(box: Box, image_shape: tuple[int, ...]) -> Box:
    """``box`` shifted (not resized) to lie inside the image where it fits."""
    width, height = box[2] - box[0], box[3] - box[1]
    x = int(np.clip(box[0], 0, max(0, image_shape[1] - width)))
    y = int(np.clip(box[1], 0, max(0, image_shape[0] - height)))
    return x, y, x + width, y + height


def wrap_text(text: str, max_width_px: int, pen: Pen) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``max_width_px`` (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_width(candidate, pen, pen.px(2))[0] <= max_width_px:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def draw_banner(image: np.ndarray, lines: list[str], pen: Pen, colors: list[Color] | None = None,
                avoid: Box | None = None) -> list[Box]:  # fmt: skip
    """Lines of text stacked in a band at the top of the image (top-left first), each wrapped to the image
    width, none covering ``avoid`` (the feet: ``label_place.stack_boxes``). Returns the boxes drawn."""
    parts = [
        (part, colors[k] if colors else TEXT_COLOR)
        for k, line in enumerate(lines)
        for part in wrap_text(line, image.shape[1] - pen.px(30), pen)
    ]
    sizes = [label_size(text, pen) for text, _ in parts]
    boxes = stack_boxes(sizes, image.shape, pen.px(8), pen.px(3), avoid)
    for (text, color), box in zip(parts, boxes, strict=True):
        draw_label(image, text, np.array([box[0], (box[1] + box[3]) / 2]), pen, color)
    return boxes


def feet_box(points_px: np.ndarray, pen: Pen) -> Box | None:
    """The region of both feet (ankles, heels, toes) that no label may cover."""
    return feet_box_px(points_px, pen.px(10))


def outward_sign(point: np.ndarray, midline_x: float) -> float:
    """+1 when ``point`` lies to the image-right of ``midline_x``, else -1 (where to put a label)."""
    return 1.0 if float(point[0]) >= midline_x else -1.0


def _measured_line(image: np.ndarray, a: np.ndarray, b: np.ndarray, pen: Pen, ink: Ink) -> None:
    """A measured line on a dark outline."""
    cv2.line(image, _point(a), _point(b), BOX_COLOR, pen.px(ink.width + 3), cv2.LINE_AA)
    cv2.line(image, _point(a), _point(b), ink.line, pen.px(ink.width), cv2.LINE_AA)


def _dot(image: np.ndarray, point: np.ndarray, pen: Pen, ink: Ink, size: float) -> None:
    cv2.circle(image, _point(point), pen.px(size * ink.width / 4), ink.mark, -1, cv2.LINE_AA)


def draw_fppa(image: np.ndarray, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, pen: Pen,
              label: str | None, ink: Ink, midline_x: float, avoid: Box | None = None) -> None:  # fmt: skip
    """The frontal plane projection angle: thigh (hip -> knee) and shank (knee -> ankle) lines, the thigh
    line continued past the knee (dashed: where a straight leg would go) and ``label`` beside the knee,
    on the outer side of the body."""
    if not _finite(hip, knee, ankle):
        return
    hip, knee, ankle = (np.asarray(p, float) for p in (hip, knee, ankle))
    thigh = knee - hip
    shank_length = float(np.linalg.norm(ankle - knee))
    if np.linalg.norm(thigh) > 0:
        extension = knee + thigh / np.linalg.norm(thigh) * shank_length
        draw_dashed_line(image, knee, extension, NEUTRAL_COLOR if ink.width > 2 else FAR_COLOR, pen, 2.0)
    for a, b in ((hip, knee), (knee, ankle)):
        _measured_line(image, a, b, pen, ink)
    _dot(image, knee, pen, ink, 6)
    if label:
        direction = outward_sign(knee, midline_x)
        anchor = knee + np.array([direction * pen.px(18), 0.0])
        draw_label(image, label, anchor, pen, ink.mark, "left" if direction > 0 else "right", avoid)


def draw_pelvis(image: np.ndarray, left_hip: np.ndarray, right_hip: np.ndarray, pen: Pen,
                label: str | None) -> None:  # fmt: skip
    """The pelvis line through both hips (extended a little), a dashed horizontal reference through its
    middle, and ``label`` above the pelvis."""
    if not _finite(left_hip, right_hip):
        return
    left_hip, right_hip = np.asarray(left_hip, float), np.asarray(right_hip, float)
    middle, half = (left_hip + right_hip) / 2, (right_hip - left_hip) / 2
    reach = max(float(np.linalg.norm(half)), 1.0) * 1.6
    across = np.array([reach, 0.0])
    draw_dashed_line(image, middle - across, middle + across, NEUTRAL_COLOR, pen)
    unit = half / max(float(np.linalg.norm(half)), 1e-9)
    _measured_line(image, middle - unit * reach, middle + unit * reach, pen, Ink.of(None))
    for side, hip in (("left", left_hip), ("right", right_hip)):
        _dot(image, hip, pen, Ink.of(side), 6)
    if label:
        draw_label(image, label, middle - [0, reach * 0.6 + pen.px(16)], pen, align="centre")


def draw_knee_travel(image: np.ndarray, knee: np.ndarray, toe: np.ndarray, pen: Pen, label: str | None,
                     ink: Ink, label_row: int = 0, avoid: Box | None = None) -> None:  # fmt: skip
    """Knee-forward travel: a dashed vertical through the toe up to knee height, a horizontal line from
    there to the knee, and ``label`` above that line (``label_row`` lines up, for the second leg)."""
    if not _finite(knee, toe):
        return
    knee, toe = np.asarray(knee, float), np.asarray(toe, float)
    corner = np.array([toe[0], knee[1]])
    draw_dashed_line(image, toe, corner - [0, pen.px(20)], NEUTRAL_COLOR if ink.width > 2 else FAR_COLOR, pen)
    _measured_line(image, corner, knee, pen, ink)
    for point in (corner, knee):
        _dot(image, point, pen, ink, 5)
    if label:
        anchor = np.array([(knee[0] + corner[0]) / 2, knee[1] - pen.px(40 + 34 * label_row)])
        draw_label(image, label, anchor, pen, ink.mark, "centre", avoid)


def draw_measures(image: np.ndarray, points_px: np.ndarray, measures, pen: Pen, far_side: str | None = None,
                  labels: bool = True) -> None:  # fmt: skip
    """Draw each ``Measure`` at the keypoint positions ``points_px`` (33, 2), in place: the ``far_side``
    leg's grey and thin; with ``labels``, each label beside its lines, never on the feet."""

    def at(name: str) -> np.ndarray:
        return points_px[KEYPOINT_INDEX[name]]

    hips_x = [at(f"{side}_hip")[0] for side in ("left", "right")]
    midline_x = float(np.nanmean(hips_x)) if np.isfinite(hips_x).any() else image.shape[1] / 2
    avoid = feet_box(points_px, pen)
    travel_rows = 0
    for measure in sorted(measures, key=lambda m: m.side is None or m.side != far_side):  # far leg under
        side, label, ink = measure.side, measure.label if labels else None, Ink.of(measure.side, far_side)
        if measure.kind == "fppa":
            draw_fppa(image, at(f"{side}_hip"), at(f"{side}_knee"), at(f"{side}_ankle"), pen, label, ink,
                      midline_x, avoid)  # fmt: skip
        elif measure.kind == "pelvis":
            draw_pelvis(image, at("left_hip"), at("right_hip"), pen, label)
        elif measure.kind == "knee_travel":
            knee, toe = at(f"{side}_knee"), at(f"{side}_foot_index")
            draw_knee_travel(image, knee, toe, pen, label, ink, travel_rows, avoid)
            travel_rows += 1


def draw_event_marker(image: np.ndarray, point: np.ndarray, pen: Pen, color: Color, strength: float) -> None:
    """A ring around ``point`` (a heel strike, a rep bottom); ``strength`` 0-1 fades it out."""
    if not _finite(point) or strength <= 0:
        return
    radius = pen.px(14 + 10 * (1 - strength))
    cv2.circle(image, _point(point), radius, BOX_COLOR, pen.px(3 + 3 * strength) + pen.px(2), cv2.LINE_AA)
    cv2.circle(image, _point(point), radius, color, pen.px(3 + 3 * strength), cv2.LINE_AA)


def format_deg(value: float) -> str:
    """A whole-degree reading such as "9°" ("-" when missing)."""
    return f"{round(float(value)):d}°" if np.isfinite(value) else "-"
