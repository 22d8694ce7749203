"""The files that make up one event log: rotated siblings first (oldest first), then the live file.

``events.jsonl`` rotates to ``events.jsonl.1``, ``events.jsonl.2.gz``, … (logrotate's numbering:
the higher the number, the older the file). A number present both plain and compressed (logrotate
is compressing it right now) is read from the plain file, which is complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Segment:
    path: Path
    compressed: bool
    size: int  # bytes on disk when the segments were listed; reading stops there
    inode: tuple[int, int]  # (device, inode), to find the file again if rotation renames it


def find_segments(path: Path) -> list[Segment]:
    """List the log's segments in reading order (oldest first). Missing files are left out."""
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
    ordered = [rotated[n] for n in sorted(rotated, reverse=True)]
    if path.is_file():
        ordered.append(path)
    segments: list[Segment] = []
    for file in ordered:
        try:
            status = file.stat()
        except FileNotFoundError:  # rotated away between listing and stat
            continue
        inode = (status.st_dev, status.st_ino)
        segments.append(Segment(file, file.name.endswith(".gz"), status.st_size, inode))
    return segments
