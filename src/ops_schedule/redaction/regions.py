"""Where in a text the redactor's passes can find anything, from one scan for candidates.

Each pass of the redactor is an RE2 scan of the whole text, and a scan reads every byte. Most
text holds no secret, so the redactor first scans once with every format of both passes as one
alternation (the *candidates*), and runs its exact passes only over the lines around what that
scan found. Why that finds exactly what scans of the whole text find:

* Wherever any format can begin a match, the candidate scan reports a match that holds that
  position: scanning on from wherever it stands, it finds the leftmost position where any
  alternative matches, so it cannot step over one without covering it.
* Without a private key block, no match of the built-in formats crosses more than one line
  break: a first-pass match holds at most the break before its line (as the character before
  a token); a second-pass match at most that one and the next (a key on the following line).
  Replacing a secret keeps the line breaks, since a secret holds none.
* So every match of either pass, on the text and on the text after the first pass, lies within
  a *region*: the lines a candidate touches, with one line before and one after, and the break
  before them. No match crosses a region's edge, and a scan that starts and ends there (over the
  whole text, so that ``^`` and ``$`` keep their meaning) finds exactly the matches a scan of the
  whole text finds inside it.

Pure functions on UTF-8 bytes; see docs/redaction.md, "How it stays fast".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ops_schedule.redaction.encoded import ESCAPE

Span = tuple[int, int]

# A text that holds one of these may match across many lines: it is scanned whole.
MULTILINE_MARK = b"PRIVATE KEY"

_ESCAPE_AT = re.compile(ESCAPE.pattern.encode("ascii"))
# An escape begins with one of these: found by ``bytes.find`` (memchr), far faster than a scan.
_ESCAPE_LEADS = (b"%", b"\\")


@dataclass(frozen=True, slots=True)
class Region:
    """A span of whole lines (and the break before them) and the candidates inside it."""

    start: int
    end: int
    candidates: list[Span]


def regions(data: bytes, candidates: Iterable[Span]) -> list[Region]:
    """The regions around ``candidates`` (the candidate scan's matches, in order), overlapping
    or touching ones joined, in order."""
    bounds: list[list[int]] = []
    inside: list[list[Span]] = []
    for first, last in candidates:
        line = data.rfind(b"\n", 0, first) + 1
        before = data.rfind(b"\n", 0, line - 1) + 1 if line else 0
        start = max(0, before - 1)
        # ``last`` is where the candidate ends: the line that holds it, then the next one.
        end = data.find(b"\n", last)
        end = -1 if end < 0 else data.find(b"\n", end + 1)
        end = len(data) if end < 0 else end + 1
        if bounds and start <= bounds[-1][1]:
            bounds[-1][1] = max(bounds[-1][1], end)
            inside[-1].append((first, last))
        else:
            bounds.append([start, end])
            inside.append([(first, last)])
    return [Region(start, end, spans) for (start, end), spans in zip(bounds, inside, strict=True)]


def touched_lines(data: bytes, spans: Iterable[Span]) -> list[Span]:
    """The lines (from a line's first byte to the one after its ``\\n``, or to the end) that
    ``spans`` touch, where a span that ends at a line's start touches that line too (it ends on
    the break before it), joined where they meet."""
    out: list[Span] = []
    for first, last in spans:
        start = data.rfind(b"\n", 0, first) + 1
        end = data.find(b"\n", last)
        end = len(data) if end < 0 else end + 1
        out.append((start, end))
    return merged(out)


def lines_of(data: bytes, span: Span) -> list[Span]:
    """The lines of ``data`` within ``span`` (which starts at a line's start), each with its
    ``\\n``."""
    start, end = span
    out = []
    while start < end:
        stop = data.find(b"\n", start, end)
        stop = end if stop < 0 else stop + 1
        out.append((start, stop))
        start = stop
    return out


def merged(spans: list[Span]) -> list[Span]:
    """``spans`` sorted, with those that overlap or touch joined."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def escaped_lines(data: bytes) -> list[Span]:
    """The lines of ``data`` (from a line's first byte to its ``\\n``, excluded, or to the end),
    in order, that hold an escape worth decoding
    (:data:`ops_schedule.redaction.encoded.ESCAPE`)."""
    found: set[Span] = set()
    for lead in _ESCAPE_LEADS:
        position = data.find(lead)
        while position >= 0:
            if _ESCAPE_AT.match(data, position) is None:
                position = data.find(lead, position + 1)
                continue
            start = data.rfind(b"\n", 0, position) + 1
            end = data.find(b"\n", position)
            end = len(data) if end < 0 else end
            found.add((start, end))
            position = data.find(lead, end)
    return sorted(found)
