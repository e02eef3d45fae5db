"""A rendered battery for pelvic drop in single-leg stance (issue 11): programmed contralateral drops of 0, 4
and 8 degrees with the lifted hip flexed 25 or 70 degrees, filmed from the front and from behind, over
three bodies, four clothing palettes, four lightings and cameras 0.8-1.4 m high, 2.8-4.6 m away. Every
clip stands on the LEFT leg; the right-leg clips are the same videos mirrored (``benchmarks/pelvis.py``),
with the truth's sides swapped.

Each clip is a short single-leg stand (5.6 s): 0.8 s of two-leg standing (the reference), the weight
shift, the right foot lifted, the drop coming in over 0.8 s, held, going out, the foot put down. The
per-frame truth (``pelvic_obliquity_deg`` of the hip joint centres) is in each clip's truth CSV.
"""

from __future__ import annotations

from kneechain.synth.battery import BatteryEntry, CameraSpec
from kneechain.synth.single_leg import SingleLegSpec


def pelvis_stand(drop_deg: float, hip_flexion_deg: float) -> SingleLegSpec:
    """A short single-leg stand on the left leg with a programmed peak drop and lifted-hip flexion."""
    return SingleLegSpec(
        duration_s=5.6, weight_shift_s=(0.8, 1.2), foot_off_s=1.2, lift_done_s=1.7, drop_in_s=(1.8, 2.6),
        drop_out_s=(3.4, 4.0), lower_start_s=4.1, foot_down_s=4.6, shift_back_s=(4.6, 5.0),
        peak_drop_deg=drop_deg, lifted_hip_flexion_deg=hip_flexion_deg,
        lifted_knee_flexion_deg=60.0 if hip_flexion_deg < 45.0 else 90.0,
    )  # fmt: skip


def _entry(view: str, drop_deg: int, flexion_deg: int, camera: tuple[float, float], body: str, palette: str,
           light: str) -> BatteryEntry:  # fmt: skip
    name = f"pelvis_{view}_drop_{drop_deg}_flex_{flexion_deg}"
    where = "from the front" if view == "front" else "from BEHIND"
    description = (f"single-leg stand on the left leg {where}, {drop_deg} deg contralateral pelvic drop, "
                   f"lifted hip flexed {flexion_deg} deg")  # fmt: skip
    return BatteryEntry(name, pelvis_stand(drop_deg, flexion_deg), CameraSpec(view, *camera), body, palette,
                        light, description, {"pelvic_drop_deg": float(drop_deg)})  # fmt: skip


PELVIS_BATTERY: tuple[BatteryEntry, ...] = (
    _entry("front", 0, 25, (1.15, 3.6), "default", "default", "key_left"),
    _entry("front", 0, 70, (0.8, 2.8), "tall_wide_hips", "black_leggings", "front_top"),
    _entry("front", 4, 25, (1.4, 4.6), "short", "dark_skin_light_shorts", "dim"),
    _entry("front", 4, 70, (1.0, 3.2), "default", "light_skin_red_shirt", "key_right"),
    _entry("front", 8, 25, (0.9, 3.0), "tall_wide_hips", "dark_skin_light_shorts", "key_right"),
    _entry("front", 8, 70, (1.3, 4.2), "short", "default", "key_left"),
    _entry("back", 0, 25, (1.1, 3.4), "short", "black_leggings", "key_right"),
    _entry("back", 0, 70, (1.3, 4.4), "default", "dark_skin_light_shorts", "dim"),
    _entry("back", 4, 25, (0.8, 2.9), "tall_wide_hips", "default", "front_top"),
    _entry("back", 4, 70, (1.2, 3.8), "short", "light_skin_red_shirt", "key_left"),
    _entry("back", 8, 25, (1.0, 3.3), "default", "black_leggings", "key_left"),
    _entry("back", 8, 70, (1.4, 4.6), "tall_wide_hips", "light_skin_red_shirt", "front_top"),
)
PELVIS_BATTERY_NAMES: tuple[str, ...] = tuple(entry.name for entry in PELVIS_BATTERY)
