"""Redaction: the pure function every outgoing text passes through.

``build_redactor(patterns, placeholder)`` gives a :class:`Redactor` whose ``redact(text)`` removes
every built-in secret format (see :mod:`ops_schedule.redaction.patterns`) and every operator
pattern. Operator patterns run on RE2 (``google-re2``), whose matching time is linear in the
input: a pattern cannot hang the runner with catastrophic backtracking.
"""

from __future__ import annotations

from ops_schedule.redaction.patterns import CATALOGUE, SecretFormat
from ops_schedule.redaction.redactor import (
    DEFAULT_PLACEHOLDER,
    Redactor,
    build_redactor,
    compile_custom_pattern,
    environment_secrets,
    placeholder_problem,
    redact_error,
)
from ops_schedule.redaction.stream import StreamRedactor

__all__ = [
    "CATALOGUE",
    "DEFAULT_PLACEHOLDER",
    "Redactor",
    "SecretFormat",
    "StreamRedactor",
    "build_redactor",
    "compile_custom_pattern",
    "environment_secrets",
    "placeholder_problem",
    "redact_error",
]
