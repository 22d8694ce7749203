"""The process's choke point: every character written to stdout or stderr is redacted here.

While a command runs, ``sys.stdout`` and ``sys.stderr`` are :class:`RedactingStream`
wrappers around the real streams, so ``click.echo``, ``print``, rich, warnings, log handlers and
tracebacks all pass through the same redactor, and a new command cannot forget to. Reports and
comments leave through :mod:`ops_schedule.publishing.publish`, which redacts before it
writes or posts.

The redactor in use is the built-in one until the configuration has loaded, then the configured
one (:func:`use_redactor`, called by ``AppContext.config()``).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TextIO, cast

from ops_schedule.configfile import environment_literals
from ops_schedule.redaction import Redactor, StreamRedactor, build_redactor, environment_secrets


class _Current:
    """The redactor every output channel of this process uses right now."""

    configured: Redactor | None = None
    builtin: Redactor | None = None
    builtin_secrets: tuple[str, ...] = ()


def current_redactor() -> Redactor:
    """The configured redactor once the configuration has loaded, else the built-in one (with
    the process's own secrets, such as the GitHub token, as literals)."""
    if _Current.configured is not None:
        return _Current.configured
    secrets = (*environment_secrets(os.environ), *environment_literals(os.environ))
    if _Current.builtin is None or _Current.builtin_secrets != secrets:
        _Current.builtin = build_redactor(literals=secrets)
        _Current.builtin_secrets = secrets
    return _Current.builtin


def use_redactor(redactor: Redactor | None) -> None:
    """Make ``redactor`` the one every output uses (``None``: back to the built-in one)."""
    _Current.configured = redactor


class _RedactingBuffer(io.BufferedIOBase):
    """The binary side of a :class:`RedactingStream` (its ``buffer``): bytes are decoded and
    go through the same redaction. click writes bytes there (shell completion scripts)."""

    def __init__(self, text: RedactingStream) -> None:
        super().__init__()
        self._text = text
        self._decoder = codecs.getincrementaldecoder(text.encoding)(errors="replace")

    def write(self, data: bytes | bytearray | memoryview, /) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._text.write(self._decoder.decode(chunk))
        return len(chunk)

    def flush(self) -> None:
        self._text.flush()

    def writable(self) -> bool:
        return True


class RedactingStream(io.TextIOBase):
    """A text stream that redacts whole lines before they reach ``target``."""

    def __init__(self, target: TextIO, redactor: Callable[[], Redactor] = current_redactor) -> None:
        super().__init__()
        self.target = target
        self._redactor = redactor
        self._lines = StreamRedactor(redactor())
        # The service writes from more than one thread (log lines, the metrics server).
        self._lock = threading.Lock()
        self._buffer = _RedactingBuffer(self)

    @property
    def buffer(self) -> io.BufferedIOBase:
        """Where bytes go: decoded, then redacted like text (there is no unredacted way out)."""
        return self._buffer

    def write(self, s: str, /) -> int:
        if not isinstance(s, str):
            # click probes with b"" to learn whether a stream is binary: it is not.
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        with self._lock:
            self._lines.redactor = self._redactor()
            out = self._lines.feed(s)
            if out:
                self.target.write(out)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            self._lines.redactor = self._redactor()
            out = self._lines.flush()
            if out:
                self.target.write(out)
            self.target.flush()

    def finish(self) -> None:
        """Emit everything still held (an unterminated key block too), redacted."""
        with self._lock:
            self._lines.redactor = self._redactor()
            out = self._lines.close()
            if out:
                self.target.write(out)
            self.target.flush()

    def writable(self) -> bool:
        return True

    @contextlib.contextmanager
    def each_line_alone(self, *, count: bool = False) -> Iterator[dict[str, int] | None]:
        """Inside the block, redact each line on its own, as if it had been written alone, and
        with ``count`` count what goes (the dict given, filled as lines go out); on leaving,
        emit everything still held."""
        counts: dict[str, int] | None = {} if count else None
        with self._lock:
            self._lines.line_by_line = True
            self._lines.counts = counts
        try:
            yield counts
        finally:
            self.finish()
            with self._lock:
                self._lines.line_by_line = False
                self._lines.counts = None

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only here, as on sys.stdout
        return getattr(self.target, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]  # same
        return getattr(self.target, "errors", None) or "strict"


@contextlib.contextmanager
def stdout_lines_alone(*, count: bool = False) -> Iterator[dict[str, int] | None]:
    """:meth:`RedactingStream.each_line_alone` on ``sys.stdout`` (redacting it first if it is
    not yet)."""
    # The second is looked up once the first has entered: then sys.stdout is redacting.
    with (
        redacted_standard_streams(),
        cast("RedactingStream", sys.stdout).each_line_alone(count=count) as counts,
    ):
        yield counts


@contextlib.contextmanager
def redacted_standard_streams() -> Iterator[None]:
    """Redact ``sys.stdout`` and ``sys.stderr`` inside the block (nesting is harmless)."""
    if isinstance(sys.stdout, RedactingStream) and isinstance(sys.stderr, RedactingStream):
        yield
        return
    original_out, original_err = sys.stdout, sys.stderr
    out, err = RedactingStream(original_out), RedactingStream(original_err)
    sys.stdout, sys.stderr = cast("TextIO", out), cast("TextIO", err)
    try:
        yield
    finally:
        for stream in (out, err):
            with contextlib.suppress(Exception):
                stream.finish()
        sys.stdout, sys.stderr = original_out, original_err
