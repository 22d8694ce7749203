"""The files that make up one event log: rotated siblings first (oldest first), then the live file.

``events.jsonl`` rotates to ``events.jsonl.1``, ``events.jsonl.2.gz``, … (logrotate's numbering:
the higher the number, the older the file). A number present both plain and compressed (logrotate
is compressing it right now) is read from the plain file, which is complete.

Each segment is opened once, when the segments are listed, and read through that descriptor:
rotation may rename or delete a file while the report reads it, and the report still reads
exactly what was listed (docs/performance.md#segments).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ops_schedule.fsutil import NotRegularFileError, open_regular


@dataclass(frozen=True, slots=True)
class Segment:
    path: Path
    compressed: bool
    size: int  # bytes on disk when the segments were listed; reading stops there
    inode: tuple[int, int]  # (device, inode): a worker that cannot use ``fd`` finds the file
    fd: int  # open since the listing; whoever listed the segments closes it


@contextlib.contextmanager
def open_segments(path: Path) -> Iterator[list[Segment]]:
    """The log's segments in reading order (oldest first), open for the block.

    A missing file is left out, and so is a rotated name that is not a regular file; the live
    path raises :class:`~ops_schedule.fsutil.NotRegularFileError` when it exists but is not a
    regular file (a directory, a FIFO, a device, a symbolic link to nothing).
    """
    segments: list[Segment] = []
    try:
        for file in [*_rotated(path), path]:
            segment = _open(file, live=file is path)
            if segment is not None:
                segments.append(segment)
        yield segments
    finally:
        for segment in segments:
            os.close(segment.fd)


def _rotated(path: Path) -> list[Path]:
    rotated: dict[int, Path] = {}
    directory = path.parent
    pattern = re.compile(re.escape(path.name) + r"\.([0-9]{1,6})(\.gz)?")
    if directory.is_dir():
        for candidate in directory.iterdir():
            match = pattern.fullmatch(candidate.name)
            if match is None or not candidate.is_file():
                continue
            number = int(match.group(1))
            if number not in rotated or not match.group(2):  # the plain file wins
                rotated[number] = candidate
    return [rotated[n] for n in sorted(rotated, reverse=True)]


def _open(file: Path, *, live: bool) -> Segment | None:
    try:
        fd = open_regular(file)
    except FileNotFoundError:
        if live and file.is_symlink():
            raise NotRegularFileError(file, "a symbolic link to a missing file") from None
        return None  # no log yet, or rotated away between the listing and the open
    except NotRegularFileError:
        if live:
            raise
        return None  # named like a segment, but no log segment
    status = os.fstat(fd)
    inode = (status.st_dev, status.st_ino)
    return Segment(file, file.name.endswith(".gz"), status.st_size, inode, fd)
