"""GitHub-flavoured Markdown building blocks shared by every report.

Every value that comes from the event log or the incident file is *data*: it goes through one
of the neutralisers below before it enters a report, so that GitHub shows it as the text it
is and nothing else. The technique depends on where the value stands; the reasons are in
docs/markdown-safety.md.

* :func:`code_span` — a value shown as itself (an MCP name, an error type, a message, a cause):
  an inline code span whose fence is longer than any backtick run inside it. Inside a code
  span GitHub renders no HTML, emphasis, link, autolink, image, mention, issue or commit
  reference, and no line of it can start a block. In a table cell :func:`table` escapes its
  pipes, which GitHub's table parser unescapes before it reads the span.
* :func:`prose` — data inside a sentence that must read as prose (a note naming a file): every
  ASCII punctuation character backslash-escaped, and a zero-width joiner after ``@``, ``#``,
  ``:``, inside ``www.``, ``GH-`` and long hexadecimal words, where GitHub's own filters would
  otherwise mention, reference or link.
* :func:`mermaid_label` — a label inside a quoted Mermaid string: only letters, digits and a
  few harmless punctuation marks survive.

Both code spans and prose are one line: line breaks become spaces, control and bidirectional
formatting characters become U+FFFD, so data cannot start a block or reorder what is shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# GitHub rejects comments over 65,536 characters; keep headroom for the marker and a note.
MAX_REPORT_CHARS = 65_000

ZWJ = "\u200d"  # zero-width joiner: invisible, and no GitHub filter matches across it
REPLACEMENT = "\ufffd"
# Bidirectional formatting characters reorder what a reader sees ("Trojan Source").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class Markup(str):
    """Markdown that is already safe where it stands; :func:`table` escapes only its pipes."""

    __slots__ = ()


def _one_line(text: str) -> str:
    """Whitespace runs (line breaks included) as one space; controls and bidi marks as U+FFFD."""
    cleaned = "".join(
        REPLACEMENT
        if (char in _BIDI or (unicodedata.category(char) in {"Cc", "Cs"} and not char.isspace()))
        else char
        for char in text
    )
    return " ".join(cleaned.split())


def escape_cell(value: object) -> str:
    """Make any value safe inside a table cell: no pipes or newlines breaking the row.

    A :class:`Markup` value (a code span) only has its pipes escaped: GitHub's table parser
    turns ``\\|`` back into ``|`` before it reads the span, and a doubled backslash would show.
    """
    if isinstance(value, Markup):
        return value.replace("|", "\\|")
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None
) -> str:
    """A Markdown table. ``align`` has one of ``l``, ``r``, ``c`` per column (default left)."""
    align = align or "l" * len(headers)
    marks = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(escape_cell(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines.extend("| " + " | ".join(escape_cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def cut_lines(text: str, limit: int, note: str) -> str:
    """Cut ``text`` at a line boundary so that it plus ``note`` fits in ``limit`` characters."""
    if len(text) <= limit:
        return text
    budget = max(0, limit - len(note) - 2)
    head = text[:budget]
    if "\n" in head:
        head = head[: head.rfind("\n")]
    return f"{head}\n\n{note}"


def code_span(value: object) -> Markup:
    """``value`` as an inline code span: shown literally, so ``<n>``, ``@name``, ``#12``,
    ``https://…`` or ``**x**`` in data neither renders nor mentions, references or links.

    The fence is one backtick longer than the longest run of backticks inside, so data cannot
    close it; a space pads the content when it starts or ends with a backtick. Empty data
    gives an empty string (a code span cannot be empty).
    """
    text = _one_line("" if value is None else str(value))
    if not text:
        return Markup("")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


_ASCII_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# Where GitHub acts on plain text after rendering: a mention or an e-mail autolink (@), an issue
# reference (#12, owner/repo#12), a URL scheme or an emoji code (:), a www. autolink, a GH-12
# reference, a commit SHA (7 to 40 hexadecimal digits).
_AFTER = re.compile(r"(?<=[@#:])|(?<=(?i:www))(?=\\\.)|(?<=(?i:gh)\\-)")
_HEX_WORD = re.compile(r"[0-9A-Fa-f]{7,}")


def _break_hex(match: re.Match[str]) -> str:
    word = match.group(0)
    return ZWJ.join(word[i : i + 6] for i in range(0, len(word), 6))


def prose(value: object) -> Markup:
    """``value`` as plain text inside a sentence, where a code span would read badly.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows that for all of
    them), so nothing can start a block, a link, emphasis, HTML or a table cell; a zero-width
    joiner after ``@``, ``#``, ``:`` and inside ``www.``, ``GH-`` and long hexadecimal words
    stops GitHub's mention, reference and autolink filters, which run on the rendered text.
    """
    text = _HEX_WORD.sub(_break_hex, _one_line("" if value is None else str(value)))
    return Markup(_AFTER.sub(ZWJ, _ASCII_PUNCTUATION.sub(r"\\\1", text)))


_MERMAID_UNSAFE = re.compile(r"[^\w :,./()%+-]")


def mermaid_label(text: str) -> str:
    """``text`` as the content of a quoted Mermaid string: letters, digits, spaces and
    ``: , . / ( ) % + -`` only (no quote, backtick, ``#`` entity, ``<`` or line break)."""
    return " ".join(_MERMAID_UNSAFE.sub(" ", text).split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
