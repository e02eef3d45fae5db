"""Load the findings thresholds: the defaults shipped with the package, merged with a clinic's override file.

File format (TOML): ``[section.entry]`` tables, each with its value(s), ``unit`` and ``source`` (and optional
``note`` and ``verified``); see ``default.toml`` beside this module. A clinic file (``--config clinic.toml``)
may set any value, ``source``, ``note`` or ``verified`` of an existing entry; it cannot add names, change a
unit or change a value's type. Every problem is a ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kneechain.errors import EXIT_USAGE, KneechainError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG_NAME = "default.toml"
META_KEYS = ("unit", "source", "note", "verified")
_HINT = "Use the names, types and units of kneechain's default config (kneechain/config/default.toml)."

Number = float | int


class ConfigError(KneechainError):
    """A config file is unreadable, not TOML, or has an unknown key, a wrong type or an invalid value."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Threshold:
    """One config entry: ``values`` by variant (``"value"``, or e.g. ``"female"``/``"male"``/``"combined"``),
    its ``unit`` and ``source``; ``verified=False`` marks figures without a checked primary source."""

    key: str
    values: Mapping[str, Number]
    unit: str
    source: str
    note: str = ""
    verified: bool = True

    def get(self, variant: str = "value") -> Number:
        """The value of ``variant``; a KeyError names the entry and the variants it has."""
        if variant not in self.values:
            raise KeyError(f"config entry {self.key!r} has no {variant!r} (it has {', '.join(self.values)})")
        return self.values[variant]


@dataclass(frozen=True)
class Config:
    """The effective thresholds by ``"section.entry"``, the files they came from, and the keys overridden."""

    thresholds: Mapping[str, Threshold]
    files: tuple[str, ...]
    overridden: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Threshold:
        return self.thresholds[key]

    def value(self, key: str, variant: str = "value") -> Number:
        """Shortcut for ``config[key].get(variant)``."""
        return self.thresholds[key].get(variant)


