"""Redaction: the pure function every outgoing text passes through.

Custom patterns run on RE2 (``google-re2``), whose matching time is linear in the input: a
pattern written by an operator cannot hang the runner with catastrophic backtracking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import re2

# The seed's built-ins. A fuller catalogue of secret formats extends this list.
_BUILTIN = (
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    r"gh[pousr]_[A-Za-z0-9]{20,}",
    r"github_pat_[A-Za-z0-9_]{20,}",
    r"sk-[A-Za-z0-9_-]{20,}",
    r"xox[abposr]-[A-Za-z0-9-]{10,}",
    r"(?<![A-Za-z0-9])[A-Za-z0-9]{32,}(?![A-Za-z0-9])",
)


def compile_custom_pattern(pattern: str) -> Any:
    """Compile an operator's pattern with RE2; raise ``ValueError`` naming why it fails."""
    options = re2.Options()
    options.log_errors = False  # the error is reported to the operator, not to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid regular expression"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(str(detail)) from None
    except TypeError as exc:  # pragma: no cover - defensive: re2 rejects non-str
        raise ValueError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces every secret-shaped substring with ``placeholder``."""

    builtin: tuple[re.Pattern[str], ...]
    custom: tuple[Any, ...]
    placeholder: str

    def redact(self, text: str) -> str:
        for pattern in self.builtin:
            text = pattern.sub(self.placeholder, text)
        for compiled in self.custom:
            text = compiled.sub(self.placeholder, text)
        return text


def build_redactor(patterns: tuple[str, ...] = (), placeholder: str = "[REDACTED]") -> Redactor:
    return Redactor(
        builtin=tuple(re.compile(p) for p in _BUILTIN),
        custom=tuple(compile_custom_pattern(p) for p in patterns),
        placeholder=placeholder,
    )
