"""The redactor: one pure function from text to text with every secret replaced.

How it stays fast and linear on a 60,000-character report:

1. The text is encoded to UTF-8 once and scanned by RE2 with the built-in catalogue as one
   alternation without groups (Latin-1 mode, so one byte is one character and spans are byte
   offsets). RE2 runs in time linear in the input whatever it contains. A second, small pass
   handles the formats found by a keyword before them (``second_pass``).
2. Only at the few places RE2 found a match, Python's ``re`` matches the same alternation, with
   groups, anchored there to learn which format matched and which part is the secret (RE2 is
   several times slower per match once it has to track groups; anchored ``re`` is cheap at one
   position). Should the two engines ever disagree, the whole match is replaced: fail closed.
3. Custom patterns run afterwards, each in one RE2 pass over the same bytes (UTF-8 mode, so
   an operator's ``.`` is one character).

On a 60,000-character report this takes about 1 ms when it holds no secret and about 3 ms when
it holds 300.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import re2

from ops_schedule.errors import ConfigError, OpsScheduleError
from ops_schedule.redaction.patterns import CATALOGUE, PLACEHOLDER_MARK, SecretFormat

DEFAULT_PLACEHOLDER = "[REDACTED]"
_RE2_MAX_MEM = 64 << 20  # room for the catalogue's DFA; RE2 falls back to slower NFA without it
# Text shorter than this cannot hide a secret worth a second look.
_MIN_RECHECK = 8
_MAX_ERROR_CHARS = 2000

_SECRET_GROUP = re.compile(r"\(\?P<(secret[0-9]*)>")
_NAMED_GROUP = re.compile(rb"\(\?P<[A-Za-z0-9_]+>")


def _options(*, latin1: bool = False) -> Any:
    options = re2.Options()
    options.log_errors = False  # errors are reported to the operator, not to stderr
    options.max_mem = _RE2_MAX_MEM
    if latin1:
        options.encoding = re2.Options.Encoding.LATIN1
    return options


def compile_custom_pattern(pattern: str) -> Any:
    """Compile an operator's pattern with RE2; raise ``ValueError`` naming why it fails.

    RE2 rejects what it cannot run in linear time (backreferences, lookaround); the message is
    RE2's own.
    """
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid regular expression"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(str(detail)) from None
    except TypeError as exc:  # pragma: no cover - defensive: re2 rejects non-str
        raise ValueError(str(exc)) from None
    return compiled


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """The built-in formats compiled for one placeholder."""

    scanner: Any  # RE2, Latin-1, no captures: where the matches are
    anatomy: re.Pattern[bytes]  # the same alternation in ``re``, to take one match apart
    formats: tuple[SecretFormat, ...]
    # For format i: the group numbers of its whole match and of its secret alternatives.
    groups: tuple[tuple[int, tuple[int, ...]], ...]


@functools.lru_cache(maxsize=16)
def _catalogue(placeholder: str, *, second_pass: bool) -> _Catalogue:
    formats = tuple(f for f in CATALOGUE if f.second_pass == second_pass)
    # Both engines read the pattern as bytes, one byte per character: escape the UTF-8 bytes.
    escaped = re.escape(placeholder.encode("utf-8")).decode("latin-1")
    parts = []
    for index, fmt in enumerate(formats):
        body = fmt.pattern.replace(PLACEHOLDER_MARK, escaped)
        body = _SECRET_GROUP.sub(rf"(?P<f{index}_\1>", body)
        parts.append(f"(?P<f{index}>{body})")
    combined = "|".join(parts).encode("latin-1")
    anatomy = re.compile(combined)
    groups = []
    for index in range(len(formats)):
        prefix = f"f{index}_secret"
        secrets = tuple(
            number
            for name, number in sorted(anatomy.groupindex.items(), key=lambda kv: kv[1])
            if name.startswith(prefix)
        )
        groups.append((anatomy.groupindex[f"f{index}"], secrets))
    # The scanner needs only where matches are. Without any group RE2 answers from its DFA
    # alone, several times faster than with groups it is told to ignore (never_capture).
    scanner = re2.compile(_NAMED_GROUP.sub(b"(?:", combined), _options(latin1=True))
    return _Catalogue(scanner, anatomy, formats, tuple(groups))


class Redactor:
    """Replaces every secret-shaped substring with ``placeholder``.

    Build it with :func:`build_redactor`. Instances are immutable and safe to share.
    """

    __slots__ = ("_custom", "_passes", "_placeholder", "_placeholder_bytes", "patterns")

    def __init__(
        self, patterns: tuple[str, ...], custom: tuple[Any, ...], placeholder: str
    ) -> None:
        self.patterns = patterns
        self._custom = custom
        self._placeholder = placeholder
        self._placeholder_bytes = placeholder.encode("utf-8")
        self._passes = (
            _catalogue(placeholder, second_pass=False),
            _catalogue(placeholder, second_pass=True),
        )

    @property
    def placeholder(self) -> str:
        return self._placeholder

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by the placeholder."""
        if not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        redacted = self._redact_builtin(data)
        for pattern in self._custom:
            redacted = self._redact_custom(pattern, redacted)
        if redacted == data:
            return text
        return redacted.decode("utf-8", "surrogatepass")

    def findings(self, text: str) -> dict[str, int]:
        """How many secrets of each built-in format (and ``custom``) ``text`` holds."""
        counts: dict[str, int] = {}
        data = text.encode("utf-8", "surrogatepass")
        self._redact_builtin(data, counts)
        for pattern in self._custom:
            hits = sum(1 for m in pattern.finditer(data) if m.end() > m.start())
            if hits:
                counts["custom"] = counts.get("custom", 0) + hits
        return counts

    # ------------------------------------------------------------------ built-in formats

    def _redact_builtin(self, data: bytes, counts: dict[str, int] | None = None) -> bytes:
        for catalogue in self._passes:
            data = self._one_pass(catalogue, data, counts)
        return data

    def _one_pass(self, catalogue: _Catalogue, data: bytes, counts: dict[str, int] | None) -> bytes:
        out: list[bytes] = []
        last = 0
        for match in catalogue.scanner.finditer(data):
            start, end = match.span()
            out.append(data[last:start])
            out.append(self._replace_one(catalogue, data, start, end, counts))
            last = end
        if last == 0:
            return data
        out.append(data[last:])
        return b"".join(out)

    def _replace_one(
        self,
        catalogue: _Catalogue,
        data: bytes,
        start: int,
        end: int,
        counts: dict[str, int] | None,
    ) -> bytes:
        anatomy = catalogue.anatomy.match(data, start)
        if anatomy is None or anatomy.end() != end or anatomy.lastindex is None:
            # The two engines disagree about this match: fail closed, remove all of it.
            return self._placeholder_bytes
        index = _format_index(anatomy)
        fmt = catalogue.formats[index]
        _, secret_groups = catalogue.groups[index]
        group = next((g for g in secret_groups if anatomy.start(g) >= 0), None)
        s_start, s_end = anatomy.span(group) if group is not None else (start, end)
        secret = data[s_start:s_end]
        before, after = data[start:s_start], data[s_end:end]
        if secret == self._placeholder_bytes:
            return data[start:end]
        if fmt.accept is not None and not fmt.accept(secret.decode("utf-8", "surrogatepass")):
            # Not a secret after all; what it spans may still hold one further in.
            return before + self._recheck(secret) + after
        if counts is not None:
            counts[fmt.name] = counts.get(fmt.name, 0) + 1
        if fmt.recheck_context:
            before, after = self._recheck(before), self._recheck(after)
        return before + self._placeholder_bytes + after

    def _recheck(self, part: bytes) -> bytes:
        if len(part) < _MIN_RECHECK:
            return part
        return self._redact_builtin(part)

    # ------------------------------------------------------------------ custom patterns

    def _redact_custom(self, pattern: Any, data: bytes) -> bytes:
        out: list[bytes] = []
        last = 0
        for match in pattern.finditer(data):
            start, end = match.span()
            if start == end:
                continue
            out.append(data[last:start])
            out.append(self._placeholder_bytes)
            last = end
        if not out:
            return data
        out.append(data[last:])
        return b"".join(out)


