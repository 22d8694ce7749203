"""Exact partial aggregates of a span of time, and how they add up.

A :class:`Partial` holds what the events stamped in ``[start, end)`` contribute to a report:
counters, chart counts per bucket, exact duration histograms per MCP, failures by error type
with their earliest example, and the last circuit transition of each MCP inside the span. Two
partials of adjacent spans add up (:func:`merge`) to exactly the partial of their union, because
every field is a sum, an exact histogram, or an earliest/latest element of disjoint spans (no
ties can cross a span boundary). That is what lets reports reuse cached hours
(docs/performance.md#cached-partials).

Partials are stored as compressed JSON (:func:`encode`, :func:`decode`); instants as integer
microseconds since the epoch, so they round-trip exactly.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, cast

import orjson

from ops_schedule.reports.observability.stats import (
    CircuitState,
    CircuitTransition,
    FailureStats,
    McpStats,
)

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_STATES: Final = frozenset(("open", "half-open", "closed"))


@dataclass(slots=True)
class Partial:
    """The exact contribution of the events stamped in ``[start, end)``."""

    start: datetime
    end: datetime
    events: int = 0
    fail: int = 0
    malformed: int = 0
    # Chart counts by bucket start, in microseconds since the epoch; buckets without events
    # are left out (two plain maps: they add up at C speed).
    bucket_events: dict[int, int] = field(default_factory=dict)
    bucket_fails: dict[int, int] = field(default_factory=dict)
    mcp: dict[str, McpStats] = field(default_factory=dict)
    failures: dict[str, FailureStats] = field(default_factory=dict)  # by errorType
    circuit: dict[str, CircuitTransition] = field(default_factory=dict)  # last inside the span
    # The chart buckets' grid, (phase, width) in microseconds: buckets start on phase + k·width
    # (or at the span's start). None: not on a grid, never cached.
    grid: tuple[int, int] | None = None


def merge(target: Partial, part: Partial) -> None:
    """Add ``part`` (a span disjoint from ``target``'s) to ``target``; bounds are the caller's."""
    target.events += part.events
    target.fail += part.fail
    target.malformed += part.malformed
    _add(target.bucket_events, part.bucket_events)
    _add(target.bucket_fails, part.bucket_fails)
    for name, theirs in part.mcp.items():
        mine = target.mcp.get(name)
        if mine is None:
            mine = target.mcp[name] = McpStats()
        mine.calls += theirs.calls
        mine.failures += theirs.failures
        mine.circuit_open_count += theirs.circuit_open_count
        _add(mine.durations, theirs.durations)
    for error_type, failure in part.failures.items():
        have = target.failures.get(error_type)
        if have is None:
            have = target.failures[error_type] = FailureStats()
        have.count += failure.count
        # Spans are disjoint, so two examples never share an instant.
        if failure.example_at is not None and (
            have.example_at is None or failure.example_at < have.example_at
        ):
            have.example, have.example_at = failure.example, failure.example_at
    for name, transition in part.circuit.items():
        have_transition = target.circuit.get(name)
        if have_transition is None or transition.at > have_transition.at:
            target.circuit[name] = transition


K = TypeVar("K", int, float)


def _add(histogram: dict[K, int], other: dict[K, int]) -> None:
    if not histogram:
        dict.update(histogram, other)  # the common first merge, at C speed
        return
    get = histogram.get
    for value, count in other.items():
        histogram[value] = get(value, 0) + count


def merged(parts: list[Partial]) -> Partial:
    """One partial for adjacent ``parts`` given in time order."""
    total = Partial(parts[0].start, parts[-1].end)
    for part in parts:
        merge(total, part)
    grids = {part.grid for part in parts}
    total.grid = grids.pop() if len(grids) == 1 else None  # mixed grids: never cached
    return total


def canonical_duration(value: float) -> float:
    """``12.0`` and ``12`` are one duration: kept as the int, however the line wrote it.

    A histogram merged from several spans must not depend on which span saw a value first.
    """
    if value.__class__ is float and value.is_integer():
        return int(value)
    return value


def micros(at: datetime) -> int:
    """``at`` in microseconds since the epoch: how bucket starts are keyed."""
    return (at - EPOCH) // _MICROSECOND


def _instant(count: int) -> datetime:
    return EPOCH + timedelta(microseconds=count)


def encode(part: Partial) -> bytes:
    document = {
        "s": micros(part.start),
        "t": micros(part.end),
        "e": part.events,
        "f": part.fail,
        "m": part.malformed,
        "b": [list(part.bucket_events), list(part.bucket_events.values())],
        "bf": [list(part.bucket_fails), list(part.bucket_fails.values())],
        "p": {
            name: [
                mcp.calls,
                mcp.failures,
                mcp.circuit_open_count,
                list(mcp.durations.keys()),
                list(mcp.durations.values()),
            ]
            for name, mcp in part.mcp.items()
        },
        "x": {
            kind: [
                failure.count,
                failure.example,
                None if failure.example_at is None else micros(failure.example_at),
            ]
            for kind, failure in part.failures.items()
        },
        "c": {name: [micros(t.at), t.state] for name, t in part.circuit.items()},
        "g": part.grid,
    }
    return zlib.compress(orjson.dumps(document), 1)


class PartialDecodeError(ValueError):
    """A stored partial that is not one this version wrote (damaged, or from elsewhere)."""


def decode(blob: bytes) -> Partial:
    """The partial :func:`encode` wrote; :class:`PartialDecodeError` for anything else."""
    try:
        document = orjson.loads(zlib.decompress(blob))
        return _partial(document)
    except (
        zlib.error,
        orjson.JSONDecodeError,
        AttributeError,  # a list or a string where a map belongs
        IndexError,
        KeyError,
        OverflowError,  # an instant past the calendar
        TypeError,
        ValueError,
    ) as exc:
        raise PartialDecodeError(f"unreadable partial: {exc}") from None


def _partial(document: dict[str, Any]) -> Partial:
    part = Partial(_instant(document["s"]), _instant(document["t"]))
    part.events, part.fail, part.malformed = _ints(document["e"], document["f"], document["m"])
    grid = document["g"]
    part.grid = None if grid is None else cast("tuple[int, int]", tuple(_ints(*grid)))
    part.bucket_events = _int_map(document["b"])
    part.bucket_fails = _int_map(document["bf"])
    for name, (raw_calls, raw_failures, raw_opened, values, counts) in document["p"].items():
        # zlib's checksum already vouches for the bytes; this only keeps the types honest.
        if len(values) != len(counts) or sum(counts).__class__ is not int:
            raise ValueError("a damaged histogram")
        if sum(values).__class__ not in (int, float):
            raise TypeError("a duration is not a number")
        durations: Counter[float] = Counter()
        dict.update(durations, zip(values, counts, strict=True))
        calls, failures, opened = _ints(raw_calls, raw_failures, raw_opened)
        part.mcp[name] = McpStats(calls, failures, durations, opened)
    for kind, (count, example, at) in document["x"].items():
        if example is not None and not isinstance(example, str):
            raise TypeError("a failure example is not a string")
        part.failures[kind] = FailureStats(
            _ints(count)[0], example, None if at is None else _instant(at)
        )
    for name, (at, state) in document["c"].items():
        if state not in _STATES:
            raise ValueError(f"unknown circuit state {state!r}")
        part.circuit[name] = CircuitTransition(_instant(at), cast("CircuitState", state))
    return part


def _int_map(pair: list[list[int]]) -> dict[int, int]:
    keys, values = pair
    if (
        len(keys) != len(values)
        or sum(keys).__class__ is not int
        or sum(values).__class__ is not int
    ):
        raise ValueError("damaged chart counts")
    return dict(zip(keys, values, strict=True))


def _ints(*values: object) -> tuple[int, ...]:
    if any(value.__class__ is not int for value in values):
        raise TypeError("a count is not an integer")
    return cast("tuple[int, ...]", values)
