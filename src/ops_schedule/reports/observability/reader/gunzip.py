"""Decompressing a ``.gz`` segment so that damage costs only the lines it destroyed.

``gzip.GzipFile`` raises at the first damaged byte and loses what the failing read had already
decompressed (up to a whole block of lines), and it refuses a file whose last member is followed
by anything but zeros, losing the whole segment. :class:`Gunzip` instead returns everything that
decompresses up to the damaged byte (the lines it cuts count as malformed), reads concatenated
members, skips zero padding, and ends at damage or trailing data with a reason in
:attr:`Gunzip.damage` (docs/performance.md#compressed-segments).
"""

from __future__ import annotations

import os
import zlib
from typing import Final

from ops_schedule.lines import BLOCK

GZIP: Final = 16 + zlib.MAX_WBITS  # zlib reads the gzip header and checks the trailer's CRC
INPUT: Final = 16 << 10  # compressed bytes read at a time
OUTPUT: Final = 256 << 10  # most decompressed bytes per call: bounds memory, whatever the ratio
STEP: Final = 256  # compressed bytes per step when salvaging the data before damage, then 1
SALVAGE: Final = 1 << 20  # most decompressed bytes salvaged in front of damage
MAGIC: Final = b"\x1f\x8b"

CUT_SHORT: Final = "it ends before its compressed data does (cut short, or still being written)"
TRAILING: Final = "data after its last compressed member was ignored"


class Gunzip:
    """``read`` over the gzip file open as ``fd`` (positional reads: no shared file offset)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._offset = 0  # of the next compressed byte to read
        self._inflate = zlib.decompressobj(GZIP)
        self._ahead = b""  # compressed bytes read past a member's end, for the next member
        self._ended = False
        self.damage: str | None = None  # why the data ended early; None: read to its end

    def read(self, size: int = -1, /) -> bytes:
        want = BLOCK if size < 0 else size
        parts: list[bytes] = []
        while want > 0 and not self._ended:
            if self._inflate.eof:
                self._next_member()
                continue
            data = self._take()
            if not data:
                parts.append(self._finish())
                break
            saved = self._inflate.copy()
            try:
                piece = self._inflate.decompress(data, min(want, OUTPUT))
            except zlib.error as exc:
                piece = _salvage(saved, data)
                self._stop(f"its compressed data is damaged ({exc})")
            parts.append(piece)
            want -= len(piece)
        return b"".join(parts)

    def _take(self) -> bytes:
        """The next compressed input: what zlib left over, what was read ahead, or the file's."""
        if self._inflate.unconsumed_tail:
            return self._inflate.unconsumed_tail
        if self._ahead:
            data, self._ahead = self._ahead, b""
            return data
        data = os.pread(self._fd, INPUT, self._offset)
        self._offset += len(data)
        return data

    def _finish(self) -> bytes:
        """The end of the file inside a member: the output zlib still holds, and the verdict."""
        try:
            rest = self._inflate.flush()
        except zlib.error as exc:  # pragma: no cover - flush without input raises no data error
            self._stop(f"its compressed data is damaged ({exc})")
            return b""
        if self._inflate.eof:  # the member did end with the file: nothing lost
            return rest
        if self._offset == 0:  # an empty file: a segment being created, nothing in it yet
            self._ended = True
        else:
            self._stop(CUT_SHORT)
        return rest

    def _next_member(self) -> None:
        """After a member: another member, zero padding (as some tools write), or the end."""
        rest = self._inflate.unused_data
        while True:
            rest = rest.lstrip(b"\0")
            if len(rest) >= len(MAGIC):
                break
            more = os.pread(self._fd, INPUT, self._offset)
            self._offset += len(more)
            if not more:
                if rest:
                    self._stop(TRAILING)
                self._ended = True
                return
            rest += more
        if not rest.startswith(MAGIC):
            self._stop(TRAILING)
            return
        self._inflate = zlib.decompressobj(GZIP)
        self._ahead = rest

    def _stop(self, reason: str) -> None:
        self.damage, self._ended = reason, True


def _salvage(
    inflate: zlib._Decompress, data: bytes, step: int = STEP, limit: int = SALVAGE
) -> bytes:
    """What ``inflate`` (its state before ``data``) decompresses of ``data`` before the damage:
    ``step`` bytes at a time, then the failing step byte by byte."""
    parts: list[bytes] = []
    for start in range(0, len(data), step):
        saved = inflate.copy() if step > 1 else None
        piece = data[start : start + step]
        try:
            out = inflate.decompress(piece, limit)
        except zlib.error:
            if saved is not None:
                parts.append(_salvage(saved, piece, 1, limit))
            break
        parts.append(out)
        limit -= len(out)
        if limit <= 0 or inflate.unconsumed_tail:
            break
    return b"".join(parts)
