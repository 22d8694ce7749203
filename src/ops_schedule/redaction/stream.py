"""Redacting text that arrives in pieces: stdin line by line, or writes to stdout.

A secret must not escape because it was split between two pieces, so only complete lines are
redacted and emitted, and the lines of a PEM private key block are held back until the block's
``END`` line so the block is removed whole. A block that does not end within ``max_hold``
characters is emitted as one placeholder, and its remaining body lines are dropped.

Text fed in one piece is redacted as one text. With ``line_by_line``, each line is redacted on
its own, as if it had been fed alone (``ops-schedule redact`` promises that for its input), yet
many lines at a time cost one scan (:meth:`Redactor.redact_lines`).
"""

from __future__ import annotations

import re

from ops_schedule.redaction.redactor import Redactor

_PEM_BEGIN = re.compile(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----")
# A line of a key block's body: base64, or a header such as "Proc-Type: 4,ENCRYPTED".
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=:,. -]*")
DEFAULT_MAX_HOLD = 1 << 20


class StreamRedactor:
    """Feed text in pieces; get back redacted text that is safe to emit now.

    ``redactor`` may be replaced between pieces (the process switches to the configured
    redactor once the configuration has loaded).
    """

    __slots__ = ("_in_block", "_pending", "counts", "line_by_line", "max_hold", "redactor")

    def __init__(
        self,
        redactor: Redactor,
        max_hold: int = DEFAULT_MAX_HOLD,
        *,
        count: bool = False,
        line_by_line: bool = False,
    ) -> None:
        self.redactor = redactor
        self.max_hold = max_hold
        # With ``count``: how many secrets of each format went through.
        self.counts: dict[str, int] | None = {} if count else None
        self.line_by_line = line_by_line
        self._pending = ""
        self._in_block = False  # dropping the rest of a block too long to hold

    @property
    def holding(self) -> bool:
        """Whether text is waiting (an unfinished line or an open key block)."""
        return bool(self._pending)

    def feed(self, text: str) -> str:
        """Take ``text``; return the redacted complete lines that can go out now."""
        if not self.line_by_line:
            return self._feed(text)
        if self._in_block or "PRIVATE KEY" in self._pending + text:
            # A key block held, or one to hold: exactly a line at a time.
            return "".join(self._feed(line) for line in _lines(text))
        # Nothing held but the start of a line: every complete line goes out now, each alone.
        text, self._pending = self._pending + text, ""
        cut = text.rfind("\n") + 1
        ready, rest = text[:cut], text[cut:]
        out = ""
        if ready:
            if self.counts is not None:
                for name, n in self.redactor.findings_lines(ready).items():
                    self.counts[name] = self.counts.get(name, 0) + n
            out = self.redactor.redact_lines(ready)
        return out + self._feed(rest) if rest else out

    def _feed(self, text: str) -> str:
        self._pending += text
        self._drop_block_body()
        return self._emit(self._ready(partial=False))

    def flush(self) -> str:
        """Return what can go out now, an unfinished last line included (not an open block)."""
        if self._in_block:
            return ""
        return self._emit(self._ready(partial=True))

    def close(self) -> str:
        """Return everything still held, redacted (end of input)."""
        self._pending += "\n"  # the last line is complete now
        self._drop_block_body()
        self._pending = self._pending[:-1]
        self._in_block = False
        return self._emit(len(self._pending))

    def _emit(self, cut: int) -> str:
        if cut <= 0:
            return ""
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        if self.counts is not None:
            for name, n in self.redactor.findings(ready).items():
                self.counts[name] = self.counts.get(name, 0) + n
        return self.redactor.redact(ready)

    def _ready(self, *, partial: bool) -> int:
        pending = self._pending
        cut = len(pending) if partial else pending.rfind("\n") + 1
        if cut == 0 and len(pending) > self.max_hold:
            # A line longer than max_hold: let it go up to its last space, where no token is cut.
            cut = max(pending.rfind(" "), pending.rfind("\t")) + 1 or len(pending)
        if self._in_block or "PRIVATE KEY" not in pending:
            return 0 if self._in_block else cut
        # Only complete lines count: an END on the unfinished last line closes nothing yet, and
        # the block is held until that line is complete, so it goes out whole with its END.
        block = _open_block(pending[:cut])
        if block is None:
            return cut
        if len(pending) > self.max_hold:
            # Too long to hold: let it go (the redactor removes what it has of the block) and
            # drop the body lines that follow, up to and including the END line.
            self._in_block = True
            return cut
        # Hold from the start of the line that opens the block.
        return min(cut, pending.rfind("\n", 0, block) + 1)

    def _drop_block_body(self) -> None:
        while self._in_block:
            newline = self._pending.find("\n")
            if newline < 0:
                return
            line = self._pending[: newline + 1]
            end = _PEM_END.search(line)
            if end is not None:
                self._pending = self._pending[end.end() :]
                self._in_block = False
            elif _PEM_BODY.fullmatch(line.strip()):
                self._pending = self._pending[newline + 1 :]
            else:
                self._in_block = False


def _lines(text: str) -> list[str]:
    """``text`` cut after each ``\\n`` (``str.splitlines`` would cut at other breaks too)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def _open_block(text: str) -> int | None:
    """Where the last private key block that has not ended yet begins, if any."""
    last = None
    for begin in _PEM_BEGIN.finditer(text):
        last = begin
    if last is None or _PEM_END.search(text, last.end()):
        return None
    return last.start()
