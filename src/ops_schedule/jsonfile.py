"""Decoding JSON that nobody vouches for: every failure is a ``ValueError`` that says what is
wrong, never a ``RecursionError``, whatever the depth of the document or the length of a number.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any


class JsonLimitError(ValueError):
    """Valid JSON, perhaps, but past a limit this program reads: too deep, a number too long."""


def load_json(
    text: str,
    *,
    max_depth: int,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    finite: bool = False,
) -> Any:
    """``json.loads`` with limits: ``json.JSONDecodeError`` for text that is not JSON,
    :class:`JsonLimitError` for JSON nested more than ``max_depth`` lists and objects deep or
    holding an integer past Python's digit limit. With ``finite``, also for ``NaN`` and
    ``Infinity`` (Python reads them; JSON has neither) and a number past a double's range, so
    that what is read can be written back as JSON."""
    hooks: dict[str, Any] = (
        {"parse_constant": _not_a_number, "parse_float": _float} if finite else {}
    )
    try:
        value = json.loads(text, object_pairs_hook=object_pairs_hook, **hooks)
    except (json.JSONDecodeError, JsonLimitError):
        raise
    except RecursionError:
        raise JsonLimitError(too_deep(max_depth)) from None
    except ValueError:  # the only other failure: an integer literal past the digit limit
        digits = sys.get_int_max_str_digits()
        raise JsonLimitError(f"a number has more than {digits} digits") from None
    if nesting_depth(value) > max_depth:
        raise JsonLimitError(too_deep(max_depth))
    return value


def _not_a_number(name: str) -> float:
    raise JsonLimitError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonLimitError(f"{text} is beyond the range of a number")
    return value


def too_deep(max_depth: int) -> str:
    return f"nested more than {max_depth} levels deep"


def nesting_depth(value: object) -> int:
    """How many lists and objects nest in a decoded JSON value (``[[]]``: 2; a scalar: 0),
    counted without recursion, so that a hostile document cannot exhaust the stack."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]  # (value, containers around it)
    while pending:
        item, around = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, around + 1)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, around + 1) for child in children)
    return deepest
