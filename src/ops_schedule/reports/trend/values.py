"""Hostile JSON read back from the archive: typed accessors that refuse what does not fit.

An archived report may come from an older version, be hand-edited, truncated or adversarial.
Each accessor returns the value when it is what the contract says, and raises
:class:`UnreadableError` (naming the JSON path) when it is not; optional values may be absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class UnreadableError(ValueError):
    """An archived document that cannot give the numbers a trend needs."""


def member(document: object, *path: str) -> object:
    """The value at ``path`` (``None`` when any step is absent); raises when a step is no object."""
    value: object = document
    for depth, name in enumerate(path):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise UnreadableError(f"{'.'.join(path[:depth]) or '(top level)'} is not an object")
        value = value.get(name)
    return value


def _where(path: tuple[str, ...]) -> str:
    return ".".join(path)


def count(document: object, *path: str, optional: bool = False) -> int | None:
    """A non-negative integer (booleans are not counts)."""
    value = member(document, *path)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableError(f"{_where(path)} is not a count")
    return value


def number(document: object, *path: str) -> float | None:
    """A finite, non-negative number, or ``None`` (absent or null: no data)."""
    value = member(document, *path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UnreadableError(f"{_where(path)} is not a number")
    if value < 0:
        raise UnreadableError(f"{_where(path)} is negative")
    return float(value)


def rate(document: object, *path: str) -> float | None:
    """A fraction from 0 to 1, or ``None``."""
    value = number(document, *path)
    if value is not None and value > 1:
        raise UnreadableError(f"{_where(path)} is not a fraction from 0 to 1")
    return value


def text(value: object) -> str | None:
    """A non-empty string, else ``None`` (callers skip such rows)."""
    return value if isinstance(value, str) and value else None


def rows(document: object, *path: str) -> list[Mapping[str, Any]]:
    """The objects of the list at ``path`` (absent: empty); entries that are not objects are
    left out."""
    value = member(document, *path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableError(f"{_where(path)} is not a list")
    return [row for row in value if isinstance(row, Mapping)]
