"""Log lines: one line per event on stderr, as text or JSON, redacted as a whole.

The formatter redacts the finished line (message with its arguments, exception and stack text),
not only ``record.msg``, so a secret in an argument or in an exception message cannot slip
through. Multi-line content is redacted first and then folded into one line (newlines written
as backslash-n), so a PEM block in a traceback is removed whole. For example::

    2026-11-26T00:00:00.123Z INFO ops_schedule.scheduling.runner: daily_observability_report: ok
    {"time": "2026-11-26T00:00:00.123Z", "level": "INFO",
     "logger": "ops_schedule.scheduling.runner", ...}
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from ops_schedule.redaction import Redactor
from ops_schedule.timefmt import utc_iso

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}
# Libraries that log every HTTP request at INFO; our own modules say what matters.
_CHATTY_LIBRARIES = ("httpx", "httpcore")


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, tz=UTC)
    return utc_iso(moment, "milliseconds")


class RedactingFormatter(logging.Formatter):
    """Formats a record as one redacted line of text or JSON."""

    def __init__(self, log_format: LogFormat, redactor: Redactor | Callable[[], Redactor]) -> None:
        super().__init__()
        self.log_format = log_format
        self._redactor = redactor

    @property
    def redactor(self) -> Redactor:
        return self._redactor if isinstance(self._redactor, Redactor) else self._redactor()

    def format(self, record: logging.LogRecord) -> str:
        redact = self.redactor.redact
        message = redact(record.getMessage())
        details = redact(self._details(record))
        if self.log_format == "json":
            return self._json(record, message, details, redact)
        line = f"{_timestamp(record)} {record.levelname} {record.name}: {message}"
        if details:
            line += "\n" + details
        return _one_line(line)

    def _json(
        self,
        record: logging.LogRecord,
        message: str,
        details: str,
        redact: Callable[[str], str],
    ) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if details:
            entry["exception"] = details
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[redact(key)] = _redact_value(value, redact)
        return json.dumps(entry, ensure_ascii=False, default=lambda v: redact(str(v)))

    def _details(self, record: logging.LogRecord) -> str:
        # Not record.exc_text: that caches the unredacted text on the record for other handlers.
        parts = []
        if record.exc_info and record.exc_info[0] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


def _redact_value(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _redact_value(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, redact) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def _one_line(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the moment (the redacting wrapper, in the CLI)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never break the program
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        # The stock handler prints the record's message and arguments: unredacted. Say less.
        if logging.raiseExceptions:
            sys.stderr.write(
                f"logging error: cannot format a record from {record.name} "
                f"({record.pathname}:{record.lineno})\n"
            )


def setup_logging(
    log_format: LogFormat,
    redactor: Redactor | Callable[[], Redactor],
    level: int = logging.INFO,
) -> logging.Handler:
    """Send log records to stderr, one redacted line each; replaces an earlier setup.

    ``redactor`` may be a callable so the line uses the configured redactor once the
    configuration has loaded (``ops_schedule.cli.output.current_redactor``).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(RedactingFormatter(log_format, redactor))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
