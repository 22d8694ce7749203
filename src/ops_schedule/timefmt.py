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


# Instants the program stores or exchanges lie well inside these; near the calendar's ends, a
# zone conversion or an hour's arithmetic would leave it (datetime raises OverflowError).
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def read_utc(text: object, *, naive_is_utc: bool = False) -> datetime | None:
    """The instant an ISO-8601 string names, in UTC, or None when it names none we can use.

    None for anything but a string with ``Z`` or an offset (a naive time too, unless
    ``naive_is_utc``), and for an instant before year 2 or from year 9999 on (see ``EARLIEST``).
    """
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        if not naive_is_utc:
            return None
        parsed = parsed.replace(tzinfo=UTC)
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        return None
    return instant if EARLIEST <= instant < LATEST else None
