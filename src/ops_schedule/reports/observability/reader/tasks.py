"""Units of reading work: a byte range of a plain segment, or a whole compressed segment.

Tasks are small and picklable, so the same function runs them in this process or in a worker.
A task adds what it reads to a :class:`~.fold.Folder` and returns the
:class:`~.fold.Boundary` that only its neighbours can settle.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from ops_schedule.lines import BLOCK, iter_line_lists
from ops_schedule.reports.observability.reader.fold import OUTSIDE, Boundary, Folder
from ops_schedule.reports.observability.reader.gunzip import Gunzip
from ops_schedule.reports.observability.reader.seek import MARGIN, PROBE, SAMPLE, stamp_of

CIRCUIT: Final = b'"circuit"'
SCAN_BUFFER: Final = 512 << 10  # small enough to stay in cache while it is searched

Mode = Literal["fold", "circuits", "stream"]


@dataclass(frozen=True, slots=True)
class Task:
    path: Path
    inode: tuple[int, int]  # (device, inode): finds the file again if it was rotated meanwhile
    fd: int  # the segment's descriptor from the listing; forked workers inherit it
    mode: Mode  # fold a range, take only circuit transitions of a range, or stream a .gz file
    start: int = 0
    stop: int = 0
    lookback: datetime | None = None  # stream mode: circuits before this are not needed
    # The bytes just before ``start`` are not read: untimed lines before the task's first
    # stamped line belong with an unread line, outside every window of this reading.
    gap: bool = False

    @property
    def size(self) -> int:
        return self.stop - self.start


class _PositionalReader:
    """``read`` over ``os.pread``: no shared file position, so no seek races."""

    def __init__(self, fd: int, start: int) -> None:
        self.fd, self.position = fd, start

    def read(self, size: int = -1, /) -> bytes:
        data = os.pread(self.fd, size if size >= 0 else BLOCK, self.position)
        self.position += len(data)
        return data


def task_descriptor(task: Task) -> int:
    """A descriptor of the task's segment, for the caller to close.

    A duplicate of the one opened when the segments were listed (a forked worker inherits it),
    so a segment renamed or deleted since is still read. Where a worker does not inherit
    descriptors (``spawn``), the file is found again by its inode.
    """
    try:
        status = os.fstat(task.fd)
    except OSError:
        status = None
    if status is not None and (status.st_dev, status.st_ino) == task.inode:
        return os.dup(task.fd)
    return open_segment(task.path, task.inode)


def open_segment(path: Path, inode: tuple[int, int]) -> int:
    """Open the file listed as ``path``; follow it if rotation renamed it since."""
    fd = os.open(path, os.O_RDONLY) if path.exists() else -1
    if fd >= 0:
        status = os.fstat(fd)
        if (status.st_dev, status.st_ino) == inode:
            return fd
        os.close(fd)
    for sibling in path.parent.iterdir():
        try:
            status = sibling.stat()
        except FileNotFoundError:
            continue
        if (status.st_dev, status.st_ino) == inode:
            return os.open(sibling, os.O_RDONLY)
    raise FileNotFoundError(f"{path} was rotated away while it was being read")


def run_task(folder: Folder, index: int, task: Task) -> Boundary:
    """Read task number ``index`` into ``folder``."""
    folder.begin(index)
    if task.gap:
        folder.last = OUTSIDE
    fd = task_descriptor(task)
    try:
        if task.mode == "stream":
            note = _stream(folder, Gunzip(fd), task.lookback, task.path.name)
        elif task.mode == "circuits":
            whole = _scan_circuits(folder, fd, task.start, task.stop)
            note = None if whole else _shrank(task.path.name)
        else:
            reader = _PositionalReader(fd, task.start)
            for lines in iter_line_lists(reader, task.size):
                folder.feed(lines)
            note = None if reader.position >= task.stop else _shrank(task.path.name)
    finally:
        os.close(fd)
    if note is not None and note not in folder.notes:
        folder.notes.append(note)
    return folder.boundary()


def _shrank(name: str) -> str:
    # Reads end early only when the file lost bytes the listing saw: truncated in place.
    return (
        f"{name} shrank while it was being read (truncated in place, as by logrotate's "
        "copytruncate): events may be missing; run the report again with `report --at`"
    )


def first_stamp(fd: int, compressed: bool) -> datetime | None:
    """The latest of the first few timestamps of a segment (None if it has none nearby)."""
    head = Gunzip(fd).read(PROBE) if compressed else os.pread(fd, PROBE, 0)
    lines = head.split(b"\n")[:-1]  # the last piece may be cut
    stamps = [at for at in map(stamp_of, lines[: 4 * SAMPLE]) if at is not None][:SAMPLE]
    return max(stamps) if stamps else None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector while folding.

    Parsed events hold no reference cycles, so the collector has nothing to find; it would run
    every 700 parsed lines and cost about a tenth of the time.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _scan_circuits(folder: Folder, fd: int, start: int, stop: int) -> bool:
    """Take the circuit transitions of ``[start, stop)`` (line starts) with a bytes search;
    False when the file ended before ``stop``.

    One reused buffer and no per-line work: only lines that mention ``"circuit"`` are parsed.
    """
    buffer = bytearray(SCAN_BUFFER)
    offset = start
    while offset < stop:
        size = min(os.preadv(fd, [buffer], offset), stop - offset)
        if size <= 0:
            return False
        cut = size
        if offset + size < stop:  # the range ends at a line start; a buffer may not
            cut = buffer.rfind(b"\n", 0, size) + 1
            if cut == 0:  # one line fills the buffer: too long to be an event, skip it
                cut = size
        lines: list[bytes] = []
        found = buffer.find(CIRCUIT, 0, cut)
        while found >= 0:
            begin = buffer.rfind(b"\n", 0, found) + 1
            end = buffer.find(b"\n", found, cut)
            end = cut if end < 0 else end
            lines.append(bytes(buffer[begin:end]))
            found = buffer.find(CIRCUIT, end, cut)
        if lines:
            folder.circuits_only(lines)
        offset += cut
    return True


def _stream(folder: Folder, stream: Gunzip, lookback: datetime | None, name: str) -> str | None:
    """Read a compressed segment (gzip cannot seek); skip the parsing of blocks before the windows.

    A block whose last stamped line is earlier than the first window by more than ``MARGIN``
    holds only earlier lines (the same bounded-disorder rule as the seek), so only its circuit
    transitions are taken; a block whose first stamped line is later than the last window end
    by more than ``MARGIN`` ends the reading.
    """
    earliest, latest = folder.plan.earliest, folder.plan.latest
    for lines in iter_line_lists(stream):
        if earliest is None or latest is None:
            folder.feed(lines)
            continue
        # Several stamps, so that one line with a wild timestamp cannot decide alone.
        tail = [at for at in map(stamp_of, lines[-SAMPLE:]) if at is not None]
        if tail and max(tail) < earliest - MARGIN:
            if lookback is None or max(tail) >= lookback:
                folder.circuits_only([line for line in lines if CIRCUIT in line])
            if folder.last is None:
                folder.first = OUTSIDE
            folder.last = OUTSIDE
            continue
        head = [at for at in map(stamp_of, lines[:SAMPLE]) if at is not None]
        if head and min(head) > latest + MARGIN:
            return None  # the rest is later than every window: its damage does not matter
        folder.feed(lines)
    # A damaged or half-written .gz segment: what was read counts; say what happened.
    return None if stream.damage is None else f"could not read all of {name}: {stream.damage}"
