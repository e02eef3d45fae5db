"""Thresholds for the findings: one default TOML shipped with the package, overridable by a clinic file."""

from kneechain.config.loader import (
    Config,
    ConfigError,
    Threshold,
    config_for_task,
    config_hash,
    effective_config_dict,
    load_config,
)

__all__ = [
    "Config",
    "ConfigError",
    "Threshold",
    "config_for_task",
    "config_hash",
    "effective_config_dict",
    "load_config",
]
