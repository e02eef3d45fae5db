"""``kneechain batch --deidentify``: the batch overview (``summary.csv``, ``metrics_long.csv``,
``index.html``) without the names a clinic's folders carry, so it can be shared for audit or research.

- Each video is named by a stable pseudonym, ``video-`` and 10 hex digits of an HMAC-SHA256 of its path
  relative to the input folder; each patient ID likewise (``patient-...``), so one patient's visits still
  group together. The HMAC key is 32 random bytes made once per output folder
  (``kneechain_pseudonym.key``): the same video keeps its pseudonym over reruns into that folder, and
  nobody without the key can test a guessed name against a pseudonym.
- Session dates are cut to the year (as in the HIPAA Safe Harbor list of identifiers).
- The links to the per-video reports are left out (their folders carry the patients' folder names), and
  a failure reason names the video by its pseudonym.
- ``pseudonyms.csv`` beside them maps each pseudonym back to the video and the patient ID: it stays with
  the clinic and is not part of what is shared.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path, PurePosixPath

KEY_FILE = "kneechain_pseudonym.key"
MAP_FILE = "pseudonyms.csv"
MAP_COLUMNS = ["pseudonym", "video", "patient_pseudonym", "patient_id"]
_YEAR = re.compile(r"^\d{4}")


def pseudonym_key(output_root: Path) -> bytes:
    """The output folder's HMAC key, made (32 random bytes, owner-only) the first time it is needed."""
    path = Path(output_root) / KEY_FILE
    if path.is_file() and path.stat().st_size == 32:
        return path.read_bytes()
    key = os.urandom(32)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.", suffix=".part")  # 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def pseudonym(key: bytes, text: str, prefix: str) -> str:
    """``prefix`` and 10 hex digits of HMAC-SHA256(key, text): stable, and not reversible without the key."""
    return prefix + hmac.new(key, text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()[:10]


def _without_names(text: str | None, video: str, name: str) -> str | None:
    """A failure reason with the video's relative path, file name and stem replaced by its pseudonym."""
    if not text:
        return text
    path = PurePosixPath(video)
    for shown in sorted({video, path.name, path.stem} - {""}, key=len, reverse=True):
        text = text.replace(shown, name)
    return text


def deidentify(records: list[dict], long_rows: list[dict], key: bytes) -> tuple[list, list, list]:
    """The overview's rows with names replaced (module docstring), and the rows of ``MAP_FILE``."""
    names = {record["video"]: pseudonym(key, record["video"], "video-") for record in records}
    clean, mapping = [], []
    for record in records:
        patient = record.get("patient_id")
        patient_name = pseudonym(key, str(patient), "patient-") if patient else None
        year = _YEAR.match(str(record.get("date") or ""))
        clean.append({
            **record,
            "video": names[record["video"]],
            "patient_id": patient_name,
            "date": year.group(0) if year else None,
            "report": None,
            "error": _without_names(record.get("error"), record["video"], names[record["video"]]),
        })  # fmt: skip
        mapping.append({"pseudonym": names[record["video"]], "video": record["video"],
                        "patient_pseudonym": patient_name, "patient_id": patient})  # fmt: skip
    long_clean = [{**row, "video": names[row["video"]]} for row in long_rows]  # every long row has a record
    return clean, long_clean, mapping
