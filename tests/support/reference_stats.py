"""A deliberately plain second implementation of ``collect_stats``, for comparison in tests.

It reads every line of every segment into memory, parses with the standard ``json`` module and
``datetime.fromisoformat``, never seeks and never forks. Slow and obvious on purpose.
"""

from __future__ import annotations

import bisect
import gzip
import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops_schedule.reports.observability.stats import (
    CircuitTransition,
    FailureStats,
    McpStats,
    WindowStats,
)

LONGEST_MS = 7 * 24 * 3600 * 1000  # a longer durationMs counts the call, not the duration


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: orjson, like JSON itself, has no infinity
        raise ValueError(text)
    return value


def _segments(path: Path) -> list[Path]:
    numbered: dict[int, Path] = {}
    for candidate in path.parent.glob(path.name + ".*"):
        match = re.fullmatch(re.escape(path.name) + r"\.(\d+)(\.gz)?", candidate.name)
        if match:
            number = int(match.group(1))
            if number not in numbered or not match.group(2):
                numbered[number] = candidate
    files = [numbered[n] for n in sorted(numbered, reverse=True)]
    return [*files, path] if path.exists() else files


def _lines(file: Path) -> list[bytes]:
    data = gzip.decompress(file.read_bytes()) if file.name.endswith(".gz") else file.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _parse(line: bytes) -> tuple[datetime | None, dict[str, Any] | None]:  # noqa: PLR0911
    """(timestamp in UTC or None, the event if it is valid or None)."""
    try:
        event = json.loads(
            line.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite
        )
        # A lone surrogate ("\ud800") decodes here but is not Unicode text.
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(event, dict) or not isinstance(event.get("timestamp"), str):
        return None, None
    try:
        at = datetime.fromisoformat(event["timestamp"])
    except ValueError:
        return None, None
    if at.tzinfo is None:
        return None, None
    try:
        at = at.astimezone(UTC)
    except OverflowError:  # no instant in UTC
        return None, None
    if event.get("status") not in ("ok", "fail"):
        return at, None
    return at, event


def reference_stats(  # noqa: C901, PLR0912, PLR0915 - one plain function, read top to bottom
    path: Path,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    bucket: timedelta,
    redact: Callable[[str], str] | None = None,
) -> list[WindowStats]:
    bounds = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in windows]
    stats = [WindowStats(s, e) for s, e in bounds]
    for summary in stats:
        count = math.ceil((summary.end - summary.start) / bucket)
        for k in range(count):
            summary.buckets[summary.start + k * bucket] = [0, 0]
    starts = [start for start, end in bounds if start < end]
    # Transitions older than 7 days before the first window are never used (the look-back).
    lookback = min(starts) - timedelta(days=7) if starts else None
    files = _segments(path)
    if not files:
        for summary in stats:
            summary.notes.append(f"event log not found at {path}")
        return stats

    def window_of(at: datetime) -> int | None:
        for index, (start, end) in enumerate(bounds):
            if start <= at < end:
                return index
        return None

    parsed = [_parse(line) for file in files for line in _lines(file)]
    timed = [i for i, (at, _) in enumerate(parsed) if at is not None]
    for i, (at, event) in enumerate(parsed):
        if at is None:  # untimed malformed line: the nearest earlier timed line decides
            position = bisect.bisect_left(timed, i)
            if position > 0:
                owner = window_of(parsed[timed[position - 1]][0])  # type: ignore[arg-type]
            elif position < len(timed):
                owner = window_of(parsed[timed[position]][0])  # type: ignore[arg-type]
            else:
                owner = len(stats) - 1
            if owner is not None:
                stats[owner].malformed += 1
            continue
        index = window_of(at)
        if event is None:
            if index is not None:
                stats[index].malformed += 1
            continue
        metadata = event.get("metadata")
        transition = None
        if (
            isinstance(metadata, dict)
            and (lookback is None or at >= lookback)
            and metadata.get("circuit") in ("open", "half-open", "closed")
            and isinstance(metadata.get("mcp"), str)
            and metadata["mcp"]
        ):
            transition = (metadata["mcp"], CircuitTransition(at, metadata["circuit"]))
            for summary in stats:
                if at < summary.end:
                    current = summary.circuit.get(transition[0])
                    if current is None or at >= current.at:
                        summary.circuit[transition[0]] = transition[1]
        if index is None:
            continue
        summary = stats[index]
        failed = event["status"] == "fail"
        summary.events += 1
        summary.fail += failed
        summary.ok += not failed
        key = summary.start + ((at - summary.start) // bucket) * bucket
        summary.buckets[key][0] += 1
        summary.buckets[key][1] += failed
        name = event.get("mcpName")
        if isinstance(name, str):
            mcp = summary.mcp.setdefault(name, McpStats())
            mcp.calls += 1
            mcp.failures += failed
            duration = event.get("durationMs")
            if type(duration) in (int, float) and 0 <= duration <= LONGEST_MS:
                mcp.durations[duration] += 1
        if failed:
            error_type = event.get("errorType")
            if not isinstance(error_type, str) or not error_type:
                error_type = "unknown"
            failure = summary.failures.setdefault(error_type, FailureStats())
            failure.count += 1
            message = event.get("errorMessage")
            if (
                isinstance(message, str)
                and message
                and (failure.example_at is None or at < failure.example_at)
            ):
                failure.example, failure.example_at = message, at
        if transition is not None and transition[1].state == "open":
            summary.mcp.setdefault(transition[0], McpStats()).circuit_open_count += 1
    if redact is not None:
        for summary in stats:
            for failure in summary.failures.values():
                if failure.example is not None:
                    failure.example = redact(failure.example)
    return stats
