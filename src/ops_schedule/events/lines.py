"""Cutting a byte stream into lines with bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Protocol

BLOCK: Final = 1 << 20  # bytes read at a time
MAX_LINE: Final = 1 << 20  # a longer line is skipped (and counted) without being held whole
OVERLONG: Final = b"\x00overlong"  # stands for a skipped line: never valid JSON


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def iter_lines(stream: Readable, limit: int | None = None) -> Iterator[list[bytes]]:  # noqa: C901 - one loop; the carry logic reads best in one place
    """Yield lists of lines (without ``\\n``) from ``stream``, reading at most ``limit`` bytes.

    The last line is yielded even without a final newline (a complete line that just lacks one
    parses; a line the writer is still writing does not, and is counted as malformed). Memory is
    bounded by ``BLOCK + MAX_LINE`` whatever the input.
    """
    remaining = limit
    carry = b""
    skipping = False  # inside an overlong line, dropping bytes until its newline
    while remaining is None or remaining > 0:
        size = BLOCK if remaining is None else min(BLOCK, remaining)
        block = stream.read(size)
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
        head, tail = block[:cut], block[cut + 1 :]
        lines = head.split(b"\n")
        if skipping:
            lines[0] = OVERLONG
            skipping = False
        elif carry:
            lines[0] = carry + lines[0]
        if len(lines[0]) > MAX_LINE:
            lines[0] = OVERLONG
        carry = tail
        if len(carry) > MAX_LINE:
            carry, skipping = b"", True
        yield lines
    if skipping:
        yield [OVERLONG]
    elif carry:
        yield [carry]
