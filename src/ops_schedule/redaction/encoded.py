"""Secrets written in encoded form: URL-encoded (``%3A%2F%2F``, ``Bearer%20…``) or JSON-escaped
(``https:\\/\\/hooks.slack.com\\/…``, ``\\u0040``).

The patterns of the catalogue read text as it is written, so an encoded secret is found by
decoding first: each line that holds an escape is decoded (up to :data:`MAX_LEVELS` times, for
text encoded twice), keeping for every decoded character the place in the line it came from.
The whole line, so that a keyword before an escaped value still counts. The redactor matches
the line as written and each decoded form, and maps each secret it finds back to the
characters of the line that encode it; only those are replaced, so the rest of the text stays
exactly as it was written. Pure functions; see docs/redaction.md.
"""

from __future__ import annotations

import re

MAX_LEVELS = 3  # %2540 is %40 encoded once more; deeper nesting is not seen in practice

# What makes a run worth decoding: a %-escape, or a JSON escape of a slash, a quote or a code
# point. Not \n, \t, \\ and the like alone: Windows paths are full of them, secrets are not.
ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|\\[/\"]|\\u[0-9A-Fa-f]{4}")
_JSON_SIMPLE = {
    "/": "/",
    "\\": "\\",
    '"': '"',
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


# Every escape the decoder understands: runs of %-escaped bytes (one UTF-8 character or more),
# and JSON's backslash escapes.
_ANY_ESCAPE = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\\[/\\\"bfnrt]|\\u[0-9A-Fa-f]{4}")


def _percent_run(escaped: str, at: int, out: list[str], starts: list[int]) -> None:
    """Decode ``%E3%81%82%41`` (found at ``at``) character by character; bytes that are no
    UTF-8 character stay as they were written."""
    data = bytes.fromhex(escaped.replace("%", ""))
    index = 0
    while index < len(data):
        lead = data[index]
        length = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4  # noqa: PLR2004
        try:
            char = data[index : index + length].decode("utf-8")
        except UnicodeDecodeError:
            char, length = escaped[3 * index : 3 * index + 3], 1
            out.append(char)
            starts.extend((at + 3 * index, at + 3 * index + 1, at + 3 * index + 2))
            index += 1
            continue
        out.append(char)
        starts.append(at + 3 * index)
        index += length


def decode_once(text: str) -> tuple[str, list[int]]:
    """``text`` with its %-escapes and JSON escapes decoded, and for each decoded character the
    index in ``text`` where its encoding starts (plus ``len(text)`` at the end)."""
    out: list[str] = []
    starts: list[int] = []
    last = 0
    for match in _ANY_ESCAPE.finditer(text):
        start, escaped = match.start(), match.group()
        out.append(text[last:start])
        starts.extend(range(last, start))
        if escaped[0] == "%":
            _percent_run(escaped, start, out, starts)
        elif escaped[1] == "u":
            out.append(chr(int.from_bytes(bytes.fromhex(escaped[2:]))))
            starts.append(start)
        else:
            out.append(_JSON_SIMPLE[escaped[1]])
            starts.append(start)
        last = match.end()
    out.append(text[last:])
    starts.extend(range(last, len(text) + 1))
    return "".join(out), starts


def decode(text: str) -> list[tuple[str, list[int]]]:
    """Each level of decoding of ``text`` (:func:`decode_once`, again while escapes remain, at
    most :data:`MAX_LEVELS` times), with positions that always refer to ``text``.

    Every level is matched: a URL whose password is %-escaped inside a %-escaped query value
    shows its password to the patterns after one decoding, and breaks apart after two.
    """
    levels: list[tuple[str, list[int]]] = []
    current, starts = text, list(range(len(text) + 1))
    for _ in range(MAX_LEVELS):
        if ESCAPE.search(current) is None:
            break
        decoded, inner = decode_once(current)
        if decoded == current:
            break
        current, starts = decoded, [starts[position] for position in inner]
        levels.append((current, starts))
    return levels


def secret_spans(decoded: str, marked: str, mark: str) -> list[tuple[int, int]] | None:
    """Where the secrets are in ``decoded``, given ``marked``: the same text with each secret
    replaced by ``mark``. ``None`` when the two cannot be aligned (the caller fails closed).

    Everything between two marks is copied text, so each secret ends where the next copied
    piece begins: the first place from the secret's start at which it occurs (the last piece
    must end the text).
    """
    if mark in decoded:
        return None
    pieces = marked.split(mark)
    if not decoded.startswith(pieces[0]):
        return None
    spans: list[tuple[int, int]] = []
    position = len(pieces[0])
    for number, piece in enumerate(pieces[1:], start=1):
        if number == len(pieces) - 1:
            end = len(decoded) - len(piece)
            if end <= position or not decoded.endswith(piece):
                return None
        else:
            end = decoded.find(piece, position + 1) if piece else position + 1
            if end < 0:
                return None
        if spans and spans[-1][1] == position:  # two secrets side by side: one span
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((position, end))
        position = end + len(piece)
    return spans
