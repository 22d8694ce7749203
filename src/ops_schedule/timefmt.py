"""How instants are written for machines: UTC, ISO-8601, with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(instant: datetime, timespec: str = "auto") -> str:
    """``2026-11-26T00:10:00Z``: the form of every instant in state, archives, logs and JSON."""
    return instant.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
