"""``ops-schedule redact``: stdin to stdout through the configured redactor."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator

import click

from ops_schedule.cli.app import AppContext, pass_app
from ops_schedule.cli.output import stdout_lines_alone
from ops_schedule.redaction import CATALOGUE

# Read at most this much at a time: a block of lines costs one scan, not one scan a line.
_BLOCK = 1 << 16


def _is_live(stream: object) -> bool:
    """Whether lines arrive over time (a terminal, ``tail -f | …``) rather than from a file."""
    try:
        mode = os.fstat(stream.fileno()).st_mode  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False  # an in-memory stream (tests): everything is there already
    return not stat.S_ISREG(mode)


def _stdin_lines() -> Iterator[str]:
    """stdin, decoded, in runs of whole lines as they arrive (the last may lack its ``\\n``).

    A run is what one read brings: on a pipe or a terminal, what has arrived, so each line goes
    out as soon as it is complete. Decoding a run is decoding its lines one by one: a byte
    that is no UTF-8 reaches no further than the line break after it.
    """
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # pragma: no cover - a text-only stdin (embedded interpreters)
        yield from sys.stdin
        return
    read = getattr(binary, "read1", binary.read)
    pending: list[bytes] = []  # an unfinished line, in the blocks it came in
    while block := read(_BLOCK):
        cut = block.rfind(b"\n") + 1
        if not cut:
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield b"".join(pending).decode("utf-8", "replace")
        pending = [block[cut:]]
    if any(pending):
        yield b"".join(pending).decode("utf-8", "replace")


@click.command()
@click.option(
    "--count",
    "show_count",
    is_flag=True,
    help="Afterwards, tell on stderr how many secrets of each kind were removed.",
)
@click.option(
    "--formats",
    "list_formats",
    is_flag=True,
    help="List the built-in secret formats instead (the names --count uses).",
)
@pass_app
def redact(app: AppContext, show_count: bool, list_formats: bool) -> None:
    """Read text on stdin and write it to stdout redacted.

    The same redactor every outgoing text passes through: the built-in formats plus
    redaction.patterns from the config, with redaction.placeholder. Use it to check a custom
    pattern before enabling posting. Lines stream through as they come; a PEM private key
    block is held until its END line so it is removed whole.

    \b
    Examples:
      ops-schedule redact < logs/ops-reports/daily_observability_report/2026-11-26.md
      echo 'customer id CUST-123456' | ops-schedule redact --count
      ops-schedule redact --formats
    """
    app.config()  # fail closed: an invalid pattern is a configuration error (exit 2)
    if list_formats:
        width = max(len(f.name) for f in CATALOGUE)
        for fmt in CATALOGUE:
            app.say(f"{fmt.name:<{width}}  {fmt.description}")
        return
    live = _is_live(sys.stdin)
    # Redacted once, where every output is: stdout, each line on its own as it would be if
    # written alone.
    with stdout_lines_alone(count=show_count) as counts:
        for text in _stdin_lines():
            sys.stdout.write(text)
            if live:
                sys.stdout.flush()
    if counts is not None:
        app.say(_count_line(counts), err=True)


def _count_line(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    line = f"redacted {total} secret{'s' if total != 1 else ''}"
    if counts:
        line += " (" + ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) + ")"
    return line
