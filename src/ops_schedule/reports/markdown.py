"""GitHub-flavoured Markdown building blocks shared by every report."""

from __future__ import annotations

from collections.abc import Sequence

# GitHub rejects comments over 65,536 characters; keep headroom for the marker and a note.
MAX_REPORT_CHARS = 65_000


def escape_cell(value: object) -> str:
    """Make any value safe inside a table cell: no pipes or newlines breaking the row."""
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


_INLINE_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def inline(text: str) -> str:
    """Data (an MCP name, an error type) made safe inside a line of Markdown prose: one line,
    so it cannot open a code fence or a table, and no character that changes the formatting."""
    return " ".join(" ".join(text.splitlines()).split()).translate(_INLINE_SPECIALS)


def code_span(text: str) -> str:
    """``text`` as an inline code span: shown literally, so ``<n>``, ``@name`` or ``#12`` in
    data neither renders as HTML nor mentions or links anything."""
    text = text.replace("\r", " ").replace("\n", " ")
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
