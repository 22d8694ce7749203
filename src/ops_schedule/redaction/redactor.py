"""The redactor: one pure function from text to text with every secret replaced.

How it stays fast and linear (docs/redaction.md, "How it stays fast"):

1. The text is encoded to UTF-8 once and scanned by RE2 with every built-in format as one
   alternation without groups (Latin-1 mode, so one byte is one character and spans are byte
   offsets): the *candidates*. RE2 runs in time linear in the input whatever it contains.
   Text with no candidate is done.
2. The exact passes run only over the lines around the candidates
   (:mod:`ops_schedule.redaction.regions`): the first pass, with the self-contained formats,
   then a second with the formats found by a keyword before them (``second_pass``), over the
   result of the first. Where a candidate is a first-pass match, it is that match; the first
   pass scans for itself only from the first candidate that is not.
3. At each match, Python's ``re`` matches the same alternation, with groups, anchored there to
   learn which format matched and which part is the secret (RE2 is several times slower per
   match once it has to track groups; anchored ``re`` is cheap at one position). Should the
   two engines ever disagree, the whole match is replaced: fail closed.
4. Custom patterns run afterwards, each in one RE2 pass over the same bytes (UTF-8 mode, so
   an operator's ``.`` is one character).
5. Lines that hold an escape (``%3A``, ``\\/``, ``\\u0040``), found by looking for ``%`` and
   ``\\``, are decoded and matched again at each level of decoding
   (:mod:`ops_schedule.redaction.encoded`); a secret found there is replaced in the encoded
   text, which otherwise stays as it was.

:meth:`Redactor.redact_lines` redacts each line of a text on its own, as ``redact`` called line
by line would, with the same one scan for candidates instead of several scans a line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import re2

from ops_schedule.errors import ConfigError, OpsScheduleError
from ops_schedule.redaction.compiled import Catalogue, candidates, catalogue, re2_options
from ops_schedule.redaction.encoded import decode, secret_spans
from ops_schedule.redaction.regions import (
    MULTILINE_MARK,
    Region,
    Span,
    escaped_lines,
    lines_of,
    merged,
    regions,
    touched_lines,
)

DEFAULT_PLACEHOLDER = "[REDACTED]"
# Text shorter than this cannot hide a secret worth a second look.
_MIN_RECHECK = 8
# Below this many bytes, scanning for candidates first costs more than it saves.
_MIN_REGIONAL = 2048
_MAX_ERROR_CHARS = 2000

# Marks each secret in decoded text, to find where it was (a private-use character: never a
# secret, and never in text a pattern would match across).
_MARK = "\ue000"

# In an operator's pattern, what can tie a match to the start or end of the text: ``^``, ``$``
# (outside a class and unescaped), ``\A`` and ``\z``. Such a pattern matches a line on its own
# where it would not match the same line inside a longer text.
_ESCAPED = re.compile(r"\\[^Az]")
_CLASS = re.compile(r"\[\^?\]?[^\]]*\]")
_ANCHOR = re.compile(r"\\[Az]|[$^]")


def _may_anchor(pattern: str) -> bool:
    return _ANCHOR.search(_CLASS.sub("", _ESCAPED.sub("", pattern))) is not None


def compile_custom_pattern(pattern: str) -> Any:
    """Compile an operator's pattern with RE2; raise ``ValueError`` naming why it fails.

    RE2 rejects what it cannot run in linear time (backreferences, lookaround); the message is
    RE2's own.
    """
    try:
        compiled = re2.compile(pattern, re2_options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid regular expression"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(str(detail)) from None
    except TypeError as exc:  # pragma: no cover - defensive: re2 rejects non-str
        raise ValueError(str(exc)) from None
    return compiled


class Redactor:
    """Replaces every secret-shaped substring with ``placeholder``.

    Build it with :func:`build_redactor`. Instances are immutable and safe to share.
    """

    __slots__ = (
        "_anchored",
        "_custom",
        "_kept",
        "_marker",
        "_passes",
        "_placeholder",
        "_placeholder_bytes",
        "_placeholders",
        "_regional",
        "patterns",
    )

    def __init__(
        self,
        patterns: tuple[str, ...],
        custom: tuple[Any, ...],
        placeholder: str,
        *,
        keep: str | None = None,
    ) -> None:
        self.patterns = patterns
        self._custom = custom
        self._placeholder = placeholder
        self._placeholder_bytes = placeholder.encode("utf-8")
        # Values taken for the placeholder and left alone: the placeholder itself and, for the
        # marking redactor, the real placeholder that text redacted before already holds.
        placeholders = (placeholder,) if keep is None else (placeholder, keep)
        self._kept = frozenset(p.encode("utf-8") for p in placeholders)
        self._passes = (
            catalogue(placeholders, second_pass=False),
            catalogue(placeholders, second_pass=True),
        )
        self._placeholders = placeholders
        # A placeholder that breaks lines would move matches across them: no regions then.
        self._regional = not any("\n" in p for p in placeholders)
        self._anchored = any(_may_anchor(p) for p in patterns)
        self._marker: Redactor | None = None  # the same redactor with _MARK as placeholder

    @property
    def placeholder(self) -> str:
        return self._placeholder

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by the placeholder."""
        if not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        lines = escaped_lines(data)
        if lines:
            # Lines with escapes: their secrets, as written and decoded, replaced first.
            data = self._redact_encoded(data, lines)
        redacted = self._redact_bytes(data)
        if redacted == data and not lines:
            return text
        return redacted.decode("utf-8", "surrogatepass")

    def findings(self, text: str) -> dict[str, int]:
        """How many secrets of each built-in format (and ``custom``) ``text`` holds."""
        counts: dict[str, int] = {}
        data = text.encode("utf-8", "surrogatepass")
        redacted = self._redact_builtin(data, counts)
        for pattern in self._custom:
            hits = sum(1 for m in pattern.finditer(data) if m.end() > m.start())
            if hits:
                counts["custom"] = counts.get("custom", 0) + hits
            redacted = self._redact_custom(pattern, redacted)
        for start, end in escaped_lines(redacted):
            levels = decode(redacted[start:end].decode("utf-8", "surrogatepass"))
            if levels:  # the deepest level: each secret counted once
                for name, hits in self.findings(levels[-1][0]).items():
                    counts[name] = counts.get(name, 0) + hits
        return counts

    def redact_lines(self, text: str) -> str:
        """``text`` with each of its lines redacted on its own: exactly what :meth:`redact`
        gives line by line (as ``ops-schedule redact`` reads them), for the cost of one scan
        of the whole text and a look at the lines that may hold something."""
        data = text.encode("utf-8", "surrogatepass")
        out: list[bytes] = []
        last = 0
        for start, end in self._suspect_lines(data):
            line = data[start:end].decode("utf-8", "surrogatepass")
            out += [data[last:start], self.redact(line).encode("utf-8", "surrogatepass")]
            last = end
        if not out:
            return text
        out.append(data[last:])
        return b"".join(out).decode("utf-8", "surrogatepass")

    def findings_lines(self, text: str) -> dict[str, int]:
        """:meth:`findings` added up over the lines of ``text``, each on its own."""
        counts: dict[str, int] = {}
        data = text.encode("utf-8", "surrogatepass")
        for start, end in self._suspect_lines(data):
            line = data[start:end].decode("utf-8", "surrogatepass")
            for name, hits in self.findings(line).items():
                counts[name] = counts.get(name, 0) + hits
        return counts

    def _suspect_lines(self, data: bytes) -> Iterator[Span]:
        """The lines of ``data`` (each with its ``\\n``), in order, that may hold something
        when redacted on their own; every other line holds nothing any pass would match.

        A format that matches a line on its own matches it inside the text too, at the same
        place, with the break before the line in place of the start of the text
        (:mod:`ops_schedule.redaction.regions`): so the candidate scan touches that line. The
        same goes for an operator's pattern unless it can tie a match to the start or end of
        the text; then every line is looked at.
        """
        if self._anchored:
            yield from lines_of(data, (0, len(data)))
            return
        spans = [match.span() for match in candidates(self._placeholders).finditer(data)]
        for pattern in self._custom:
            spans += [match.span() for match in pattern.finditer(data)]
        suspects = touched_lines(data, spans)
        suspects += [(start, end + 1) for start, end in escaped_lines(data)]
        for span in merged(suspects):
            yield from lines_of(data, (span[0], min(span[1], len(data))))

    def _redact_plain(self, text: str) -> str:
        """The built-in formats and the custom patterns, on the text as it is written."""
        if not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        redacted = self._redact_bytes(data)
        if redacted == data:
            return text
        return redacted.decode("utf-8", "surrogatepass")

    def _redact_bytes(self, data: bytes) -> bytes:
        """The built-in formats, then the custom patterns."""
        redacted = self._redact_builtin(data)
        for pattern in self._custom:
            redacted = self._redact_custom(pattern, redacted)
        return redacted

    # ------------------------------------------------------------------ encoded text

    def _redact_encoded(self, data: bytes, spans: list[tuple[int, int]]) -> bytes:
        """``data`` with each line that holds an escape (``spans``) redacted as written and
        decoded."""
        lines = []
        for start, end in spans:
            line = data[start:end].decode("utf-8", "surrogatepass")
            identity = list(range(len(line) + 1))
            lines.append((start, end, [(line, identity), *decode(line)]))
        # One look at every form of every such line together: most hold no secret, and the
        # marks of each form can be read off the joined text, one line per form.
        forms = [form for *_, line_forms in lines for form, _ in line_forms]
        joined = "\n".join(forms)
        marked_joined = self._marked(joined)
        if marked_joined == joined:
            return data
        marked = marked_joined.split("\n")
        if len(marked) != len(forms) or any("\n" in form for form in forms):
            marked = [self._marked(form) for form in forms]  # a secret across lines
        marks = iter(marked)
        plans = [
            (start, end, self._plan(line_forms, [next(marks) for _ in line_forms]))
            for start, end, line_forms in lines
        ]
        # Fail closed: with the secrets found replaced, no form may show another one. Checked
        # for all lines at once, and line by line only when that finds something.
        checks = [check for *_, (_, line_checks) in plans for check in line_checks]
        joined_checks = "\n".join(checks)
        if self._redact_plain(joined_checks) != joined_checks:
            plans = [
                (start, end, (None, []))
                if any(self._redact_plain(c) != c for c in line_checks)
                else (start, end, (found, line_checks))
                for start, end, (found, line_checks) in plans
            ]
        out: list[bytes] = []
        last = 0
        for start, end, (found, _) in plans:
            line = data[start:end].decode("utf-8", "surrogatepass")
            # Where a secret is cannot be told: the line goes whole.
            replaced = (
                self._placeholder if found is None else _replace(line, found, self._placeholder)
            )
            out += [data[last:start], replaced.encode("utf-8", "surrogatepass")]
            last = end
        out.append(data[last:])
        return b"".join(out)

    def _marked(self, text: str) -> str:
        """``text`` with every secret replaced by ``_MARK``."""
        if self._marker is None:
            self._marker = Redactor(self.patterns, self._custom, _MARK, keep=self._placeholder)
        return self._marker._redact_plain(text)  # noqa: SLF001 - the same class

    def _plan(
        self, forms: list[tuple[str, list[int]]], marks: list[str]
    ) -> tuple[list[tuple[int, int]] | None, list[str]]:
        """Where, in a line, are the secrets that any of its ``forms`` (as written, then each
        level of decoding, with the position in the line of each character) shows? ``marks``
        are the forms with each secret replaced by ``_MARK``. Also the forms with those
        secrets replaced, for the check. ``None`` when a secret cannot be placed.

        A secret as written and one that only decoding reveals may overlap (decoding joins
        ``%2F`` into a key, or splits one at ``%1e``): their union is replaced.
        """
        found: list[tuple[int, int]] = []
        checks: list[str] = []
        for (form, starts), marked in zip(forms, marks, strict=True):
            if marked == form:
                continue
            spans = secret_spans(form, marked, _MARK)
            if spans is None:
                return None, []
            checks.append(_replace(form, spans, self._placeholder))
            found += [(starts[a], starts[b]) for a, b in spans]
        return merged(found), checks

    # ------------------------------------------------------------------ built-in formats

    def _redact_builtin(self, data: bytes, counts: dict[str, int] | None = None) -> bytes:
        first, second = self._passes
        found = self._regions(data)
        if found is None:
            data = self._one_pass(first, data, counts, None)
            return self._one_pass(second, data, counts, None)
        if not found:
            return data
        data, moved = self._first_pass(first, data, found, counts)
        return self._one_pass(second, data, counts, moved)

    def _regions(self, data: bytes) -> list[Region] | None:
        """Where the passes can find anything in ``data``; ``None``: anywhere (short text, a
        private key block, or a placeholder that breaks lines)."""
        if len(data) < _MIN_REGIONAL or not self._regional or MULTILINE_MARK in data:
            return None
        scanner = candidates(self._placeholders)
        return regions(data, (match.span() for match in scanner.finditer(data)))

    def _first_pass(
        self,
        catalogue: Catalogue,
        data: bytes,
        found: list[Region],
        counts: dict[str, int] | None,
    ) -> tuple[bytes, list[Span]]:
        """The first pass over the regions ``found``; the result, and where the regions are in
        it."""
        out: list[bytes] = []
        moved: list[Span] = []
        last = size = 0
        for region in found:
            # Up to ``last`` the result is ``size`` bytes long; the rest is copied as it is.
            begin = size + region.start - last
            for start, end in _first_matches(catalogue, data, region):
                kept = data[last:start]
                replaced = self._replace_one(catalogue, data, start, end, counts)
                out += [kept, replaced]
                size += len(kept) + len(replaced)
                last = end
            moved.append((begin, size + region.end - last))
        if not out:
            return data, [(region.start, region.end) for region in found]
        out.append(data[last:])
        return b"".join(out), moved

    def _one_pass(
        self,
        catalogue: Catalogue,
        data: bytes,
        counts: dict[str, int] | None,
        spans: list[Span] | None,
    ) -> bytes:
        """``catalogue``'s pass over ``spans`` of ``data`` (``None``: all of it)."""
        out: list[bytes] = []
        last = 0
        scanner = catalogue.scanner
        matches = (
            scanner.finditer(data)
            if spans is None
            else (match for first, stop in spans for match in scanner.finditer(data, first, stop))
        )
        for match in matches:
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
        catalogue: Catalogue,
        data: bytes,
        start: int,
        end: int,
        counts: dict[str, int] | None,
    ) -> bytes:
        parts = catalogue.anatomy
        anatomy = parts.pattern.match(data, start)
        if anatomy is None or anatomy.end() != end or anatomy.lastindex is None:
            # The two engines disagree about this match: fail closed, remove all of it.
            return self._placeholder_bytes
        index = _format_index(anatomy)
        fmt = catalogue.formats[index]
        _, secret_groups = parts.groups[index]
        group = next((g for g in secret_groups if anatomy.start(g) >= 0), None)
        s_start, s_end = anatomy.span(group) if group is not None else (start, end)
        secret = data[s_start:s_end]
        before, after = data[start:s_start], data[s_end:end]
        if secret in self._kept:
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


