"""``collect_stats``: one pass over an event log and its rotated segments."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from ops_schedule.events.fold import Folder, Partial, Plan
from ops_schedule.events.lines import iter_lines
from ops_schedule.events.segments import Segment, find_segments
from ops_schedule.stats import WindowStats


def collect_stats(
    path: Path,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    bucket: timedelta,
    redact: Callable[[str], str] | None = None,
    quiet: bool = True,
) -> list[WindowStats]:
    """Statistics of the events of ``path`` (and its rotated segments) in each half-open window.

    Returns one :class:`WindowStats` per window, in the order given. Failure examples are passed
    through ``redact``. A missing log gives empty statistics with a note, never an error.
    """
    del quiet  # progress is shown by the fast path
    plan = Plan.build(windows, bucket)
    segments = find_segments(path)
    if not segments:
        stats = plan.empty_stats()
        for summary in stats:
            summary.notes.append(f"event log not found at {path}")
        return stats
    total: Partial | None = None
    for segment in segments:
        folder = Folder(plan)
        notes = _fold_segment(folder, segment)
        part = folder.partial
        for summary in part.stats:
            summary.notes.extend(notes)
        if total is None:
            total = part
        else:
            total.absorb(part)
    assert total is not None
    return _finish(total, redact)


def _fold_segment(folder: Folder, segment: Segment) -> list[str]:
    try:
        with _open(segment) as stream:
            for lines in iter_lines(stream, None if segment.compressed else segment.size):
                folder.feed(lines)
    except (OSError, EOFError, zlib.error) as exc:
        # A damaged or half-written .gz segment: keep what was read, say what happened.
        return [f"could not read all of {segment.path.name}: {exc}"]
    return []


def _open(segment: Segment) -> io.BufferedIOBase:
    if segment.compressed:
        return gzip.open(segment.path, "rb")
    return segment.path.open("rb")


def _finish(total: Partial, redact: Callable[[str], str] | None) -> list[WindowStats]:
    stats = total.finish()
    if redact is not None:
        for summary in stats:
            for failure in summary.failures.values():
                if failure.example is not None:
                    failure.example = redact(failure.example)
    return stats
