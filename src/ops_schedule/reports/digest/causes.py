"""Causes: fold the volatile parts of an incident reason, and classify what is left.

"timeout after 3012ms" and "Timeout after 5000 ms" are one cause, ``timeout after <n>ms``;
"connection refused to 10.0.0.7:5432" and "Connection refused to 10.0.0.9:5433" are one cause,
``connection refused to <ip>``. What is folded, in this order:

1. Unicode compatibility forms (full-width digits and letters) to plain ones (NFKC), then case.
2. Quoted values (``"…"``, ``'…'``, backticks, ``“…”``, ``「…」``) → ``<value>``.
3. URLs → ``<url>``; e-mail addresses → ``<email>``.
4. Timestamps (ISO-8601 dates and times, clock times) → ``<time>``.
5. UUIDs → ``<id>``; ``0x``-prefixed hex → ``<hex>``.
6. IPv4 and IPv6 addresses, with an optional port → ``<ip>``.
7. Host names (a dotted name ending in a common top-level or internal domain, or with a digit in
   its first label, and ``localhost``), with an optional port → ``<host>``.
8. File system paths (``/var/log/x``, ``./x``, ``~/x``, ``C:\\x``) → ``<path>``.
9. Other id-shaped tokens (8+ characters of letters, digits, ``_`` or ``-`` holding at least two
   digits and a letter, or 8+ hex digits) → ``<id>``.
10. Numbers with a unit → ``<n>`` and the unit's short form (``5000 ms``, ``3012ms``,
    ``3 seconds`` → ``<n>ms``, ``<n>ms``, ``<n>s``); HTTP status codes after ``http``,
    ``status``, ``code`` or ``returned`` are kept (``http 429`` and ``http 503`` are different
    causes); digits inside a name (``oauth2``, ``s3``) are kept; every other number → ``<n>``.
11. Runs of whitespace → one space; surrounding spaces and trailing ``.``, ``:``, ``;``, ``,``
    are dropped. Very long reasons are cut to :data:`MAX_CAUSE_CHARS`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

__all__ = [
    "MAX_CAUSE_CHARS",
    "MAX_REASON_CHARS",
    "CauseCategory",
    "classify_cause",
    "normalize_reason",
]

MAX_CAUSE_CHARS = 200
MAX_REASON_CHARS = 2000

_QUOTED = re.compile(
    r"""(?<!\w)"[^"\n]{0,500}"(?!\w)"""
    r"""|(?<!\w)'[^'\n]{0,500}'(?!\w)"""
    r"""|`[^`\n]{0,500}`"""
    r"""|“[^”\n]{0,500}”"""
    r"""|「[^」\n]{0,500}」"""
)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,15}://[^\s\"'<>()\[\]{}]+")
_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"
)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_HEX = re.compile(r"\b0x[0-9a-f]+\b")
_ID_TOKEN = re.compile(
    r"\b(?=[a-z0-9_-]*[a-z])(?=(?:[a-z_-]*\d){2})[a-z0-9][a-z0-9_-]{7,}\b"
    r"|\b[0-9a-f]{8,}\b"
)
_PORT = r"(?::\d{1,5})?"
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}" + _PORT + r"(?![\w.])")
_IPV6 = re.compile(
    r"\[[0-9a-f:]*:[0-9a-f:]*\]" + _PORT + r"|(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])"
    r"|(?<![\w:])(?=[0-9a-f:]{3,})(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?::"
    r"(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?(?![\w:])"
)
_TLDS = (
    "com|net|org|io|dev|app|ai|co|cloud|jp|us|uk|de|eu|cn|info|biz|"
    "internal|local|localdomain|lan|intra|corp|svc|cluster|example|test|invalid"
)
_HOST = re.compile(
    r"(?<![\w.@/-])(?:"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")"
    r"|[a-z][a-z0-9-]*\d[a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*"
    r"|localhost"
    r")" + _PORT + r"(?![\w-])"
)
_PATH = re.compile(
    r"(?<![\w.<>/:])(?:~|\.{1,2})?(?:/[\w.@%+=-]+)+/?"
    r"|\b[a-z]:\\[^\s\"'<>|]*"
)
_UNITS = {
    "ms": "ms",
    "msec": "ms",
    "msecs": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "us": "us",
    "µs": "us",
    "ns": "ns",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "m": "min",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "byte": "b",
    "bytes": "b",
    "kb": "kb",
    "kib": "kib",
    "mb": "mb",
    "mib": "mib",
    "gb": "gb",
    "gib": "gib",
    "%": "%",
}
_NUMBER_UNIT = re.compile(
    r"(?<![\w.])[+-]?\d+(?:[.,]\d+)*\s?("
    + "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
    + r")(?![\w])"
)
_NUMBER = re.compile(r"(?<![a-z0-9])\d+(?:[.,]\d+)*")
# An HTTP status code is a cause, not a volatile detail: "http 429" and "http 503" differ.
_STATUS_BEFORE = re.compile(r"\b(?:http|status|code|returned)[ =:/]{1,3}$")
_SPACES = re.compile(r"\s+")


def _number_with_unit(match: re.Match[str]) -> str:
    return "<n>" + _UNITS[match.group(1)]


