"""kneechain: is a knee pattern hip-driven or foot-driven? Offline analysis of phone videos for PTs."""

__version__ = "0.1.0"