def _read_default_text() -> str:
    return resources.files("kneechain.config").joinpath(DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML ({error}).", _HINT) from error


def _read_override(path: Path) -> dict[str, Any]:
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{origin}: cannot read the config file ({error}).", _HINT) from error
    return _parse_toml(text, origin)


def _unknown_key(origin: str, dotted: str, name: str, known: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return ConfigError(f"{origin}: unknown key {dotted!r}{suggestion}.", _HINT)


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )


def _check_type(origin: str, dotted: str, new: Any, default: Any) -> Any:
    """``new`` converted to the type of ``default`` (an int is accepted for a float), else ConfigError."""
    if isinstance(default, bool) or isinstance(new, bool):
        ok = isinstance(default, bool) and isinstance(new, bool)
    elif isinstance(default, float):
        ok = isinstance(new, (int, float))
        new = float(new) if ok else new
    else:
        ok = isinstance(new, type(default))
    if not ok:
        raise ConfigError(
            f"{origin}: {dotted!r} must be {_type_name(default)} (got {_type_name(new)} {new!r}).", _HINT
        )
    return new


# What a threshold in each unit can plausibly be (a typo such as 1000 degrees or 1e26 is refused): angles up
# to a right angle, a knee-to-ankle or dominance ratio up to 10, heel rise up to a foot length or 30 cm, a
# symmetry index up to 100 %, counts and frame rates from 1 to 1000, a step up to 3 m, walking up to 5 m/s
# and 300 steps/min. The lower end of an angle range may be
# negative (a varus FPPA, toe-in); any other limit named "upper" must be above zero.
PLAUSIBLE_RANGE = {
    "deg": (0.0, 90.0),
    "ratio": (0.0, 10.0),
    "foot lengths": (0.0, 1.0),
    "cm": (0.0, 30.0),
    "%": (0.0, 100.0),
    "items": (1.0, 1000.0),
    "frames/s": (1.0, 1000.0),
    "fraction": (0.0, 1.0),
    "m": (0.0, 3.0),
    "m/s": (0.0, 5.0),
    "steps/min": (1.0, 300.0),
}
SIGNED_ANGLE_RANGE = (-90.0, 90.0)


def _check_value(origin: str, dotted: str, value: Any, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    entry = dotted.rsplit(".", 1)[0]
    signed = entry.endswith("_lower_deg")  # the lower end of an angle range may be < 0
    if not math.isfinite(value):
        raise ConfigError(f"{origin}: {dotted!r} must be a finite number (got {value!r}).", _HINT)
    low, high = SIGNED_ANGLE_RANGE if signed else PLAUSIBLE_RANGE.get(unit, (0.0, math.inf))
    too_low = value <= low if "_upper_" in entry else value < low
    if too_low or value > high:
        allowed = f"more than {low:g} and at most" if "_upper_" in entry else f"between {low:g} and"
        wrong = f"{dotted!r} = {value:g} {unit} is not plausible (it must be {allowed} {high:g})"
        raise ConfigError(f"{origin}: {wrong}.", _HINT)


def _merge_entry(origin: str, dotted: str, base: dict[str, Any], new: Any) -> list[str]:
    """Apply the override table ``new`` to the default entry ``base`` in place; the keys changed."""
    if not isinstance(new, dict):
        raise ConfigError(f"{origin}: {dotted!r} must be a table of values (got {_type_name(new)}).", _HINT)
    changed = []
    for field_name, field_value in new.items():
        field_key = f"{dotted}.{field_name}"
        if field_name not in base:
            raise _unknown_key(origin, field_key, field_name, list(base))
        checked = _check_type(origin, field_key, field_value, base[field_name])
        if field_name == "unit" and checked != base["unit"]:
            raise ConfigError(
                f"{origin}: the unit of {dotted!r} cannot be changed (it is {base['unit']!r}; convert the "
                "value instead).",
                _HINT,
            )
        _check_value(origin, field_key, checked, base["unit"])
        if checked != base[field_name]:
            changed.append(field_key)
        base[field_name] = checked
    return changed


def _merge(origin: str, defaults: dict[str, Any], override: Mapping[str, Any]) -> list[str]:
    """Apply a parsed override file to the parsed defaults in place; the keys whose value changed."""
    changed: list[str] = []
    for section, entries in override.items():
        if section not in defaults:
            raise _unknown_key(origin, section, section, list(defaults))
        if not isinstance(entries, dict):
            raise ConfigError(f"{origin}: {section!r} must be a table (got {_type_name(entries)}).", _HINT)
        for name, new in entries.items():
            dotted = f"{section}.{name}"
            if name not in defaults[section]:
                raise _unknown_key(origin, dotted, name, list(defaults[section]))
            changed += _merge_entry(origin, dotted, defaults[section][name], new)
    return changed


def _build_threshold(origin: str, dotted: str, raw: Any) -> Threshold:
    if not isinstance(raw, dict) or not isinstance(raw.get("unit"), str) or not raw.get("source"):
        raise ConfigError(f"{origin}: {dotted!r} must be a table with a unit and a source.", _HINT)
    values = {k: v for k, v in raw.items() if k not in META_KEYS}
    for variant, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{origin}: {dotted}.{variant} must be a number (got {value!r}).", _HINT)
        _check_value(origin, f"{dotted}.{variant}", value, raw["unit"])
    if not values:
        raise ConfigError(f"{origin}: {dotted!r} has no value.", _HINT)
    return Threshold(
        key=dotted,
        values=MappingProxyType(values),
        unit=raw["unit"],
        source=str(raw["source"]),
        note=str(raw.get("note", "")),
        verified=bool(raw.get("verified", True)),
    )


def _build_config(origin: str, raw: Mapping[str, Any], files: tuple[str, ...], changed: list[str]) -> Config:
    thresholds = {}
    for section, entries in raw.items():
        if not isinstance(entries, dict):
            raise ConfigError(f"{origin}: {section!r} must be a table (got {_type_name(entries)}).", _HINT)
        for name, entry in entries.items():
            dotted = f"{section}.{name}"
            thresholds[dotted] = _build_threshold(origin, dotted, entry)
    return Config(thresholds=MappingProxyType(thresholds), files=files, overridden=tuple(changed))


def load_config(path: str | Path | None = None) -> Config:
    """The default thresholds, with the clinic file at ``path`` (if given) merged over them.

    Raises ``ConfigError`` (exit code 2) naming the file and the key for an unreadable file, invalid TOML,
    an unknown key (with the closest known name), a wrong type, a changed unit, or a negative, non-finite
    or out-of-range value."""
    defaults = _parse_toml(_read_default_text(), f"kneechain/config/{DEFAULT_CONFIG_NAME}")
    files = (f"kneechain/config/{DEFAULT_CONFIG_NAME}",)
    changed: list[str] = []
    origin = files[0]
    if path is not None:
        origin = str(path)
        changed = _merge(origin, defaults, _read_override(Path(path)))
        files = (*files, origin)
    return _build_config(origin, defaults, files, changed)


def effective_config_dict(config: Config) -> dict[str, Any]:
    """The effective config as plain JSON-ready data: the files merged, the keys a clinic changed, the hash,
    and every entry as ``{section: {entry: {values..., unit, source, note, verified}}}`` (the TOML layout)."""
    return {
        "files": list(config.files),
        "overridden": list(config.overridden),
        "hash": config_hash(config),
        "thresholds": _thresholds_dict(config),
    }


def _thresholds_dict(config: Config) -> dict[str, dict[str, dict[str, Any]]]:
    nested: dict[str, dict[str, dict[str, Any]]] = {}
    for dotted, threshold in config.thresholds.items():
        section, name = dotted.split(".", 1)
        nested.setdefault(section, {})[name] = {
            **threshold.values,
            "unit": threshold.unit,
            "source": threshold.source,
            "note": threshold.note,
            "verified": threshold.verified,
        }
    return nested


def config_hash(config: Config) -> str:
    """First 12 hex digits of the SHA-256 of the canonical JSON of the effective thresholds (values, units,
    sources): equal configs give equal hashes whatever file they came from."""
    canonical = json.dumps(_thresholds_dict(config), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:12]


# Entries a task has its own norms for: the task's entry stands in for the general one.
TASK_NORMS = {"single_leg_squat": {"valgus.fppa_upper_deg": "valgus.single_leg_squat_fppa_upper_deg"}}


def config_for_task(config: Config, task: str | None) -> Config:
    """``config`` with the task's own norms (``TASK_NORMS``) in place of the general entries."""
    swaps = TASK_NORMS.get(str(task), {})
    if not swaps:
        return config
    thresholds = dict(config.thresholds)
    for general, specific in swaps.items():
        thresholds[general] = replace(config[specific], key=general)
    return replace(config, thresholds=thresholds)