def _first_matches(catalogue: Catalogue, data: bytes, region: Region) -> Iterator[Span]:
    """The first pass's matches in ``region``, in order.

    Scanning on from the same place, the first pass and the candidates agree for as long as
    each candidate is a first-pass match: the candidates' alternation is the first pass's
    formats followed by the second's, so where a first-pass format matches, the candidates
    match the same way. RE2 anchored at each candidate tells; from the first candidate that is
    not one, the first pass scans for itself.
    """
    resume = region.start
    for start, end in region.candidates:
        match = catalogue.scanner.match(data, start)
        if match is None or match.end() != end:
            break
        yield start, end
        resume = end
    else:
        return
    for match in catalogue.scanner.finditer(data, resume, region.end):
        yield match.span()


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], placeholder]
        last = end
    out.append(text[last:])
    return "".join(out)


def _format_index(anatomy: re.Match[bytes]) -> int:
    # The outermost group of the matching format is the last one to close: f<index>.
    name = anatomy.lastgroup or ""
    head = name.split("_", 1)[0]
    return int(head[1:])


# Environment variables whose value is a secret of this process: removed literally from every
# text, whatever its format (a GitHub Enterprise token need not look like one).
SECRET_VARIABLES = ("GITHUB_TOKEN",)
MIN_LITERAL = 8  # shorter values would remove ordinary words; no real token is that short