def _format_index(anatomy: re.Match[bytes]) -> int:
    # The outermost group of the matching format is the last one to close: f<index>.
    name = anatomy.lastgroup or ""
    head = name.split("_", 1)[0]
    return int(head[1:])


def build_redactor(
    patterns: Iterable[str] = (), placeholder: str = DEFAULT_PLACEHOLDER
) -> Redactor:
    """The redactor for a configuration: built-in formats plus ``patterns`` (RE2).

    Raises :class:`ConfigError` when a pattern does not compile or when the placeholder would
    itself be redacted (redacting twice must change nothing). The same configuration gives the
    same (immutable) redactor: it is compiled once however often the config is read.
    """
    return _build(tuple(patterns), placeholder)


@functools.lru_cache(maxsize=8)
def _build(patterns: tuple[str, ...], placeholder: str) -> Redactor:
    problems = []
    custom = []
    for index, pattern in enumerate(patterns):
        try:
            compiled = compile_custom_pattern(pattern)
        except ValueError as exc:
            problems.append(f"redaction.patterns[{index}]: {pattern!r} does not compile: {exc}")
            continue
        if compiled.search("") is not None:
            problems.append(
                f"redaction.patterns[{index}]: {pattern!r} matches the empty string, "
                "so it would redact nothing useful"
            )
        elif compiled.search(placeholder) is not None:
            problems.append(
                f"redaction.patterns[{index}]: {pattern!r} matches the placeholder "
                f"{placeholder!r}; redacted text would be redacted again"
            )
        custom.append(compiled)
    if not placeholder:
        problems.append("redaction.placeholder: must not be empty")
    if problems:
        raise ConfigError(problems)
    redactor = Redactor(patterns, tuple(custom), placeholder)
    if redactor.redact(placeholder) != placeholder:
        raise ConfigError(
            [
                (
                    f"redaction.placeholder: {placeholder!r} looks like a secret itself; "
                    "choose one that the redactor leaves alone, such as [REDACTED]"
                )
            ]
        )
    return redactor


def redact_error(exc: BaseException, redactor: Redactor) -> str:
    """One redacted line describing ``exc`` (and its cause), for ``lastError`` and ``status``.

    ``OpsScheduleError`` messages are written for operators and shown as they are; other
    exceptions are prefixed with their type (``OSError: …``). Newlines become `` / ``, after
    redaction, so a multi-line secret (a PEM block) is removed whole first.
    """
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        message = str(current).strip()
        if not isinstance(current, OpsScheduleError) or not message:
            message = f"{type(current).__name__}: {message}" if message else type(current).__name__
        parts.append(message)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    text = redactor.redact(" (caused by ".join(parts) + ")" * (len(parts) - 1))
    line = " / ".join(piece.strip() for piece in text.splitlines() if piece.strip())
    if len(line) > _MAX_ERROR_CHARS:
        line = line[: _MAX_ERROR_CHARS - 1] + "…"
    return line
