"""Reading earlier reports back from the archive: the edge where trends touch files.

``outputDir/<job>/<period>.json`` (docs/trends.md). What comes back is either a decoded JSON
object that names the expected job and period, or the reason it cannot be used. A file is
never trusted: one that is absent is a gap; one that is too large, not UTF-8 JSON, not an
object, about another job or period, or written by a newer contract version is unreadable,
with a one-line reason. Nothing here raises for a bad file.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ops_schedule.publishing.publish import archive_paths

# Archived reports are far smaller (the Markdown is capped at 65,000 characters and the JSON
# holds one row per MCP); anything larger is not one of ours.
MAX_ARCHIVE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Archived:
    """One period's archived JSON: ``document`` when usable, else ``problem`` (or neither when
    the period was never archived)."""

    period: str
    document: Mapping[str, Any] | None = None
    problem: str | None = None


def contract_version(document: Mapping[str, Any]) -> int | None:
    """The document's ``schemaVersion``; 1 for archives written before it existed."""
    version = document.get("schemaVersion", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None
    return version


def check_document(
    raw: object, *, job: str, period: str, newest_version: int
) -> tuple[Mapping[str, Any] | None, str | None]:
    """``(document, None)`` when ``raw`` is a report of ``job`` for ``period`` that this version
    can read, else ``(None, why)``."""
    if not isinstance(raw, dict):
        return None, "not a JSON object"
    if raw.get("job") != job or raw.get("period") != period:
        return None, "holds another report (job or period differ)"
    version = contract_version(raw)
    if version is None:
        return None, "schemaVersion is not a positive integer"
    if version > newest_version:
        return None, (
            f"written by a newer version (schemaVersion {version}; "
            f"this version reads up to {newest_version})"
        )
    return raw, None


def _read(path: Path) -> tuple[bytes | None, str | None]:
    try:
        # A FIFO or a device at the path would block or never end: only regular files are read.
        if not stat.S_ISREG(path.stat().st_mode):
            return None, "not a regular file"
        with path.open("rb") as handle:
            data = handle.read(MAX_ARCHIVE_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or type(exc).__name__})"
    if len(data) > MAX_ARCHIVE_BYTES:
        return None, f"larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MiB"
    return data, None


def read_archived(
    output_dir: Path, job: str, periods: Sequence[str], *, newest_version: int
) -> tuple[Archived, ...]:
    """The archived JSON of ``job`` for each of ``periods``, in the same order."""
    found = []
    for period in periods:
        _, json_path = archive_paths(output_dir, job, period)
        data, problem = _read(json_path)
        if data is None:
            found.append(Archived(period, problem=problem))
            continue
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError:
            found.append(Archived(period, problem="not JSON (truncated or not UTF-8?)"))
            continue
        document, problem = check_document(
            raw, job=job, period=period, newest_version=newest_version
        )
        found.append(Archived(period, document=document, problem=problem))
    return tuple(found)
