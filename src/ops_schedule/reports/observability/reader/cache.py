"""The cache of partials: exact aggregates of spans of the log, kept in SQLite under ``stateDir``.

A span (a cell read from the log, an hour joined from two cells, a window's settled run) is
stored with its chart buckets' grid and the *source* it was read from: a
fingerprint of each segment it relied on (a digest of the segment's first bytes, decompressed for
``.gz``, and for a plain file how many bytes it held then). A span is used only while every one of
those segments is still in the log, found by its content whatever its name now (rotation renames
and compresses files; ``copytruncate`` copies one), and no smaller than it was. Anything else is
read again. ``full`` spans hold everything a report needs; circuit spans (from the look-back before
the windows) hold only circuit transitions. docs/performance.md#cached-partials has the rules.

The cache is only ever an optimisation: a file that cannot be opened, is damaged, or is locked by
another process for too long is ignored (and a damaged one replaced), never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import orjson

from ops_schedule.reports.observability.reader import cells
from ops_schedule.reports.observability.reader.cells import Range
from ops_schedule.reports.observability.reader.gunzip import Gunzip
from ops_schedule.reports.observability.reader.partial import (
    EPOCH,
    Partial,
    PartialDecodeError,
    decode,
    encode,
)
from ops_schedule.reports.observability.reader.segments import Segment

FORMAT: Final = "3"
HEAD: Final = 4096  # bytes of a segment's beginning that identify it
BUSY: Final = 2.0  # seconds to wait for another process's write before giving up
# Spans ending this long before the log's last settled instant are dropped: a report's window
# and look-back reach back about two weeks; the rest is kept for reruns (`report --at`).
KEEP: Final = timedelta(days=52)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (id INTEGER PRIMARY KEY, segments BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS spans (
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, full INTEGER NOT NULL,
    phase INTEGER NOT NULL, width INTEGER NOT NULL,
    source INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (start, "end", full, phase, width)
);
"""


@dataclass(frozen=True, slots=True)
class Mark:
    """What a span relies on in one segment."""

    head: int  # bytes digested (fewer than HEAD when the segment was that small)
    digest: str
    extent: int  # bytes a plain segment held; 0 for a compressed one

    def as_list(self) -> list[object]:
        return [self.head, self.digest, self.extent]


