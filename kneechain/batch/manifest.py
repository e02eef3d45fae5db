"""The batch manifest: ``OUTDIR/kneechain_batch.sqlite``, one row per video.

Columns: ``rel`` (path relative to the input folder, the key), ``path``, ``size_bytes``, ``mtime_ns``,
``sha256`` (content), ``config_hash`` (``kneechain.config.config_hash`` of the effective thresholds),
``options_fp`` (fingerprint of the per-video options and pose settings), ``status`` (``pending``,
``running``, ``done``, ``failed``, ``interrupted``), ``usable`` (1/0 for done videos), ``started_utc``,
``finished_utc``, ``duration_s``, ``frames``, ``error`` (one line), ``exit_code``, ``output_dir``
(relative to OUTDIR) and ``metadata`` (JSON: patient_id, date, task, ...). Only the batch's main process
writes it. A manifest SQLite cannot read (damaged, or not a database) is renamed
``kneechain_batch.damaged-<UTC time>.sqlite`` and a new one started (``Manifest.damaged_copy``); the
batch then rebuilds its rows from the finished results folders (``kneechain.batch.planning``).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

MANIFEST_FILE = "kneechain_batch.sqlite"
STATUSES = ("pending", "running", "done", "failed", "interrupted")
_COLUMNS = (
    "rel",
    "path",
    "size_bytes",
    "mtime_ns",
    "sha256",
    "config_hash",
    "options_fp",
    "status",
    "usable",
    "started_utc",
    "finished_utc",
    "duration_s",
    "frames",
    "error",
    "exit_code",
    "output_dir",
    "metadata",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    rel TEXT PRIMARY KEY, path TEXT, size_bytes INTEGER, mtime_ns INTEGER, sha256 TEXT, config_hash TEXT,
    options_fp TEXT, status TEXT NOT NULL DEFAULT 'pending', usable INTEGER, started_utc TEXT,
    finished_utc TEXT, duration_s REAL, frames INTEGER, error TEXT, exit_code INTEGER, output_dir TEXT,
    metadata TEXT
)
"""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Manifest:
    """A thin wrapper over the SQLite file; every change is committed at once (a kill loses nothing)."""

    def __init__(self, output_dir: Path) -> None:
        self.path = Path(output_dir) / MANIFEST_FILE
        self.damaged_copy: Path | None = None  # where a damaged manifest was moved to, if it was
        try:
            self._db = self._open()
        except sqlite3.OperationalError:  # locked, or cannot be opened: not a damaged file
            raise
        except sqlite3.DatabaseError:
            self.damaged_copy = self._move_aside()
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the manifest failed SQLite's integrity check")
            db.execute("SELECT * FROM videos").fetchall()  # every row and column readable
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _move_aside(self) -> Path:
        """Rename the damaged manifest (and its journal files) so a new one can start; return its name."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        damaged = self.path.with_name(f"kneechain_batch.damaged-{stamp}.sqlite")
        self.path.rename(damaged)
        for suffix in ("-wal", "-shm"):
            journal = self.path.with_name(self.path.name + suffix)
            if journal.exists():
                journal.rename(damaged.with_name(damaged.name + suffix))
        return damaged

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, rel: str) -> dict | None:
        row = self._db.execute("SELECT * FROM videos WHERE rel = ?", (rel,)).fetchone()
        return dict(row) if row is not None else None

    def rows(self) -> list[dict]:
        return [dict(r) for r in self._db.execute("SELECT * FROM videos ORDER BY rel")]

    def upsert(self, rel: str, **values) -> None:
        unknown = set(values) - set(_COLUMNS)
        if unknown:
            raise KeyError(f"unknown manifest columns: {sorted(unknown)}")
        if "metadata" in values and not isinstance(values["metadata"], str | None):
            values["metadata"] = json.dumps(values["metadata"], sort_keys=True)
        if self.get(rel) is None:
            self._db.execute("INSERT INTO videos (rel) VALUES (?)", (rel,))
        if values:
            assignments = ", ".join(f"{key} = ?" for key in values)
            self._db.execute(f"UPDATE videos SET {assignments} WHERE rel = ?", (*values.values(), rel))

    def mark_running(self, rel: str) -> None:
        self.upsert(
            rel,
            status="running",
            started_utc=utc_now(),
            finished_utc=None,
            duration_s=None,
            error=None,
            exit_code=None,
            usable=None,
        )

    def mark_interrupted(self, rels) -> None:
        for rel in rels:
            self.upsert(rel, status="interrupted", finished_utc=None, error="interrupted before it finished")
