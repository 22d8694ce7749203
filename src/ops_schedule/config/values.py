"""The value types of the configuration file: how each kind of value is read and checked.

Each checker raises ``ValueError`` with a message that starts with what the value is not
("is not a time of day …"), so the loader can print ``path: value message`` lines.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictFloat,
    StrictStr,
    WithJsonSchema,
)

from ops_schedule.redaction import compile_custom_pattern, placeholder_problem

# [0-9], not \d: Python's \d also matches other scripts' digits, JSON Schema's does not.
_HHMM = re.compile(r"(?P<h>[01][0-9]|2[0-3]):(?P<m>[0-5][0-9])")
_DURATION = re.compile(
    r"(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?"
)
DURATION_HELP = "a duration such as 90m, 6h, 2d or 1h30m"
_ZONE_HELP = "an IANA time zone name such as Asia/Tokyo or UTC"
_ZONE_MAX = 64  # the longest IANA name is 32 characters
REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
URL = re.compile(r"https?://[^\s/?#]+(/\S*)?")


def parse_duration(value: object) -> timedelta:
    """Parse ``6h``, ``90m``, ``2d``, ``1h30m`` into a timedelta.

    Only strings are accepted: a bare number would leave its unit to guesswork.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match and any(match.groupdict().values()):
            parts = {k: int(v) for k, v in match.groupdict().items() if v}
            try:
                return timedelta(
                    days=parts.get("d", 0),
                    hours=parts.get("h", 0),
                    minutes=parts.get("m", 0),
                    seconds=parts.get("s", 0),
                )
            except OverflowError:
                raise ValueError(f"is not {DURATION_HELP} (far too long)") from None
    raise ValueError(f"is not {DURATION_HELP}")


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration`, shortest form."""
    seconds = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            out += f"{amount}{unit}"
    return out or "0s"


DURATION_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "pattern": r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$",
}

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(DURATION_SCHEMA),
]


def _check_time_of_day(value: object) -> str:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ValueError("is not a time of day (HH:MM, 00:00–23:59)")
    return value


TimeOfDay = Annotated[
    str,
    BeforeValidator(_check_time_of_day),
    WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}),
]


def _check_path(value: object) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is not a path (a non-empty string)")
    # Neither can name a file: the system refuses a NUL, and a lone surrogate is not text.
    if "\x00" in value:
        raise ValueError("is not a path (it contains a NUL character)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "is not a path (it contains a lone surrogate, which is not text)"
        ) from None
    return Path(value)


ConfigPath = Annotated[
    Path,
    BeforeValidator(_check_path),
    WithJsonSchema({"type": "string", "minLength": 1}),
]


def _check_pattern(pattern: str) -> str:
    # Fail closed: a redactor with a pattern silently dropped would leak.
    try:
        compiled = compile_custom_pattern(pattern)
    except ValueError as exc:
        raise ValueError(
            f"does not compile as an RE2 regular expression ({exc}; RE2 has no "
            "backreferences or lookaround)"
        ) from None
    if compiled.search("") is not None:
        raise ValueError("matches the empty string, so it would redact nothing useful")
    return pattern


Pattern = Annotated[StrictStr, AfterValidator(_check_pattern)]


def _check_placeholder(placeholder: str) -> str:
    # A placeholder that is itself secret-shaped would hide whether anything was redacted,
    # and would be taken for a leak by anyone reading the output (docs/redaction.md).
    problem = placeholder_problem(placeholder) if placeholder else None
    if problem:
        raise ValueError(problem.split(" ", 1)[1])  # the value is shown by the loader
    return placeholder


Placeholder = Annotated[StrictStr, AfterValidator(_check_placeholder)]


def _check_zone(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"is not {_ZONE_HELP}")  # noqa: TRY004 - pydantic wants ValueError
    if len(value) > _ZONE_MAX:  # no zone is that long; the system may refuse the file name
        raise ValueError(f"is not {_ZONE_HELP} (at most {_ZONE_MAX} characters)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the system refuses
        pass
    else:
        return value
    by_lower = {name.lower(): name for name in available_timezones()}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.8)
    hint = f'; did you mean "{by_lower[close[0]]}"?' if close else ""
    raise ValueError(f"is not {_ZONE_HELP}{hint}")


ZoneName = Annotated[
    str,
    BeforeValidator(_check_zone),
    WithJsonSchema({"type": "string", "minLength": 1}),
]

Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
