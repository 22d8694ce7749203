"""How instants are written for machines: UTC, ISO-8601, with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utc_iso(instant: datetime, timespec: str = "auto") -> str:
    """``2026-11-26T00:10:00Z``: the form of every instant in state, archives, logs and JSON."""
    return instant.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def local_minute(instant: datetime, zone: tzinfo) -> str:
    """``2026-11-26 09:00``: an instant for people, in ``zone``.

    An instant within hours of year 1 or 9999 (a hostile or broken input's) may have no date in
    ``zone``; it is then shown in UTC, marked so, rather than failing the whole report.
    """
    try:
        local = instant.astimezone(zone)
    except OverflowError:
        return instant.astimezone(UTC).isoformat(" ", "minutes")[:16] + " UTC"
    return local.isoformat(" ", "minutes")[:16]
