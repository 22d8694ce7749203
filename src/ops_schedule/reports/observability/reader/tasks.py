"""Units of reading work: a byte range of a plain segment, or a whole compressed segment.

Tasks are small and picklable, so the same function runs them in this process or in a worker.
A task adds what it reads to a :class:`~.fold.Folder` and returns the
:class:`~.fold.Boundary` that only its neighbours can settle.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from ops_schedule.lines import BLOCK, iter_line_lists
from ops_schedule.reports.observability.reader.fold import OUTSIDE, Boundary, Folder
from ops_schedule.reports.observability.reader.seek import MARGIN, PROBE, SAMPLE, stamp_of

CIRCUIT: Final = b'"circuit"'
SCAN_BUFFER: Final = 512 << 10  # small enough to stay in cache while it is searched

Mode = Literal["fold", "circuits", "stream"]


@dataclass(frozen=True, slots=True)
class Task:
    path: Path
    inode: tuple[int, int]  # (device, inode): finds the file again if it was rotated meanwhile
    mode: Mode  # fold a range, take only circuit transitions of a range, or stream a .gz file
    start: int = 0
    stop: int = 0
    lookback: datetime | None = None  # stream mode: circuits before this are not needed

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
    fd = open_segment(task.path, task.inode)
    try:
        if task.mode == "stream":
            with os.fdopen(os.dup(fd), "rb") as raw, gzip.GzipFile(fileobj=raw) as stream:
                note = _stream(folder, stream, task.lookback, task.path.name)
            if note is not None and note not in folder.notes:
                folder.notes.append(note)
        elif task.mode == "circuits":
            _scan_circuits(folder, fd, task.start, task.stop)
        else:
            for lines in iter_line_lists(_PositionalReader(fd, task.start), task.size):
                folder.feed(lines)
    finally:
        os.close(fd)
    return folder.boundary()


def first_stamp(path: Path, inode: tuple[int, int], compressed: bool) -> datetime | None:
    """The latest of the first few timestamps of a segment (None if it has none nearby)."""
    try:
        fd = open_segment(path, inode)
    except FileNotFoundError:
        return None
    try:
        if compressed:
            with os.fdopen(os.dup(fd), "rb") as raw, gzip.GzipFile(fileobj=raw) as stream:
                try:
                    head = stream.read(PROBE)
                except (OSError, EOFError, zlib.error):
                    return None
        else:
            head = os.pread(fd, PROBE, 0)
    finally:
        os.close(fd)
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


def _scan_circuits(folder: Folder, fd: int, start: int, stop: int) -> None:
    """Take the circuit transitions of ``[start, stop)`` (line starts) with a bytes search.

    One reused buffer and no per-line work: only lines that mention ``"circuit"`` are parsed.
    """
    buffer = bytearray(SCAN_BUFFER)
    offset = start
    while offset < stop:
        size = min(os.preadv(fd, [buffer], offset), stop - offset)
        if size <= 0:
            break
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


def _stream(
    folder: Folder, stream: gzip.GzipFile, lookback: datetime | None, name: str
) -> str | None:
    """Read a compressed segment (gzip cannot seek); skip the parsing of blocks before the windows.

    A block whose last stamped line is earlier than the first window by more than ``MARGIN``
    holds only earlier lines (the same bounded-disorder rule as the seek), so only its circuit
    transitions are taken; a block whose first stamped line is later than the last window end
    by more than ``MARGIN`` ends the reading.
    """
    earliest, latest = folder.plan.earliest, folder.plan.latest
    try:
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
                break
            folder.feed(lines)
    except (OSError, EOFError, zlib.error) as exc:
        # A damaged or half-written .gz segment: keep what was read, say what happened.
        return f"could not read all of {name}: {exc}"
    return None
