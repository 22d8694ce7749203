"""Cutting a byte stream into lines with bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Protocol

BLOCK: Final = 1 << 20  # bytes read at a time
MAX_LINE: Final = 1 << 20  # a longer line is skipped (and counted) without being held whole
OVERLONG: Final = b"\x00overlong"  # stands for a skipped line: never valid JSON


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def iter_blocks(stream: Readable, limit: int | None = None) -> Iterator[bytes]:  # noqa: C901 - one loop; the carry logic reads best in one place
    """Yield runs of whole lines (joined by ``\\n``, no final newline), reading ≤ ``limit`` bytes.

    The last line is yielded even without a final newline: a complete line that just lacks one
    parses, and a line the writer is still writing does not (it is counted as malformed).
    A line longer than ``MAX_LINE`` is replaced by ``OVERLONG``. Memory stays below
    ``BLOCK + MAX_LINE`` (plus one joined copy) whatever the input.
    """
    remaining = limit
    carry = b""
    skipping = False  # inside an overlong line, dropping bytes until its newline
    while remaining is None or remaining > 0:
        block = stream.read(BLOCK if remaining is None else min(BLOCK, remaining))
        if not block:
            break
        if remaining is not None:
            remaining -= len(block)
        cut = block.rfind(b"\n")
        if cut < 0:
            if not skipping:
                carry += block
                if len(carry) > MAX_LINE:
                    carry, skipping = b"", True
            continue
        if skipping:
            first_end = block.find(b"\n")
            head = OVERLONG + block[first_end:cut]
            skipping = False
        elif carry:
            head = carry + block[:cut]
            first_end = head.find(b"\n")
            if (first_end if first_end >= 0 else len(head)) > MAX_LINE:
                head = OVERLONG + (head[first_end:] if first_end >= 0 else b"")
        else:
            head = block[:cut]
        carry = block[cut + 1 :]
        yield head
    if skipping:
        yield OVERLONG
    elif carry:
        yield carry