def _fold_number(match: re.Match[str], text: str) -> str:
    value = match.group()
    if (
        len(value) == 3  # noqa: PLR2004 - an HTTP status code has three digits
        and "100" <= value <= "599"
        and _STATUS_BEFORE.search(text, max(0, match.start() - 16), match.start())
    ):
        return value
    return "<n>"


def normalize_reason(reason: str) -> str:
    """The cause a reason stands for: lower case, volatile parts folded (see module doc).

    Only the first :data:`MAX_REASON_CHARS` characters are read: the cause is cut to
    :data:`MAX_CAUSE_CHARS` anyway, and the work stays bounded for a runaway message.
    """
    return _normalize(reason[:MAX_REASON_CHARS])


@functools.lru_cache(maxsize=4096)  # the same reasons recur across incidents and weeks
def _normalize(reason: str) -> str:
    # Causes are compared across weeks, so normalising a cause again must change nothing.
    # A cause cut before keeps its mark: NFKC would turn it into dots that the fold strips.
    tail = ""
    if reason.endswith(_CUT):
        reason, tail = reason[: -len(_CUT)], _CUT
    # One fold can expose another ('0""' -> '<n>""', whose quotes now follow a non-word
    # character), so fold to a fixed point.
    text = _fold(reason)
    for _ in range(_MAX_FOLDS):
        again = _fold(text)
        if again == text:
            break
        text = again
    text += tail
    if len(text) > MAX_CAUSE_CHARS:
        text = text[: MAX_CAUSE_CHARS - len(_CUT)].rstrip() + _CUT
    return text


_CUT = "…"
_MAX_FOLDS = 4  # each pass only replaces text by placeholders; two passes settle real reasons


def _fold(reason: str) -> str:
    text = unicodedata.normalize("NFKC", reason).casefold()
    text = _QUOTED.sub("<value>", text)
    text = _URL.sub("<url>", text)
    text = _EMAIL.sub("<email>", text)
    text = _TIMESTAMP.sub("<time>", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<hex>", text)
    text = _IPV4.sub("<ip>", text)
    text = _IPV6.sub("<ip>", text)
    text = _HOST.sub("<host>", text)
    text = _PATH.sub("<path>", text)
    text = _ID_TOKEN.sub("<id>", text)
    text = _NUMBER_UNIT.sub(_number_with_unit, text)
    text = _NUMBER.sub(lambda m: _fold_number(m, text), text)
    return _SPACES.sub(" ", text).strip().rstrip(".:;,").strip()


# --------------------------------------------------------------------------- classification

CauseCategory = Literal[
    "rate_limit",
    "auth",
    "timeout",
    "memory",
    "not_found",
    "parse",
    "connection",
    "upstream",
    "other",
]

# First match wins, so the order settles overlaps: "429 too many requests" is a rate limit
# although 4xx; "connection timed out" is a timeout; "token expired" is auth, while
# "unexpected token" (a parse error) is not.
_CATEGORIES: tuple[tuple[CauseCategory, re.Pattern[str]], ...] = (
    (
        "rate_limit",
        re.compile(
            r"rate[ _-]?limit|too many requests|\b429\b|throttl|quota|slow down"
            r"|レート制限|リクエスト過多"
        ),
    ),
    (
        "auth",
        re.compile(
            r"unauthori[sz]ed|forbidden|\b40[13]\b|authenticat|authori[sz]ation|\bauth\b"
            r"|credential|permission denied|access denied|not permitted|api key"
            r"|(?:invalid|expired|revoked|missing|bad) (?:access )?token|token (?:has )?expired"
            r"|認証|権限"
        ),
    ),
    (
        "timeout",
        re.compile(r"time[ _-]?d? ?out|deadline exceeded|took too long|etimedout|タイムアウト"),
    ),
    (
        "memory",
        re.compile(
            r"out of memory|\boom\b|oom[ _-]?kill|memory|heap|\benomem\b|cannot allocate"
            r"|メモリ"
        ),
    ),
    (
        "not_found",
        re.compile(
            r"not found|\b404\b|no such|\benoent\b|does not exist|doesn't exist"
            r"|unknown (?:tool|server|method|mcp|route|resource)|見つかりません|存在しません"
        ),
    ),
    (
        "parse",
        re.compile(
            r"pars(?:e|ing)|json|yaml|decod|deserializ|unexpected (?:token|end|character|eof)"
            r"|syntax|malformed|invalid (?:argument|param|input|request|schema|format|value)"
            r"|validat|schema|\b4(?:00|22)\b|bad request|typeerror|valueerror|type mismatch"
            r"|不正な|解析"
        ),
    ),
    (
        "connection",
        re.compile(
            r"connect|econn|\bepipe\b|broken pipe|reset by peer|unreachable|no route"
            r"|\bdns\b|name resolution|getaddrinfo|name or service not known|socket"
            r"|\btls\b|\bssl\b|certificate|handshake|network|\beof\b|hang up|接続"
        ),
    ),
    (
        "upstream",
        re.compile(
            r"\b5\d\d\b|internal server error|bad gateway|service unavailable|upstream"
            r"|server error|crash|panic|exited with|unavailable"
        ),
    ),
)


def classify_cause(cause: str) -> CauseCategory:
    """The improvement category a normalised cause belongs to (``other`` when none fits)."""
    for category, pattern in _CATEGORIES:
        if pattern.search(cause):
            return category
    return "other"
