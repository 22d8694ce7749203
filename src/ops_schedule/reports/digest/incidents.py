"""Incident state reader: the JSON Lines file the incident-lifecycle module writes.

Each line is one record of one incident; the incident-lifecycle module appends a new record
whenever an incident changes, so the **last valid record per** ``incidentKey`` **wins**. Fields
this reader does not know are ignored. A line that is blank, not JSON, not an object, misses a
required field, has a field of the wrong type or an unreadable timestamp is skipped and counted
(a skipped line never overrides an earlier valid record of the same incident).

Required: ``incidentKey`` (non-empty string), ``firstSeen`` and ``lastSeen`` (ISO-8601 with
``Z`` or an offset; ``lastSeen`` not before ``firstSeen``), ``currentStatus`` (``active``,
``resolved``, ``suppressed``) and ``severity`` (``critical``, ``warn``, ``info``, ``ok``).
Optional, checked when present: ``occurrenceCount`` (integer ≥ 0, default 1), ``topReasons``
and ``affectedComponents`` (lists of strings, default empty), ``summary`` (string), and
``resolvedAt`` (timestamp or null) — the instant the incident was resolved, when the module
records it.

The file is read line by line: memory grows with the number of distinct incidents, not with
the number of lines. A line longer than 1 MiB is skipped and counted without being held whole,
and a timestamp outside the years 2 to 9998 (in UTC) is malformed (docs/digest.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

import orjson

from ops_schedule.errors import JobError
from ops_schedule.fsutil import describe_size, open_regular
from ops_schedule.lines import MAX_LINE, OVERLONG, iter_line_lists
from ops_schedule.timefmt import read_utc

__all__ = [
    "Incident",
    "IncidentDataNotFoundError",
    "IncidentLoad",
    "Severity",
    "Status",
    "parse_incident",
    "parse_lines",
    "read_incidents",
]

Status = Literal["active", "resolved", "suppressed"]
Severity = Literal["critical", "warn", "info", "ok"]

_STATUSES: tuple[str, ...] = get_args(Status)
_SEVERITIES: tuple[str, ...] = get_args(Severity)
_MAX_PROBLEMS_KEPT = 5


class IncidentDataNotFoundError(JobError):
    """The incident state file does not exist (the digest is skipped, not failed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"incident data not found at {path}")


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident, as its last valid record describes it."""

    key: str
    first_seen: datetime  # aware
    last_seen: datetime  # aware, >= first_seen
    status: Status
    severity: Severity
    occurrence_count: int = 1
    top_reasons: tuple[str, ...] = ()
    affected_components: tuple[str, ...] = ()
    summary: str = ""
    resolved_at: datetime | None = None

    @property
    def time_to_resolve_minutes(self) -> float | None:
        """Minutes from first seen to resolution; ``None`` unless the incident is resolved.

        Resolution is ``resolvedAt`` when the record has it, else ``lastSeen`` (the last time
        the incident was observed before it was closed). Never negative.
        """
        if self.status != "resolved":
            return None
        resolved = self.resolved_at or self.last_seen
        return max(0.0, (resolved - self.first_seen).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class IncidentLoad:
    """What reading the file gave: the incidents, and how many lines were skipped and why."""

    incidents: tuple[Incident, ...]
    lines: int
    malformed: int
    problems: tuple[str, ...] = ()  # the first few, e.g. "line 3: not JSON"


class _BadRecordError(ValueError):
    pass


def _timestamp(record: Mapping[str, Any], name: str, *, required: bool) -> datetime | None:
    value = record.get(name)
    if value is None:
        if required:
            raise _BadRecordError(f"{name} is missing")
        return None
    if not isinstance(value, str):
        raise _BadRecordError(f"{name} is not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _BadRecordError(f"{name} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _BadRecordError(f"{name} has no time zone (Z or an offset)")
    instant = read_utc(value)
    if instant is None:  # no incident happened near the calendar's ends; arithmetic would fail
        raise _BadRecordError(f"{name} is not between the years 2 and 9998 (in UTC)")
    return instant


def _choice(record: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = record.get(name)
    if value is None:
        raise _BadRecordError(f"{name} is missing")
    if value not in allowed:
        raise _BadRecordError(f"{name} is not one of {', '.join(allowed)}")
    return str(value)


def _strings(record: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = record.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadRecordError(f"{name} is not a list of strings")
    return tuple(value)


def parse_incident(record: object) -> Incident:
    """Build an :class:`Incident` from one decoded record; ``ValueError`` says what is wrong."""
    if not isinstance(record, dict):
        raise _BadRecordError("not a JSON object")
    key = record.get("incidentKey")
    if not isinstance(key, str) or not key.strip():
        raise _BadRecordError("incidentKey is missing or not a non-empty string")
    first_seen = _timestamp(record, "firstSeen", required=True)
    last_seen = _timestamp(record, "lastSeen", required=True)
    assert first_seen is not None
    assert last_seen is not None
    if last_seen < first_seen:
        raise _BadRecordError("lastSeen is before firstSeen")
    status: Status = _choice(record, "currentStatus", _STATUSES)  # type: ignore[assignment]
    severity: Severity = _choice(record, "severity", _SEVERITIES)  # type: ignore[assignment]
    count = record.get("occurrenceCount", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _BadRecordError("occurrenceCount is not an integer >= 0")
    summary = record.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise _BadRecordError("summary is not a string")
    return Incident(
        key=key,
        first_seen=first_seen,
        last_seen=last_seen,
        status=status,
        severity=severity,
        occurrence_count=count,
        top_reasons=_strings(record, "topReasons"),
        affected_components=_strings(record, "affectedComponents"),
        summary=summary or "",
        resolved_at=_timestamp(record, "resolvedAt", required=False),
    )


def _parse_line(line: bytes) -> Incident:
    if line is OVERLONG:
        raise _BadRecordError(f"longer than {describe_size(MAX_LINE)}")
    if not line.strip():
        raise _BadRecordError("blank line")
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise _BadRecordError("not JSON") from None
    return parse_incident(record)


def parse_lines(lines: Iterable[bytes]) -> IncidentLoad:
    """Fold JSON Lines into the latest valid record per incident key."""
    latest: dict[str, Incident] = {}
    total = malformed = 0
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        total = number
        try:
            incident = _parse_line(line)
        except _BadRecordError as exc:
            malformed += 1
            if len(problems) < _MAX_PROBLEMS_KEPT:
                problems.append(f"line {number}: {exc}")
            continue
        # Re-inserting moves nothing: dict order stays first-seen order, values are replaced.
        latest[incident.key] = incident
    return IncidentLoad(
        incidents=tuple(latest.values()),
        lines=total,
        malformed=malformed,
        problems=tuple(problems),
    )


def _read_binary_lines(path: Path) -> Iterator[bytes]:
    # A regular file only (a FIFO would block), and never a whole line past MAX_LINE in memory.
    with os.fdopen(open_regular(path), "rb") as handle:
        for lines in iter_line_lists(handle):
            yield from lines


def read_incidents(path: Path) -> IncidentLoad:
    """Read the incident state file at ``path``.

    Raises :class:`IncidentDataNotFoundError` when there is no such file, and :class:`JobError`
    when it exists but cannot be read (a directory, a FIFO, a device, no permission).
    """
    if not path.exists():
        raise IncidentDataNotFoundError(path)
    try:
        return parse_lines(_read_binary_lines(path))
    except FileNotFoundError:  # removed between the check and the open
        raise IncidentDataNotFoundError(path) from None
    except OSError as exc:
        raise JobError(f"cannot read incident data at {path}: {exc.strerror or exc}") from None
