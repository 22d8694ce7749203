"""Finding a time in an uncompressed log by binary search on byte offsets.

The log is appended in time order, but not perfectly: events from concurrent requests are written
when they finish, so a line may carry a timestamp a little earlier than the line before it. The
search assumes that disorder is bounded by ``MARGIN``: a line is never written more than
``MARGIN`` after a line with a later timestamp. Under that assumption

* every line before a line stamped earlier than ``t - MARGIN`` is stamped earlier than ``t``, so
  reading may start there without missing an event at or after ``t``;
* every line after a line stamped later than ``t + MARGIN`` is stamped later than ``t``, so
  reading may stop there.

An event written more than ``MARGIN`` out of order next to a window bound can be missed (or a
malformed line near it attributed differently); everything else is exact. A probe that finds no
readable timestamp nearby (a run of malformed lines) makes the search read more, never less.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Final

import orjson

MARGIN: Final = timedelta(minutes=10)
PROBE: Final = 64 << 10  # bytes read around a probe point
GRANULE: Final = 256 << 10  # stop searching once the range is this small
SAMPLE: Final = 4  # stamped lines a probe looks at


def stamp_of(line: bytes) -> datetime | None:
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    stamp = event.get("timestamp") if type(event) is dict else None
    if type(stamp) is not str:
        return None
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    try:
        return at.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or 9999: no instant in UTC
        return None


def probe(fd: int, offset: int, limit: int) -> tuple[int, datetime, datetime] | None:
    """The first line starting at or after ``offset`` (before ``limit``) that has a timestamp.

    Returns its offset and the earliest and latest timestamps of it and up to ``SAMPLE - 1``
    stamped lines after it: a decision taken on all of them is not fooled by one line with a
    wild timestamp (the proxy's clock was wrong, or a test line from another year).
    """
    if offset > 0:
        data = os.pread(fd, min(PROBE, limit - offset + 1), offset - 1)
        newline = data.find(b"\n")
        if newline < 0:
            return None
        position, data = offset + newline, data[newline + 1 :]
    else:
        position, data = 0, os.pread(fd, min(PROBE, limit), 0)
    lines = data.split(b"\n")
    lines.pop()  # possibly cut by the read, or a line still being written
    found: int | None = None
    stamps: list[datetime] = []
    for line in lines:
        if found is None and position >= limit:
            return None
        at = stamp_of(line)
        if at is not None:
            found = position if found is None else found
            stamps.append(at)
            if len(stamps) == SAMPLE:
                break
        position += len(line) + 1
    return None if found is None else (found, min(stamps), max(stamps))


def last_stamp(fd: int, size: int) -> datetime | None:
    """The latest timestamp among the last ``SAMPLE`` stamped lines before ``size``."""
    start = max(0, size - PROBE)
    data = os.pread(fd, size - start, start)
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]
    stamps = [at for at in map(stamp_of, reversed(lines[-4 * SAMPLE :])) if at is not None]
    return max(stamps[:SAMPLE]) if stamps else None


def start_offset(fd: int, size: int, target: datetime) -> int:
    """A line start before which every line is stamped earlier than ``target + MARGIN``.

    That is, with ``target = t - MARGIN``: reading from the result misses nothing at or after t.
    """
    first = probe(fd, 0, size)
    if first is None or first[2] >= target:
        return 0
    best, low, high = first[0], first[0], size
    while high - low > GRANULE:
        middle = (low + high) // 2
        found = probe(fd, middle, high)
        if found is not None and found[2] < target:
            best, low = found[0], middle
        else:
            high = middle
    return best


def stop_offset(fd: int, size: int, target: datetime) -> int:
    """A line start after which every line is stamped later than ``target - MARGIN``."""
    last = last_stamp(fd, size)
    if last is None or last <= target:
        return size
    best, low, high = size, 0, size
    while high - low > GRANULE:
        middle = (low + high) // 2
        found = probe(fd, middle, high)
        if found is None or found[1] <= target:
            low = middle
        else:
            best, high = found[0], middle
    return best


def next_line_start(fd: int, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` (``size`` when there is none)."""
    if offset <= 0:
        return 0
    position = offset - 1
    while position < size:
        data = os.pread(fd, PROBE, position)
        if not data:
            break
        newline = data.find(b"\n")
        if newline >= 0:
            return min(position + newline + 1, size)
        position += len(data)
    return size
