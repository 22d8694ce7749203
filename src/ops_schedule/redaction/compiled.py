"""The built-in catalogue compiled for one placeholder: the scanners the redactor runs.

Both engines read the catalogue as bytes, one byte per character (RE2 in Latin-1 mode, ``re`` on
``bytes``), so spans are byte offsets into the UTF-8 text. Compiled once per placeholder and
cached: a process builds the same redactor however often it reads its configuration.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import re2

from ops_schedule.redaction.patterns import CATALOGUE, PLACEHOLDER_MARK, SecretFormat

_RE2_MAX_MEM = 64 << 20  # room for the catalogue's DFA; RE2 falls back to slower NFA without it

_SECRET_GROUP = re.compile(r"\(\?P<(secret[0-9]*)>")
_NAMED_GROUP = re.compile(rb"\(\?P<[A-Za-z0-9_]+>")


def re2_options(*, latin1: bool = False) -> Any:
    options = re2.Options()
    options.log_errors = False  # errors are reported to the operator, not to stderr
    options.max_mem = _RE2_MAX_MEM
    if latin1:
        options.encoding = re2.Options.Encoding.LATIN1
    return options


@dataclass(frozen=True, slots=True)
class Anatomy:
    """A pass's alternation in ``re``, with groups, to take one match apart."""

    pattern: re.Pattern[bytes]
    # For format i: the group numbers of its whole match and of its secret alternatives.
    groups: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One pass of the built-in formats compiled for one placeholder."""

    scanner: Any  # RE2, Latin-1, no captures: where the matches are
    formats: tuple[SecretFormat, ...]
    alternation: bytes  # the formats with their groups, for the anatomy

    @property
    def anatomy(self) -> Anatomy:
        # Compiled on the first match: ``re`` takes tens of milliseconds over the whole
        # catalogue, which a command that prints a clean line should not pay at start-up.
        return _anatomy(self.alternation, len(self.formats))


def _alternation(placeholders: tuple[str, ...], formats: tuple[SecretFormat, ...]) -> bytes:
    """The formats as one alternation, each in a group ``f<i>`` and its secrets in groups
    ``f<i>_secret…``, with the placeholders in place of ``<PH>``."""
    # Both engines read the pattern as bytes, one byte per character: escape the UTF-8 bytes.
    escaped = (
        "(?:" + "|".join(re.escape(p.encode("utf-8")).decode("latin-1") for p in placeholders) + ")"
    )
    parts = []
    for index, fmt in enumerate(formats):
        body = fmt.pattern.replace(PLACEHOLDER_MARK, escaped)
        body = _SECRET_GROUP.sub(rf"(?P<f{index}_\1>", body)
        parts.append(f"(?P<f{index}>{body})")
    return "|".join(parts).encode("latin-1")


def _without_groups(pattern: bytes) -> Any:
    # A scanner needs only where matches are. Without any group RE2 answers from its DFA alone,
    # several times faster than with groups it is told to ignore (never_capture).
    return re2.compile(_NAMED_GROUP.sub(b"(?:", pattern), re2_options(latin1=True))


@functools.lru_cache(maxsize=16)
def catalogue(placeholders: tuple[str, ...], *, second_pass: bool) -> Catalogue:
    """The formats of the first pass (or of the second) for ``placeholders`` (the first is the
    redactor's own; the others are kept where found, as it is)."""
    formats = tuple(f for f in CATALOGUE if f.second_pass == second_pass)
    combined = _alternation(placeholders, formats)
    return Catalogue(_without_groups(combined), formats, combined)


@functools.lru_cache(maxsize=16)
def _anatomy(combined: bytes, count: int) -> Anatomy:
    pattern = re.compile(combined)
    groups = []
    for index in range(count):
        prefix = f"f{index}_secret"
        secrets = tuple(
            number
            for name, number in sorted(pattern.groupindex.items(), key=lambda kv: kv[1])
            if name.startswith(prefix)
        )
        groups.append((pattern.groupindex[f"f{index}"], secrets))
    return Anatomy(pattern, tuple(groups))


@functools.lru_cache(maxsize=16)
def candidates(placeholders: tuple[str, ...]) -> Any:
    """Every format of both passes as one RE2 alternation, the first pass's first: one scan of
    a text with it finds a match wherever any format could begin one (see
    :mod:`ops_schedule.redaction.regions`)."""
    first = tuple(f for f in CATALOGUE if not f.second_pass)
    second = tuple(f for f in CATALOGUE if f.second_pass)
    return _without_groups(_alternation(placeholders, first + second))
