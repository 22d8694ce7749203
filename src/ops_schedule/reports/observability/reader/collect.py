"""The report's one pass over an event log and its rotated segments (``read``).

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
5. With a cache of partials (``cached.py``), only what no cached span covers is read, and what
   was read is cached; the windows are then added up from both (``assemble.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

from ops_schedule.reports.observability.reader.fold import Boundary, Folder, Plan
from ops_schedule.reports.observability.reader.seek import (
    MARGIN,
    next_line_start,
    start_offset,
    stop_offset,
)
from ops_schedule.reports.observability.reader.segments import Segment
from ops_schedule.reports.observability.reader.tasks import (
    Mode,
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


def read(plan: Plan, segments: Sequence[Segment], progress: ProgressChoice) -> list[WindowStats]:
    """The statistics of ``plan``'s windows, all read from the log."""
    earliest, latest = plan.earliest, plan.latest
    if earliest is None or latest is None:
        return plan.empty_stats()  # only empty windows: nothing to count
    lookback = plan.lookback or earliest
    tasks = plan_tasks(
        segments,
        workers=worker_count(),
        folds=[(earliest, latest)],
        circuits=[(lookback, earliest)],
    )
    folder, boundaries = run_tasks(plan, tasks, progress=progress.for_tasks(tasks))
    folder.settle(boundaries)
    return folder.stats()


def worker_count() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, MAX_WORKERS))


def plan_tasks(
    segments: Sequence[Segment],
    *,
    workers: int,
    folds: Sequence[tuple[datetime, datetime]],
    circuits: Sequence[tuple[datetime, datetime]] = (),
) -> list[Task]:
    """Cut the reading of ``segments`` into tasks, in log order.

    The lines of each ``folds`` range are folded; of the lines of each
    ``circuits`` range, only circuit transitions are taken. Each range is found in the file
    with ``MARGIN`` on both sides, so it misses no line stamped inside it.
    """
    wanted = [*folds, *circuits]
    if not wanted:
        return []
    low = min(start for start, _ in wanted) - MARGIN
    tasks: list[Task] = []
    whole = True  # the previous segment was read to its end (or none was read yet)
    for index, segment in enumerate(segments):
        if _wholly_older(segments[index + 1 :], low):
            continue  # not read at all: rotated files older than the look-back cost nothing
        where = (segment.path, segment.inode, segment.fd)
        if segment.compressed:
            tasks.append(Task(*where, "stream", 0, segment.size, low, gap=not whole))
            whole = True
            continue
        fd, size = segment.fd, segment.size
        fold = _byte_ranges(fd, size, folds)
        scan = _without(_byte_ranges(fd, size, circuits), fold)
        ranges: list[tuple[int, int, Mode]] = [(start, stop, "fold") for start, stop in fold]
        ranges += [(start, stop, "circuits") for start, stop in scan]
        reached = 0
        for start, stop, mode in sorted(ranges):
            for first, cut in _pieces(fd, start, stop, workers, size):
                # Unread bytes just before: a skipped gap between two ranges, or the unread
                # end of the previous segment.
                gap = (first > reached and bool(tasks)) or (first == 0 and not whole)
                tasks.append(Task(*where, mode, first, cut, gap=gap))
                reached = cut
        whole = reached >= size
    return tasks


def _byte_ranges(
    fd: int, size: int, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[int, int]]:
    """The byte ranges holding every line stamped in ``spans``, joined where they touch."""
    ranges = sorted(
        (start_offset(fd, size, start - MARGIN), stop_offset(fd, size, end + MARGIN))
        for start, end in spans
    )
    joined: list[tuple[int, int]] = []
    for start, stop in ranges:
        if stop <= start:
            continue
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(stop, joined[-1][1]))
        else:
            joined.append((start, stop))
    return joined


def _without(
    ranges: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``ranges`` less the bytes in ``taken`` (both sorted, disjoint)."""
    left: list[tuple[int, int]] = []
    for start, stop in ranges:
        position = start
        for low, high in taken:
            if high <= position or low >= stop:
                continue
            if low > position:
                left.append((position, low))
            position = max(position, high)
        if position < stop:
            left.append((position, stop))
    return left


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


class ProgressChoice:
    """Whether to draw a progress bar for a reading, decided when its tasks are known."""

    def __init__(self, quiet: bool, label: str) -> None:
        self.quiet, self.label = quiet, label

    def for_tasks(self, tasks: Sequence[Task]) -> Progress:
        work = sum(task.size for task in tasks)
        # Drawn on stderr, and only for a person watching: both streams on a terminal.
        if self.quiet or work == 0 or not (sys.stderr.isatty() and sys.stdout.isatty()):
            return _Silent()
        return _Bar(work, self.label)


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
