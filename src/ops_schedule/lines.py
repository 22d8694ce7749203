"""Cutting a byte stream into lines with bounded memory: the event log and the incident state
are read with it, so no line, however long, is ever held whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Protocol

BLOCK: Final = 1 << 20  # bytes read at a time
MAX_LINE: Final = 1 << 20  # a longer line is skipped (and counted) without being held whole
OVERLONG: Final = b"\x00overlong"  # stands for a skipped line: never valid JSON


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def iter_line_lists(stream: Readable, limit: int | None = None) -> Iterator[list[bytes]]:  # noqa: C901 - one loop; the carry logic reads best in one place
    """Yield runs of whole lines, as lists without newlines, reading at most ``limit`` bytes.

    The last line is yielded even without a final newline: a complete line that just lacks one
    parses, and a line the writer is still writing does not (it is counted as malformed).
    A line longer than ``MAX_LINE`` is replaced by ``OVERLONG``. Memory stays below
    ``BLOCK + MAX_LINE`` whatever the input. Splitting each block as read (keeping its last,
    unfinished piece for the next one) copies every byte once less than joining runs first.
    """
    remaining = limit
    carry = b""
    skipping = False
    while remaining is None or remaining > 0:
        block = stream.read(BLOCK if remaining is None else min(BLOCK, remaining))
        if not block:
            break
        if remaining is not None:
            remaining -= len(block)
        lines = block.split(b"\n")
        tail = lines.pop()  # after the last newline: the start of a line still to come
        if not lines:
            if not skipping:
                carry += tail
                if len(carry) > MAX_LINE:
                    carry, skipping = b"", True
            continue
        if skipping:
            lines[0], skipping = OVERLONG, False
        elif carry:
            first = carry + lines[0]
            lines[0] = first if len(first) <= MAX_LINE else OVERLONG
        carry = tail
        if len(carry) > MAX_LINE:  # pragma: no cover - a block is no longer than a line may be
            carry, skipping = b"", True
        yield lines
    if skipping:
        yield [OVERLONG]
    elif carry:
        yield [carry]
