"""``collect_stats``: the report's one pass over an event log and its rotated segments.

How the work is cut (``docs/performance.md`` has the full story):

1. Segments are listed oldest first; their sizes are fixed then, so lines appended while the
   report runs are left for the next one.
2. In each uncompressed segment a binary search on byte offsets finds where the windows start and
   end, allowing ``MARGIN`` of disorder (``seek.py``). Compressed segments cannot be searched and
   are streamed whole, parsing only the blocks that may hold window lines.
3. Before the windows, only circuit-breaker transitions matter (the state at a window's end is the
   last transition before it). They are taken from at most ``LOOKBACK`` before the first window,
   with a bytes search that parses only the lines that mention ``"circuit"``.
4. The byte ranges are cut at line starts into tasks, run on every core by worker processes, and
   merged in log order: the statistics are exact histograms and counters, so the merged result
   is exactly that of one sequential pass.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Protocol

from ops_schedule.reports.observability.reader.fold import Boundary, Folder, Plan
from ops_schedule.reports.observability.reader.seek import (
    MARGIN,
    next_line_start,
    start_offset,
    stop_offset,
)
from ops_schedule.reports.observability.reader.segments import Segment, open_segments
from ops_schedule.reports.observability.reader.tasks import (
    Task,
    collector_paused,
    first_stamp,
    run_task,
)
from ops_schedule.reports.observability.reader.workers import run_parallel
from ops_schedule.reports.observability.stats import WindowStats

# Circuit transitions older than this before the first window are not looked for: a circuit
# breaker that stays open is probed (half-open) on its next call, so a week without any
# transition means a week without calls to that MCP.
LOOKBACK: Final = timedelta(days=7)
PIECE: Final = 1 << 20  # smallest byte range given to a worker
INLINE: Final = 8 << 20  # below this much work, worker processes cost more than they save
MAX_WORKERS: Final = 8


def collect_stats(
    path: Path,
    windows: Sequence[tuple[datetime, datetime]],
    *,
    bucket: timedelta,
    redact: Callable[[str], str] | None = None,
    quiet: bool = True,
) -> list[WindowStats]:
    """Statistics of the events of ``path`` (and its rotated segments) in each half-open window.

    Returns one :class:`WindowStats` per window, in the order given; chart buckets of width
    ``bucket`` start at each window's start. Failure examples are passed through ``redact``.
    A missing log gives empty statistics with a note, never an error; something other than a
    regular file at ``path`` raises :class:`~ops_schedule.fsutil.NotRegularFileError` (an
    ``OSError``). With ``quiet=False`` a progress bar is drawn on stderr when stderr and stdout
    are terminals.
    """
    plan = Plan.build(windows, bucket)
    with open_segments(path) as segments:
        if not segments:
            stats = plan.empty_stats()
            for summary in stats:
                summary.notes.append(f"event log not found at {path}")
            return stats
        tasks = plan_tasks(plan, segments, workers=worker_count())
        folder, boundaries = run_tasks(plan, tasks, progress=_progress(tasks, quiet, path.name))
    folder.settle(boundaries)
    stats = folder.stats()
    if redact is not None:
        for summary in stats:
            for failure in summary.failures.values():
                if failure.example is not None:
                    failure.example = redact(failure.example)
    return stats


def worker_count() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, MAX_WORKERS))


def plan_tasks(plan: Plan, segments: Sequence[Segment], *, workers: int) -> list[Task]:
    """Cut the reading of ``segments`` into tasks, in log order."""
    earliest, latest = plan.earliest, plan.latest
    if earliest is None or latest is None:
        return []  # only empty windows: nothing to count
    lookback = earliest - LOOKBACK - MARGIN
    tasks: list[Task] = []
    for index, segment in enumerate(segments):
        if _wholly_older(segments[index + 1 :], lookback):
            continue  # not read at all: rotated files older than the look-back cost nothing
        where = (segment.path, segment.inode, segment.fd)
        if segment.compressed:
            tasks.append(Task(*where, "stream", 0, segment.size, lookback))
            continue
        fd, size = segment.fd, segment.size
        begin = start_offset(fd, size, lookback)
        first = max(begin, start_offset(fd, size, earliest - MARGIN))
        end = max(first, stop_offset(fd, size, latest + MARGIN))
        for start, stop in _pieces(fd, begin, first, workers, size):
            tasks.append(Task(*where, "circuits", start, stop))
        for start, stop in _pieces(fd, first, end, workers, size):
            tasks.append(Task(*where, "fold", start, stop))
    return tasks


def _wholly_older(newer: Sequence[Segment], lookback: datetime) -> bool:
    """Whether the segment before ``newer`` lies before ``lookback`` + ``MARGIN`` entirely.

    True when the next newer segment already starts before ``lookback``: under the disorder
    bound every earlier line is stamped before ``lookback + MARGIN``.
    """
    if not newer:
        return False
    start = first_stamp(newer[0].fd, newer[0].compressed)
    return start is not None and start < lookback


def _pieces(fd: int, start: int, stop: int, workers: int, size: int) -> Iterator[tuple[int, int]]:
    """Cut ``[start, stop)`` (both line starts) into ranges for ``workers`` processes.

    Each range is an eighth of what is left per worker (at least ``PIECE``): large ranges first,
    small ones at the end, so that the workers finish within a small range of each other.
    """
    while start < stop:
        piece = max(PIECE, (stop - start) // (workers * 8))
        cut = stop if stop - start < 2 * piece else next_line_start(fd, start + piece, size)
        cut = min(cut, stop)
        yield start, cut
        start = cut


def run_tasks(
    plan: Plan, tasks: Sequence[Task], *, progress: Progress | None = None
) -> tuple[Folder, list[Boundary]]:
    """Run ``tasks`` (in worker processes when it pays): the folded statistics and the tasks'
    boundaries, in log order."""
    progress = progress or _Silent()
    work = sum(task.size for task in tasks)
    workers = min(worker_count(), len(tasks))
    try:
        if workers <= 1 or work < INLINE:
            progress.start()
            folder = Folder(plan)
            with collector_paused():
                boundaries = []
                for index, task in enumerate(tasks):
                    boundaries.append(run_task(folder, index, task))
                    progress.advance(task.size)
            return folder, boundaries
        # The bar's refresh thread starts once the workers exist: fork copies one thread.
        return run_parallel(plan, tasks, workers, progress.advance, progress.start)
    finally:
        progress.stop()


class Progress(Protocol):
    def start(self) -> None: ...
    def advance(self, done: int) -> None: ...
    def stop(self) -> None: ...


class _Silent:
    def start(self) -> None:
        pass

    def advance(self, done: int) -> None:
        pass

    def stop(self) -> None:
        pass


def _progress(tasks: Sequence[Task], quiet: bool, label: str) -> Progress:
    work = sum(task.size for task in tasks)
    # Drawn on stderr, and only for a person watching: both streams on a terminal.
    if quiet or work == 0 or not (sys.stderr.isatty() and sys.stdout.isatty()):
        return _Silent()
    return _Bar(work, label)


class _Bar:
    """A ``rich`` progress bar of bytes read; removed when the reading ends."""

    def __init__(self, work: int, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(f"reading {label}", total=work)

    def start(self) -> None:
        self._bar.start()

    def advance(self, done: int) -> None:
        self._bar.advance(self._task, done)

    def stop(self) -> None:
        self._bar.stop()