def environment_secrets(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The values of :data:`SECRET_VARIABLES` in ``environ``, as the process uses them."""
    values = (environ.get(name, "").strip() for name in SECRET_VARIABLES)
    return tuple(value for value in values if len(value) >= MIN_LITERAL)


def build_redactor(
    patterns: Iterable[str] = (),
    placeholder: str = DEFAULT_PLACEHOLDER,
    literals: Iterable[str] = (),
) -> Redactor:
    """The redactor for a configuration: built-in formats plus ``patterns`` (RE2), plus each
    of ``literals`` wherever it occurs (the process's own secrets, e.g. the GitHub token;
    see :func:`environment_secrets`).

    Raises :class:`ConfigError` when a pattern does not compile or when the placeholder would
    itself be redacted (redacting twice must change nothing). The same configuration gives the
    same (immutable) redactor: it is compiled once however often the config is read.
    """
    return _build(tuple(patterns), placeholder, tuple(dict.fromkeys(literals)))


@functools.lru_cache(maxsize=8)
def _build(patterns: tuple[str, ...], placeholder: str, literals: tuple[str, ...]) -> Redactor:
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
    custom += [
        re2.compile(re2.escape(literal), re2_options())
        for literal in literals
        if len(literal) >= MIN_LITERAL and literal not in placeholder
    ]
    redactor = Redactor(patterns, tuple(custom), placeholder)
    problem = placeholder_problem(placeholder, redactor)
    if problem:
        raise ConfigError([f"redaction.placeholder: {problem}"])
    return redactor


def placeholder_problem(placeholder: str, redactor: Redactor | None = None) -> str | None:
    """Why ``placeholder`` cannot be the placeholder (it looks like a secret), or None.

    It is matched by a redactor with *another* placeholder: a redactor leaves its own
    placeholder alone by design, so asking it would accept a GitHub token as the placeholder.
    """
    probe = Redactor(
        redactor.patterns if redactor else (),
        redactor._custom if redactor else (),  # noqa: SLF001 - the same class
        _MARK,
    )
    if probe.redact(placeholder) == placeholder:
        return None
    formats = ", ".join(sorted(probe.findings(placeholder))) or "a custom pattern"
    return (
        f"{placeholder!r} looks like a secret itself ({formats}); choose one that the "
        "redactor leaves alone, such as [REDACTED]"
    )


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