class Heads:
    """Digests of the beginnings of the listed segments, computed on demand, once each."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._segments = segments
        self._digests: dict[tuple[int, int], str] = {}

    def digest(self, index: int, length: int) -> str:
        key = (index, length)
        if key not in self._digests:
            self._digests[key] = hashlib.sha256(self._head(index, length)).hexdigest()
        return self._digests[key]

    def _head(self, index: int, length: int) -> bytes:
        segment = self._segments[index]
        if segment.compressed:
            return Gunzip(segment.fd).read(length)
        return os.pread(segment.fd, length, 0)

    def mark(self, index: int) -> Mark | None:
        """The mark of segment ``index`` as it is now; None for an empty one."""
        segment = self._segments[index]
        length = len(self._head(index, HEAD))
        if length == 0:
            return None
        extent = 0 if segment.compressed else segment.size
        return Mark(length, self.digest(index, length), extent)

    def holds(self, mark: Mark) -> bool:
        """Whether some listed segment is the one ``mark`` describes, unshrunk."""
        for index, segment in enumerate(self._segments):
            if not segment.compressed and segment.size < max(mark.extent, mark.head):
                continue
            if self.digest(index, mark.head) == mark.digest:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime
    full: bool
    part: Partial
    marks: tuple[Mark, ...] = ()  # what it relies on (filled when read from the cache)


class PartialCache:
    """One open cache file. Every method swallows SQLite's errors: a cache that fails is empty."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: Path) -> PartialCache | None:
        """The cache at ``path`` (created, readable by its owner only); None when unusable,
        such as when something other than a regular file is there (left alone)."""
        try:
            if not stat.S_ISREG(path.lstat().st_mode):
                return None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        for attempt in range(2):
            try:
                return cls(_connect(path))
            except sqlite3.DatabaseError:
                if attempt:
                    return None
                # Not a database (damaged, or another file): it only ever held a cache.
                with contextlib.suppress(OSError):
                    path.unlink()
            except (sqlite3.Error, OSError):
                return None
        return None  # pragma: no cover - the loop returns

    def close(self) -> None:
        self._db.close()

    def cover(
        self, span: Range, heads: Heads, *, grid: tuple[int, int] | None
    ) -> tuple[list[Span], list[Range]]:
        """The fewest valid spans that tile ``span`` from its start, and the ranges none covers
        (see :func:`~.cells.cover`). With ``grid`` (phase, width), only full spans whose chart
        buckets fit it (their grid divides it); without, any span (for circuits only). Read as
        one snapshot."""
        try:
            self._db.execute("BEGIN")
            try:
                return self._cover(span, heads, grid=grid)
            finally:
                self._db.execute("COMMIT")
        except sqlite3.Error:
            return [], cells.cover(span, [])[1]

    def _cover(
        self, span: Range, heads: Heads, *, grid: tuple[int, int] | None
    ) -> tuple[list[Span], list[Range]]:
        rows = self._db.execute(
            'SELECT start, "end", full, source, rowid, phase, width FROM spans '
            'WHERE start >= ? AND "end" <= ? AND full >= ?',
            (_seconds(span[0]), _seconds(span[1]), 0 if grid is None else 1),
        ).fetchall()
        if grid is not None:
            phase, width = grid
            rows = [r for r in rows if width % r[6] == 0 and (phase - r[5]) % r[6] == 0]
        valid = self._valid_sources({row[3] for row in rows}, heads)
        best: dict[Range, tuple[int, int, tuple[Mark, ...]]] = {}
        for start, end, full, source, rowid, _, _ in sorted(rows, key=lambda row: row[2]):
            if source in valid:  # a full span wins over a circuit one with the same bounds
                best[_instant(start), _instant(end)] = (rowid, full, valid[source])
        chosen, missing = cells.cover(span, list(best))
        spans: list[Span] = []
        for bounds in chosen:
            rowid, full, marks = best[bounds]
            loaded = self._load(rowid, bounds, full=bool(full), marks=marks)
            if loaded is None:  # damaged: read its cells instead
                return spans[:0], cells.cover(span, [])[1]
            spans.append(loaded)
        return spans, missing

    def _valid_sources(self, ids: set[int], heads: Heads) -> dict[int, tuple[Mark, ...]]:
        valid: dict[int, tuple[Mark, ...]] = {}
        for source in ids:
            query = "SELECT segments FROM sources WHERE id = ?"
            row = self._db.execute(query, (source,)).fetchone()
            marks = _marks(row[0]) if row else None
            if marks is not None and all(heads.holds(mark) for mark in marks):
                valid[source] = tuple(marks)
        return valid

    def _load(
        self, rowid: int, bounds: Range, *, full: bool, marks: tuple[Mark, ...]
    ) -> Span | None:
        row = self._db.execute("SELECT data FROM spans WHERE rowid = ?", (rowid,)).fetchone()
        if row is None:
            return None
        try:
            part = decode(row[0])
        except PartialDecodeError:
            return None
        if (part.start, part.end) != bounds:
            return None
        return Span(part.start, part.end, full, part, marks)

    def store(self, spans: Sequence[Span], *, keep_after: datetime) -> bool:
        """Store ``spans``, each with the marks it relies on; drop spans ending before
        ``keep_after``.

        False when another process held the file too long or it failed: nothing is lost but time.
        """
        if not spans:
            return True
        try:
            with self._transaction():
                sources: dict[tuple[Mark, ...], int | None] = {}
                for span in spans:
                    if span.marks not in sources:
                        blob = orjson.dumps([mark.as_list() for mark in span.marks])
                        sources[span.marks] = self._db.execute(
                            "INSERT INTO sources (segments) VALUES (?)", (blob,)
                        ).lastrowid
                self._db.executemany(
                    'INSERT OR REPLACE INTO spans (start, "end", full, phase, width, source, data)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            _seconds(s.start),
                            _seconds(s.end),
                            int(s.full),
                            *(s.part.grid or (0, 1)),
                            sources[s.marks],
                            encode(s.part),
                        )
                        for s in spans
                        if s.part.grid is not None or not s.full
                    ],
                )
                self._db.execute('DELETE FROM spans WHERE "end" < ?', (_seconds(keep_after),))
                self._db.execute(
                    "DELETE FROM sources WHERE id NOT IN (SELECT DISTINCT source FROM spans)"
                )
        except sqlite3.Error:
            return False
        return True

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    # The directory is not created: ``report`` before any ``run`` leaves no state directory.
    # Created by us, for us: failure examples in it are as sensitive as the log they came from.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
    connection = sqlite3.connect(path, timeout=BUSY, isolation_level=None)
    try:
        connection.executescript(_SCHEMA)
        row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != FORMAT:  # written by another version: start afresh
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("DROP TABLE IF EXISTS spans")
            connection.execute("DROP TABLE IF EXISTS sources")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            connection.execute("COMMIT")
    except BaseException:
        connection.close()
        raise
    return connection


def _marks(blob: object) -> list[Mark] | None:
    try:
        items = orjson.loads(blob)  # type: ignore[arg-type]
        marks = [Mark(int(head), str(digest), int(extent)) for head, digest, extent in items]
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if any(not 0 < mark.head <= HEAD or mark.extent < 0 for mark in marks):
        return None  # not what this program writes: the span is read again
    return marks


def _seconds(at: datetime) -> int:
    return (at - EPOCH) // timedelta(seconds=1)


def _instant(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)
