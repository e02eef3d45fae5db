"""How each side is drawn: left and right told apart by line style and marker as well as shade; in a side
or oblique view the far leg (hidden behind the near one) grey, thin and dotted, labelled as not reliable."""

from __future__ import annotations

SIDES = ("left", "right")
SIDE_STYLE = {
    "left": {"color": "#1b1b1b", "linestyle": "-", "marker": "o", "label": "left"},
    "right": {"color": "#5a5a5a", "linestyle": "--", "marker": "s", "label": "right"},
    "both": {"color": "#333333", "linestyle": ":", "marker": "^", "label": "both sides"},
}
FAR_COLOR = "#a6a6a6"
FAR_LINE = {"color": FAR_COLOR, "linestyle": (0, (1, 1.5)), "linewidth": 0.9}
FAR_WORDS = "far leg, hidden: not reliable"
AXIS_UNITS = {"deg": "degrees", "s": "seconds", "ratio": "ratio"}


def far_side(near_side: str | None) -> str | None:
    """The leg away from the camera ("left"/"right"), or None when the camera sees both legs."""
    return {"left": "right", "right": "left"}.get(near_side or "")


def side_style(side: str, near_side: str | None = None) -> dict:
    """The line style of ``side`` (color, linestyle, marker, label; linewidth for the far leg)."""
    style = dict(SIDE_STYLE[side])
    if side == far_side(near_side):
        style.update(FAR_LINE, label=f"{side} ({FAR_WORDS})")
    return style


def far_leg_sentence(near_side: str | None) -> str:
    """The caption sentence on the far leg, or "" when the camera sees both legs."""
    far = far_side(near_side)
    if far is None:
        return ""
    return (
        f"Grey dotted, thin: the {far} leg, away from the camera and hidden behind the {near_side} leg; "
        "its keypoints are guessed, so its values are not reliable."
    )
